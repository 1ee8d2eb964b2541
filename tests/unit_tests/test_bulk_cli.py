"""The bulk command line's pure parts: job files, shards, the progress display."""

from __future__ import annotations

import importlib
import io
from types import ModuleType

import pytest

from langchain_hiapi._bulk_cli import _Progress, parse_jobfile, parse_shard
from langchain_hiapi._bulk_plan import BulkItem, BulkResult


def test_job_file_lines_become_items() -> None:
    text = '"a fox"\n\n{"prompt": "a heron", "aspect_ratio": "16:9"}\n'
    text += '{"key": "boat", "input": {"prompt": "a boat"}}\n'
    assert parse_jobfile(text) == [
        BulkItem({"prompt": "a fox"}),
        BulkItem({"prompt": "a heron", "aspect_ratio": "16:9"}),
        BulkItem({"prompt": "a boat"}, "boat"),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "jobs.jsonl line 1: not JSON"),
        ("[1, 2]", "line 1: expected a prompt string or an object, got list"),
        ('{"input": {"prompt": "x"}, "model": "m"}', "unknown fields ['model'] next to 'input'"),
        ('{"key": 3, "input": {"prompt": "x"}}', "'key' must be a string"),
    ],
)
def test_bad_job_file_lines_are_named(line: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_jobfile(line, "jobs.jsonl")


def test_shards() -> None:
    assert parse_shard("0/4") == (0, 4)
    assert parse_shard("3/4") == (3, 4)
    for bad in ("4/4", "-1/2", "1", "a/b", "1/0"):
        with pytest.raises(ValueError, match="I/N"):
            parse_shard(bad)


def result(ok: bool) -> BulkResult:
    return BulkResult("k", 0, "done" if ok else "failed")


def test_plain_counter_without_tqdm(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def no_tqdm(name: str, package: str | None = None) -> ModuleType:
        if name == "tqdm":
            raise ImportError("no tqdm here")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", no_tqdm)
    stream = io.StringIO()
    progress = _Progress(2, stream, quiet=False)
    progress.update(result(True), failed=0)
    progress.update(result(False), failed=1)
    progress.close()
    assert stream.getvalue() == "\r1/2 items, 0 failed\r2/2 items, 1 failed\n"


def test_tqdm_bar_when_installed() -> None:
    # tqdm comes with the `examples` extra, which the test command installs.
    import tqdm  # noqa: F401

    stream = io.StringIO()
    progress = _Progress(2, stream, quiet=False)
    progress.update(result(True), failed=0)
    progress.update(result(True), failed=0)
    progress.close()
    assert "2/2" in stream.getvalue()


def test_quiet_shows_nothing() -> None:
    stream = io.StringIO()
    progress = _Progress(1, stream, quiet=True)
    progress.update(result(True), failed=0)
    progress.close()
    assert stream.getvalue() == ""
