"""Runs the HiAPI emulator until Ctrl-C: `python -m langchain_hiapi.testing --port 8765`."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from langchain_hiapi.testing._ratelimit import RateLimits
from langchain_hiapi.testing._server import DEFAULT_API_KEY, HiAPIEmulator
from langchain_hiapi.testing._tasks import TaskTiming


def main(argv: list[str] | None = None) -> int:
    """Parses options, serves, and stops cleanly on Ctrl-C or SIGTERM.

    Args:
        argv: Command-line arguments (defaults to `sys.argv[1:]`).

    Returns:
        The exit status.
    """
    parser = argparse.ArgumentParser(prog="python -m langchain_hiapi.testing", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each reply")
    parser.add_argument("--full-size", action="store_true", help="real image pixel sizes")
    parser.add_argument("--noise", action="store_true", help="incompressible random pixels")
    parser.add_argument("--ping", action="store_true", help="': PING' lines between events")
    parser.add_argument(
        "--video-polls", type=int, default=3, help="status polls before a video task completes"
    )
    tasks = parser.add_argument_group("task API (/v1/tasks)")
    tasks.add_argument(
        "--task-seconds",
        type=float,
        help="tasks take this many seconds of wall clock (default: they advance per poll)",
    )
    tasks.add_argument(
        "--task-spread",
        type=float,
        default=0.0,
        help="with --task-seconds: up to this many extra seconds per task, evenly spread",
    )
    limits = parser.add_argument_group("rate limits (429 without Retry-After beyond them)")
    limits.add_argument("--create-rate", type=float, help="task creates per second")
    limits.add_argument("--poll-rate", type=float, help="task polls per second (detail + list)")
    limits.add_argument("--chat-rate", type=float, help="chat completions per second")
    limits.add_argument("--burst", type=float, default=1.0, help="bucket size (default 1)")
    args = parser.parse_args(argv)
    if args.task_spread and args.task_seconds is None:
        parser.error("--task-spread needs --task-seconds")
    timing = None
    if args.task_seconds is not None:
        timing = TaskTiming(
            queued=0,
            handling=args.task_seconds,
            archiving=0,
            unit="seconds",
            spread=args.task_spread,
        )
    rate_limits = None
    if any(r is not None for r in (args.create_rate, args.poll_rate, args.chat_rate)):
        rate_limits = RateLimits(
            create_per_s=args.create_rate,
            poll_per_s=args.poll_rate,
            chat_per_s=args.chat_rate,
            burst=args.burst,
        )

    emulator = HiAPIEmulator(
        api_key=args.api_key,
        host=args.host,
        port=args.port,
        latency=args.latency,
        full_size=args.full_size,
        noise=args.noise,
        ping=args.ping,
        video_polls=args.video_polls,
        task_timing=timing,
        rate_limits=rate_limits,
    )
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
