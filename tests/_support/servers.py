"""Hand-made loopback HTTP servers for shapes the emulator cannot produce.

A `RawServer` listens on 127.0.0.1 and runs `handler(conn, head)` for every connection in
a thread, where `head` is the raw request head; the handler writes whatever bytes it
likes (trickles, endless keep-alives, bombs, redirects to internal addresses). Every
connection and request head is recorded, so a probe can assert that nothing arrived.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any

Handler = Callable[[socket.socket, bytes], None]


def read_head(conn: socket.socket) -> bytes:
    """Reads a request head (up to the blank line) plus a Content-Length body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head


def response_head(status: int = 200, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} X"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def reply(
    conn: socket.socket, status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None
) -> None:
    """Sends a complete response with Content-Length."""
    all_headers = {"Content-Length": str(len(body)), "Connection": "close", **(headers or {})}
    conn.sendall(response_head(status, all_headers) + body)


def trickle(
    conn: socket.socket, pieces: Iterable[bytes], pause: float = 0.0, end: bytes = b""
) -> int:
    """Sends pieces with a pause between them until the client hangs up; returns how many.

    When all pieces went out, `end` follows (e.g. the chunked terminator).
    """
    sent = 0
    with contextlib.suppress(OSError):
        for piece in pieces:
            conn.sendall(piece)
            sent += 1
            if pause:
                # The hostile server's pace, not a test synchronisation.
                time.sleep(pause)
        conn.sendall(end)
    return sent


class RawServer:
    """A threaded loopback server running `handler` per connection (see the module doc)."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.heads: list[bytes] = []
        self.connections = 0
        self.stop = threading.Event()
        self.results: list[Any] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = int(self._sock.getsockname()[1])
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                head = read_head(conn)
                self.heads.append(head)
                self.results.append(self.handler(conn, head))
            except OSError:
                pass

    def __enter__(self) -> RawServer:
        self._acceptor.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop.set()
        self._sock.close()
        for thread in self._threads:
            thread.join(timeout=5)


class StepClock:
    """A monotonic clock that advances `step` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.step = step
        self.now = 0.0
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        self.now += self.step
        return self.now


def chunk(data: bytes) -> bytes:
    """One piece of a chunked transfer-encoded body."""
    return b"%x\r\n" % len(data) + data + b"\r\n"


def repeat(piece: bytes, times: int) -> Iterator[bytes]:
    for _ in range(times):
        yield piece
