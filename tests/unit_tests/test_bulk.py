"""`generate_many`/`agenerate_many`: one parameter bundle, checked before anything is sent."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from langchain_hiapi.bulk import DEFAULT_CONCURRENCY, agenerate_many, generate_many

LOCAL = {"api_key": "sk-test", "base_url": "http://127.0.0.1:9/v1"}


def test_both_show_the_same_written_out_signature() -> None:
    sync = inspect.signature(generate_many).parameters
    assert list(sync)[:3] == ["items", "model", "save_dir"]
    assert sync["concurrency"].default == DEFAULT_CONCURRENCY
    assert sync["adaptive_rate_limit"].default is True
    assert sync == inspect.signature(agenerate_many).parameters


def test_unknown_keyword_is_refused_naming_the_function(tmp_path: Path) -> None:
    with pytest.raises(
        TypeError, match=r"generate_many\(\) got an unexpected keyword .*'concurency'"
    ):
        generate_many(["a"], model="Nano-Banana", save_dir=tmp_path, concurency=2, **LOCAL)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"agenerate_many\(\) got an unexpected keyword"):
        agenerate_many(["a"], model="Nano-Banana", save_dir=tmp_path, retries=2, **LOCAL)  # type: ignore[call-arg]
    assert not tmp_path.joinpath("manifest.jsonl").exists()


def test_run_repr_shows_the_job_and_its_counts(tmp_path: Path) -> None:
    with generate_many(
        ["a", "b"], model="Nano-Banana", save_dir=tmp_path, job_id="j1", **LOCAL
    ) as run:
        assert repr(run) == "BulkRun(job_id='j1', total=2, done=0, failed=0, skipped=0)"
