"""Bulk jobs end to end against the emulator: resume, rate limits, the command line, and a
job killed mid-run then re-run that creates (and bills) no task twice.

Tasks run on the emulator's wall clock (seconds mode, well under a second each), so these
tests wait for real; the few seconds each takes are the job itself, never a sleep.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from langchain_hiapi._bulk_cli import main
from langchain_hiapi.bulk import BulkResult, agenerate_many, generate_many
from langchain_hiapi.errors import AuthenticationError
from langchain_hiapi.testing import HiAPIEmulator, RateLimits, Reply, TaskTiming

MODEL = "Nano-Banana"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def task_emu() -> Iterator[HiAPIEmulator]:
    timing = TaskTiming(queued=0, handling=0.3, archiving=0, unit="seconds", spread=0.4)
    limits = RateLimits(create_per_s=20, poll_per_s=10)
    with HiAPIEmulator(task_timing=timing, rate_limits=limits) as emulator:
        yield emulator


def connection(emu: HiAPIEmulator) -> dict[str, Any]:
    return {"api_key": emu.api_key, "base_url": emu.base_url, "poll_interval": 0.2}


def manifest_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


def run_job(mode: str, items: list[Any], out: Path, emu: HiAPIEmulator, **kw: Any) -> list[Any]:
    if mode == "sync":
        with generate_many(items, model=MODEL, save_dir=out, **connection(emu), **kw) as run:
            return list(run)

    async def collect() -> list[BulkResult]:
        async with agenerate_many(items, model=MODEL, save_dir=out, **connection(emu), **kw) as run:
            return [result async for result in run]

    return asyncio.run(collect())


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_job_saves_every_output_and_a_rerun_sends_no_create(
    mode: str, task_emu: HiAPIEmulator, tmp_path: Path
) -> None:
    prompts = [f"a paper boat number {n}" for n in range(12)]
    results = run_job(mode, prompts, tmp_path, task_emu, concurrency=6)
    assert len(results) == 12 and all(r.ok for r in results)
    for result in results:
        (path,) = result.paths
        assert path.parent == tmp_path and path.read_bytes().startswith(b"\x89PNG")
        assert path.name.startswith(result.key)
    stats = task_emu.task_stats()
    assert stats.tasks_created == 12
    # Twelve running tasks are read a list page at a time, not polled one by one.
    assert stats.detail_requests == 0
    assert stats.list_requests < 40
    records = manifest_lines(tmp_path / "manifest.jsonl")
    assert {r["status"] for r in records} == {"submitting", "running", "done"}
    again = run_job(mode, prompts, tmp_path, task_emu, concurrency=6)
    assert all(r.ok and r.skipped for r in again)
    assert task_emu.task_stats().create_requests == stats.create_requests


def test_failed_items_are_reported_and_retried_with_a_new_key(
    task_emu: HiAPIEmulator, tmp_path: Path
) -> None:
    prompts = ["a cat", "a dog [fail]"]
    first = {r.input["prompt"]: r for r in run_job("sync", prompts, tmp_path, task_emu)}
    assert first["a cat"].ok
    failed = first["a dog [fail]"]
    assert not failed.ok and failed.error_type == "TaskFailedError"
    assert "upstream rejected the prompt" in (failed.error or "")
    second = {r.input["prompt"]: r for r in run_job("sync", prompts, tmp_path, task_emu)}
    assert second["a cat"].skipped
    assert not second["a dog [fail]"].skipped  # tried again, and it fails again
    assert second["a dog [fail]"].task_id != failed.task_id
    keys = task_emu.task_stats().tasks_per_idempotency_key
    assert sorted(keys.values()) == [1, 1, 1]


def test_the_rate_limiter_keeps_a_limited_job_from_failing(tmp_path: Path) -> None:
    timing = TaskTiming(queued=0, handling=0.2, archiving=0, unit="seconds")
    limits = RateLimits(create_per_s=8, poll_per_s=4)
    with HiAPIEmulator(api_key="bulk-limited-key", task_timing=timing, rate_limits=limits) as emu:
        results = run_job("async", [f"fox {n}" for n in range(24)], tmp_path, emu, concurrency=24)
        assert all(r.ok for r in results)
        stats = emu.task_stats()
        assert stats.tasks_created == 24
        # A few 429s teach the limiter the rate; most requests go through.
        requests = stats.create_requests + stats.rate_limited_creates + stats.poll_requests
        limited = stats.rate_limited_creates + stats.rate_limited_polls
        assert limited <= 0.25 * requests


def test_a_bad_key_stops_the_job_before_anything_is_created(
    task_emu: HiAPIEmulator, tmp_path: Path
) -> None:
    run = generate_many(
        ["a cat"], model=MODEL, save_dir=tmp_path, api_key="wrong", base_url=task_emu.base_url
    )
    with pytest.raises(AuthenticationError):
        list(run)
    assert task_emu.task_stats().tasks_created == 0
    # The item stays 'submitting': a re-run with the right key resumes it.
    (record,) = manifest_lines(tmp_path / "manifest.jsonl")
    assert record["status"] == "submitting"


# -- the command line -------------------------------------------------------------------------


def cli(emu: HiAPIEmulator, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "langchain_hiapi.bulk", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
        env=cli_env(emu),
    )


def cli_env(emu: HiAPIEmulator) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HIAPI_", "LANGSMITH_"))}
    env.update(HIAPI_API_KEY=emu.api_key, HIAPI_BASE_URL=emu.base_url, PYTHONPATH=str(ROOT))
    return env


def test_cli_runs_a_job_file_and_exits_1_when_an_item_failed(
    task_emu: HiAPIEmulator, tmp_path: Path
) -> None:
    jobfile = tmp_path / "prompts.jsonl"
    lines = ['"a red fox"', '{"prompt": "a heron", "aspect_ratio": "16:9"}']
    lines += ['{"key": "boat", "input": {"prompt": "a boat [fail]"}}', ""]
    jobfile.write_text("\n".join(lines))
    out = tmp_path / "out"
    done = cli(task_emu, str(jobfile), "--model", MODEL, "--out", str(out), "--quiet")
    assert done.returncode == 1, done.stderr
    assert "done 2, failed 1, 429s seen" in done.stdout
    assert "failed: boat (item 2)" in done.stderr
    assert len(list(out.glob("*.png"))) == 2


def in_process_cli(emu: HiAPIEmulator, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """The command line's `main`, run in this process (no interpreter start-up)."""
    monkeypatch.setenv("HIAPI_API_KEY", emu.api_key)
    monkeypatch.setenv("HIAPI_BASE_URL", emu.base_url)
    return main(list(args))


def test_cli_refuses_bad_input_before_any_request(
    task_emu: HiAPIEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    jobfile = tmp_path / "prompts.jsonl"
    jobfile.write_text('"fine"\n{"prompt": "x", "aspect_ratio": "5:1"}\n')
    out = str(tmp_path / "o")
    assert in_process_cli(task_emu, monkeypatch, str(jobfile), "--model", MODEL, "--out", out) == 2
    err = capsys.readouterr().err
    assert "item 1" in err and "aspect_ratio" in err
    jobfile.write_text("not json\n")
    assert in_process_cli(task_emu, monkeypatch, str(jobfile), "--model", MODEL, "--out", out) == 2
    assert "line 1: not JSON" in capsys.readouterr().err
    assert task_emu.task_stats().create_requests == 0


def test_cli_shards_split_one_job_and_agree_on_keys(
    task_emu: HiAPIEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobfile = tmp_path / "prompts.jsonl"
    # A prompt listed twice must still make two images when the copies land in two shards.
    prompts = [f"a kite {n}" for n in range(5)] + ["a kite 0"]
    jobfile.write_text("\n".join(json.dumps(p) for p in prompts) + "\n")
    out = tmp_path / "out"
    for shard in ("0/2", "1/2", "0/2"):  # the last one re-runs a finished shard
        manifest = str(tmp_path / f"manifest-{shard[0]}.jsonl")
        args = [str(jobfile), "--model", MODEL, "--out", str(out), "--shard", shard]
        status = in_process_cli(task_emu, monkeypatch, *args, "--manifest", manifest, "--quiet")
        assert status == 0
    assert task_emu.task_stats().tasks_created == 6
    assert len(list(out.glob("*.png"))) == 6


# -- kill and re-run ----------------------------------------------------------------------------


def test_a_job_killed_mid_run_resumes_without_creating_any_task_twice(tmp_path: Path) -> None:
    timing = TaskTiming(queued=0, handling=1.0, archiving=0, unit="seconds", spread=1.0)
    limits = RateLimits(create_per_s=6, poll_per_s=6)
    with HiAPIEmulator(task_timing=timing, rate_limits=limits) as emu:
        # The first create stays in flight for a while: the kill lands while the server is
        # still creating that task, which the re-run's identical create must not bill again.
        emu.queue(Reply(create_delay=3.0))
        items = 16
        jobfile = tmp_path / "prompts.jsonl"
        jobfile.write_text("\n".join(json.dumps(f"a lantern {n}") for n in range(items)))
        out = tmp_path / "out"
        manifest = out / "manifest.jsonl"
        args = [sys.executable, "-m", "langchain_hiapi.bulk", str(jobfile)]
        args += ["--model", MODEL, "--out", str(out), "--concurrency", "8", "--quiet"]
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            args, env=cli_env(emu), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        try:
            deadline = time.monotonic() + 60
            while sum(r["status"] == "running" for r in manifest_lines(manifest)) < 4:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "the job never got going"
                time.sleep(0.02)  # waiting for the subprocess to get there, not for a race
        finally:
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=30)
        at_kill = {}
        for record in manifest_lines(manifest):
            at_kill[record["key"]] = record["status"]
        assert "submitting" in at_kill.values()  # a create in flight when it died
        assert sum(s == "done" for s in at_kill.values()) < items

        done = cli(emu, str(jobfile), "--model", MODEL, "--out", str(out), "--quiet")
        assert done.returncode == 0, done.stderr
        assert f"done {items}, failed 0" in done.stdout
        stats = emu.task_stats()
        assert stats.tasks_created == items  # zero duplicate task creations
        assert set(stats.tasks_per_idempotency_key.values()) == {1}
        assert stats.idempotent_replays >= 1  # the in-flight create, answered by the server
        assert len(list(out.glob("*.png"))) == items
