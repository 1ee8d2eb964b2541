"""Runs the HiAPI emulator until Ctrl-C: `python -m langchain_hiapi.testing --port 8765`."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType
from typing import Literal

from langchain_hiapi.testing._callbacks import CallbackPolicy
from langchain_hiapi.testing._ratelimit import RateLimits
from langchain_hiapi.testing._server import DEFAULT_API_KEY, HiAPIEmulator
from langchain_hiapi.testing._task_timing import TaskTiming


def _stages(text: str) -> tuple[float, float, float]:
    """Parses `Q,H,A` stage lengths for `--task-stages`."""
    try:
        parts = tuple(float(part) for part in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 3 or not all(0 <= part < float("inf") for part in parts):
        raise argparse.ArgumentTypeError(
            f"expected three numbers >= 0 separated by commas (e.g. 1,1,1), got {text!r}"
        )
    return parts[0], parts[1], parts[2]


def build_emulator(args: argparse.Namespace) -> HiAPIEmulator:
    """Builds the emulator the parsed options describe (ValueError for bad values)."""
    rate_limits = None
    if any(rate is not None for rate in (args.create_rate, args.poll_rate, args.chat_rate)):
        rate_limits = RateLimits(
            create_per_s=args.create_rate,
            poll_per_s=args.poll_rate,
            chat_per_s=args.chat_rate,
            burst=args.burst,
            error_shape=args.rate_error_shape,
        )
    unit: Literal["polls", "seconds"] = args.task_unit
    stages: tuple[float, float, float] = args.task_stages or (1.0, 1.0, 1.0)
    if args.task_seconds is not None:
        if args.task_stages is not None:
            raise ValueError("give --task-seconds or --task-stages, not both")
        # Shorthand for the benchmarks: the whole run spent handling, in seconds.
        stages, unit = (0.0, args.task_seconds, 0.0), "seconds"
    if args.task_spread and unit != "seconds":
        raise ValueError("--task-spread needs --task-seconds (or --task-unit seconds)")
    queued, handling, archiving = stages
    return HiAPIEmulator(
        api_key=args.api_key,
        host=args.host,
        port=args.port,
        latency=args.latency,
        full_size=args.full_size,
        noise=args.noise,
        ping=args.ping,
        task_timing=TaskTiming(
            queued,
            handling,
            archiving,
            unit=unit,
            output_ttl=args.output_ttl,
            spread=args.task_spread,
        ),
        rate_limits=rate_limits,
        webhook_secret=args.webhook_secret,
        callback_policy=CallbackPolicy(
            attempts=args.callback_attempts, backoff=args.callback_backoff
        ),
        extra_api_keys=args.extra_api_key,
        failing_models=args.failing_model,
        balance_exhausted=args.balance_exhausted,
    )


def build_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(prog="python -m langchain_hiapi.testing", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each reply")
    parser.add_argument("--full-size", action="store_true", help="real image pixel sizes")
    parser.add_argument("--noise", action="store_true", help="incompressible random pixels")
    parser.add_argument("--ping", action="store_true", help="': PING' lines between events")
    tasks = parser.add_argument_group("task API (/v1/tasks)")
    tasks.add_argument(
        "--task-stages",
        type=_stages,
        metavar="Q,H,A",
        help="length of the queued, handling and archiving stages (default 1,1,1)",
    )
    tasks.add_argument(
        "--task-seconds",
        type=float,
        help="tasks take this many seconds of wall clock (same as --task-unit seconds"
        " --task-stages 0,S,0; default: they advance per poll)",
    )
    tasks.add_argument(
        "--task-spread",
        type=float,
        default=0.0,
        help="seconds mode: up to this many extra seconds per task, evenly spread",
    )
    tasks.add_argument(
        "--task-unit",
        choices=("polls", "seconds"),
        default="polls",
        help="what a stage length counts: polls of the task (default) or seconds",
    )
    tasks.add_argument(
        "--output-ttl", type=float, default=7 * 24 * 3600, help="seconds output URLs stay valid"
    )
    tasks.add_argument("--webhook-secret", help="sign callbacks (X-HiAPI-Signature) with this")
    tasks.add_argument(
        "--callback-attempts", type=int, default=5, help="callback deliveries tried at most"
    )
    tasks.add_argument(
        "--callback-backoff",
        type=float,
        default=1.0,
        help="seconds before the first callback redelivery (doubles after each)",
    )
    limits = parser.add_argument_group("rate limits (429 without Retry-After beyond them)")
    limits.add_argument("--create-rate", type=float, help="task creates per second per key")
    limits.add_argument("--poll-rate", type=float, help="task polls (detail + list) per second")
    limits.add_argument("--chat-rate", type=float, help="chat completions per second")
    limits.add_argument(
        "--burst",
        "--rate-burst",
        dest="burst",
        type=float,
        default=1.0,
        help="bucket size: requests allowed at once (default 1)",
    )
    limits.add_argument(
        "--rate-error-shape",
        choices=("envelope", "hiapi_error"),
        default="envelope",
        help="429 body: the task envelope (default) or the blogs' hiapi_error shape",
    )
    tasks.add_argument(
        "--failing-model", action="append", default=[], help="tasks of this model fail"
    )
    tasks.add_argument(
        "--balance-exhausted", action="store_true", help="every task create answers 402"
    )
    tasks.add_argument(
        "--extra-api-key", action="append", default=[], help="another accepted key (account)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parses options, serves, and stops cleanly on Ctrl-C or SIGTERM.

    Args:
        argv: Command-line arguments (defaults to `sys.argv[1:]`).

    Returns:
        The exit status.
    """
    parser = build_parser()
    args = parser.parse_args(argv)

    try:
        emulator = build_emulator(args)
    except ValueError as error:
        parser.error(str(error))
    done = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, on_term)
    with emulator:
        # Shell-friendly lines: the first one is what scripts and tests read.
        sys.stdout.write(f"HIAPI_BASE_URL={emulator.base_url}\nHIAPI_API_KEY={emulator.api_key}\n")
        sys.stdout.flush()
        try:
            while not done.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
