"""One emulated task as stored: its outputs, its detail object and its id."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from langchain_hiapi.testing._task_models import TaskModel

TASK_FILES = "/files/tasks/"
ID_PREFIX = "tk-hiapi-"
FAILURE_MESSAGE = "upstream rejected the prompt"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass(frozen=True)
class Output:
    """One output file of a finished task: its name, its `type` on the wire, its MIME type."""

    name: str
    type: str
    content_type: str


@dataclass
class Task:
    """A task as the store keeps it (`seq` orders the list page; `polls` counts looks)."""

    id: str
    account: str
    model: str
    spec: TaskModel
    route: str | None
    storage: str
    input: dict[str, Any]
    callback_url: str | None
    fail: bool
    created_at: float
    seq: int
    polls: int = 0
    status: str = "queued"
    completed: int = 0
    ended_at: float | None = None  # when it ended, on the task clock
    seen_ended: bool = False

    def outputs(self) -> list[Output]:
        """The files a successful task serves, by its model's kind."""
        kind = self.spec.kind
        if kind == "video":
            out = [Output("0.mp4", "video", "video/mp4")]
            if self.spec.first_frame:
                out.append(Output("first_frame.png", "first_frame", "image/png"))
            if self.input.get("return_last_frame") is True:
                out.append(Output("last_frame.png", "last_frame", "image/png"))
            return out
        if kind == "audio":
            return [Output("0.wav", "audio", "audio/wav")]
        return [Output("0.png", "image", "image/png")]

    def expire_at(self, ttl: float) -> int | None:
        """When output URLs stop working (Unix seconds); None for persistent storage."""
        return None if self.storage == "persistent" else self.completed + int(ttl)

    def detail(self, origin: str, ttl: float) -> dict[str, Any]:
        """The task detail object (`data` of `GET /v1/tasks/:id`, and a callback's body)."""
        body: dict[str, Any] = {
            "taskId": self.id,
            "model": self.model,
            "status": self.status,
            "created": int(self.created_at),
            "completed": self.completed,
        }
        if self.status == "success":
            expire_at = self.expire_at(ttl)
            items = []
            for output in self.outputs():
                item: dict[str, Any] = {
                    "url": f"{origin}{TASK_FILES}{self.id}/{output.name}",
                    "type": output.type,
                }
                if expire_at is not None:
                    item["expireAt"] = expire_at
                items.append(item)
            body["output"] = items
        elif self.status == "fail":
            body["error"] = {"code": "TASK_FAILED", "message": FAILURE_MESSAGE}
        body["storage"] = self.storage
        if self.route is not None:
            body["route"] = self.route
        return body


@dataclass
class KeyEntry:
    """An `Idempotency-Key` seen: the body it came with, and its task once created."""

    body_hash: str
    first_seen: float
    ready_at: float
    task_id: str | None = None


def new_task_id(now: float) -> str:
    """`tk-hiapi-` + a ULID: 48-bit milliseconds and 80 random bits, Crockford base32."""
    value = ((int(now * 1000) & (2**48 - 1)) << 80) | secrets.randbits(80)
    chars = [_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5)]
    return ID_PREFIX + "".join(chars)
