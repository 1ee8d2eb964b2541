"""HiAPITasks and AsyncHiAPITasks end to end over httpx.MockTransport (no sockets).

A small in-memory task server deduplicates creates by Idempotency-Key like HiAPI does, so
the tests can show that a create whose reply was lost creates exactly one task (issue 11,
behaviour 2), plus the other behaviours through the public surface.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from langchain_hiapi import (
    AsyncHiAPITasks,
    HiAPITasks,
    IdempotencyKeyMismatchError,
    InsufficientQuotaError,
    InvalidRequestError,
    Task,
    TaskFailedError,
    TaskInputError,
    TaskWaitTimeout,
)
from tests._support.task_clients import call
from tests._support.task_server import envelope

KEY = "sk-hiapi-TASKS-SECRET-42"
BASE = "https://api.test/v1"
FILES = "https://files.test"


class Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self, first: bytes) -> None:
        self.first = first

    def __iter__(self) -> Iterator[bytes]:
        yield self.first
        raise httpx.ReadError("connection reset by peer")

    async def __aiter__(self) -> Any:
        yield self.first
        raise httpx.ReadError("connection reset by peer")


class TaskServer:
    """In-memory `/v1/tasks` with idempotency, per-poll progress and files."""

    def __init__(self, polls_to_finish: int = 2, end: str = "success") -> None:
        self.tasks: dict[str, dict[str, Any]] = {}
        self.polls: dict[str, int] = {}
        self.keys: dict[str, tuple[str, str]] = {}  # key -> (body hash, task id)
        self.requests: list[httpx.Request] = []
        self.polls_to_finish = polls_to_finish
        self.end = end
        self.lose_next_reply: str | None = None  # "cut" (mid-body) or "timeout"
        self.processing_once = False
        self.reject: httpx.Response | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if request.url.host == "files.test":
            return httpx.Response(
                200, content=b"\x00\x00\x00\x18ftypmp42", headers={"content-type": "video/mp4"}
            )
        if request.method == "POST" and path == "/v1/tasks":
            return self.create(request)
        if request.method == "GET" and path == "/v1/tasks":
            items = [self.detail(t, advance=False) for t in reversed(self.tasks)]
            return httpx.Response(200, json=envelope({"page": 1, "size": 100, "tasks": items}))
        match = re.fullmatch(r"/v1/tasks/([^/]+)", path)
        if request.method == "GET" and match:
            if match.group(1) not in self.tasks:
                return httpx.Response(404, json=envelope(None, 404))
            return httpx.Response(200, json=envelope(self.detail(match.group(1), advance=True)))
        return httpx.Response(404)

    def create(self, request: httpx.Request) -> httpx.Response:
        if self.reject is not None:
            return self.reject
        key = request.headers.get("idempotency-key")
        digest = hashlib.sha256(request.content).hexdigest()
        if key in self.keys:
            seen_digest, task_id = self.keys[key]
            if seen_digest != digest:
                return httpx.Response(
                    422, json=envelope(None, 422, error_code="IDEMPOTENCY_KEY_MISMATCH")
                )
            if self.processing_once:
                self.processing_once = False
                return httpx.Response(
                    409,
                    json=envelope(None, 409, error_code="IDEMPOTENCY_KEY_PROCESSING"),
                    headers={"Retry-After": "2"},
                )
            return httpx.Response(
                200, json=envelope({"taskId": task_id}), headers={"Idempotent-Replay": "true"}
            )
        task_id = f"tk-hiapi-{len(self.tasks) + 1:026d}"
        body = json.loads(request.content)
        self.tasks[task_id] = {"model": body["model"], "created": 1777000000 + len(self.tasks)}
        self.polls[task_id] = 0
        if key:
            self.keys[key] = (digest, task_id)
        lost, self.lose_next_reply = self.lose_next_reply, None
        if lost == "timeout":
            raise httpx.ReadTimeout("timed out waiting for the reply")
        reply = json.dumps(envelope({"taskId": task_id})).encode()
        if lost == "cut":
            return httpx.Response(200, stream=Chunks(reply[:10]))
        return httpx.Response(200, content=reply, headers={"content-type": "application/json"})

    def detail(self, task_id: str, *, advance: bool) -> dict[str, Any]:
        if advance:
            self.polls[task_id] += 1
        polls = self.polls[task_id]
        status = "queued" if polls == 0 else "handling"
        if polls >= self.polls_to_finish:
            status = self.end
        data = {"taskId": task_id, **self.tasks[task_id], "status": status, "completed": 0}
        if status == "success":
            data["completed"] = data["created"] + 60
            data["output"] = [
                {"url": f"{FILES}/{task_id}/0.mp4", "type": "video", "expireAt": 4102444800}
            ]
        if status == "fail":
            data["error"] = {"code": "TASK_FAILED", "message": "the upstream said no"}
        return data

    @property
    def creates(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "POST"]


def make(mode: str, server: TaskServer, **kwargs: Any) -> HiAPITasks | AsyncHiAPITasks:
    transport = httpx.MockTransport(server)
    if mode == "sync":
        return HiAPITasks(
            api_key=KEY,
            base_url=BASE,
            http_client=httpx.Client(transport=transport),
            sleep=kwargs.pop("sleep", lambda s: None),
            **kwargs,
        )

    async def no_sleep(seconds: float) -> None:
        return None

    return AsyncHiAPITasks(
        api_key=KEY,
        base_url=BASE,
        http_client=httpx.AsyncClient(transport=transport),
        sleep=kwargs.pop("sleep", no_sleep),
        **kwargs,
    )


async def test_create_sends_the_documented_body(mode: str) -> None:
    server = TaskServer()
    tasks = make(mode, server)
    task = await call(
        tasks,
        "create",
        "seedance-2-0",
        {"prompt": "a paper boat", "duration": 5},
        callback_url="https://hooks.example/hiapi",
        route="",
    )
    assert isinstance(task, Task)
    assert task.status == "queued"
    assert task.idempotent_replay is False
    (request,) = server.requests
    assert request.url == f"{BASE}/tasks"
    assert json.loads(request.content) == {
        "model": "seedance-2.0",
        "input": {"prompt": "a paper boat", "duration": 5},
        "callback": {"url": "https://hooks.example/hiapi", "when": "final"},
    }
    assert len(request.headers["idempotency-key"]) == 36
    assert request.headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize("lost", ["cut", "timeout"])
async def test_create_whose_reply_was_lost_creates_one_task(mode: str, lost: str) -> None:
    server = TaskServer()
    server.lose_next_reply = lost  # the server created the task, the client never heard
    tasks = make(mode, server)
    task = await call(tasks, "create", "Nano-Banana-Pro", {"prompt": "a cat"})
    assert len(server.tasks) == 1
    assert task.id == next(iter(server.tasks))
    assert task.idempotent_replay is True
    first, second = server.creates
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"]
    assert first.content == second.content


async def test_each_create_gets_its_own_key(mode: str) -> None:
    server = TaskServer()
    tasks = make(mode, server)
    for _ in range(2):
        await call(tasks, "create", "Nano-Banana", {"prompt": "a cat"})
    assert len(server.tasks) == 2
    keys = {r.headers["idempotency-key"] for r in server.creates}
    assert len(keys) == 2


async def test_processing_409_then_replay(mode: str) -> None:
    server = TaskServer()
    tasks = make(mode, server)
    sleeps: list[float] = []
    first = await call(tasks, "create", "Nano-Banana", {"prompt": "cat"}, idempotency_key="k1")
    server.processing_once = True

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async def asleep(seconds: float) -> None:
        sleeps.append(seconds)

    tasks = make(mode, server, sleep=sleep if mode == "sync" else asleep)
    again = await call(tasks, "create", "Nano-Banana", {"prompt": "cat"}, idempotency_key="k1")
    assert again.id == first.id
    assert again.idempotent_replay is True
    assert sleeps == [2.0]
    assert len(server.tasks) == 1


async def test_same_key_other_body_is_a_mismatch(mode: str) -> None:
    server = TaskServer()
    tasks = make(mode, server)
    await call(tasks, "create", "Nano-Banana", {"prompt": "cat"}, idempotency_key="k1")
    with pytest.raises(IdempotencyKeyMismatchError):
        await call(tasks, "create", "Nano-Banana", {"prompt": "dog"}, idempotency_key="k1")
    assert len(server.creates) == 2


async def test_server_errors_are_typed(mode: str) -> None:
    server = TaskServer()
    server.reject = httpx.Response(
        400,
        json=envelope(
            None, 400, error_code="INVALID_REQUEST", message="additional properties 'x' not allowed"
        ),
    )
    tasks = make(mode, server)
    with pytest.raises(InvalidRequestError, match="additional properties 'x' not allowed"):
        await call(tasks, "create", "brand-new-model", {"x": 1})
    server.reject = httpx.Response(402, json=envelope(None, 402, message="insufficient balance"))
    with pytest.raises(InsufficientQuotaError):
        await call(tasks, "create", "brand-new-model", {"x": 1})
    assert len(server.creates) == 2


async def test_bad_input_is_refused_before_any_request(mode: str) -> None:
    server = TaskServer()
    tasks = make(mode, server)
    with pytest.raises(TaskInputError, match=r"input\.resolution: '8K' is not allowed"):
        await call(tasks, "create", "Nano-Banana-Pro", {"prompt": "cat", "resolution": "8K"})
    with pytest.raises(ValueError, match="not a task id"):
        await call(tasks, "get", "../models")
    assert server.requests == []
    await call(tasks, "create", "Nano-Banana-Pro", {"prompt": "c", "new_field": 1}, validate=False)
    assert json.loads(server.requests[0].content)["input"]["new_field"] == 1


async def test_run_wait_and_download(mode: str, tmp_path: Path) -> None:
    server = TaskServer(polls_to_finish=3)
    tasks = make(mode, server)
    updates: list[str] = []
    task = await call(
        tasks,
        "run",
        "seedance-2.0",
        {"prompt": "boat"},
        on_update=lambda t: updates.append(t.status),
    )
    assert task.succeeded
    assert updates == ["queued", "handling", "success"]
    paths = await call(tasks, "download", task, tmp_path)
    assert paths == [tmp_path / f"{task.id}-video.mp4"]
    assert paths[0].read_bytes()[4:8] == b"ftyp"
    fetched = [r for r in server.requests if r.url.host == "files.test"]
    assert len(fetched) == 1
    assert "authorization" not in fetched[0].headers  # never the key to another host
    again = await call(tasks, "download", task.id, tmp_path)  # by id: read first
    assert again == [tmp_path / f"{task.id}-video-2.mp4"]


async def test_wait_failure_and_timeout(mode: str) -> None:
    server = TaskServer(polls_to_finish=1, end="fail")
    tasks = make(mode, server)
    created = await call(tasks, "create", "seedance-2.0", {"prompt": "boat"})
    with pytest.raises(TaskFailedError) as info:
        await call(tasks, "wait", created)
    assert info.value.code == "TASK_FAILED"
    assert info.value.task.id == created.id

    slow = TaskServer(polls_to_finish=10**6)
    clock = iter(range(0, 10**6, 100)).__next__
    tasks = make(mode, slow, clock=lambda: float(clock()))
    created = await call(tasks, "create", "seedance-2.0", {"prompt": "boat"})
    with pytest.raises(TaskWaitTimeout) as timeout:
        await call(tasks, "wait", created.id, timeout=250)
    assert timeout.value.task_id == created.id
    assert f'tasks.wait("{created.id}")' in str(timeout.value)


async def test_wait_many_and_list(mode: str) -> None:
    server = TaskServer(polls_to_finish=1)
    tasks = make(mode, server)
    created = [await call(tasks, "create", "Nano-Banana", {"prompt": f"cat {i}"}) for i in range(5)]
    page = await call(tasks, "list", 1, 100)
    assert [t.id for t in page.tasks] == [t.id for t in reversed(created)]
    for task_id in server.tasks:  # the server finishes them
        server.polls[task_id] = 1
    before = len(server.requests)
    done = await call(tasks, "wait_many", [*created[::-1], created[0].id])
    assert [t.id for t in done] == [*(t.id for t in created[::-1]), created[0].id]
    assert all(t.succeeded for t in done)
    assert len(server.requests) - before == 1  # one list page for five tasks


def test_environment_defaults_and_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIAPI_API_KEY", KEY)
    monkeypatch.setenv("HIAPI_BASE_URL", "https://env.test/v1")
    server = TaskServer()
    with HiAPITasks(http_client=httpx.Client(transport=httpx.MockTransport(server))) as tasks:
        tasks.list()
        assert KEY not in repr(tasks)
        assert "env.test" in repr(tasks)
    (request,) = server.requests
    assert request.url.host == "env.test"
    assert request.headers["authorization"] == f"Bearer {KEY}"


def test_settings_are_checked_up_front() -> None:
    with pytest.raises(ValueError, match="poll_interval"):
        HiAPITasks(api_key=KEY, poll_interval=0)
    with pytest.raises(ValueError, match="max_download_bytes"):
        HiAPITasks(api_key=KEY, max_download_bytes=0)


async def test_clients_passed_in_stay_open() -> None:
    sync_http = httpx.Client(transport=httpx.MockTransport(TaskServer()))
    HiAPITasks(api_key=KEY, http_client=sync_http).close()
    assert not sync_http.is_closed
    async_http = httpx.AsyncClient(transport=httpx.MockTransport(TaskServer()))
    async with AsyncHiAPITasks(api_key=KEY, http_async_client=async_http) as tasks:
        await tasks.list()
    assert not async_http.is_closed


def test_adaptive_rate_limit_is_on_by_default() -> None:
    off = HiAPITasks(api_key=KEY, base_url=BASE, adaptive_rate_limit=False)
    assert off.client.rate_limiter is None
    paced = HiAPITasks(api_key=KEY, base_url=BASE)
    again = AsyncHiAPITasks(api_key=KEY, base_url=BASE)
    assert paced.client.rate_limiter is not None
    assert paced.client.rate_limiter is again.client.rate_limiter  # shared per key

    def fake_clock() -> float:
        return 5.0

    own = HiAPITasks(api_key=KEY, base_url=BASE, clock=fake_clock, sleep=lambda s: None)
    assert own.client.rate_limiter is not None
    assert own.client.rate_limiter is not paced.client.rate_limiter  # paces on that clock
    assert own.client.rate_limiter.clock is fake_clock
    # A no-op sleep with the real clock could never wait out a pause: no limiter.
    assert HiAPITasks(api_key=KEY, base_url=BASE, sleep=lambda s: None).client.rate_limiter is None

    async def no_sleep(seconds: float) -> None:
        return None

    assert AsyncHiAPITasks(api_key=KEY, base_url=BASE, sleep=no_sleep).client.rate_limiter is None


def test_public_signatures_match_the_interface_and_each_other() -> None:
    import inspect

    create = ["model", "input", "callback_url", "route", "storage", "idempotency_key", "validate"]
    expected = {
        "create": create,
        "get": ["task_id"],
        "list": ["page", "size"],
        "wait": ["task_id_or_task", "timeout", "on_update"],
        "run": [*create, "timeout", "on_update"],
        "wait_many": ["ids", "timeout", "on_update"],
        "download": ["task", "dest_dir", "types"],
    }
    for name, params in expected.items():
        sync = inspect.signature(getattr(HiAPITasks, name))
        coro = inspect.signature(getattr(AsyncHiAPITasks, name))
        assert list(sync.parameters)[1:] == params, name
        assert sync.parameters == coro.parameters, name
        assert inspect.iscoroutinefunction(getattr(AsyncHiAPITasks, name)), name
    assert inspect.signature(HiAPITasks.wait).parameters["timeout"].default == 600
    assert inspect.signature(HiAPITasks.wait_many).parameters["timeout"].default == 900
