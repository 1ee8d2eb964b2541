"""The HTTP/1.1 layer: a threading server, keep-alive, chunked request bodies and streams.

It knows nothing of routes: a `Backend` (the emulator's router) turns a recorded request
into a `Plain` reply or a `Stream` of SSE payloads; scripted faults (`Reply`) that act on
the connection (cuts, malformed JSON, hang-ups) are applied here.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from langchain_hiapi.testing._faults import RecordedRequest, Reply

_MALFORMED = '{"id":"chatcmpl-broken","object":"chat.completion.chunk","choices":[{"delta":'


@dataclass
class Plain:
    """A whole reply: status, body, content type and extra headers."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Stream:
    """A `text/event-stream` reply: the `data:` payloads, `[DONE]` included."""

    payloads: list[str]


class Backend(Protocol):
    """What the HTTP layer needs from the emulator."""

    @property
    def ping(self) -> bool:
        """Whether `: PING` comment lines go between stream events."""
        ...

    def begin(self, record: RecordedRequest) -> tuple[Reply | None, str]:
        """Records the request; returns the scripted reply (if any) and a request id."""
        ...

    def pause(self, reply: Reply | None) -> bool:
        """Waits the latency (and the reply's delay); True when the server stops meanwhile."""
        ...

    def respond(
        self, record: RecordedRequest, reply: Reply | None, request_id: str
    ) -> Plain | Stream:
        """The `Plain` or `Stream` answer to the request."""
        ...


class Server(ThreadingHTTPServer):
    """The threading server; it remembers open sockets so `stop()` can drop them."""

    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 resets connections when many clients connect at
    # once (a 64-wide abatch); a real gateway accepts them.
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], backend: Backend) -> None:
        super().__init__(address, _Handler)
        self.backend = backend
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Shuts every open connection (keep-alive handlers would serve on after stop)."""
        with self.sockets_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are separate writes: with Nagle on, a keep-alive client's delayed
    # ACK stalls every reply by ~40 ms.
    disable_nagle_algorithm = True
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silences the default per-request logging."""

    def handle(self) -> None:
        """Serves the connection; a client hanging up is not an error."""
        try:
            super().handle()
        except (ConnectionError, TimeoutError, OSError):
            self.close_connection = True

    def do_GET(self) -> None:
        """Handles GET."""
        self._serve()

    def do_POST(self) -> None:
        """Handles POST."""
        self._serve()

    def do_DELETE(self) -> None:
        """Handles DELETE."""
        self._serve()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self) -> None:
        body = self._read_body()
        try:
            parsed: Any = json.loads(body) if body else None
        except ValueError:
            parsed = None
        record = RecordedRequest(
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            json=parsed,
        )
        backend = self.server.backend
        reply, request_id = backend.begin(record)
        if backend.pause(reply):
            self.close_connection = True
            return
        response = backend.respond(record, reply, request_id)
        if reply is not None and reply.disconnect_after_processing:
            # Processed (and billed), but the client never hears back.
            self._abort()
            return
        if isinstance(response, Stream):
            self._send_stream(response, reply, request_id)
        else:
            self._send_plain(response, reply, request_id)

    def _head(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _send_plain(self, response: Plain, reply: Reply | None, request_id: str) -> None:
        body = response.body
        if reply is not None and reply.malformed_json and response.status == 200:
            body = body[: max(1, len(body) // 2)]
        headers = {
            "Content-Type": response.content_type,
            "Content-Length": str(len(body)),
            "X-Oneapi-Request-Id": request_id,
            **response.headers,
        }
        self._head(response.status, headers)
        if reply is not None and reply.stream_cut_after is not None:
            # Promise the whole body, send half, hang up.
            self.wfile.write(body[: len(body) // 2])
            self._abort()
            return
        self.wfile.write(body)

    def _abort(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def _send_stream(self, response: Stream, reply: Reply | None, request_id: str) -> None:
        headers = {
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "Transfer-Encoding": "chunked",
            "X-Oneapi-Request-Id": request_id,
            **(reply.headers if reply else {}),
        }
        self._head(200, headers)
        payloads = list(response.payloads)
        if reply is not None and reply.malformed_json:
            payloads.insert(1, _MALFORMED)
        cut = reply.stream_cut_after if reply is not None else None
        ping = self.server.backend.ping
        for sent, payload in enumerate(payloads):
            if cut is not None and sent >= cut:
                self._abort()
                return
            if ping and sent:
                self._chunk(b": PING\n\n")
            self._chunk(b"data: " + payload.encode("utf-8") + b"\n\n")
        self.wfile.write(b"0\r\n\r\n")
