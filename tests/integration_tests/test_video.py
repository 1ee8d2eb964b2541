"""Video generation on cassettes: the task lifecycle, the tool and a failed task.

Polling is deterministic: the emulator ends a task after a fixed number of polls, and
the tests inject a no-op sleep, so recording and replay send the same requests in the
same order. Cassettes are replayed strictly in order (`allow_playback_repeats` off):
the status polls hit one URL and must get the recorded states one after the other.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import AsyncCallbackHandler
from langchain_core.messages import ToolMessage

from langchain_hiapi.video import (
    VIDEO_PROGRESS_EVENT,
    HiAPIVideoClient,
    HiAPIVideoGenerationTool,
    VideoGenerationError,
    VideoTask,
)
from tests.integration_tests.conftest import RECORDING_REAL

pytestmark = pytest.mark.vcr


@pytest.fixture(scope="module")
def vcr_config(vcr_config: dict[str, Any]) -> dict[str, Any]:
    return {**vcr_config, "allow_playback_repeats": False}


def no_sleep(seconds: float) -> None:
    """Replays and emulator recordings need no real pause between polls."""


async def ano_sleep(seconds: float) -> None:
    """Async `no_sleep`."""


def videos() -> HiAPIVideoClient:
    # Key and base URL come from the environment (see conftest.py); real recordings
    # poll at the normal pace.
    if RECORDING_REAL:
        return HiAPIVideoClient()
    return HiAPIVideoClient(sleep=no_sleep, asleep=ano_sleep)


def check_video_file(path: Path) -> None:
    data = path.read_bytes()
    assert data[4:8] == b"ftyp"  # an MP4 file starts with its ftyp box
    assert path.suffix == ".mp4"
    assert not [p for p in os.listdir(path.parent) if p.endswith(".tmp")]


def test_video_generate_lifecycle(tmp_path: Path) -> None:
    seen: list[VideoTask] = []
    with videos() as client:
        video = client.generate(
            "a red fox running through fresh snow, cinematic",
            model="kling-v3",
            seconds=5,
            size="1280*720",
            save_dir=tmp_path,
            on_progress=seen.append,
        )
    check_video_file(video.path)
    assert video.mime_type == "video/mp4"
    assert video.task.status == "completed"
    assert video.task.seconds == "5"
    assert seen[0].status == "queued"
    assert seen[-1].status == "completed"
    assert all(task.id == video.task.id for task in seen)
    progress = [task.progress for task in seen]
    assert progress == sorted(progress)
    assert progress[-1] == 100
    assert any(task.status == "in_progress" for task in seen)


class ProgressEvents(AsyncCallbackHandler):
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    async def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kw: Any) -> None:
        if name == VIDEO_PROGRESS_EVENT:
            self.events.append(data)


async def test_video_tool_async(tmp_path: Path) -> None:
    tool = HiAPIVideoGenerationTool(
        model="seedance-1-0-pro", seconds=5, save_dir=tmp_path, video_client=videos()
    )
    handler = ProgressEvents()
    message = await tool.ainvoke(
        {
            "type": "tool_call",
            "id": "call_video_1",
            "name": tool.name,
            "args": {"prompt": "a paper boat drifting down a rainy street", "size": "720*1280"},
        },
        {"callbacks": [handler]},
    )
    assert isinstance(message, ToolMessage)
    path = Path(message.artifact["path"])
    check_video_file(path)
    assert str(path) in str(message.content)
    assert message.artifact["model"] == "seedance-1-0-pro"
    assert message.artifact["size"] == "720*1280"
    assert handler.events[0]["status"] == "queued"
    assert handler.events[-1] == {
        "video_id": message.artifact["video_id"],
        "status": "completed",
        "progress": 100,
        "model": "seedance-1-0-pro",
    }


@pytest.mark.skipif(RECORDING_REAL, reason="the [fail] prompt flag is the emulator's")
def test_video_failed_task(tmp_path: Path) -> None:
    with videos() as client, pytest.raises(VideoGenerationError) as info:
        client.generate("a fox [fail]", model="wan2.7-t2v", save_dir=tmp_path)
    assert info.value.code == "content_policy_violation"
    assert info.value.task.status == "failed"
    assert info.value.message
    assert os.listdir(tmp_path) == []
