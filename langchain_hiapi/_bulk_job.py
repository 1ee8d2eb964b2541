"""A resumable bulk generation job as I/O-free logic: plan the items, resume, schedule.

`plan_items` checks every item before anything is sent and gives each a stable key;
`resume` decides, from the manifest, what each item still needs; `bulk_scheduler` is a
`_concurrent` scheduler that creates tasks (each with an `Idempotency-Key` derived from the
job, the item and the attempt), polls them in rounds over the list endpoint, downloads their
outputs, records every step in the manifest and emits a `BulkResult` per item as it ends.
The drivers in `_concurrent` run it with threads or asyncio; the task flows of
`_task_flows` do the actual requests.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from langchain_hiapi._concurrent import Emit, Finished, Next, Scheduler, Spawn
from langchain_hiapi._flows import Notify, Now
from langchain_hiapi._manifest import Record
from langchain_hiapi._task_flows import (
    DEFAULT_MAX_DOWNLOAD_BYTES,
    LIST_PAGE_SIZE,
    MAX_POLL_FAILURES,
    RATE_LIMITED_MIN,
    CreateRequest,
    build_create,
    create_flow,
    download_flow,
    poll_many_flow,
)
from langchain_hiapi._task_records import Task
from langchain_hiapi.errors import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    TaskFailedError,
    TaskInputError,
    TaskWaitTimeout,
)

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_MAX_POLL_INTERVAL",
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_TASK_TIMEOUT",
    "BulkItem",
    "BulkResult",
    "BulkSettings",
    "ItemState",
    "PlannedItem",
    "bulk_scheduler",
    "idempotency_key",
    "job_id_for",
    "plan_items",
    "resume",
]

DEFAULT_CONCURRENCY = 16
"""Items in progress at once (being created, running on HiAPI, or downloading)."""
DEFAULT_POLL_INTERVAL = 1.0
"""Seconds between polling rounds while tasks finish; the gap grows while none does."""
DEFAULT_MAX_POLL_INTERVAL = 10.0
"""Longest gap between polling rounds."""
DEFAULT_TASK_TIMEOUT = 1800.0
"""Seconds a task may run before its item is reported failed (the task is not cancelled:
a re-run polls it again)."""
POLL_BACKOFF = 1.5
"""Factor the polling gap grows by after a round in which no task ended."""
KEY_PREFIX = "lch-bulk-"

Phase = Literal["create", "poll", "done", "failed"]


@dataclass(frozen=True)
class BulkItem:
    """One item of a bulk job.

    Attributes:
        input: The model's input (e.g. `{"prompt": ..., "aspect_ratio": "16:9"}`).
        key: A name for the item, unique in the job (default: derived from the input).
    """

    input: Mapping[str, Any]
    key: str | None = None


@dataclass(frozen=True)
class PlannedItem:
    """An item, checked and ready to send.

    Attributes:
        index: Position in the job.
        key: Unique key in the job.
        input: The model input.
        body: The create body (model, input, route, storage).
        digest: Digest of the body: a changed item is a new item.
    """

    index: int
    key: str
    input: Mapping[str, Any]
    body: Mapping[str, Any]
    digest: str


@dataclass(frozen=True)
class BulkResult:
    """How an item of a bulk job ended.

    Attributes:
        key: The item's key.
        index: Its position in the job.
        ok: Whether its outputs were saved.
        status: `done` or `failed`.
        task_id: The task, if one was created.
        paths: The saved outputs.
        error: Why it failed (a message).
        error_type: The failure's exception class name.
        skipped: It ended in an earlier run (read from the manifest; nothing was sent).
        input: The item's model input.
    """

    key: str
    index: int
    status: Literal["done", "failed"]
    task_id: str | None = None
    paths: tuple[Path, ...] = ()
    error: str | None = None
    error_type: str | None = None
    skipped: bool = False
    input: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        """Whether the item's outputs were saved."""
        return self.status == "done"


@dataclass
class ItemState:
    """What an item still needs, and where it is."""

    item: PlannedItem
    attempt: int
    idempotency_key: str
    phase: Phase
    task_id: str | None = None
    result: BulkResult | None = None  # for items that ended in an earlier run


@dataclass(frozen=True)
class BulkSettings:
    """How a bulk job runs.

    Attributes:
        job: The job id (part of every idempotency key).
        save_dir: Where outputs are saved.
        concurrency: Items in progress at once.
        poll_interval: Shortest gap between polling rounds.
        max_poll_interval: Longest gap.
        task_timeout: Seconds a task may run before its item is reported failed.
        max_download_bytes: Largest output accepted.
        page_size: List page size of the polling rounds.
    """

    job: str
    save_dir: Path
    concurrency: int = DEFAULT_CONCURRENCY
    poll_interval: float = DEFAULT_POLL_INTERVAL
    max_poll_interval: float = DEFAULT_MAX_POLL_INTERVAL
    task_timeout: float | None = DEFAULT_TASK_TIMEOUT
    max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES
    page_size: int = LIST_PAGE_SIZE

    def __post_init__(self) -> None:
        if isinstance(self.concurrency, bool) or not (
            isinstance(self.concurrency, int) and self.concurrency >= 1
        ):
            raise ValueError(f"concurrency must be an integer >= 1, got {self.concurrency!r}")
        if not (0 < self.poll_interval <= self.max_poll_interval < math.inf):
            raise ValueError(
                "poll intervals must satisfy 0 < poll_interval <= max_poll_interval, got "
                f"{self.poll_interval!r} and {self.max_poll_interval!r}"
            )
        if self.task_timeout is not None and not (0 < self.task_timeout < math.inf):
            raise ValueError(
                f"task_timeout must be a positive number of seconds or None, "
                f"got {self.task_timeout!r}"
            )


# ------------------------------------------------------------------------------ planning


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _as_item(item: Any, index: int) -> BulkItem:
    if isinstance(item, BulkItem):
        return item
    if isinstance(item, str):
        if not item.strip():
            raise ValueError(f"item {index}: the prompt is empty")
        return BulkItem({"prompt": item})
    if isinstance(item, Mapping):
        return BulkItem(dict(item))
    raise TypeError(
        f"item {index}: expected a prompt (str), an input dict or a BulkItem, "
        f"got {type(item).__name__}"
    )


def plan_items(
    items: Iterable[Any],
    *,
    model: str,
    route: str | None = None,
    storage: str | None = None,
    validate: bool = True,
) -> list[PlannedItem]:
    """Checks every item and gives it a key, before anything is sent.

    A prompt becomes `{"prompt": ...}`. The default key is a digest of the item's input
    (with `~2`, `~3`, ... for repeats of the same input, so a prompt listed twice makes two
    images), stable when other items are added, removed or reordered.

    Args:
        items: Prompts, input dicts or `BulkItem`s.
        model: The task model.
        route: Its route, if not the default.
        storage: `temp` or `persistent`.
        validate: Check each input against the model's documented schema.

    Returns:
        The planned items, in order.

    Raises:
        TaskInputError: An input breaks the model's schema (names the item).
        ValueError: An empty prompt, a bad key, or a key used twice.
        TypeError: An item of another type.
    """
    planned: list[PlannedItem] = []
    seen: dict[str, int] = {}
    repeats: dict[str, int] = {}
    for index, raw in enumerate(items):
        item = _as_item(raw, index)
        try:
            request = build_create(
                model, item.input, route=route, storage=storage, validate=validate
            )
        except TaskInputError as exc:
            raise TaskInputError(f"item {index}: {exc}") from None
        body = dict(request.body)
        digest = _digest(_canonical(body))
        if item.key is None:
            base = digest[:12]
            repeats[base] = repeats.get(base, 0) + 1
            key = base if repeats[base] == 1 else f"{base}~{repeats[base]}"
        else:
            key = item.key
            if not isinstance(key, str) or not key.strip() or len(key) > 200:
                raise ValueError(
                    f"item {index}: key must be a non-empty string of at most 200 characters"
                )
        if key in seen:
            raise ValueError(f"item {index}: key {key!r} is already used by item {seen[key]}")
        seen[key] = index
        planned.append(PlannedItem(index, key, dict(item.input), body, digest))
    return planned


def job_id_for(planned: Sequence[PlannedItem]) -> str:
    """A job id derived from the whole job (every item's key and body, in order)."""
    return "job-" + _digest(*(f"{p.key}\x1e{p.digest}" for p in planned))[:16]


def idempotency_key(job: str, item: PlannedItem, attempt: int) -> str:
    """The `Idempotency-Key` of an item's create: stable across runs, new per attempt."""
    return KEY_PREFIX + _digest(job, item.key, item.digest, str(attempt))[:48]


# ------------------------------------------------------------------------------ resuming


def resume(
    planned: Sequence[PlannedItem],
    records: Mapping[str, Record],
    *,
    job: str,
    retry_failed: bool = True,
) -> list[ItemState]:
    """What each item still needs, given the manifest of earlier runs.

    Done items are skipped. A task that was created is polled, not created again (also
    when its wait or download failed). A create whose outcome is unknown is sent again
    with the same key, so HiAPI answers with the task it may have created. An item that
    failed for good (the task failed, or the create was refused) gets a new attempt with a
    new key when `retry_failed`, and is reported failed again otherwise.

    Args:
        planned: The job's items.
        records: The manifest's last record per key (this job's only).
        job: The job id.
        retry_failed: Try definite failures again.

    Returns:
        One state per item, in order.
    """
    states: list[ItemState] = []
    for item in planned:
        record = records.get(item.key)
        if record is None or record.digest != item.digest:
            states.append(ItemState(item, 0, idempotency_key(job, item, 0), "create"))
            continue
        same = ItemState(item, record.attempt, record.idempotency_key, "create")
        if record.status == "done":
            same.phase = "done"
            same.task_id = record.task_id
            same.result = BulkResult(
                item.key,
                item.index,
                "done",
                record.task_id,
                tuple(Path(p) for p in record.paths),
                skipped=True,
                input=item.input,
            )
        elif record.status == "submitting" or (
            record.status == "failed" and record.stage == "create" and record.retry_same_key
        ):
            pass  # send the same create again: the server replays it if it was created
        elif record.task_id is not None and not (
            record.status == "failed" and record.error_type == TaskFailedError.__name__
        ):
            same.phase = "poll"
            same.task_id = record.task_id
        elif retry_failed:
            attempt = record.attempt + 1
            same = ItemState(item, attempt, idempotency_key(job, item, attempt), "create")
        else:
            same.phase = "failed"
            same.task_id = record.task_id
            same.result = BulkResult(
                item.key,
                item.index,
                "failed",
                record.task_id,
                error=record.error,
                error_type=record.error_type,
                skipped=True,
                input=item.input,
            )
        states.append(same)
    return states


# ------------------------------------------------------------------------------ scheduling

# The key, the bills and the rate limit are the account's: stop the job, a re-run resumes.
_FATAL = (AuthenticationError, PermissionDeniedError, RateLimitError, NotFoundError)
# Statuses after which the create may still go through: a timeout, a key still in flight.
_MAYBE_CREATED = frozenset({408, 409})


def _maybe_created(error: BaseException) -> bool:
    """Whether a failed create may have created (and billed) a task anyway.

    A 4xx refusal created nothing, so a later attempt may use a new key. A lost connection,
    a 5xx after the client's retries, a 408/409 or an unusable 2xx reply may have: a re-run
    must send the same key, for HiAPI to answer with that task.
    """
    if isinstance(error, TaskInputError):
        return False
    if isinstance(error, APIStatusError) and error.status_code is not None:
        return not (400 <= error.status_code < 500) or error.status_code in _MAYBE_CREATED
    return True


def _failure(error: BaseException) -> dict[str, Any]:
    return {"error": " ".join(str(error).split())[:2000], "error_type": type(error).__name__}


class _Poller:
    """When the next polling round is due, and how far apart rounds are."""

    def __init__(self, minimum: float, maximum: float) -> None:
        self.minimum = minimum
        self.maximum = maximum
        self.interval = minimum
        self.due: float | None = None
        self.busy = False
        self.failures = 0

    def schedule_first(self, now: float) -> None:
        if self.due is None:
            self.due = now + self.minimum

    def after(self, now: float, *, progress: bool) -> None:
        # Tasks ending: keep up with them; nothing ending: back off (long videos).
        self.interval = (
            self.minimum if progress else min(self.interval * POLL_BACKOFF, self.maximum)
        )
        self.due = now + self.interval

    def throttled(self, now: float) -> None:
        self.interval = min(max(self.interval * 2, RATE_LIMITED_MIN), max(self.maximum, 1.0))
        self.due = now + self.interval


class _BulkRun:
    """The state of one run of a bulk job; `run` is the scheduler."""

    def __init__(
        self,
        states: Sequence[ItemState],
        settings: BulkSettings,
        record: Callable[[Record], Any],
    ) -> None:
        self.states = states
        self.settings = settings
        self.record = record
        self.to_create: deque[ItemState] = deque()
        self.running: dict[str, ItemState] = {}  # by task id
        self.started_at: dict[str, float] = {}
        self.latest: dict[str, Task] = {}
        self.detail_only: set[str] = set()
        self.active = 0  # items being created, running or downloading
        self.poller = _Poller(settings.poll_interval, settings.max_poll_interval)

    # -- records and results -----------------------------------------------------------

    def _entry(self, state: ItemState, status: str, **fields: Any) -> Record:
        item = state.item
        return Record(
            job=self.settings.job,
            key=item.key,
            index=item.index,
            digest=item.digest,
            attempt=state.attempt,
            idempotency_key=state.idempotency_key,
            status=status,  # type: ignore[arg-type]
            task_id=state.task_id,
            **fields,
        )

    def _end(self, state: ItemState, entry: Record, result: BulkResult) -> Scheduler:
        self.active -= 1
        state.phase = "done" if result.ok else "failed"
        yield Notify(self.record, entry)
        yield Emit(result)

    def _fail(self, state: ItemState, error: BaseException, stage: str, **fields: Any) -> Scheduler:
        failure = _failure(error)
        entry = self._entry(state, "failed", stage=stage, **failure, **fields)
        item = state.item
        result = BulkResult(
            item.key, item.index, "failed", state.task_id, input=item.input, **failure
        )
        yield from self._end(state, entry, result)

    # -- the loop -------------------------------------------------------------------------

    def run(self) -> Scheduler:
        for state in self.states:
            if state.result is not None:
                yield Emit(state.result)
            elif state.phase == "poll":
                assert state.task_id is not None  # noqa: S101 - resume sets both together
                self.running[state.task_id] = state
                self.active += 1
            else:
                self.to_create.append(state)
        now: float = yield Now()
        for task_id in self.running:
            self.started_at[task_id] = now
            self.poller.due = now  # resumed tasks: see where they are at once
        while self.to_create or self.active:
            yield from self._start_creates()
            now = yield Now()
            poller = self.poller
            if self.running and not poller.busy and poller.due is not None and now >= poller.due:
                poller.busy = True
                pending = list(self.running)
                flow = poll_many_flow(
                    pending, self.latest, self.detail_only, self.settings.page_size
                )
                yield Spawn(("poll", None), flow)
            wait = None
            if self.running and not poller.busy and poller.due is not None:
                wait = max(poller.due - now, 0.0)
            if self.settings.task_timeout is not None and self.started_at:
                deadline = min(self.started_at.values()) + self.settings.task_timeout
                wait = max(deadline - now, 0.0) if wait is None else min(wait, deadline - now)
            outcome: Finished | None = yield Next(wait)
            now = yield Now()
            if outcome is not None:
                kind: str = outcome.tag[0]
                item_state: ItemState = outcome.tag[1]
                if kind == "create":
                    yield from self._created(item_state, outcome, now)
                elif kind == "poll":
                    yield from self._polled(outcome, now)
                else:
                    yield from self._downloaded(item_state, outcome)
            yield from self._time_out(now)

    def _start_creates(self) -> Scheduler:
        while self.to_create and self.active < self.settings.concurrency:
            state = self.to_create.popleft()
            self.active += 1
            # Recorded before it is sent: a crash now leaves the key in the manifest.
            yield Notify(self.record, self._entry(state, "submitting"))
            request = CreateRequest(state.item.body, state.idempotency_key)
            yield Spawn(("create", state), create_flow(request))

    def _created(self, state: ItemState, outcome: Finished, now: float) -> Scheduler:
        error = outcome.error
        if error is None:
            task: Task = outcome.value
            state.task_id = task.id
            state.phase = "poll"
            self.running[task.id] = state
            self.started_at[task.id] = now
            self.poller.schedule_first(now)
            yield Notify(self.record, self._entry(state, "running"))
            return
        if isinstance(error, _FATAL):
            raise error
        yield from self._fail(state, error, "create", retry_same_key=_maybe_created(error))

    def _polled(self, outcome: Finished, now: float) -> Scheduler:
        poller = self.poller
        poller.busy = False
        error = outcome.error
        if error is not None:
            if isinstance(error, RateLimitError):
                poller.throttled(now)
                return
            if isinstance(error, _FATAL):
                raise error
            if isinstance(error, (InternalServerError, APIConnectionError)):
                poller.failures += 1
                if poller.failures > MAX_POLL_FAILURES:
                    raise error
                poller.after(now, progress=False)
                return
            raise error
        poller.failures = 0
        progress = False
        polled: dict[str, Task] = outcome.value
        for task_id, task in polled.items():
            self.latest[task_id] = task
            state = self.running.get(task_id)
            if state is None or not task.is_terminal:
                continue
            progress = True
            del self.running[task_id]
            self.started_at.pop(task_id, None)
            if task.succeeded:
                flow = download_flow(
                    task,
                    self.settings.save_dir,
                    max_bytes=self.settings.max_download_bytes,
                    name=state.item.key,
                )
                yield Spawn(("download", state), flow)
            else:
                yield from self._fail(state, TaskFailedError(task), "wait")
        poller.after(now, progress=progress)

    def _downloaded(self, state: ItemState, outcome: Finished) -> Scheduler:
        if outcome.error is not None:
            if isinstance(outcome.error, _FATAL):
                raise outcome.error
            yield from self._fail(state, outcome.error, "download")
            return
        paths = tuple(Path(p) for p in outcome.value)
        entry = self._entry(state, "done", paths=tuple(str(p) for p in paths))
        item = state.item
        result = BulkResult(item.key, item.index, "done", state.task_id, paths, input=item.input)
        yield from self._end(state, entry, result)

    def _time_out(self, now: float) -> Scheduler:
        timeout = self.settings.task_timeout
        if timeout is None:
            return
        for task_id, since in list(self.started_at.items()):
            if now - since < timeout:
                continue
            state = self.running.pop(task_id)
            del self.started_at[task_id]
            error = TaskWaitTimeout(task_id, task=self.latest.get(task_id), waited=now - since)
            yield from self._fail(state, error, "wait")


def bulk_scheduler(
    states: Sequence[ItemState],
    settings: BulkSettings,
    record: Callable[[Record], Any],
) -> Scheduler:
    """The bulk job: create, poll, download, record, emit (see the module docstring).

    Args:
        states: What each item needs (`resume`).
        settings: How the job runs.
        record: Appends a record to the manifest (run as a `Notify` step).

    Returns:
        The scheduler; its `Emit`s carry one `BulkResult` per item, as items end.

    Raises:
        AuthenticationError, PermissionDeniedError, RateLimitError, NotFoundError: The key,
            the account or the rate limit stop the whole job (a re-run resumes it).
        HiAPIError: Polling failed `MAX_POLL_FAILURES` rounds in a row.
    """
    return _BulkRun(states, settings, record).run()
