"""Runs the HiAPI emulator until Ctrl-C: `python -m langchain_hiapi.testing --port 8765`."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from langchain_hiapi.testing._server import DEFAULT_API_KEY, HiAPIEmulator


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
    args = parser.parse_args(argv)

    emulator = HiAPIEmulator(
        api_key=args.api_key,
        host=args.host,
        port=args.port,
        latency=args.latency,
        full_size=args.full_size,
        noise=args.noise,
        ping=args.ping,
        video_polls=args.video_polls,
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
