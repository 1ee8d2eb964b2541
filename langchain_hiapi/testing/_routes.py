"""Routing: auth, scripted replies, and the answer of every route (called from handler threads)."""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Literal

from langchain_hiapi.testing._faults import RecordedRequest, Reply
from langchain_hiapi.testing._http import Plain, Stream
from langchain_hiapi.testing._image import answer_image
from langchain_hiapi.testing._images_api import FILES_PREFIX
from langchain_hiapi.testing._images_api import generate as generate_images
from langchain_hiapi.testing._models import IMAGE_MODELS, model_list
from langchain_hiapi.testing._request import parse_chat
from langchain_hiapi.testing._task_wire import TaskError, hiapi_error_body
from langchain_hiapi.testing._tasks import FILES as TASK_FILES_ROOT
from langchain_hiapi.testing._text import answer_text
from langchain_hiapi.testing._wire import (
    ApiError,
    completion_object,
    default_error,
    dumps,
    stream_payloads,
)

if TYPE_CHECKING:
    from langchain_hiapi.testing._server import HiAPIEmulator

TASKS_PATH = "/v1/tasks"
STATS_PATH = "/_emulator/stats"
# A prompt holding this is blocked like the gateway blocks unsafe prompts (400).
BLOCK_FLAG = "[blocked]"
PROMPT_BLOCKED = "prompt_blocked"


class Router:
    """Turns recorded requests into replies for an emulator (the HTTP layer's `Backend`).

    It keeps what belongs to the request stream: the scripted replies still queued, every
    request received, request and tool-call ids, the chat counters and the stop signal.

    Args:
        emulator: The emulator whose settings, tasks and files the routes use.
    """

    def __init__(self, emulator: HiAPIEmulator) -> None:
        self.emulator = emulator
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._queue: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._request_seq = itertools.count(1)
        self._call_seq = itertools.count(1)
        self._chat_counts: dict[str, int] = {}

    @property
    def ping(self) -> bool:
        """Whether `: PING` comment lines go between stream events."""
        return self.emulator.ping

    def requests(self) -> list[RecordedRequest]:
        """Every request received so far (a copy), oldest first."""
        with self._lock:
            return list(self._requests)

    def queue(self, replies: tuple[Reply, ...]) -> None:
        """Scripts the next replies; each is consumed by one request, in order."""
        with self._lock:
            self._queue.extend(replies)

    def reset(self) -> None:
        """Forgets scripted replies, recorded requests, tool-call ids and chat counters."""
        with self._lock:
            self._queue.clear()
            self._requests.clear()
            self._call_seq = itertools.count(1)
            self._chat_counts.clear()

    def chat_stats(self) -> dict[str, int]:
        """Counters of `POST /v1/chat/completions`: `chat_requests`, `rate_limited_chats`."""
        with self._lock:
            return {"chat_requests": 0, "rate_limited_chats": 0, **self._chat_counts}

    def _count_chat(self, name: str) -> None:
        with self._lock:
            self._chat_counts[name] = self._chat_counts.get(name, 0) + 1

    def pause(self, reply: Reply | None) -> bool:
        """Waits the latency plus the reply's delay; True when the server stops meanwhile."""
        wait = self.emulator.latency + (reply.delay if reply else 0.0)
        return wait > 0 and self.stopping.wait(wait)

    def begin(self, record: RecordedRequest) -> tuple[Reply | None, str]:
        """Records the request; returns the next scripted reply (if any) and a request id."""
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

    def respond(
        self, record: RecordedRequest, reply: Reply | None, request_id: str
    ) -> Plain | Stream:
        """The `Plain` or `Stream` answer: the scripted reply, or the route's own."""
        try:
            if reply is not None and reply.scripted:
                return self._scripted(record, reply, request_id)
            return self._route(record, reply, request_id)
        except ApiError as error:
            return _json(error.status, error.body(request_id), {})
        except TaskError as error:
            headers = {**(reply.headers if reply else {}), **error.headers}
            return _json(error.status, error.body(), headers)

    def _scripted(self, record: RecordedRequest, reply: Reply, request_id: str) -> Plain:
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
        return Plain(reply.status, data, reply.content_type, headers)

    def _account(self, record: RecordedRequest) -> str | None:
        scheme, _, token = record.headers.get("authorization", "").partition(" ")
        # new-api strips an `sk-` prefix from both sides of the comparison.
        token = token.strip().removeprefix("sk-")
        if scheme.lower() != "bearer" or not token:
            return None
        for key in (self.emulator.api_key, *self.emulator.extra_api_keys):
            if token == key.removeprefix("sk-"):
                return key
        return None

    def _origin(self, record: RecordedRequest) -> str:
        # Output URLs point where the client connected (its Host header).
        host = record.headers.get("host") or f"{self.emulator.host}:{self.emulator.port}"
        return f"http://{host}"

    def _authorised(self, record: RecordedRequest) -> bool:
        return self._account(record) is not None

    def _route(
        self, record: RecordedRequest, reply: Reply | None, request_id: str
    ) -> Plain | Stream:
        path, _, query = record.path.partition("?")
        path = path.rstrip("/")
        headers = dict(reply.headers) if reply else {}
        if record.method == "GET" and path.startswith(FILES_PREFIX):
            # Like a signed CDN link: no Bearer key needed.
            return self._image_file(path[len(FILES_PREFIX) :], headers)
        if record.method == "GET" and (path + "/").startswith(TASK_FILES_ROOT):
            status, data, content_type = self.emulator.tasks.file(path)
            return Plain(status, data, content_type, headers)
        if _is_task_path(path):
            return self._task_api(record, path, query, reply, request_id, headers)
        if not self._authorised(record):
            raise ApiError(401, "Invalid token")
        if record.method == "GET" and path == STATS_PATH:
            body = {
                "tasks": self.emulator.task_stats().to_json(),
                "chat": self.chat_stats(),
                "requests": len(self.requests()),
            }
            return _json(200, body, headers)
        if record.method == "GET" and path == "/v1/models":
            return _json(200, model_list(), headers)
        if record.method == "POST" and path == "/v1/chat/completions":
            self._count_chat("chat_requests")
            if not self.emulator.rate_limiter.allow(self._account(record) or "", "chat"):
                self._count_chat("rate_limited_chats")
                raise ApiError(
                    429,
                    "Rate limit reached for requests, please try again later",
                    "rate_limit_exceeded",
                    "rate_limit_error",
                )
            return self._chat(record, reply, request_id, headers)
        if record.method == "POST" and path == "/v1/images/generations":
            origin = self._origin(record)
            body = generate_images(
                record.json, origin, self.emulator.image_files, full_size=self.emulator.full_size
            )
            return _json(200, body, headers)
        raise ApiError(404, f"Invalid URL ({record.method} {path})", "", "invalid_request_error")

    def _task_api(
        self,
        record: RecordedRequest,
        path: str,
        query: str,
        reply: Reply | None,
        request_id: str,
        headers: dict[str, str],
    ) -> Plain:
        account = self._account(record)
        if account is None:
            raise TaskError(401)
        kind: Literal["create", "poll"] = "create" if record.method == "POST" else "poll"
        if not self.emulator.rate_limiter.allow(account, kind):
            self.emulator.tasks.count(f"rate_limited_{kind}s")
            limits = self.emulator.rate_limiter.limits
            if limits is not None and limits.error_shape == "hiapi_error":
                body = hiapi_error_body("rate_limit_exceeded", f"req_{request_id}")
                return _json(429, body, headers)
            raise TaskError(429)
        origin = (
            f"http://{record.headers.get('host') or f'{self.emulator.host}:{self.emulator.port}'}"
        )
        if record.method == "POST" and path == TASKS_PATH:
            envelope, extra = self.emulator.tasks.create(
                account,
                record.body,
                record.headers.get("idempotency-key") or None,
                create_delay=reply.create_delay if reply else 0.0,
                wait=self.stopping.wait,
            )
            return _json(200, envelope, {**headers, **extra})
        if record.method == "GET" and path == TASKS_PATH:
            self.emulator.tasks.count("poll_requests")
            self.emulator.tasks.count("list_requests")
            body = self.emulator.tasks.page(account, query, origin)
            return _json(200, body, headers)
        task_id = path[len(TASKS_PATH) + 1 :]
        if record.method == "GET" and task_id and "/" not in task_id:
            self.emulator.tasks.count("poll_requests")
            self.emulator.tasks.count("detail_requests")
            body = self.emulator.tasks.detail(account, task_id, origin)
            return _json(200, body, headers)
        raise TaskError(404, f"Invalid URL ({record.method} {path})")

    def _image_file(self, name: str, headers: dict[str, str]) -> Plain:
        data = self.emulator.image_files.get(name)
        if data is None:
            raise ApiError(404, f"image {name} not found or expired", "not_found")
        return Plain(200, data, "image/png", headers)

    def _chat(
        self,
        record: RecordedRequest,
        reply: Reply | None,
        request_id: str,
        headers: dict[str, str],
    ) -> Plain | Stream:
        if record.json is None:
            raise ApiError(400, "invalid request body: not JSON", "invalid_request")
        model = record.json.get("model") if isinstance(record.json, dict) else None
        if model in self.emulator.chat_refused_models:
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
            answer = answer_image(req, full_size=self.emulator.full_size, noise=self.emulator.noise)
        else:
            answer = answer_text(req)
        completion_id, created = f"chatcmpl-{request_id}", int(time.time())
        if req.stream:
            finish = not (reply is not None and reply.done_without_finish)
            return Stream(
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
        return _json(200, completion, headers)


def _json(status: int, body: Any, headers: dict[str, str]) -> Plain:
    return Plain(status, dumps(body).encode("utf-8"), headers=headers)


def _is_task_path(path: str) -> bool:
    path = path.partition("?")[0].rstrip("/")
    return path == TASKS_PATH or path.startswith(TASKS_PATH + "/")
