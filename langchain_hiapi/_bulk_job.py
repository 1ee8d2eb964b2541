"""A resumable bulk generation job as I/O-free logic: the scheduler of its items.

`bulk_scheduler` is a `_concurrent` scheduler that creates tasks (each with an
`Idempotency-Key` derived from the job, the item and the attempt), polls them in rounds over
the list endpoint, downloads their outputs, records every step in the manifest and emits a
`BulkResult` per item as it ends. The drivers in `_concurrent` run it with threads or
asyncio; the task flows of `_task_flows` do the actual requests. The items and their state
(planning, resuming) are in `_bulk_plan`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from langchain_hiapi._bulk_plan import (
    POLL_BACKOFF,
    BulkResult,
    BulkSettings,
    ItemState,
)
from langchain_hiapi._concurrent import Emit, Finished, Next, Scheduler, Spawn
from langchain_hiapi._flows import Notify, Now
from langchain_hiapi._manifest import Record
from langchain_hiapi._task_flows import (
    MAX_POLL_FAILURES,
    RATE_LIMITED_MIN,
    CreateRequest,
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

__all__ = ["bulk_scheduler"]


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
