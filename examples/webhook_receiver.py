"""Receive HiAPI task callbacks with the standard library, checked by `verify_webhook`.

    python examples/webhook_receiver.py                # demo: create a task, receive its callback
    python examples/webhook_receiver.py --serve --port 8787 --secret "$HIAPI_WEBHOOK_SECRET"

A tiny `http.server` that answers 204 to a callback whose HMAC signature and timestamp
verify (and acts on each task once: HiAPI delivers at least once, so a task may be posted
again), and 400 to anything else. Set the same "Webhook signing key" in the HiAPI console.

Without HIAPI_API_KEY the demo starts the bundled offline emulator with a signing key; the
emulator finishes the task and POSTs the signed callback to this receiver on 127.0.0.1.
With HIAPI_API_KEY, HiAPI must reach the receiver from the internet: run it behind a
public HTTPS URL (a tunnel) and pass that URL as --public-url.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from langchain_hiapi import HiAPITasks, Task, WebhookVerificationError, verify_webhook
from langchain_hiapi.testing import TaskTiming, hiapi_or_emulator

MAX_BODY_BYTES = 1024 * 1024  # a task callback is a small JSON object


class CallbackReceiver:
    """A loopback HTTP server that verifies HiAPI callbacks and keeps each task once.

    Args:
        secret: The webhook signing key (None only if signing is off on the account).
        host: Interface to listen on.
        port: Port; 0 picks a free one.
        on_task: Called once per task id with the verified task.
    """

    def __init__(
        self,
        secret: str | None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        on_task: Any = None,
    ) -> None:
        self.secret = secret
        self.tasks: dict[str, Task] = {}
        self.rejected: list[str] = []
        self.duplicates = 0
        self._on_task = on_task
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # the receiver prints what matters itself

            def do_POST(self) -> None:
                status = receiver.handle(self)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The callback URL to give `create(callback_url=...)`."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hiapi/callback"

    def handle(self, request: BaseHTTPRequestHandler) -> int:
        """Verifies one POST; returns the HTTP status to answer."""
        try:
            length = int(request.headers.get("Content-Length") or "")
        except ValueError:
            return 411  # a body without a length is not what HiAPI sends
        if not 0 <= length <= MAX_BODY_BYTES:
            return 413
        raw = request.rfile.read(length)
        try:
            # The raw bytes, exactly as received: re-serialised JSON would not verify.
            task = verify_webhook(raw, request.headers, self.secret)
        except WebhookVerificationError as exc:
            with self._lock:
                self.rejected.append(str(exc))
            print(f"[receiver] 400: {exc}")
            return 400
        with self._arrived:
            first = task.id not in self.tasks
            if first:
                self.tasks[task.id] = task
            else:
                self.duplicates += 1
            self._arrived.notify_all()
        if first and self._on_task is not None:
            self._on_task(task)
        return 204  # acknowledged; HiAPI redelivers on anything but 2xx

    def wait_for(self, task_id: str, timeout: float) -> Task | None:
        """Blocks until the callback of `task_id` arrived (or `timeout` seconds passed)."""
        with self._arrived:
            self._arrived.wait_for(lambda: task_id in self.tasks, timeout=timeout)
            return self.tasks.get(task_id)

    def __enter__(self) -> CallbackReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def report(task: Task) -> None:
    """What to do with a finished task: here, say what came back."""
    if task.succeeded:
        kinds = ", ".join(output.type for output in task.outputs) or "no outputs"
        print(f"[receiver] task {task.id} succeeded: {kinds}")
    else:
        print(f"[receiver] task {task.id} ended {task.status}: {task.error_message}")


def demo(args: argparse.Namespace, secret: str) -> int:
    """Creates a task with a callback and waits until the receiver has it."""
    # Offline, the emulator ends tasks on its own clock (fractions of a second) and signs
    # its callbacks with `secret`, like an account with a webhook signing key.
    timing = TaskTiming(queued=0.1, handling=0.1, archiving=0.1, unit="seconds")
    with (
        hiapi_or_emulator(
            detail="signed callback to 127.0.0.1", webhook_secret=secret, task_timing=timing
        ) as settings,
        CallbackReceiver(secret, port=args.port, on_task=report) as receiver,
    ):
        if not settings and not (args.public_url and args.secret):
            print(
                "With HIAPI_API_KEY set, pass --public-url (HiAPI cannot reach 127.0.0.1) and"
                " --secret (your account's webhook signing key)."
            )
            return 2
        callback_url = args.public_url or receiver.url
        with HiAPITasks(**settings) as tasks:
            task = tasks.create(args.model, {"prompt": args.prompt}, callback_url=callback_url)
        print(f"Created {task.id}; waiting for its callback at {callback_url}")
        done = receiver.wait_for(task.id, timeout=args.timeout)
        if done is None:
            print(f"No verified callback within {args.timeout:g} s.")
            return 1
        print(f"Verified callback for {done.id}: {done.status}")
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help="only receive, until Ctrl-C")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any)")
    parser.add_argument("--secret", default=os.environ.get("HIAPI_WEBHOOK_SECRET"))
    parser.add_argument("--public-url", help="URL HiAPI posts to (for a real key)")
    parser.add_argument("--model", default="Nano-Banana")
    parser.add_argument("--prompt", default="a paper boat on a rainy street")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args(argv)

    if args.serve:
        if not args.secret:
            print("--serve needs --secret (or HIAPI_WEBHOOK_SECRET): the signing key to check.")
            return 2
        with CallbackReceiver(args.secret, port=args.port, on_task=report) as receiver:
            print(f"Receiving HiAPI callbacks at {receiver.url} (Ctrl-C to stop)")
            with contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()
        return 0
    return demo(args, args.secret or f"whsec_demo_{secrets.token_hex(16)}")


if __name__ == "__main__":
    sys.exit(main())
