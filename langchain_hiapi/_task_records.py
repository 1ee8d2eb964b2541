"""Records of the task API (`Task`, `TaskOutput`, `TaskPage`) parsed leniently from the wire.

Parsing never drops anything: unknown fields stay in `raw`, an unknown status is a running
task, and the shapes other sources show (`id` instead of `taskId`, `succeeded`, ISO
`expireAt`) parse too. Public through `langchain_hiapi.tasks`.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "FAILED_STATUSES",
    "SUCCESS_STATUSES",
    "TERMINAL_STATUSES",
    "Task",
    "TaskOutput",
    "TaskPage",
    "parse_timestamp",
]

# The contract's rule table: `success`/`fail`, plus spellings other HiAPI clients accept.
SUCCESS_STATUSES = frozenset({"success", "succeeded", "completed"})
FAILED_STATUSES = frozenset({"fail", "failed", "error", "cancelled", "canceled"})
TERMINAL_STATUSES = SUCCESS_STATUSES | FAILED_STATUSES
# Where a list reply may put its array (HiAPI's SDKs look in this order).
_PAGE_KEYS = ("tasks", "items", "list", "data", "records")


def parse_timestamp(value: Any) -> int | None:
    """Unix seconds from an integer, a float, a numeric string or an ISO 8601 string.

    Args:
        value: The wire value.

    Returns:
        The time in whole seconds; `None` for `0` (HiAPI's "not yet"), missing or unusable
        values.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value <= 0:
            return None
        return int(value)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            return parse_timestamp(float(text))
        except ValueError:
            pass
        try:
            when = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
        return int(when.timestamp())
    return None


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class TaskOutput:
    """One output of a finished task: a temporary URL.

    Attributes:
        url: Where to download it (expires; see `expire_at`).
        type: `image`, `video`, `audio`, `first_frame`, `last_frame`, `thumbnail`, ...
        expire_at: When the URL stops working (Unix seconds), if reported.
        raw: The output object as received.
    """

    url: str
    type: str
    expire_at: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TaskOutput:
        """Parses one `output[]` item (`expireAt` as Unix seconds or ISO text)."""
        expire = data.get("expireAt", data.get("expire_at"))
        return cls(
            url=_text(data.get("url")) or "",
            type=_text(data.get("type")) or "",
            expire_at=parse_timestamp(expire),
            raw=dict(data),
        )


@dataclass(frozen=True)
class Task:
    """A task as the API reports it.

    Attributes:
        id: The task id (`tk-hiapi-...`).
        model: The model (`x@route` when created with a route).
        status: As sent: `queued`, `handling`, `archiving`, `success`, `fail`, or any other.
        created: Creation time (Unix seconds), if reported.
        completed: End time (Unix seconds); `None` while running (the API sends `0`).
        outputs: The outputs of a successful task.
        error_code: Why it failed (`error.code`), if it did.
        error_message: The failure's message (`error.message`).
        route: The route, when the task was created with one.
        storage: `temp` or `persistent`, if reported.
        idempotent_replay: True when `create` was answered from the idempotency cache (the
            task is the one an earlier request with the same key created).
        raw: The task object as received (fields this package does not know included).
    """

    id: str
    model: str = ""
    status: str = ""
    created: int | None = None
    completed: int | None = None
    outputs: list[TaskOutput] = field(default_factory=list)
    error_code: str | None = None
    error_message: str | None = None
    route: str | None = None
    storage: str | None = None
    idempotent_replay: bool = False
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_terminal(self) -> bool:
        """Whether the task has ended (success or failure); unknown statuses are running."""
        return self.status.strip().lower() in TERMINAL_STATUSES

    @property
    def succeeded(self) -> bool:
        """Whether the task ended successfully."""
        return self.status.strip().lower() in SUCCESS_STATUSES

    @property
    def failed(self) -> bool:
        """Whether the task ended without success (`fail`, `cancelled`, ...)."""
        return self.status.strip().lower() in FAILED_STATUSES

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, idempotent_replay: bool = False) -> Task:
        """Parses a task object (the `data` of `GET /v1/tasks/:id`, a list item, a callback).

        Args:
            data: The task object.
            idempotent_replay: Whether the reply carried `Idempotent-Replay: true`.

        Returns:
            The task; missing fields are `None`/empty, unknown ones stay in `raw`.
        """
        error = data.get("error")
        code: Any = None
        message: Any = None
        if isinstance(error, Mapping):
            code, message = error.get("code"), error.get("message")
        elif isinstance(error, str):
            message = error
        outputs = data.get("output")
        if outputs is None:
            outputs = data.get("outputs")
        return cls(
            id=_text(data.get("taskId") or data.get("task_id") or data.get("id")) or "",
            model=_text(data.get("model")) or "",
            status=_text(data.get("status")) or "",
            created=parse_timestamp(data.get("created")),
            completed=parse_timestamp(data.get("completed")),
            outputs=[
                TaskOutput.from_dict(item)
                for item in (outputs if isinstance(outputs, list) else [])
                if isinstance(item, Mapping)
            ],
            error_code=_text(code),
            error_message=_text(message),
            route=_text(data.get("route")),
            storage=_text(data.get("storage")),
            idempotent_replay=idempotent_replay,
            raw=dict(data),
        )


@dataclass(frozen=True)
class TaskPage:
    """One page of `GET /v1/tasks` (newest first).

    Attributes:
        tasks: The tasks on this page.
        total: How many tasks the account has, if reported.
        page: The page number, as reported (or as requested).
        size: The page size, as reported (or as requested).
        raw: The page object as received.
    """

    tasks: list[Task] = field(default_factory=list)
    total: int | None = None
    page: int | None = None
    size: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_data(cls, data: Any, *, page: int | None = None, size: int | None = None) -> TaskPage:
        """Parses the `data` of a list reply: an object holding the array, or the array.

        The array is looked for under `tasks`, then `items`, `list`, `data`, `records`.

        Args:
            data: The reply's `data`.
            page: The requested page (used when the reply does not say).
            size: The requested size (used when the reply does not say).

        Returns:
            The page.
        """
        items: Any = data if isinstance(data, list) else None
        raw: Mapping[str, Any] = {}
        if isinstance(data, Mapping):
            raw = dict(data)
            items = next((data[k] for k in _PAGE_KEYS if isinstance(data.get(k), list)), [])
        numbers = {k: raw.get(k) for k in ("total", "page", "size")}
        ints = {
            k: v if isinstance(v, int) and not isinstance(v, bool) else None
            for k, v in numbers.items()
        }
        return cls(
            tasks=[Task.from_dict(t) for t in items or [] if isinstance(t, Mapping)],
            total=ints["total"],
            page=ints["page"] if ints["page"] is not None else page,
            size=ints["size"] if ints["size"] is not None else size,
            raw=raw,
        )
