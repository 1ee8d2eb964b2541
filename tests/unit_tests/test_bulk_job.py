"""The bulk scheduler driven by hand.

It runs under an inline driver (spawned flows run at once, in order, against a fake task
server on a fake clock), so every scenario is deterministic and needs no sockets. Planning
and resuming are tested in `test_bulk_plan`.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from langchain_hiapi._bulk_job import bulk_scheduler
from langchain_hiapi._bulk_plan import (
    BulkResult,
    BulkSettings,
    ItemState,
    plan_items,
    resume,
)
from langchain_hiapi._client import JSONReply
from langchain_hiapi._concurrent import Emit, Finished, Next, Scheduler, Spawn
from langchain_hiapi._files import FetchedFile
from langchain_hiapi._flows import Notify, Now, Sleep, run_sync
from langchain_hiapi._manifest import Record
from langchain_hiapi.errors import (
    APIConnectionError,
    AuthenticationError,
    HiAPIError,
    InternalServerError,
    InvalidRequestError,
    RateLimitError,
)

MODEL = "Nano-Banana"


# ------------------------------------------------------------------------------ scheduler


@dataclass
class FakeTask:
    id: str
    created_at: float
    duration: float
    end: str = "success"
    seq: int = 0

    def data(self, now: float) -> dict[str, Any]:
        done = now >= self.created_at + self.duration
        out: dict[str, Any] = {
            "taskId": self.id,
            "model": MODEL,
            "status": self.end if done else "handling",
            "created": 1_800_000_000 + self.seq,
            "completed": 0,
        }
        if done and self.end == "success":
            out["output"] = [{"url": f"https://cdn.test/{self.id}.png", "type": "image"}]
        if done and self.end == "fail":
            out["error"] = {"code": "TASK_FAILED", "message": "upstream rejected the prompt"}
        return out


@dataclass
class FakeServer:
    """The task API on a fake clock; scripted errors per create key or per request kind."""

    clock: list[float]
    duration: float = 5.0
    tasks: dict[str, FakeTask] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    create_errors: dict[str, list[Exception]] = field(default_factory=dict)
    poll_errors: deque[Exception] = field(default_factory=deque)
    download_errors: deque[Exception] = field(default_factory=deque)
    failing_prompts: set[str] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)
    downloads: list[str] = field(default_factory=list)
    ids: Any = field(default_factory=lambda: itertools.count(1))

    def request(
        self, method: str, path: str, body: Any = None, *, headers: Any = None, params: Any = None
    ) -> JSONReply:
        now = self.clock[0]
        self.requests.append(f"{method} {path}")
        if method == "POST":
            key = headers["Idempotency-Key"]
            errors = self.create_errors.get(body["input"]["prompt"])
            if errors:
                raise errors.pop(0)
            if key not in self.by_key:
                n = next(self.ids)
                task_id = f"tk-hiapi-{n:026d}"
                end = "fail" if body["input"]["prompt"] in self.failing_prompts else "success"
                self.tasks[task_id] = FakeTask(task_id, now, self.duration, end, n)
                self.by_key[key] = task_id
            return JSONReply(200, {}, {"code": 200, "data": {"taskId": self.by_key[key]}})
        if self.poll_errors:
            raise self.poll_errors.popleft()
        if path == "/tasks":
            newest = sorted(self.tasks.values(), key=lambda t: -t.seq)
            page, size = params["page"], params["size"]
            chunk = newest[(page - 1) * size : page * size]
            data = {"page": page, "size": size, "tasks": [t.data(now) for t in chunk]}
            return JSONReply(200, {}, {"code": 200, "data": data})
        task = self.tasks[path.rsplit("/", 1)[1]]
        return JSONReply(200, {}, {"code": 200, "data": task.data(now)})

    def fetch_to_file(self, url: str, dest_dir: Any, stem: str, *, max_bytes: int) -> FetchedFile:
        if self.download_errors:
            raise self.download_errors.popleft()
        self.downloads.append(url)
        return FetchedFile(Path(dest_dir) / f"{stem}.png", "image/png", 1)


@dataclass
class Inline:
    """Runs a scheduler in one thread: spawned flows run at once, outcomes come in order."""

    server: FakeServer
    records: list[Record] = field(default_factory=list)
    results: list[BulkResult] = field(default_factory=list)
    max_running: int = 0

    def run(self, scheduler: Scheduler, *, limit: int = 10_000) -> None:
        clock = self.server.clock
        ready: deque[Finished] = deque()

        def sleep(seconds: float) -> None:
            clock[0] += seconds

        result: Any = None
        error: Exception | None = None
        for _ in range(limit):
            try:
                step = scheduler.send(result) if error is None else scheduler.throw(error)
            except StopIteration:
                return
            result, error = None, None
            if isinstance(step, Spawn):
                try:
                    value = run_sync(step.flow, self.server, sleep=sleep, clock=lambda: clock[0])
                    ready.append(Finished(step.tag, value))
                except Exception as exc:
                    ready.append(Finished(step.tag, None, exc))
                self.max_running = max(self.max_running, len(ready))
            elif isinstance(step, Next):
                if ready:
                    result = ready.popleft()
                else:
                    assert step.timeout is not None, "the scheduler would wait forever"
                    clock[0] += step.timeout
            elif isinstance(step, Emit):
                self.results.append(step.value)
            elif isinstance(step, Now):
                result = clock[0]
            elif isinstance(step, Notify):
                step.callback(step.value)
            elif isinstance(step, Sleep):
                clock[0] += step.seconds
        raise AssertionError("the scheduler did not finish")


def job(
    prompts: list[str],
    server: FakeServer,
    *,
    records: Mapping[str, Record] | None = None,
    **settings: Any,
) -> tuple[Inline, list[ItemState]]:
    planned = plan_items(prompts, model=MODEL)
    states = resume(planned, records or {}, job="job")
    driver = Inline(server)
    cfg = BulkSettings(job="job", save_dir=Path("out"), **settings)
    driver.run(bulk_scheduler(states, cfg, driver.records.append))
    return driver, states


def statuses(driver: Inline, key: str) -> list[str]:
    return [r.status for r in driver.records if r.key == key]


def test_every_item_is_created_polled_downloaded_recorded_and_emitted() -> None:
    server = FakeServer([0.0], duration=5.0)
    prompts = [f"cat {n}" for n in range(5)]
    driver, states = job(prompts, server)
    assert sorted(r.key for r in driver.results) == sorted(s.item.key for s in states)
    assert all(r.ok and len(r.paths) == 1 for r in driver.results)
    for state in states:
        assert statuses(driver, state.item.key) == ["submitting", "running", "done"]
    assert [s for s in server.requests if s.startswith("POST")] == ["POST /tasks"] * 5
    assert len(server.downloads) == 5
    # All five are read from one list page per round, not polled one by one.
    polls = [s for s in server.requests if s.startswith("GET")]
    assert polls and all(s == "GET /tasks" for s in polls)
    assert len(polls) <= 6
    saved = driver.results[0].paths[0]
    assert saved.name.startswith(driver.results[0].key)


def test_the_submitting_record_comes_before_the_create_is_sent() -> None:
    server = FakeServer([0.0])
    order: list[str] = []
    original = server.request

    def spy(method: str, path: str, body: Any = None, **kw: Any) -> JSONReply:
        order.append(f"request {method}")
        return original(method, path, body, **kw)

    server.request = spy  # type: ignore[method-assign]
    planned = plan_items(["a cat"], model=MODEL)
    driver = Inline(server)

    def record(entry: Record) -> None:
        order.append(f"record {entry.status}")
        driver.records.append(entry)

    states = resume(planned, {}, job="job")
    driver.run(bulk_scheduler(states, BulkSettings(job="job", save_dir=Path("o")), record))
    assert order[:3] == ["record submitting", "request POST", "record running"]


def test_concurrency_bounds_items_in_progress() -> None:
    server = FakeServer([0.0], duration=3.0)
    created_at: list[float] = []
    original = server.request

    def spy(method: str, path: str, body: Any = None, **kw: Any) -> JSONReply:
        if method == "POST":
            created_at.append(server.clock[0])
        return original(method, path, body, **kw)

    server.request = spy  # type: ignore[method-assign]
    driver, _ = job([f"p{n}" for n in range(6)], server, concurrency=2)
    assert len(driver.results) == 6
    # Two at a time: the third create waits for one of the first two to end.
    assert created_at[:2] == [0.0, 0.0]
    assert created_at[2] >= 3.0


def test_failed_task_is_recorded_and_the_job_goes_on() -> None:
    server = FakeServer([0.0], failing_prompts={"bad"})
    driver, states = job(["good", "bad"], server)
    by_key = {r.key: r for r in driver.results}
    bad = by_key[states[1].item.key]
    assert not bad.ok and bad.error_type == "TaskFailedError" and bad.task_id
    assert "upstream rejected the prompt" in (bad.error or "")
    entries = [r for r in driver.records if r.key == bad.key]
    assert (entries[-1].status, entries[-1].stage) == ("failed", "wait")
    assert entries[-1].task_id == bad.task_id
    assert by_key[states[0].item.key].ok


@pytest.mark.parametrize(
    ("error", "same_key"),
    [
        (InvalidRequestError("bad input", status_code=400), False),
        (APIConnectionError("connection lost"), True),
        (InternalServerError("bad gateway", status_code=502), True),
    ],
)
def test_create_failures_record_whether_a_rerun_must_reuse_the_key(
    error: Exception, same_key: bool
) -> None:
    server = FakeServer([0.0], create_errors={"x": [error]})
    driver, states = job(["x"], server)
    (result,) = driver.results
    assert not result.ok and result.error_type == type(error).__name__
    entry = driver.records[-1]
    assert (entry.status, entry.stage, entry.retry_same_key) == ("failed", "create", same_key)
    (again,) = resume(states and [states[0].item], {entry.key: entry}, job="job")
    assert again.phase == "create"
    assert (again.idempotency_key == states[0].idempotency_key) is same_key


@pytest.mark.parametrize(
    "error",
    [
        AuthenticationError("bad key", status_code=401),
        RateLimitError("still limited", status_code=429),
    ],
)
def test_key_wide_errors_stop_the_job(error: HiAPIError) -> None:
    server = FakeServer([0.0], create_errors={"x": [error]})
    with pytest.raises(type(error)):
        job(["x", "y"], server, concurrency=1)


def test_download_failure_keeps_the_task_for_a_rerun() -> None:
    server = FakeServer([0.0], download_errors=deque([APIConnectionError("cdn down")]))
    driver, _ = job(["x"], server)
    (result,) = driver.results
    assert not result.ok and result.task_id
    entry = driver.records[-1]
    assert (entry.stage, entry.task_id) == ("download", result.task_id)
    # A re-run polls the same task and downloads it; nothing is created again.
    creates = len(server.by_key)
    rerun, _ = job(["x"], server, records={entry.key: entry})
    assert rerun.results[0].ok and len(server.by_key) == creates
    assert [r for r in server.requests if r.startswith("POST")] == ["POST /tasks"]


def test_resumed_running_task_is_polled_and_nothing_is_created() -> None:
    server = FakeServer([0.0])
    first, _ = job(["x"], server)
    created = server.requests.count("POST /tasks")
    running = next(r for r in first.records if r.status == "running")
    rerun, _ = job(["x"], server, records={running.key: running})
    assert rerun.results[0].ok and rerun.results[0].task_id == running.task_id
    assert server.requests.count("POST /tasks") == created


def test_polling_errors_back_off_then_give_up() -> None:
    server = FakeServer([0.0], duration=1.0)
    server.poll_errors.extend(InternalServerError("502", status_code=502) for _ in range(2))
    driver, _ = job(["x"], server)
    assert driver.results[0].ok
    server2 = FakeServer([0.0], duration=1.0)
    server2.poll_errors.extend(InternalServerError("502", status_code=502) for _ in range(50))
    with pytest.raises(InternalServerError):
        job(["x"], server2)


def test_rate_limited_poll_slows_the_rounds_down() -> None:
    server = FakeServer([0.0], duration=1.0)
    server.poll_errors.append(RateLimitError("slow down", status_code=429))
    driver, _ = job(["x"], server, poll_interval=1.0, max_poll_interval=30.0)
    assert driver.results[0].ok
    assert server.clock[0] >= 10.0  # the round after a 429 waited RATE_LIMITED_MIN


def test_poll_rounds_slow_down_while_nothing_ends() -> None:
    server = FakeServer([0.0], duration=120.0)
    driver, _ = job(["x"], server, poll_interval=1.0, max_poll_interval=10.0)
    polls = server.requests.count("GET /tasks")
    assert driver.results[0].ok
    # Rounds every second would be ~120; growing to 10 s gaps they are far fewer.
    assert polls < 25


def test_task_timeout_reports_the_item_but_keeps_its_task() -> None:
    server = FakeServer([0.0], duration=1000.0)
    driver, _ = job(["x"], server, task_timeout=60.0, max_poll_interval=10.0)
    (result,) = driver.results
    assert not result.ok and result.error_type == "TaskWaitTimeout" and result.task_id
    assert 60.0 <= server.clock[0] <= 75.0
    entry = driver.records[-1]
    (state,) = resume([plan_items(["x"], model=MODEL)[0]], {entry.key: entry}, job="job")
    assert (state.phase, state.task_id) == ("poll", result.task_id)


def test_done_items_from_an_earlier_run_are_emitted_first_without_requests() -> None:
    server = FakeServer([0.0])
    first, _ = job(["x"], server)
    done = first.records[-1]
    server.requests.clear()
    rerun, _ = job(["x"], server, records={done.key: done})
    assert rerun.results[0].skipped and rerun.results[0].ok
    assert server.requests == [] and rerun.records == []
