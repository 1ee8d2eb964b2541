"""The bulk job's JSONL manifest: append, read back, torn lines, other jobs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from langchain_hiapi._manifest import Manifest, Record


def record(key: str = "k1", status: str = "submitting", job: str = "job-a", **kw: object) -> Record:
    fields: dict[str, object] = {
        "job": job,
        "key": key,
        "index": 0,
        "digest": "d" * 64,
        "attempt": 0,
        "idempotency_key": "lch-bulk-123",
        "status": status,
    }
    fields.update(kw)
    return Record(**fields)  # type: ignore[arg-type]


def test_round_trip_and_last_record_wins(tmp_path: Path) -> None:
    book = Manifest(tmp_path / "sub" / "manifest.jsonl")
    book.append(record())
    book.append(record(status="running", task_id="tk-1"))
    done = record(status="done", task_id="tk-1", paths=("out/k1-image.png",))
    book.append(done)
    book.append(record("k2", stage="create", status="failed", retry_same_key=True, error="x"))
    book.close()
    loaded = Manifest(book.path).load("job-a")
    assert loaded["k1"] == done
    assert loaded["k2"].retry_same_key is True and loaded["k2"].stage == "create"
    lines = book.path.read_text().splitlines()
    assert len(lines) == 4
    assert json.loads(lines[0]) == {
        "job": "job-a",
        "key": "k1",
        "index": 0,
        "digest": "d" * 64,
        "attempt": 0,
        "idempotency_key": "lch-bulk-123",
        "status": "submitting",
    }


def test_missing_file_is_an_empty_manifest(tmp_path: Path) -> None:
    assert Manifest(tmp_path / "none.jsonl").load("job-a") == {}


def test_torn_and_foreign_lines_are_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "manifest.jsonl"
    good = json.dumps(record().to_json())
    other_job = json.dumps(record("k9", job="job-b").to_json())
    bad_status = json.dumps({**record().to_json(), "status": "exploded"})
    path.write_text(f"{good}\n{other_job}\n[1, 2]\n{bad_status}\n\n" + good[:30])
    with caplog.at_level(logging.WARNING, logger="langchain_hiapi"):
        loaded = Manifest(path).load("job-a")
    assert list(loaded) == ["k1"]
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 3
    assert any("line 6" in m for m in warned)  # the torn last line
    assert any("exploded" in m for m in warned)
    assert Manifest(path).load("job-b")["k9"].key == "k9"


def test_appending_resumes_after_existing_lines(tmp_path: Path) -> None:
    path = tmp_path / "manifest.jsonl"
    first = Manifest(path)
    first.append(record())
    first.close()
    book = Manifest(path)
    book.append(record(status="running", task_id="tk-2"))
    book.close()
    assert Manifest(path).load("job-a")["k1"].task_id == "tk-2"
    assert len(path.read_text().splitlines()) == 2
