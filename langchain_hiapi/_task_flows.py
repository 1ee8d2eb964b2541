"""The task API's polling workflows (wait, create then wait, wait for many) as I/O-free flows.

Each function returns a generator of `_flows` steps; `HiAPITasks` and `AsyncHiAPITasks`
run the same generators with the sync and the async driver. The single requests (create,
get, list, download) are in `_task_requests` and exported here too.

Polling: the first wait is `POLL_INITIAL` seconds, growing by `POLL_GROWTH` per poll up to
`POLL_MAX`, each jittered by +-`POLL_JITTER` so that many waiting clients spread out. A 429
doubles the interval at once (at least `RATE_LIMITED_MIN`, and never less than the
server's `Retry-After`); the client has already retried it quickly by then. Other transient
failures (5xx, lost connections) are polled through up to `MAX_POLL_FAILURES` times in a row.
At the deadline the flow raises `TaskWaitTimeout`; the task itself keeps running.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar

from langchain_hiapi._client import JSONReply
from langchain_hiapi._flows import Call, Flow, Notify, Now, Sleep
from langchain_hiapi._task_records import Task
from langchain_hiapi._task_requests import (
    CREATE_OPTIONS,
    DEFAULT_MAX_DOWNLOAD_BYTES,
    TASKS_PATH,
    CreateOptions,
    CreateRequest,
    OnUpdate,
    build_create,
    create_flow,
    download_flow,
    get_flow,
    list_flow,
    task_of,
    task_path,
)
from langchain_hiapi.errors import (
    APIConnectionError,
    InternalServerError,
    RateLimitError,
    TaskFailedError,
    TaskWaitTimeout,
)

__all__ = [
    "CREATE_OPTIONS",
    "DEFAULT_MAX_DOWNLOAD_BYTES",
    "LIST_PAGE_SIZE",
    "MAX_POLL_FAILURES",
    "POLL_GROWTH",
    "POLL_INITIAL",
    "POLL_JITTER",
    "POLL_MAX",
    "RATE_LIMITED_MIN",
    "TASKS_PATH",
    "CreateOptions",
    "CreateRequest",
    "OnUpdate",
    "PollSchedule",
    "build_create",
    "create_flow",
    "download_flow",
    "get_flow",
    "list_flow",
    "poll_many_flow",
    "poll_rounds",
    "run_flow",
    "task_path",
    "wait_flow",
    "wait_many_flow",
]

POLL_INITIAL = 2.5
"""Seconds before the second status poll (the first one is immediate for `wait`)."""
POLL_MAX = 15.0
"""Upper bound of the poll interval, in seconds."""
POLL_GROWTH = 1.5
"""Factor the poll interval grows by after each poll."""
POLL_JITTER = 0.2
"""Each pause is the interval times a random factor in [1 - jitter, 1 + jitter]."""
RATE_LIMITED_MIN = 10.0
"""After a 429 the interval doubles and is at least this many seconds."""
MAX_RETRY_AFTER = 60.0
"""A longer `Retry-After` on a poll is shortened to this."""
MAX_POLL_FAILURES = 5
"""Consecutive transient poll failures (5xx, lost connection) tolerated before giving up."""
LIST_PAGE_SIZE = 100
"""Page size `wait_many` scans the list endpoint with (the documented maximum)."""

R = TypeVar("R")


# ------------------------------------------------------------------------------ schedule


class PollSchedule:
    """The pauses between status polls (pure; `rand` is injectable for tests).

    Args:
        initial: The first interval, in seconds.
        maximum: The largest interval.
        growth: Factor per poll (>= 1).
        jitter: Relative jitter in [0, 1).
        rand: A source of numbers in [0, 1).
    """

    def __init__(
        self,
        initial: float = POLL_INITIAL,
        maximum: float = POLL_MAX,
        growth: float = POLL_GROWTH,
        jitter: float = POLL_JITTER,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if not (0 < initial <= maximum and math.isfinite(maximum)):
            raise ValueError("poll intervals must satisfy 0 < poll_interval <= max_poll_interval")
        if growth < 1 or not 0 <= jitter < 1:
            raise ValueError("growth must be >= 1 and jitter in [0, 1)")
        self.initial, self.maximum, self.growth, self.jitter = initial, maximum, growth, jitter
        self.interval = initial
        self._rand = rand

    def _jittered(self, seconds: float) -> float:
        return seconds * (1 + self.jitter * (2 * self._rand() - 1))

    def next_delay(self) -> float:
        """The pause before the next poll; the interval then grows."""
        delay = self._jittered(self.interval)
        self.interval = min(self.interval * self.growth, self.maximum)
        return delay

    def throttled(self, retry_after: float | None) -> float:
        """The pause after a 429: the interval doubles (at least `RATE_LIMITED_MIN`)."""
        self.interval = min(max(self.interval * 2, RATE_LIMITED_MIN), max(self.maximum, 1.0))
        delay = self._jittered(self.interval)
        if retry_after is not None and retry_after > 0:
            delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
        return delay


def _retry_after(error: RateLimitError) -> float | None:
    value = error.headers.get("retry-after") or error.headers.get("Retry-After")
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and math.isfinite(seconds) else None


# ------------------------------------------------------------------------------ waiting


def _check_timeout(timeout: float | None) -> None:
    if timeout is not None and (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not timeout >= 0
        or math.isinf(timeout)
    ):
        raise ValueError(f"timeout must be a number of seconds >= 0 or None, got {timeout!r}")


def poll_rounds(
    poll: Callable[[], Flow[R | None]],
    *,
    timeout: float | None,
    schedule: PollSchedule,
    expired: Callable[[float], Exception],
    poll_first: bool = True,
) -> Flow[R]:
    """Runs polling rounds until one returns a result, pausing as `schedule` says.

    A 429 lengthens the next pause; other transient failures (5xx, lost connections) are
    polled through up to `MAX_POLL_FAILURES` times in a row. Anything else a round raises
    ends the wait.

    Args:
        poll: One round: a flow returning the result, or `None` to poll again.
        timeout: Seconds to wait (`None`: no limit).
        schedule: The pauses.
        expired: Builds the error raised at the deadline from the seconds waited.
        poll_first: Poll at once (otherwise pause first).

    Returns:
        The first result.
    """
    _check_timeout(timeout)
    start: float = yield Now()
    deadline = None if timeout is None else start + timeout
    failures = 0
    due = poll_first
    while True:
        delay = None
        if due:
            try:
                result = yield from poll()
            except RateLimitError as exc:
                delay = schedule.throttled(_retry_after(exc))
            except (InternalServerError, APIConnectionError):
                failures += 1
                if failures > MAX_POLL_FAILURES:
                    raise
            else:
                failures = 0
                if result is not None:
                    return result
        due = True
        if delay is None:
            delay = schedule.next_delay()
        now: float = yield Now()
        if deadline is not None:
            if now >= deadline:
                raise expired(now - start)
            delay = min(delay, deadline - now)  # the last poll lands on the deadline
        yield Sleep(delay)


def wait_flow(
    task_id: str,
    *,
    timeout: float | None,
    on_update: OnUpdate | None = None,
    schedule: PollSchedule | None = None,
    poll_first: bool = True,
    last: Task | None = None,
) -> Flow[Task]:
    """Polls one task until it ends.

    Args:
        task_id: The task.
        timeout: Seconds to wait (`None`: no limit).
        on_update: Called with the task whenever its status changes.
        schedule: The pauses (a fresh default schedule when `None`).
        poll_first: Poll at once (otherwise pause first: the task was just created).
        last: The state already known (its status is not reported again).

    Returns:
        The successful task.

    Raises:
        TaskFailedError: The task ended without success.
        TaskWaitTimeout: The deadline passed (the task is not cancelled).
        HiAPIError: A poll failed for good (e.g. 404: no such task).
    """
    path = task_path(task_id)
    known = [last]

    def poll() -> Flow[Task | None]:
        reply: JSONReply = yield Call("GET", path)
        task = task_of(reply, f"GET {path}")
        seen, known[0] = known[0], task
        if on_update is not None and (seen is None or task.status != seen.status):
            yield Notify(on_update, task)
        if task.is_terminal and not task.succeeded:
            raise TaskFailedError(task)
        return task if task.is_terminal else None

    def expired(waited: float) -> Exception:
        return TaskWaitTimeout(task_id, task=known[0], waited=waited)

    return (
        yield from poll_rounds(
            poll,
            timeout=timeout,
            schedule=schedule or PollSchedule(),
            expired=expired,
            poll_first=poll_first,
        )
    )


def run_flow(
    request: CreateRequest,
    *,
    timeout: float | None,
    on_update: OnUpdate | None = None,
    schedule: PollSchedule | None = None,
) -> Flow[Task]:
    """Create, then wait (the first poll comes after one interval)."""
    _check_timeout(timeout)
    task = yield from create_flow(request)
    if on_update is not None:
        yield Notify(on_update, task)
    return (
        yield from wait_flow(
            task.id,
            timeout=timeout,
            on_update=on_update,
            schedule=schedule,
            poll_first=False,
            last=task,
        )
    )


def wait_many_flow(
    task_ids: Sequence[str],
    *,
    timeout: float | None,
    on_update: OnUpdate | None = None,
    schedule: PollSchedule | None = None,
    page_size: int = LIST_PAGE_SIZE,
) -> Flow[list[Task]]:
    """Waits for many tasks, reading their states from the list endpoint.

    Each round scans `GET /v1/tasks` pages (newest first, `page_size` per page) until every
    pending task has been seen, the list ends, or the page reaches tasks older than the
    oldest pending one; a task not found that way is polled with `GET /v1/tasks/:id` from
    then on. So N recent tasks cost about N / `page_size` requests per round instead of N.
    A task that reaches success on the list without outputs is read once in detail.

    Args:
        task_ids: The tasks (repeats allowed).
        timeout: Seconds to wait for all (`None`: no limit).
        on_update: Called with a task whenever its status changes.
        schedule: The pauses between rounds.
        page_size: Tasks per list page.

    Returns:
        The final state of every task, in the order of `task_ids`. A failed task is returned
        like the others (check `Task.succeeded`); nothing is raised for it.

    Raises:
        TaskWaitTimeout: The deadline passed with tasks still running (`task_ids` lists
            them; none is cancelled).
    """
    order = list(task_ids)
    for task_id in order:
        task_path(task_id)
    latest: dict[str, Task] = {}
    finished: dict[str, Task] = {}
    detail_only: set[str] = set()

    def running() -> list[str]:
        return [i for i in dict.fromkeys(order) if i not in finished]

    def poll() -> Flow[list[Task] | None]:
        pending = running()
        polled = yield from poll_many_flow(pending, latest, detail_only, page_size)
        for task in polled.values():
            old = latest.get(task.id)
            latest[task.id] = task
            if on_update is not None and (old is None or old.status != task.status):
                yield Notify(on_update, task)
        finished.update((i, latest[i]) for i in pending if i in latest and latest[i].is_terminal)
        return None if running() else [finished[i] for i in order]

    def expired(waited: float) -> Exception:
        left = running()
        return TaskWaitTimeout(
            left[0], task=latest.get(left[0]), task_ids=tuple(left), waited=waited
        )

    return (
        yield from poll_rounds(
            poll, timeout=timeout, schedule=schedule or PollSchedule(), expired=expired
        )
    )


def poll_many_flow(
    pending: Sequence[str],
    latest: Mapping[str, Task],
    detail_only: set[str],
    page_size: int = LIST_PAGE_SIZE,
) -> Flow[dict[str, Task]]:
    """One polling round over many tasks, mostly from the list endpoint.

    Scans `GET /v1/tasks` pages (newest first) until every pending task is seen, the list
    ends, or the page reaches tasks older than the oldest pending one. A task not found that
    way is added to `detail_only` and read with `GET /v1/tasks/:id` from then on; a task the
    list shows succeeded without outputs is read once in detail too.

    Args:
        pending: The tasks to poll (distinct ids).
        latest: The last known state of tasks (their creation times bound the scan).
        detail_only: Tasks to read in detail; updated in place.
        page_size: Tasks per list page.

    Returns:
        The current state of every polled task, by id.
    """
    listed = yield from _scan_list([i for i in pending if i not in detail_only], latest, page_size)
    detail_only.update(i for i in pending if i not in detail_only and i not in listed)
    polled = dict(listed)
    for task_id in pending:
        current = listed.get(task_id)
        if task_id in detail_only or (
            current is not None and current.succeeded and not current.outputs
        ):
            polled[task_id] = yield from get_flow(task_id)
    return polled


def _scan_list(
    wanted: Iterable[str], latest: Mapping[str, Task], page_size: int
) -> Flow[dict[str, Task]]:
    """Reads list pages until every wanted task is found or further pages cannot hold one."""
    missing = set(wanted)
    found: dict[str, Task] = {}
    if not missing:
        return found
    # Creation times already known bound the scan: the list is sorted newest first.
    known = [t.created for t in (latest.get(i) for i in missing) if t and t.created is not None]
    oldest = min(known) if len(known) == len(missing) else None
    # A little slack for tasks created (by anyone) since ours pushed them down the list.
    max_pages = math.ceil(len(missing) / page_size) + 2
    for page in range(1, max_pages + 1):
        result = yield from list_flow(page, page_size)
        for task in result.tasks:
            if task.id in missing:
                found[task.id] = task
                missing.discard(task.id)
        if not missing or len(result.tasks) < page_size:
            break
        created = [t.created for t in result.tasks if t.created is not None]
        if oldest is not None and created and min(created) < oldest:
            break
    return found
