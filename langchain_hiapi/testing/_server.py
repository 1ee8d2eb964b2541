"""The HTTP server: routing, auth, scripted replies, keep-alive and chunked streams."""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal

from langchain_hiapi.testing._callbacks import CallbackAttempt, CallbackDispatcher, CallbackPolicy
from langchain_hiapi.testing._faults import RecordedRequest, Reply
from langchain_hiapi.testing._image import answer_image
from langchain_hiapi.testing._images_api import FILES_PREFIX, ImageFiles
from langchain_hiapi.testing._images_api import generate as generate_images
from langchain_hiapi.testing._models import IMAGE_MODELS, model_list
from langchain_hiapi.testing._ratelimit import RateLimiter, RateLimits
from langchain_hiapi.testing._request import parse_chat
from langchain_hiapi.testing._task_timing import TaskTiming
from langchain_hiapi.testing._task_wire import TaskError, hiapi_error_body
from langchain_hiapi.testing._tasks import FILES as TASK_FILES_ROOT
from langchain_hiapi.testing._tasks import TaskStats, TaskStore
from langchain_hiapi.testing._text import answer_text
from langchain_hiapi.testing._wire import (
    ApiError,
    completion_object,
    default_error,
    dumps,
    stream_payloads,
)

DEFAULT_API_KEY = "hiapi-emulator-key"
TASKS_PATH = "/v1/tasks"
STATS_PATH = "/_emulator/stats"
# A prompt holding this is blocked like the gateway blocks unsafe prompts (400).
BLOCK_FLAG = "[blocked]"
PROMPT_BLOCKED = "prompt_blocked"
_MALFORMED = '{"id":"chatcmpl-broken","object":"chat.completion.chunk","choices":[{"delta":'


@dataclass
class _Plain:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Stream:
    payloads: list[str]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 resets connections when many clients connect at
    # once (a 64-wide abatch); a real gateway accepts them.
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], emulator: HiAPIEmulator) -> None:
        super().__init__(address, _Handler)
        self.emulator = emulator
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
        # Keep-alive handlers would otherwise keep serving after stop().
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
    server: _Server

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
        emulator = self.server.emulator
        reply, request_id = emulator._begin(record)
        wait = emulator.latency + (reply.delay if reply else 0.0)
        if wait > 0 and emulator._stopping.wait(wait):
            self.close_connection = True
            return
        response = emulator._respond(record, reply, request_id)
        if reply is not None and reply.disconnect_after_processing:
            # Processed (and billed), but the client never hears back.
            self._abort()
            return
        if isinstance(response, _Stream):
            self._send_stream(response, reply, request_id)
        else:
            self._send_plain(response, reply, request_id)

    def _head(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _send_plain(self, response: _Plain, reply: Reply | None, request_id: str) -> None:
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

    def _send_stream(self, response: _Stream, reply: Reply | None, request_id: str) -> None:
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
        ping = self.server.emulator.ping
        for sent, payload in enumerate(payloads):
            if cut is not None and sent >= cut:
                self._abort()
                return
            if ping and sent:
                self._chunk(b": PING\n\n")
            self._chunk(b"data: " + payload.encode("utf-8") + b"\n\n")
        self.wfile.write(b"0\r\n\r\n")


class HiAPIEmulator:
    """A local, wire-faithful HiAPI (new-api) server for tests and benchmarks.

    Serves `POST /v1/chat/completions`, `GET /v1/models`, the images API
    (`POST /v1/images/generations`) and the unified task API
    (`POST /v1/tasks`, `GET /v1/tasks/:id`, `GET /v1/tasks`, output files under
    `/files/tasks/`, see `_tasks`) on a real loopback HTTP/1.1 server with keep-alive.
    Text models answer deterministically; image models answer with a PNG as Markdown
    inside the content. Faults are scripted with `queue(Reply(...))`.

    Args:
        api_key: The only accepted Bearer key.
        host: Interface to bind.
        port: Port to bind; 0 picks a free one.
        latency: Seconds slept before every reply.
        full_size: Real image pixel sizes (1K = 1024 long side) instead of small ones.
        noise: Incompressible random pixels (large base64 lines) instead of a flat image.
        ping: Put `: PING` comment lines between stream events.
        task_timing: Stage lengths of `/v1/tasks` tasks and the task clock (default:
            one poll per stage).
        rate_limits: Opt-in 429s for task creates, polls and chat completions beyond these
            rates.
        webhook_secret: Signs task callbacks (`X-HiAPI-Signature`); None: unsigned.
        callback_policy: Redelivery attempts, backoff and timeout of task callbacks.
        extra_api_keys: More accepted keys, each its own account for the task API
            (its own tasks, list and idempotency keys; others' task ids are 404).
        failing_models: Task models (ids or aliases) whose tasks end in `fail`.
        balance_exhausted: True: every task create answers 402; a collection of model
            ids: creates of those models do.
        chat_refused_models: Models the chat route no longer serves (503
            `model_not_found`, as new-api answers a model without a channel), e.g. image
            models HiAPI moved to the task API; settable.

    Example:
        >>> with HiAPIEmulator() as emu:  # doctest: +SKIP
        ...     emu.queue(Reply(status=429))
        ...     client = ChatHiAPI(base_url=emu.base_url, api_key=emu.api_key)
    """

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        latency: float = 0.0,
        full_size: bool = False,
        noise: bool = False,
        ping: bool = False,
        task_timing: TaskTiming | None = None,
        rate_limits: RateLimits | None = None,
        webhook_secret: str | None = None,
        callback_policy: CallbackPolicy | None = None,
        extra_api_keys: Iterable[str] = (),
        failing_models: Collection[str] = (),
        balance_exhausted: bool | Collection[str] = False,
        chat_refused_models: Collection[str] = (),
    ) -> None:
        self.api_key = api_key
        self.chat_refused_models = frozenset(chat_refused_models)
        self.extra_api_keys = tuple(extra_api_keys)
        self.webhook_secret = webhook_secret
        timing = task_timing or TaskTiming()
        self.callbacks = CallbackDispatcher(
            callback_policy or CallbackPolicy(),
            secret=lambda: self.webhook_secret,
            clock=timing.clock,
        )
        self.tasks = TaskStore(timing, self.callbacks, self._origin, full_size=full_size)
        self.callbacks.set_ticker(self.tasks.tick, self.tasks.ticking)
        self.tasks.failing_models = frozenset(failing_models)
        self.balance_exhausted = balance_exhausted
        self.rate_limiter = RateLimiter(rate_limits)
        self._chat_counts: dict[str, int] = {}
        self._chat_lock = threading.Lock()
        self.host = host
        self.port = port
        self.latency = latency
        self.full_size = full_size
        self.noise = noise
        self.ping = ping
        self.image_files = ImageFiles()
        self._lock = threading.Lock()
        self._queue: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._request_seq = itertools.count(1)
        self._call_seq = itertools.count(1)
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> HiAPIEmulator:
        """Binds and starts serving in a daemon thread.

        Returns:
            The emulator itself.
        """
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"hiapi-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        self.callbacks.start()
        return self

    def stop(self) -> None:
        """Stops serving and drops open connections; safe to call twice."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        self.callbacks.stop()
        server.shutdown()
        server.drop_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> HiAPIEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- test API ----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Base URL including `/v1`, e.g. `http://127.0.0.1:54321/v1`."""
        return f"http://{self.host}:{self.port}/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far (a copy), oldest first."""
        with self._lock:
            return list(self._requests)

    def queue(self, *replies: Reply) -> None:
        """Scripts the next replies; each is consumed by one request, in order."""
        with self._lock:
            self._queue.extend(replies)

    def reset(self) -> None:
        """Clears scripted replies, recorded requests, ids, files and tasks.

        Task counters, rate-limit buckets and the callback log start afresh too.
        """
        with self._lock:
            self._queue.clear()
            self._requests.clear()
            self._call_seq = itertools.count(1)
        self.image_files.reset()
        self.tasks.reset()
        self.rate_limiter.reset()
        with self._chat_lock:
            self._chat_counts.clear()
        self.callbacks.reset()

    # -- task API test hooks --------------------------------------------------------------

    @property
    def rate_limits(self) -> RateLimits | None:
        """The task API's rate limits (settable; None turns them off)."""
        return self.rate_limiter.limits

    @rate_limits.setter
    def rate_limits(self, limits: RateLimits | None) -> None:
        self.rate_limiter.limits = limits
        self.rate_limiter.reset()

    @property
    def balance_exhausted(self) -> bool | frozenset[str]:
        """True: every task create answers 402; a set of model ids: those models' do."""
        return self.tasks.balance_exhausted

    @balance_exhausted.setter
    def balance_exhausted(self, value: bool | Collection[str]) -> None:
        self.tasks.balance_exhausted = value if isinstance(value, bool) else frozenset(value)

    @property
    def failing_models(self) -> frozenset[str]:
        """Task models whose tasks end in `fail` (settable)."""
        return self.tasks.failing_models

    @failing_models.setter
    def failing_models(self, models: Collection[str]) -> None:
        self.tasks.failing_models = frozenset(models)

    def task_stats(self) -> TaskStats:
        """Counters of the task API (creates, polls, 429s, tasks per idempotency key)."""
        return self.tasks.stats()

    def chat_stats(self) -> dict[str, int]:
        """Counters of `POST /v1/chat/completions`: `chat_requests`, `rate_limited_chats`."""
        with self._chat_lock:
            return {"chat_requests": 0, "rate_limited_chats": 0, **self._chat_counts}

    def _count_chat(self, name: str) -> None:
        with self._chat_lock:
            self._chat_counts[name] = self._chat_counts.get(name, 0) + 1

    def finish_tasks(self, task_ids: Collection[str] | None = None) -> int:
        """Ends running tasks now, sending their callbacks; returns how many ended.

        Args:
            task_ids: Which tasks; None for all.
        """
        return self.tasks.finish(task_ids)

    @property
    def callback_attempts(self) -> list[CallbackAttempt]:
        """Every callback delivery attempt so far, oldest first."""
        return self.callbacks.attempts

    def wait_for_callbacks(self, timeout: float = 5.0) -> bool:
        """Waits until no callback delivery is pending; returns whether that happened."""
        return self.callbacks.wait_idle(timeout)

    # -- request handling (called from handler threads) --------------------------------

    def _begin(self, record: RecordedRequest) -> tuple[Reply | None, str]:
        with self._lock:
            self._requests.append(record)
            reply = self._queue.popleft() if self._queue else None
            seq = next(self._request_seq)
        # new-api's request ids: a timestamp and a random-looking suffix.
        request_id = time.strftime("%Y%m%d%H%M%S", time.gmtime()) + f"{seq:08x}"
        return reply, request_id

    def _next_call_id(self) -> str:
        with self._lock:
            return f"call_{next(self._call_seq)}"

    def _origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _respond(self, record: RecordedRequest, reply: Reply | None, request_id: str) -> Any:
        try:
            if reply is not None and reply.scripted:
                return self._scripted(record, reply, request_id)
            return self._route(record, reply, request_id)
        except ApiError as error:
            return _Plain(error.status, dumps(error.body(request_id)).encode("utf-8"))
        except TaskError as error:
            headers = {**(reply.headers if reply else {}), **error.headers}
            return _Plain(error.status, dumps(error.body()).encode("utf-8"), headers=headers)

    def _scripted(self, record: RecordedRequest, reply: Reply, request_id: str) -> _Plain:
        body = reply.body
        headers = dict(reply.headers)
        if body is None and _is_task_path(record.path):
            # The task API's own envelope; its 409 carries Retry-After like the real one.
            error = TaskError(reply.status)
            body = error.body()
            if reply.status == 409:
                headers = {"Retry-After": "1", **headers}
        elif body is None:
            body = default_error(reply.status).body(request_id)
        if isinstance(body, (dict, list)):
            data = dumps(body).encode("utf-8")
        elif isinstance(body, str):
            data = body.encode("utf-8")
        else:
            data = body
        return _Plain(reply.status, data, reply.content_type, headers)

    def _account(self, record: RecordedRequest) -> str | None:
        scheme, _, token = record.headers.get("authorization", "").partition(" ")
        # new-api strips an `sk-` prefix from both sides of the comparison.
        token = token.strip().removeprefix("sk-")
        if scheme.lower() != "bearer" or not token:
            return None
        for key in (self.api_key, *self.extra_api_keys):
            if token == key.removeprefix("sk-"):
                return key
        return None

    def _authorised(self, record: RecordedRequest) -> bool:
        return self._account(record) is not None

    def _route(self, record: RecordedRequest, reply: Reply | None, request_id: str) -> Any:
        path, _, query = record.path.partition("?")
        path = path.rstrip("/")
        headers = dict(reply.headers) if reply else {}
        if record.method == "GET" and path.startswith(FILES_PREFIX):
            # Like a signed CDN link: no Bearer key needed.
            return self._image_file(path[len(FILES_PREFIX) :], headers)
        if record.method == "GET" and (path + "/").startswith(TASK_FILES_ROOT):
            status, data, content_type = self.tasks.file(path)
            return _Plain(status, data, content_type, headers)
        if _is_task_path(path):
            return self._task_api(record, path, query, reply, request_id, headers)
        if not self._authorised(record):
            raise ApiError(401, "Invalid token")
        if record.method == "GET" and path == STATS_PATH:
            body = {
                "tasks": self.task_stats().to_json(),
                "chat": self.chat_stats(),
                "requests": len(self.requests),
            }
            return _Plain(200, dumps(body).encode("utf-8"), headers=headers)
        if record.method == "GET" and path == "/v1/models":
            return _Plain(200, dumps(model_list()).encode("utf-8"), headers=headers)
        if record.method == "POST" and path == "/v1/chat/completions":
            self._count_chat("chat_requests")
            if not self.rate_limiter.allow(self._account(record) or "", "chat"):
                self._count_chat("rate_limited_chats")
                raise ApiError(
                    429,
                    "Rate limit reached for requests, please try again later",
                    "rate_limit_exceeded",
                    "rate_limit_error",
                )
            return self._chat(record, reply, request_id, headers)
        if record.method == "POST" and path == "/v1/images/generations":
            origin = f"http://{record.headers.get('host') or f'{self.host}:{self.port}'}"
            body = generate_images(record.json, origin, self.image_files, full_size=self.full_size)
            return _Plain(200, dumps(body).encode("utf-8"), headers=headers)
        raise ApiError(404, f"Invalid URL ({record.method} {path})", "", "invalid_request_error")

    def _task_api(
        self,
        record: RecordedRequest,
        path: str,
        query: str,
        reply: Reply | None,
        request_id: str,
        headers: dict[str, str],
    ) -> _Plain:
        account = self._account(record)
        if account is None:
            raise TaskError(401)
        kind: Literal["create", "poll"] = "create" if record.method == "POST" else "poll"
        if not self.rate_limiter.allow(account, kind):
            self.tasks.count(f"rate_limited_{kind}s")
            limits = self.rate_limiter.limits
            if limits is not None and limits.error_shape == "hiapi_error":
                body = hiapi_error_body("rate_limit_exceeded", f"req_{request_id}")
                return _Plain(429, dumps(body).encode("utf-8"), headers=headers)
            raise TaskError(429)
        origin = f"http://{record.headers.get('host') or f'{self.host}:{self.port}'}"
        if record.method == "POST" and path == TASKS_PATH:
            envelope, extra = self.tasks.create(
                account,
                record.body,
                record.headers.get("idempotency-key") or None,
                create_delay=reply.create_delay if reply else 0.0,
                wait=self._stopping.wait,
            )
            return _Plain(200, dumps(envelope).encode("utf-8"), headers={**headers, **extra})
        if record.method == "GET" and path == TASKS_PATH:
            self.tasks.count("poll_requests")
            self.tasks.count("list_requests")
            body = self.tasks.page(account, query, origin)
            return _Plain(200, dumps(body).encode("utf-8"), headers=headers)
        task_id = path[len(TASKS_PATH) + 1 :]
        if record.method == "GET" and task_id and "/" not in task_id:
            self.tasks.count("poll_requests")
            self.tasks.count("detail_requests")
            body = self.tasks.detail(account, task_id, origin)
            return _Plain(200, dumps(body).encode("utf-8"), headers=headers)
        raise TaskError(404, f"Invalid URL ({record.method} {path})")

    def _image_file(self, name: str, headers: dict[str, str]) -> _Plain:
        data = self.image_files.get(name)
        if data is None:
            raise ApiError(404, f"image {name} not found or expired", "not_found")
        return _Plain(200, data, "image/png", headers)

    def _chat(
        self,
        record: RecordedRequest,
        reply: Reply | None,
        request_id: str,
        headers: dict[str, str],
    ) -> Any:
        if record.json is None:
            raise ApiError(400, "invalid request body: not JSON", "invalid_request")
        model = record.json.get("model") if isinstance(record.json, dict) else None
        if model in self.chat_refused_models:
            # new-api's channel lookup, before any upstream call: nothing is billed.
            raise ApiError(
                503,
                f"No available channel for model {model} under group default",
                "model_not_found",
            )
        req = parse_chat(record.json, self._next_call_id)
        if BLOCK_FLAG in req.conv.last_user_text:
            # new-api: type and code prompt_blocked, no request-id suffix (prompt billed).
            raise ApiError(
                400,
                "the prompt was blocked by the upstream's safety filter",
                PROMPT_BLOCKED,
                PROMPT_BLOCKED,
                with_request_id=False,
            )
        blocked = reply is not None and reply.prompt_blocked
        if req.model in IMAGE_MODELS:
            answer = answer_image(req, full_size=self.full_size, noise=self.noise)
        else:
            answer = answer_text(req)
        completion_id, created = f"chatcmpl-{request_id}", int(time.time())
        if req.stream:
            finish = not (reply is not None and reply.done_without_finish)
            return _Stream(
                stream_payloads(
                    answer,
                    completion_id,
                    created,
                    include_usage=req.include_usage,
                    finish=finish,
                    blocked=blocked,
                )
            )
        completion = completion_object(answer, completion_id, created)
        if blocked:
            completion["choices"] = []
        body = dumps(completion).encode("utf-8")
        return _Plain(200, body, headers=headers)


def _is_task_path(path: str) -> bool:
    path = path.partition("?")[0].rstrip("/")
    return path == TASKS_PATH or path.startswith(TASKS_PATH + "/")
