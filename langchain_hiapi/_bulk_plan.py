"""A bulk job's items and their state: plan the items, then resume from the manifest.

`plan_items` checks every item before anything is sent and gives each a stable key;
`resume` decides, from the manifest, what each item still needs. The scheduler that runs
the items is `_bulk_job.bulk_scheduler`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from langchain_hiapi._manifest import Record
from langchain_hiapi._task_flows import DEFAULT_MAX_DOWNLOAD_BYTES, LIST_PAGE_SIZE, build_create
from langchain_hiapi.errors import TaskFailedError, TaskInputError

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_MAX_POLL_INTERVAL",
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_TASK_TIMEOUT",
    "KEY_PREFIX",
    "POLL_BACKOFF",
    "BulkItem",
    "BulkResult",
    "BulkSettings",
    "ItemState",
    "Phase",
    "PlannedItem",
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


def _ended(state: ItemState, record: Record, **outcome: Any) -> None:
    """Marks an item as ended in an earlier run (`done` or `failed`, as its record says)."""
    status: Literal["done", "failed"] = "done" if record.status == "done" else "failed"
    item = state.item
    state.phase, state.task_id = status, record.task_id
    state.result = BulkResult(
        item.key, item.index, status, record.task_id, skipped=True, input=item.input, **outcome
    )


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
            _ended(same, record, paths=tuple(Path(p) for p in record.paths))
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
            _ended(same, record, error=record.error, error_type=record.error_type)
        states.append(same)
    return states
