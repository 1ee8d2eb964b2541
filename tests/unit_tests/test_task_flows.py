"""The task flows driven with scripted answers: no sockets, a fake clock that moves on sleeps.

Issue 11 behaviours 1-4 and 7 at the flow level: create with an idempotency key, polling
that grows, jitters, backs off on 429 and stops at the deadline, wait_many over the list
endpoint, downloads refusing expired outputs.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from langchain_hiapi._client import JSONReply
from langchain_hiapi._files import FetchedFile
from langchain_hiapi._flows import Flow, run_sync
from langchain_hiapi._task_flows import (
    MAX_POLL_FAILURES,
    POLL_INITIAL,
    POLL_MAX,
    RATE_LIMITED_MIN,
    PollSchedule,
    build_create,
    create_flow,
    download_flow,
    get_flow,
    list_flow,
    run_flow,
    task_path,
    wait_flow,
    wait_many_flow,
)
from langchain_hiapi._task_records import Task, TaskOutput
from langchain_hiapi.errors import (
    InternalServerError,
    InvalidResponseError,
    NotFoundError,
    OutputExpiredError,
    RateLimitError,
    TaskFailedError,
    TaskInputError,
    TaskWaitTimeout,
)

WALL_START = 1_800_000_000.0
ID = "tk-hiapi-01HZTQ8BX2N3GM3YFK4Z9D7VQR"


def ok(data: Any, **headers: str) -> JSONReply:
    return JSONReply(200, headers, {"code": 200, "message": "success", "data": data})


class FakeTask:
    """A task whose status depends on the fake time: queued, handling, then the end."""

    def __init__(self, task_id: str, *, done_at: float, created: int, end: str = "success"):
        self.id, self.done_at, self.created, self.end = task_id, done_at, created, end

    def detail(self, now: float, *, outputs: bool = True) -> dict[str, Any]:
        status = (
            "queued" if now < self.done_at / 2 else "handling" if now < self.done_at else self.end
        )
        data: dict[str, Any] = {
            "taskId": self.id,
            "model": "seedance-2.0",
            "status": status,
            "created": self.created,
            "completed": 0,
        }
        if status == "success" and outputs:
            data["completed"] = self.created + int(self.done_at)
            data["output"] = [
                {"url": f"https://cdn.test/{self.id}/0.mp4", "type": "video", "expireAt": 2e9}
            ]
        if status == "fail":
            data["error"] = {"code": "TASK_FAILED", "message": "upstream rejected the prompt"}
        return data


class World:
    """A scripted task server plus a fake clock, usable as the driver's client."""

    def __init__(self) -> None:
        self.now = 0.0
        self.tasks: dict[str, FakeTask] = {}
        self.order: list[str] = []  # oldest first
        self.calls: list[tuple[str, str, Any]] = []
        self.sleeps: list[float] = []
        self.failures: list[Exception] = []  # raised by the next requests, in order
        self.list_outputs = True
        self.hidden: set[str] = set()  # tasks the list endpoint leaves out

    def add(self, task_id: str, done_at: float, end: str = "success") -> None:
        self.tasks[task_id] = FakeTask(
            task_id, done_at=done_at, created=1_777_000_000 + len(self.order), end=end
        )
        self.order.append(task_id)

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now

    def wall_clock(self) -> float:
        return WALL_START + self.now

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> JSONReply:
        self.calls.append((method, path, params))
        if self.failures:
            raise self.failures.pop(0)
        if method == "GET" and path.startswith("/tasks/"):
            task = self.tasks.get(path.removeprefix("/tasks/"))
            if task is None:
                raise NotFoundError("task not found", status_code=404)
            return ok(task.detail(self.now))
        if method == "GET" and path == "/tasks":
            assert params is not None
            page, size = params["page"], params["size"]
            newest = [i for i in reversed(self.order) if i not in self.hidden]
            items = [
                self.tasks[i].detail(self.now, outputs=self.list_outputs)
                for i in newest[(page - 1) * size : page * size]
            ]
            return ok({"page": page, "size": size, "total": len(newest), "tasks": items})
        raise AssertionError(f"unexpected {method} {path}")

    def fetch_to_file(
        self, url: str, dest_dir: str | os.PathLike[str], stem: str, *, max_bytes: int
    ) -> FetchedFile:
        self.calls.append(("FETCH", url, stem))
        return FetchedFile(Path(dest_dir) / f"{stem}.mp4", "video/mp4", 3)

    def run(self, flow: Flow[Any]) -> Any:
        return run_sync(flow, self, sleep=self.sleep, clock=self.clock, wall_clock=self.wall_clock)


def steady(seed: float = 0.5) -> PollSchedule:
    """A schedule without jitter (rand always 0.5)."""
    return PollSchedule(rand=lambda: seed)


# -- task ids ------------------------------------------------------------------------------


@pytest.mark.parametrize("task_id", [ID, "task_01HXXXX", "a", "tk-hiapi-1.2_x"])
def test_task_path_accepts_ids(task_id: str) -> None:
    assert task_path(task_id) == f"/tasks/{task_id}"


def test_task_path_escapes_what_a_path_must_not_hold_raw() -> None:
    assert task_path("ns:tk-1") == "/tasks/ns%3Atk-1"


@pytest.mark.parametrize(
    "task_id", ["", "../v1/models", "a/b", "a b", "x?page=1", "a#b", "%2e%2e", "..", "é", "x" * 300]
)
def test_task_path_refuses_what_is_no_id(task_id: str) -> None:
    with pytest.raises(ValueError, match="not a task id"):
        task_path(task_id)


def test_task_path_refuses_non_strings() -> None:
    with pytest.raises(ValueError, match="not a task id"):
        task_path(None)  # type: ignore[arg-type]


# -- create --------------------------------------------------------------------------------


def test_create_body_headers_and_replay() -> None:
    request = build_create(
        "seedance-2-0",
        {"prompt": "a paper boat", "duration": 5},
        callback_url="http://127.0.0.1:9/cb",
        storage="persistent",
    )
    assert request.body == {
        "model": "seedance-2.0",
        "input": {"prompt": "a paper boat", "duration": 5},
        "callback": {"url": "http://127.0.0.1:9/cb", "when": "final"},
        "storage": "persistent",
    }
    assert uuid.UUID(request.idempotency_key).version == 4
    assert build_create("m", {}).idempotency_key != build_create("m", {}).idempotency_key

    sent: list[Any] = []

    class Client(World):
        def request(self, method: str, path: str, body: Any = None, **kw: Any) -> JSONReply:
            sent.append((method, path, body, kw["headers"]))
            return ok({"taskId": ID}, **{"idempotent-replay": "true"})

    task = Client().run(create_flow(request))
    assert sent == [("POST", "/tasks", request.body, {"Idempotency-Key": request.idempotency_key})]
    assert (task.id, task.status, task.model) == (ID, "queued", "seedance-2.0")
    assert task.storage == "persistent"
    assert task.idempotent_replay is True


@pytest.mark.parametrize(
    ("route", "sent"), [(None, None), ("", None), ("default", "default"), ("ext", "ext")]
)
def test_route_is_omitted_when_empty(route: str | None, sent: str | None) -> None:
    body = build_create(
        "gpt-image-2",
        {"prompt": "p", "quality": "low"} if route == "ext" else {"prompt": "p"},
        route=route,
    ).body
    assert body.get("route") == sent
    assert "route" in body if sent else "route" not in body
    assert body["model"] == "gpt-image-2/text-to-image"


def test_create_checks_before_sending() -> None:
    with pytest.raises(TaskInputError, match=r"input\.seed: not accepted by seedance-2\.0"):
        build_create("seedance-2.0", {"prompt": "boat", "seed": 1})
    assert build_create("seedance-2.0", {"prompt": "b", "seed": 1}, validate=False).body["input"]
    with pytest.raises(TaskInputError, match="routes: 'default', 'beta', 'ext'"):
        build_create("gpt-image-2/text-to-image", {"prompt": "p"}, route="pro")
    with pytest.raises(ValueError, match="storage must be one of 'temp', 'persistent'"):
        build_create("m", {}, storage="forever")
    with pytest.raises(ValueError, match="callback_url must be an http"):
        build_create("m", {}, callback_url="ftp://x")
    with pytest.raises(ValueError, match="model must be a non-empty string"):
        build_create(" ", {})


@pytest.mark.parametrize(
    ("key", "match"),
    [
        ("", "non-empty"),
        ("k" * 256, "at most 255 bytes"),
        ("a\nb", "control characters"),
        ("clé", "ASCII"),
        (" padded", "surrounding spaces"),
        (7, "non-empty string"),
    ],
)
def test_idempotency_key_checked(key: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build_create("m", {}, idempotency_key=key)


def test_idempotency_key_given_is_used() -> None:
    assert build_create("m", {}, idempotency_key="k" * 255).idempotency_key == "k" * 255


def test_create_reply_without_task_id() -> None:
    class Client(World):
        def request(self, *a: Any, **kw: Any) -> JSONReply:
            return ok({"id": None})

    with pytest.raises(InvalidResponseError, match="no taskId"):
        Client().run(create_flow(build_create("m", {})))


# -- wait ----------------------------------------------------------------------------------


def test_wait_polls_with_a_growing_interval_until_success() -> None:
    world = World()
    world.add(ID, done_at=40)
    updates: list[str] = []
    task = world.run(
        wait_flow(ID, timeout=600, on_update=lambda t: updates.append(t.status), schedule=steady())
    )
    assert task.succeeded
    assert task.outputs[0].type == "video"
    assert updates == ["queued", "handling", "success"]
    assert world.sleeps[:4] == [2.5, 3.75, 5.625, 8.4375]
    assert max(world.sleeps) == POLL_MAX
    assert world.sleeps == sorted(world.sleeps)
    assert len(world.calls) == len(world.sleeps) + 1  # no sleep after the final poll
    assert all(call[:2] == ("GET", f"/tasks/{ID}") for call in world.calls)


@pytest.mark.parametrize(("seed", "factor"), [(0.0, 0.8), (0.999999, 1.2)])
def test_poll_interval_is_jittered(seed: float, factor: float) -> None:
    schedule = PollSchedule(rand=lambda: seed)
    assert schedule.next_delay() == pytest.approx(POLL_INITIAL * factor, rel=1e-5)


def test_poll_schedule_validation() -> None:
    with pytest.raises(ValueError, match="poll_interval"):
        PollSchedule(initial=0)
    with pytest.raises(ValueError, match="poll_interval"):
        PollSchedule(initial=20, maximum=10)
    with pytest.raises(ValueError, match="growth"):
        PollSchedule(growth=0.5)


def test_wait_raises_task_failed_error() -> None:
    world = World()
    world.add(ID, done_at=5, end="fail")
    with pytest.raises(TaskFailedError) as info:
        world.run(wait_flow(ID, timeout=600, schedule=steady()))
    err = info.value
    assert err.task.id == ID
    assert err.code == "TASK_FAILED"
    assert err.message == "upstream rejected the prompt"


@pytest.mark.parametrize("end", ["cancelled", "error", "failed", "canceled"])
def test_other_failure_statuses_end_the_wait(end: str) -> None:
    world = World()
    world.add(ID, done_at=3, end=end)
    with pytest.raises(TaskFailedError):
        world.run(wait_flow(ID, timeout=600, schedule=steady()))


@pytest.mark.parametrize("end", ["succeeded", "completed"])
def test_other_success_statuses_end_the_wait(end: str) -> None:
    world = World()
    world.add(ID, done_at=3, end=end)
    assert world.run(wait_flow(ID, timeout=600, schedule=steady())).status == end


def test_unknown_status_keeps_polling() -> None:
    world = World()
    world.add(ID, done_at=30, end="rendering")  # never terminal
    with pytest.raises(TaskWaitTimeout):
        world.run(wait_flow(ID, timeout=60, schedule=steady()))
    assert len(world.calls) > 3


def test_deadline_raises_timeout_without_cancelling() -> None:
    world = World()
    world.add(ID, done_at=150)
    with pytest.raises(TaskWaitTimeout) as info:
        world.run(wait_flow(ID, timeout=100, schedule=steady()))
    err = info.value
    assert err.task_id == ID
    assert err.task is not None
    assert err.task.status == "handling"
    assert f'tasks.wait("{ID}")' in str(err)
    assert "not cancelled" in str(err)
    assert world.now == pytest.approx(100)  # the last pause was cut to the deadline
    assert {call[0] for call in world.calls} == {"GET"}  # nothing but polls was sent


def test_timeout_zero_polls_once() -> None:
    world = World()
    world.add(ID, done_at=50)
    with pytest.raises(TaskWaitTimeout):
        world.run(wait_flow(ID, timeout=0, schedule=steady()))
    assert len(world.calls) == 1
    assert world.sleeps == []


@pytest.mark.parametrize("timeout", [-1, float("nan"), float("inf"), "600", True])
def test_bad_timeouts(timeout: Any) -> None:
    with pytest.raises(ValueError, match="timeout"):
        World().run(wait_flow(ID, timeout=timeout))


def test_rate_limit_backs_off_harder_and_honours_retry_after() -> None:
    world = World()
    world.add(ID, done_at=60)
    world.failures = [
        RateLimitError("slow down", status_code=429),
        RateLimitError("slow down", status_code=429, headers={"retry-after": "45"}),
    ]
    task = world.run(wait_flow(ID, timeout=600, schedule=steady()))
    assert task.succeeded
    assert world.sleeps[0] == RATE_LIMITED_MIN  # not the normal 2.5 s
    assert world.sleeps[1] == 45.0
    assert world.sleeps[2] >= POLL_MAX - 0.01  # the interval stays high afterwards


def test_transient_failures_are_polled_through_then_raised() -> None:
    world = World()
    world.add(ID, done_at=5)
    world.failures = [InternalServerError("boom", status_code=502)] * MAX_POLL_FAILURES
    assert world.run(wait_flow(ID, timeout=600, schedule=steady())).succeeded
    world = World()
    world.add(ID, done_at=5)
    world.failures = [InternalServerError("boom", status_code=502)] * (MAX_POLL_FAILURES + 1)
    with pytest.raises(InternalServerError):
        world.run(wait_flow(ID, timeout=600, schedule=steady()))


def test_unknown_task_fails_at_once() -> None:
    world = World()
    with pytest.raises(NotFoundError):
        world.run(wait_flow(ID, timeout=600))
    assert len(world.calls) == 1


def test_run_creates_then_pauses_before_the_first_poll() -> None:
    world = World()
    world.add(ID, done_at=20)
    updates: list[str] = []

    class Client(World):
        def request(self, method: str, path: str, body: Any = None, **kw: Any) -> JSONReply:
            if method == "POST":
                self.calls.append((method, path, None))
                return ok({"taskId": ID})
            return world.request(method, path, body, **kw)

    client = Client()
    client.sleep = world.sleep  # type: ignore[method-assign]
    client.clock = world.clock  # type: ignore[method-assign]
    task = client.run(
        run_flow(
            build_create("seedance-2.0", {"prompt": "boat"}),
            timeout=600,
            on_update=lambda t: updates.append(t.status),
            schedule=steady(),
        )
    )
    assert task.succeeded
    assert updates == ["queued", "handling", "success"]
    assert world.sleeps[0] == POLL_INITIAL
    assert client.calls == [("POST", "/tasks", None)]


# -- wait_many -----------------------------------------------------------------------------


def ids(n: int) -> list[str]:
    return [f"tk-hiapi-{i:026d}" for i in range(n)]


def test_wait_many_uses_the_list_endpoint() -> None:
    world = World()
    many = ids(50)
    for i, task_id in enumerate(many):
        world.add(task_id, done_at=20 + i)  # they finish one after the other
    updates: list[tuple[str, str]] = []
    done = world.run(
        wait_many_flow(
            many,
            timeout=900,
            on_update=lambda t: updates.append((t.id, t.status)),
            schedule=steady(),
        )
    )
    assert [t.id for t in done] == many
    assert all(t.succeeded for t in done)
    rounds = len(world.sleeps) + 1
    assert len(world.calls) == rounds  # one list page per round, no detail reads
    assert all(call[:2] == ("GET", "/tasks") for call in world.calls)
    assert rounds * len(many) > 10 * len(world.calls)  # per-task polling would cost 50x
    assert ("tk-hiapi-" + "0" * 26, "success") in updates
    assert len(updates) == len(set(updates))  # each change reported once


def test_wait_many_returns_as_soon_as_all_ended() -> None:
    world = World()
    world.add("tk-a", done_at=0)
    world.add("tk-b", done_at=0, end="fail")
    done = world.run(wait_many_flow(["tk-b", "tk-a", "tk-b"], timeout=900))
    assert [t.id for t in done] == ["tk-b", "tk-a", "tk-b"]
    assert [t.status for t in done] == ["fail", "success", "fail"]
    assert world.sleeps == []
    assert len(world.calls) == 1


def test_wait_many_scans_several_pages_and_falls_back_to_detail() -> None:
    world = World()
    many = ids(150)
    for task_id in many:
        world.add(task_id, done_at=5)
    for other in ids(500)[150:]:
        world.add(other, done_at=1)  # newer tasks of someone else push ours down
    done = world.run(wait_many_flow(many, timeout=900, schedule=steady()))
    assert len(done) == 150
    pages = [c[2]["page"] for c in world.calls if c[1] == "/tasks"]
    details = [c for c in world.calls if c[1].startswith("/tasks/")]
    # Pages 1-4 of the first round (2 + 2 pages of slack), then details for the rest.
    assert pages[:4] == [1, 2, 3, 4]
    assert details  # those not found are read one by one
    assert all(c[2] is None for c in details)


def test_wait_many_stops_scanning_below_the_oldest_task() -> None:
    world = World()
    for name in ("tk-old1", "tk-old2", "tk-old3", "tk-mine", "tk-new"):
        world.add(name, done_at=1 if name != "tk-mine" else 30)
    schedule = steady()
    flow = wait_many_flow(["tk-mine"], timeout=900, schedule=schedule, page_size=2)

    original_sleep = world.sleep

    def sleep_then_hide(seconds: float) -> None:
        original_sleep(seconds)
        world.hidden.add("tk-mine")  # from round 2 on, the list leaves it out

    world.sleep = sleep_then_hide  # type: ignore[method-assign]
    (task,) = world.run(flow)
    assert task.succeeded
    first, second, third = world.calls[:3]
    assert first == ("GET", "/tasks", {"page": 1, "size": 2})  # round 1 finds it on page 1
    # Round 2: page 1 already holds an older task, so no page 2 or 3; a detail read instead.
    assert second == ("GET", "/tasks", {"page": 1, "size": 2})
    assert third == ("GET", "/tasks/tk-mine", None)


def test_wait_many_falls_back_to_detail_for_a_task_far_down_the_list() -> None:
    world = World()
    world.add("tk-mine", done_at=20)
    for other in ids(1000):
        world.add(other, done_at=1)
    world.run(wait_many_flow(["tk-mine"], timeout=900, schedule=steady()))
    # First round: pages 1-3 miss it, then it is read in detail from then on.
    assert [c[1] for c in world.calls[:4]] == ["/tasks", "/tasks", "/tasks", "/tasks/tk-mine"]
    assert all(c[1] == "/tasks/tk-mine" for c in world.calls[4:])


def test_wait_many_reads_detail_when_the_list_has_no_outputs() -> None:
    world = World()
    world.list_outputs = False
    world.add("tk-a", done_at=0)
    (task,) = world.run(wait_many_flow(["tk-a"], timeout=900))
    assert task.outputs
    assert [c[1] for c in world.calls] == ["/tasks", "/tasks/tk-a"]


def test_wait_many_timeout_lists_running_tasks() -> None:
    world = World()
    world.add("tk-fast", done_at=1)
    world.add("tk-slow", done_at=5000)
    world.add("tk-slower", done_at=6000)
    with pytest.raises(TaskWaitTimeout) as info:
        world.run(wait_many_flow(["tk-fast", "tk-slow", "tk-slower"], timeout=60))
    assert info.value.task_ids == ("tk-slow", "tk-slower")
    assert info.value.task_id == "tk-slow"
    assert 'tasks.wait_many(["tk-slow", "tk-slower"])' in str(info.value)
    assert world.now == pytest.approx(60)


def test_wait_many_backs_off_on_rate_limits() -> None:
    world = World()
    world.add("tk-a", done_at=30)
    world.failures = [RateLimitError("slow", status_code=429)]
    world.run(wait_many_flow(["tk-a"], timeout=900, schedule=steady()))
    assert world.sleeps[0] == RATE_LIMITED_MIN


def test_wait_many_checks_ids_first() -> None:
    with pytest.raises(ValueError, match="not a task id"):
        World().run(wait_many_flow(["tk-ok", "../x"], timeout=9))


def test_list_flow_and_checks() -> None:
    world = World()
    world.add("tk-a", done_at=0)
    page = world.run(list_flow(1, 20))
    assert [t.id for t in page.tasks] == ["tk-a"]
    assert (page.total, page.page, page.size) == (1, 1, 20)
    assert world.calls == [("GET", "/tasks", {"page": 1, "size": 20})]
    for bad in ({"page": 0}, {"size": 101}, {"size": 0}, {"page": True}):
        with pytest.raises(ValueError, match="must be"):
            world.run(list_flow(**bad))


def test_get_flow_reply_checks() -> None:
    class Client(World):
        def request(self, *a: Any, **kw: Any) -> JSONReply:
            return JSONReply(200, {}, {"code": 200, "data": ["not", "a", "task"]})

    with pytest.raises(InvalidResponseError, match="expected a task object"):
        Client().run(get_flow(ID))


# -- download ------------------------------------------------------------------------------


def finished(*outputs: TaskOutput, status: str = "success") -> Task:
    return Task(id=ID, model="m", status=status, outputs=list(outputs))


def test_download_every_output_with_typed_stems(tmp_path: Path) -> None:
    task = finished(
        TaskOutput("https://cdn.test/v.mp4", "video", int(WALL_START) + 10),
        TaskOutput("https://cdn.test/f.jpg", "first_frame", None),
    )
    world = World()
    paths = world.run(download_flow(task, tmp_path, max_bytes=99))
    assert paths == [tmp_path / f"{ID}-video.mp4", tmp_path / f"{ID}-first_frame.mp4"]
    assert world.calls == [
        ("FETCH", "https://cdn.test/v.mp4", f"{ID}-video"),
        ("FETCH", "https://cdn.test/f.jpg", f"{ID}-first_frame"),
    ]
    world.calls.clear()
    assert len(world.run(download_flow(task, tmp_path, types=["first_frame"]))) == 1
    assert world.run(download_flow(task, tmp_path, types="audio")) == []


def test_download_refuses_expired_output_before_fetching(tmp_path: Path) -> None:
    task = finished(
        TaskOutput("https://cdn.test/v.mp4", "video", int(WALL_START) + 10),
        TaskOutput("https://cdn.test/f.jpg", "first_frame", int(WALL_START) - 5),
    )
    world = World()
    with pytest.raises(OutputExpiredError) as info:
        world.run(download_flow(task, tmp_path))
    assert info.value.expire_at == int(WALL_START) - 5
    assert f"expire_at={int(WALL_START) - 5}" in str(info.value)
    assert world.calls == []


@pytest.mark.parametrize(
    ("task", "error"),
    [
        (finished(status="handling"), ValueError),
        (finished(status="fail"), TaskFailedError),
        (finished(), InvalidResponseError),
    ],
)
def test_download_needs_a_successful_task(
    tmp_path: Path, task: Task, error: type[Exception]
) -> None:
    world = World()
    with pytest.raises(error):
        world.run(download_flow(task, tmp_path))
    assert world.calls == []
