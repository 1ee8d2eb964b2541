"""The task flows driven with scripted answers: no sockets, a fake clock that moves on sleeps.

Issue 11 behaviours 2, 3 and 7 at the flow level: create then wait, polling
that grows, jitters, backs off on 429 and stops at the deadline, wait_many over the list
endpoint. The single requests are tested in `test_task_requests`.
"""

from __future__ import annotations

from typing import Any

import pytest

from langchain_hiapi._client import JSONReply
from langchain_hiapi._task_flows import (
    MAX_POLL_FAILURES,
    POLL_INITIAL,
    POLL_MAX,
    RATE_LIMITED_MIN,
    PollSchedule,
    build_create,
    run_flow,
    wait_flow,
    wait_many_flow,
)
from langchain_hiapi.errors import (
    InternalServerError,
    NotFoundError,
    RateLimitError,
    TaskFailedError,
    TaskWaitTimeout,
)
from tests._support.task_world import ID, World, ok


def steady(seed: float = 0.5) -> PollSchedule:
    """A schedule without jitter (rand always 0.5)."""
    return PollSchedule(rand=lambda: seed)


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
