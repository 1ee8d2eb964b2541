"""The JSONL manifest of a bulk job: one record per line, appended as items progress.

Append-only, so a crash loses at most the line being written (a torn last line is skipped
with a warning when read back). The last record of an item wins. Records carry the job id:
records of another job in the same file are ignored.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

__all__ = [
    "STATUSES",
    "Manifest",
    "Record",
    "Status",
]

logger = logging.getLogger("langchain_hiapi")

Status = Literal["submitting", "running", "done", "failed"]
STATUSES: tuple[Status, ...] = ("submitting", "running", "done", "failed")
Stage = Literal["create", "wait", "download"]
_STAGES = ("create", "wait", "download")


@dataclass(frozen=True)
class Record:
    """What the manifest knows about one item.

    Attributes:
        job: The job id.
        key: The item's key (unique in the job).
        index: The item's position in the job.
        digest: Digest of the item's create body (a changed item is a new item).
        attempt: Attempt number (a new attempt after a definite failure gets a new key).
        idempotency_key: The `Idempotency-Key` of this attempt's create.
        status: `submitting` (create sent, outcome unknown), `running` (task created),
            `done` (outputs saved) or `failed`.
        task_id: The task, once created.
        paths: Saved output files (`done`).
        stage: Where a failure happened: `create`, `wait` or `download`.
        retry_same_key: A failed create whose outcome is unknown (lost connection, 5xx):
            the server may have created the task, so a re-run must reuse the key.
        error: The failure's message.
        error_type: The failure's exception class name.
    """

    job: str
    key: str
    index: int
    digest: str
    attempt: int
    idempotency_key: str
    status: Status
    task_id: str | None = None
    paths: Sequence[str] = field(default_factory=tuple)
    stage: Stage | None = None
    retry_same_key: bool = False
    error: str | None = None
    error_type: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The record as a JSON object (empty optional fields left out)."""
        out: dict[str, Any] = {
            "job": self.job,
            "key": self.key,
            "index": self.index,
            "digest": self.digest,
            "attempt": self.attempt,
            "idempotency_key": self.idempotency_key,
            "status": self.status,
        }
        optional = {
            "task_id": self.task_id,
            "paths": list(self.paths) or None,
            "stage": self.stage,
            "retry_same_key": self.retry_same_key or None,
            "error": self.error,
            "error_type": self.error_type,
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Record:
        """Parses a record.

        Raises:
            ValueError: A field is missing or has the wrong type.
        """
        try:
            status = data["status"]
            stage = data.get("stage")
            paths = data.get("paths") or []
            record = cls(
                job=_str(data["job"]),
                key=_str(data["key"]),
                index=_int(data["index"]),
                digest=_str(data["digest"]),
                attempt=_int(data["attempt"]),
                idempotency_key=_str(data["idempotency_key"]),
                status=status,
                task_id=None if data.get("task_id") is None else _str(data["task_id"]),
                paths=tuple(_str(p) for p in paths),
                stage=stage,
                retry_same_key=bool(data.get("retry_same_key", False)),
                error=None if data.get("error") is None else str(data["error"]),
                error_type=None if data.get("error_type") is None else str(data["error_type"]),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a manifest record: {exc}") from None
        if status not in STATUSES or (stage is not None and stage not in _STAGES):
            raise ValueError(f"not a manifest record: status {status!r}, stage {stage!r}")
        return record


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


class Manifest:
    """A bulk job's manifest file.

    Args:
        path: The JSONL file (created on the first append; its directory too).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._file: IO[str] | None = None

    def __repr__(self) -> str:
        return f"Manifest({str(self.path)!r})"

    def _lines(self) -> Iterator[tuple[int, str]]:
        try:
            with self.path.open(encoding="utf-8", errors="replace") as file:
                yield from enumerate(file, start=1)
        except FileNotFoundError:
            return

    def load(self, job: str) -> dict[str, Record]:
        """The last record of each item of `job` (an empty dict for a new manifest).

        Unreadable lines (a line torn by a crash) are skipped with a warning.
        """
        records: dict[str, Record] = {}
        for number, line in self._lines():
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if not isinstance(data, dict):
                    raise ValueError("not an object")
                record = Record.from_json(data)
            except ValueError as exc:
                logger.warning("%s line %d skipped: %s", self.path, number, exc)
                continue
            if record.job == job:
                records[record.key] = record
        return records

    def append(self, record: Record) -> None:
        """Appends a record and flushes it to the operating system."""
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", encoding="utf-8")
        self._file.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
        self._file.flush()

    def close(self) -> None:
        """Closes the file (appending again reopens it)."""
        file, self._file = self._file, None
        if file is not None:
            file.close()
