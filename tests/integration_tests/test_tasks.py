"""The task API on cassettes: create, get, wait, list, wait_many and download, sync and async.

An image model (Nano-Banana-Pro) and a video model (seedance-2.0). Polling is deterministic:
the emulator advances a task one stage per look, and the tests inject a no-op sleep, so
recording and replay send the same requests in the same order (`allow_playback_repeats`
off: repeated polls of one URL get the recorded states one after the other).

Re-record with `HIAPI_RECORD=1 python -m pytest tests/integration_tests/test_tasks.py`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from langchain_hiapi import (
    AsyncHiAPITasks,
    HiAPITasks,
    InvalidRequestError,
    Task,
    TaskFailedError,
)
from tests._support.cassettes import RECORDING_REAL
from tests._support.task_clients import call, close

pytestmark = pytest.mark.vcr

IMAGE = ("Nano-Banana-Pro", {"prompt": "a red fox in fresh snow", "resolution": "2K"})
VIDEO = ("seedance-2.0", {"prompt": "a paper boat drifting down a rainy street", "duration": 5})


@pytest.fixture(scope="module")
def vcr_config(vcr_config: dict[str, Any]) -> dict[str, Any]:
    return {**vcr_config, "allow_playback_repeats": False}


def no_sleep(seconds: float) -> None:
    """Replays and emulator recordings need no real pause between polls."""


async def ano_sleep(seconds: float) -> None:
    """Async `no_sleep`."""


def settings(mode: str) -> dict[str, Any]:
    # Key and base URL come from the environment (see conftest.py). Replays run long after
    # the recording: the outputs' recorded `expireAt` must not be judged by today's clock.
    if RECORDING_REAL:
        return {}
    return {"sleep": no_sleep if mode == "sync" else ano_sleep, "wall_clock": lambda: 0.0}


def client(mode: str) -> HiAPITasks | AsyncHiAPITasks:
    return HiAPITasks(**settings(mode)) if mode == "sync" else AsyncHiAPITasks(**settings(mode))


def check_files(paths: list[Path], task: Task) -> None:
    assert paths
    for path in paths:
        assert path.name.startswith(task.id)
        data = path.read_bytes()
        if path.suffix == ".png":
            assert data.startswith(b"\x89PNG\r\n\x1a\n")
        elif path.suffix == ".mp4":
            assert data[4:8] == b"ftyp"
        else:
            assert path.suffix in {".jpg", ".webp", ".wav"}, path
    assert not [p for p in os.listdir(paths[0].parent) if p.endswith(".tmp")]


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(
    ("kind", "model", "input"), [("image", *IMAGE), ("video", *VIDEO)], ids=["image", "video"]
)
async def test_task_lifecycle(
    mode: str, kind: str, model: str, input: dict[str, Any], tmp_path: Path
) -> None:
    tasks = client(mode)
    created = await call(tasks, "create", model, input)
    assert created.status == "queued"
    assert created.id.startswith("tk-hiapi-")
    first = await call(tasks, "get", created.id)
    assert first.id == created.id
    assert not first.is_terminal
    seen: list[str] = []
    done = await call(tasks, "wait", created, on_update=lambda t: seen.append(t.status))
    assert done.succeeded
    assert seen[-1] == "success"
    assert seen == list(dict.fromkeys(seen))  # each status reported once
    assert {o.type for o in done.outputs} >= {kind}
    page = await call(tasks, "list", 1, 5)
    assert created.id in [t.id for t in page.tasks]
    assert page.total is not None
    paths = await call(tasks, "download", done, tmp_path)
    await close(tasks)
    check_files(paths, done)
    assert any(p.suffix == (".png" if kind == "image" else ".mp4") for p in paths)


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_run_and_wait_many(mode: str, tmp_path: Path) -> None:
    tasks = client(mode)
    image = await call(tasks, "run", *IMAGE)
    assert image.succeeded
    video = await call(tasks, "create", *VIDEO)
    other = await call(tasks, "create", "Nano-Banana", {"prompt": "a lighthouse at dusk"})
    done = await call(tasks, "wait_many", [video, other.id, image])
    assert [t.id for t in done] == [video.id, other.id, image.id]
    assert all(t.succeeded for t in done)
    paths = await call(tasks, "download", done[0], tmp_path, types=["video"])
    await close(tasks)
    assert [p.suffix for p in paths] == [".mp4"]


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_failed_task_and_server_refusal(mode: str) -> None:
    tasks = client(mode)
    with pytest.raises(TaskFailedError) as failed:
        await call(tasks, "run", "seedance-2.0", {"prompt": "a paper boat [fail]"})
    assert failed.value.code == "TASK_FAILED"
    with pytest.raises(InvalidRequestError, match="seed"):
        await call(tasks, "create", "seedance-2.0", {"prompt": "boat", "seed": 7}, validate=False)
    await close(tasks)
