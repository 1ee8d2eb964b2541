"""Runs the HiAPI emulator until Ctrl-C: `python -m langchain_hiapi.testing --port 8765`."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any, Literal

from langchain_hiapi.testing._callbacks import CallbackPolicy
from langchain_hiapi.testing._ratelimit import RateLimits
from langchain_hiapi.testing._server import DEFAULT_API_KEY, HiAPIEmulator
from langchain_hiapi.testing._table import records
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


# The options HiAPIEmulator takes under the same name.
_PASSED = (
    "api_key host port latency full_size noise ping webhook_secret extra_api_keys"
    " failing_models balance_exhausted"
)
_TYPES: dict[str, Callable[[str], Any]] = {"str": str, "int": int, "float": float}

# One option a record: flags, then `type[=default]`, `flag` (no value), `append` (repeatable),
# `choices=a,b`, `metavar=X` or `dest=name`; after `|` the help. `[title]`: a group.
_OPTIONS = """
--host  str=127.0.0.1
--port  int=8765  |  0 picks a free port
--api-key  str
--latency  float=0  |  seconds before each reply
--full-size  flag  |  real image pixel sizes
--noise  flag  |  incompressible random pixels
--ping  flag  |  ': PING' lines between events
[task API (/v1/tasks)]
--task-stages  stages  metavar=Q,H,A
    |  length of the queued, handling and archiving stages (default 1,1,1)
--task-seconds  float  |  tasks take this many seconds of wall clock (same as --task-unit
    seconds --task-stages 0,S,0; default: they advance per poll)
--task-spread  float=0  |  seconds mode: up to this many extra seconds per task, evenly spread
--task-unit  str=polls  choices=polls,seconds
    |  what a stage length counts: polls of the task (default) or seconds
--output-ttl  float=604800  |  seconds output URLs stay valid
--webhook-secret  str  |  sign callbacks (X-HiAPI-Signature) with this
--callback-attempts  int=5  |  callback deliveries tried at most
--callback-backoff  float=1  |  seconds before the first callback redelivery (doubles after each)
[rate limits (429 without Retry-After beyond them)]
--create-rate  float  |  task creates per second per key
--poll-rate  float  |  task polls (detail + list) per second
--chat-rate  float  |  chat completions per second
--burst  --rate-burst  float=1  dest=burst  |  bucket size: requests allowed at once (default 1)
--rate-error-shape  str=envelope  choices=envelope,hiapi_error
    |  429 body: the task envelope (default) or the blogs' hiapi_error shape
[task API (/v1/tasks)]
--failing-model  append  dest=failing_models  metavar=FAILING_MODEL  |  tasks of this model fail
--balance-exhausted  flag  |  every task create answers 402
--extra-api-key  append  dest=extra_api_keys  metavar=EXTRA_API_KEY
    |  another accepted key (account)
"""


def _option(tokens: list[str]) -> tuple[list[str], dict[str, Any]]:
    # One record of `_OPTIONS` -> add_argument's flags and keywords.
    spec, _, help_words = " ".join(tokens).partition(" | ")
    flags = [token for token in spec.split() if token.startswith("--")]
    settings: dict[str, Any] = {"help": help_words.strip() or None}
    for token in spec.split()[len(flags) :]:
        key, eq, value = token.partition("=")
        if key == "flag":
            settings["action"] = "store_true"
        elif key == "append":
            settings.update(action="append", default=[])
        elif key == "choices":
            settings["choices"] = tuple(value.split(","))
        elif key in ("metavar", "dest"):
            settings[key] = value
        else:
            settings["type"] = _stages if key == "stages" else _TYPES[key]
            if eq:
                settings["default"] = settings["type"](value)
    return flags, settings


def build_emulator(args: argparse.Namespace) -> HiAPIEmulator:
    """Builds the emulator the parsed options describe (ValueError for bad values)."""
    rate_limits = None
    rates = (args.create_rate, args.poll_rate, args.chat_rate)
    if any(rate is not None for rate in rates):
        rate_limits = RateLimits(*rates, burst=args.burst, error_shape=args.rate_error_shape)
    unit: Literal["polls", "seconds"] = args.task_unit
    stages: tuple[float, float, float] = args.task_stages or (1.0, 1.0, 1.0)
    if args.task_seconds is not None:
        if args.task_stages is not None:
            raise ValueError("give --task-seconds or --task-stages, not both")
        # Shorthand for the benchmarks: the whole run spent handling, in seconds.
        stages, unit = (0.0, args.task_seconds, 0.0), "seconds"
    if args.task_spread and unit != "seconds":
        raise ValueError("--task-spread needs --task-seconds (or --task-unit seconds)")
    timing = TaskTiming(*stages, unit=unit, output_ttl=args.output_ttl, spread=args.task_spread)
    policy = CallbackPolicy(attempts=args.callback_attempts, backoff=args.callback_backoff)
    return HiAPIEmulator(
        **{name: getattr(args, name) for name in _PASSED.split()},
        task_timing=timing,
        rate_limits=rate_limits,
        callback_policy=policy,
    )


def build_parser() -> argparse.ArgumentParser:
    """The command-line options (`_OPTIONS`)."""
    parser = argparse.ArgumentParser(prog="python -m langchain_hiapi.testing", description=__doc__)
    add: Callable[..., argparse.Action] = parser.add_argument
    groups: dict[str, Callable[..., argparse.Action]] = {}
    for tokens in records(_OPTIONS):
        if tokens[0].startswith("["):
            title = " ".join(tokens).strip("[]")
            if title not in groups:
                groups[title] = parser.add_argument_group(title).add_argument
            add = groups[title]
        else:
            flags, settings = _option(tokens)
            add(*flags, **settings)
    parser.set_defaults(api_key=DEFAULT_API_KEY)
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
