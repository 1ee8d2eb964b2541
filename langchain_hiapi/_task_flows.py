"""The task API's workflows (create, wait, wait for many, download) as I/O-free flows.

Each function returns a generator of `_flows` steps; `HiAPITasks` and `AsyncHiAPITasks`
run the same generators with the sync and the async driver.

Polling: the first wait is `POLL_INITIAL` seconds, growing by `POLL_GROWTH` per poll up to
`POLL_MAX`, each jittered by +-`POLL_JITTER` so that many waiting clients spread out. A 429
doubles the interval at once (at least `RATE_LIMITED_MIN`, and never less than the
server's `Retry-After`); the client has already retried it quickly by then. Other transient
failures (5xx, lost connections) are polled through up to `MAX_POLL_FAILURES` times in a row.
At the deadline the flow raises `TaskWaitTimeout`; the task itself keeps running.
"""

from __future__ import annotations

import math
import os
import random
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from langchain_hiapi._client import IDEMPOTENCY_KEY_HEADER, JSONReply
from langchain_hiapi._files import safe_stem
from langchain_hiapi._flows import Call, Fetch, Flow, Notify, Now, Sleep
from langchain_hiapi._task_records import Task, TaskPage
from langchain_hiapi.catalogue import canonical_model, validate_task_input
from langchain_hiapi.errors import (
    APIConnectionError,
    InternalServerError,
    InvalidResponseError,
    OutputExpiredError,
    RateLimitError,
    TaskFailedError,
    TaskWaitTimeout,
)

__all__ = [
    "DEFAULT_MAX_DOWNLOAD_BYTES",
    "LIST_PAGE_SIZE",
    "MAX_POLL_FAILURES",
    "POLL_GROWTH",
    "POLL_INITIAL",
    "POLL_JITTER",
    "POLL_MAX",
    "RATE_LIMITED_MIN",
    "TASKS_PATH",
    "CreateRequest",
    "PollSchedule",
    "build_create",
    "create_flow",
    "download_flow",
    "get_flow",
    "list_flow",
    "poll_many_flow",
    "run_flow",
    "task_path",
    "wait_flow",
    "wait_many_flow",
]

TASKS_PATH = "/tasks"
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
DEFAULT_MAX_DOWNLOAD_BYTES = 2 * 1024**3
"""Largest output `download` accepts by default (a long 4K video stays well below)."""

_TASK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,254}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_KEY_BYTES = 255
_STORAGE = ("temp", "persistent")

OnUpdate = Callable[[Task], Any]


def task_path(task_id: str) -> str:
    """The detail path of a task, with the id checked and escaped for the URL.

    Args:
        task_id: A task id (`tk-hiapi-` + 26 characters on HiAPI; other ids of letters,
            digits, `.`, `_`, `:` and `-` are accepted too).

    Returns:
        `/tasks/<id>`.

    Raises:
        ValueError: The id is empty, too long, or has characters a task id never has (a
            `/`, `?`, `..` or whitespace could otherwise change which URL is requested).
    """
    if not isinstance(task_id, str) or not _TASK_ID.fullmatch(task_id) or ".." in task_id:
        shown = repr(task_id)[:80]
        raise ValueError(
            f"not a task id: {shown} (expected e.g. 'tk-hiapi-01HZTQ8BX2N3GM3YFK4Z9D7VQR')"
        )
    return f"{TASKS_PATH}/{quote(task_id, safe='')}"


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


# ------------------------------------------------------------------------------ create


@dataclass(frozen=True)
class CreateRequest:
    """A checked `POST /v1/tasks`: the JSON body and the idempotency key."""

    body: Mapping[str, Any]
    idempotency_key: str


def _check_key(key: Any) -> str:
    if not isinstance(key, str) or not key:
        raise ValueError("idempotency_key must be a non-empty string")
    if len(key.encode("utf-8")) > _MAX_KEY_BYTES:
        raise ValueError(f"idempotency_key must be at most {_MAX_KEY_BYTES} bytes")
    if _CONTROL.search(key) or not key.isascii() or key != key.strip():
        raise ValueError(
            "idempotency_key must be printable ASCII without control characters or "
            "surrounding spaces (it is sent as the Idempotency-Key header)"
        )
    return key


def _check_callback_url(url: Any) -> str:
    if isinstance(url, str):
        try:
            parts = urlsplit(url)
        except ValueError:
            parts = None
        if parts is not None and parts.scheme in ("http", "https") and parts.hostname:
            return url
    raise ValueError(f"callback_url must be an http(s) URL, got {str(url)[:80]!r}")


def build_create(
    model: str,
    input: Mapping[str, Any],
    *,
    callback_url: str | None = None,
    route: str | None = None,
    storage: str | None = None,
    idempotency_key: str | None = None,
    validate: bool = True,
) -> CreateRequest:
    """Checks the arguments of a create and builds its body (nothing is sent).

    The body is `{"model", "input"[, "route"][, "callback"][, "storage"]}`: the model's
    canonical id for a known alias; `route` omitted when `None` or `""` (as HiAPI's SDKs
    do, so `""` and no route hash to the same idempotent body) and sent as given otherwise;
    `callback` as `{"url": callback_url, "when": "final"}`.

    Args:
        model: The model id (an alias or `x@route` works too).
        input: The model's input.
        callback_url: Where HiAPI POSTs the finished task.
        route: A model route (`"default"`, `"ext"`, ...).
        storage: `"temp"` or `"persistent"`.
        idempotency_key: The key; a fresh UUID4 when `None`.
        validate: Check `input` against the catalogue (known models only).

    Returns:
        The request.

    Raises:
        TaskInputError: `input` breaks the model's schema (names the field and the
            allowed values), or the route is unknown for the model.
        ValueError: Another argument cannot be sent.
    """
    if not isinstance(model, str) or not model.strip():
        raise ValueError(f"model must be a non-empty string, got {model!r}")
    if route is not None and not isinstance(route, str):
        raise ValueError(f"route must be a string, got {type(route).__name__}")
    data = validate_task_input(model, input, route) if validate else dict(input)
    body: dict[str, Any] = {"model": canonical_model(model), "input": data}
    if route:
        body["route"] = route
    if callback_url is not None:
        body["callback"] = {"url": _check_callback_url(callback_url), "when": "final"}
    if storage is not None:
        if validate and storage not in _STORAGE:
            raise ValueError(f"storage must be one of {', '.join(map(repr, _STORAGE))}")
        body["storage"] = storage
    key = str(uuid.uuid4()) if idempotency_key is None else _check_key(idempotency_key)
    return CreateRequest(body=body, idempotency_key=key)


def _data(reply: JSONReply, what: str) -> Any:
    data = reply.json.get("data")
    if data is None:
        raise InvalidResponseError(f"{what}: the reply has no `data`", body=reply.json)
    return data


def _task_of(reply: JSONReply, what: str) -> Task:
    data = _data(reply, what)
    if not isinstance(data, Mapping):
        raise InvalidResponseError(f"{what}: expected a task object", body=reply.json)
    task = Task.from_dict(data)
    if not task.id:
        raise InvalidResponseError(f"{what}: the task has no id", body=reply.json)
    return task


def create_flow(request: CreateRequest) -> Flow[Task]:
    """`POST /v1/tasks` with the request's `Idempotency-Key`.

    Returns:
        The new task (status `queued`; `idempotent_replay` when the server answered from its
        idempotency cache, in which case the task may already be further along).
    """
    reply: JSONReply = yield Call(
        "POST",
        TASKS_PATH,
        request.body,
        headers={IDEMPOTENCY_KEY_HEADER: request.idempotency_key},
    )
    data = _data(reply, "POST /tasks")
    task_id = data.get("taskId") if isinstance(data, Mapping) else None
    if not isinstance(task_id, str) or not task_id:
        raise InvalidResponseError("POST /tasks: the reply has no taskId", body=reply.json)
    try:
        # The id goes into every later request path: one that could retarget them is
        # refused here, as the gateway's error, not later as the caller's.
        task_path(task_id)
    except ValueError as exc:
        raise InvalidResponseError(f"POST /tasks: unusable taskId in the reply ({exc})") from None
    replay = (reply.header("Idempotent-Replay") or "").strip().lower() == "true"
    body = request.body
    return Task(
        id=task_id,
        model=str(body["model"]),
        status="queued",
        route=body.get("route"),
        storage=body.get("storage"),
        idempotent_replay=replay,
        raw=dict(data),
    )


def get_flow(task_id: str) -> Flow[Task]:
    """`GET /v1/tasks/:id`."""
    path = task_path(task_id)
    reply: JSONReply = yield Call("GET", path)
    return _task_of(reply, f"GET {path}")


def list_flow(page: int = 1, size: int = 20) -> Flow[TaskPage]:
    """`GET /v1/tasks?page=&size=` (newest first).

    Raises:
        ValueError: `page` < 1 or `size` outside 1..100 (the server would silently use its
            defaults instead).
    """
    for name, value, high in (("page", page, None), ("size", size, 100)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if high is not None and value > high:
            raise ValueError(f"{name} must be at most {high}, got {value!r}")
    reply: JSONReply = yield Call("GET", TASKS_PATH, params={"page": page, "size": size})
    return TaskPage.from_data(_data(reply, "GET /tasks"), page=page, size=size)


# ------------------------------------------------------------------------------ waiting


def _check_timeout(timeout: float | None) -> None:
    if timeout is not None and (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not timeout >= 0
        or math.isinf(timeout)
    ):
        raise ValueError(f"timeout must be a number of seconds >= 0 or None, got {timeout!r}")


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
    _check_timeout(timeout)
    schedule = schedule or PollSchedule()
    start: float = yield Now()
    deadline = None if timeout is None else start + timeout
    seen = last.status if last is not None else None
    failures = 0
    poll = poll_first
    while True:
        delay = None
        if poll:
            try:
                reply: JSONReply = yield Call("GET", path)
            except RateLimitError as exc:
                delay = schedule.throttled(_retry_after(exc))
            except (InternalServerError, APIConnectionError):
                failures += 1
                if failures > MAX_POLL_FAILURES:
                    raise
            else:
                failures = 0
                task = _task_of(reply, f"GET {path}")
                last = task
                if on_update is not None and task.status != seen:
                    yield Notify(on_update, task)
                seen = task.status
                if task.is_terminal:
                    if not task.succeeded:
                        raise TaskFailedError(task)
                    return task
        poll = True
        if delay is None:
            delay = schedule.next_delay()
        now: float = yield Now()
        if deadline is not None:
            if now >= deadline:
                raise TaskWaitTimeout(task_id, task=last, waited=now - start)
            delay = min(delay, deadline - now)  # the last poll lands on the deadline
        yield Sleep(delay)


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
    _check_timeout(timeout)
    schedule = schedule or PollSchedule()
    start: float = yield Now()
    deadline = None if timeout is None else start + timeout
    latest: dict[str, Task] = {}
    finished: dict[str, Task] = {}
    detail_only: set[str] = set()
    failures = 0

    while True:
        pending = [i for i in dict.fromkeys(order) if i not in finished]
        throttle: float | None = None
        try:
            polled = yield from poll_many_flow(pending, latest, detail_only, page_size)
            for task in polled.values():
                old = latest.get(task.id)
                latest[task.id] = task
                if on_update is not None and (old is None or old.status != task.status):
                    yield Notify(on_update, task)
            for task_id in pending:
                current = latest.get(task_id)
                if current is not None and current.is_terminal:
                    finished[task_id] = current
            failures = 0
        except RateLimitError as exc:
            throttle = schedule.throttled(_retry_after(exc))
        except (InternalServerError, APIConnectionError):
            failures += 1
            if failures > MAX_POLL_FAILURES:
                raise
        if all(i in finished for i in order):
            return [finished[i] for i in order]
        delay = throttle if throttle is not None else schedule.next_delay()
        now: float = yield Now()
        if deadline is not None:
            if now >= deadline:
                running = [i for i in dict.fromkeys(order) if i not in finished]
                raise TaskWaitTimeout(
                    running[0],
                    task=latest.get(running[0]),
                    task_ids=tuple(running),
                    waited=now - start,
                )
            delay = min(delay, deadline - now)
        yield Sleep(delay)


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


# ------------------------------------------------------------------------------ download


def download_flow(
    task: Task,
    dest_dir: str | os.PathLike[str],
    *,
    types: Iterable[str] | None = None,
    max_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
    name: str | None = None,
) -> Flow[list[Path]]:
    """Downloads a successful task's outputs (all, or those of the given `types`).

    Files are named `<task id>-<type><ext>` (or `<name>-<type><ext>`; `-2`, `-3`, ... when
    taken), each written atomically. Every output is checked for expiry before the first
    download starts.

    Returns:
        The paths written, in output order.

    Raises:
        TaskFailedError: The task failed.
        ValueError: The task has not finished.
        OutputExpiredError: An output's `expire_at` has passed.
        InvalidResponseError: A successful task lists no outputs at all.
    """
    if task.failed:
        raise TaskFailedError(task)
    if not task.succeeded:
        raise ValueError(
            f"task {task.id} is {task.status!r}, not finished: wait for it first "
            f'(tasks.wait("{task.id}"))'
        )
    if not task.outputs:
        raise InvalidResponseError(f"task {task.id} succeeded but lists no outputs")
    wanted = None if types is None else {types} if isinstance(types, str) else set(types)
    outputs = [o for o in task.outputs if wanted is None or o.type in wanted]
    now: float = yield Now(wall=True)
    for output in outputs:
        if output.expire_at is not None and output.expire_at <= now:
            raise OutputExpiredError(task.id, output.type, output.expire_at, now=now)
    paths: list[Path] = []
    for output in outputs:
        prefix = safe_stem(task.id if name is None else name, "task")
        stem = f"{prefix}-{safe_stem(output.type, 'output')}"
        fetched = yield Fetch(output.url, dest_dir, stem, max_bytes)
        paths.append(fetched.path)
    return paths
