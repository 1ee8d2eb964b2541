"""The generation tools on a task model, on cassettes: image tool, HiAPITaskTool, video.

Re-record with `HIAPI_RECORD=1 python -m pytest tests/integration_tests/test_generation_tools.py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import ToolMessage

from langchain_hiapi import (
    HiAPIImageGenerationTool,
    HiAPITaskTool,
    HiAPIVideoGenerationTool,
    agenerate_video,
    generate_video,
)
from tests._support.callbacks import AsyncEvents, Events
from tests._support.cassettes import task_cassette_config
from tests._support.wire import png_size

pytestmark = pytest.mark.vcr

# Recorded polls replay in order; a short first pause keeps replays fast.
POLL = 0.05


@pytest.fixture(scope="module")
def vcr_config(vcr_config: dict[str, Any]) -> dict[str, Any]:
    """Canonical output URLs and far-future `expireAt` (see `task_cassette_config`)."""
    return task_cassette_config(vcr_config)


def tool_call(tool: Any, **args: Any) -> dict[str, Any]:
    return {"type": "tool_call", "id": "call-1", "name": tool.name, "args": args}


def test_image_tool_on_a_task_model(vcr: Any, tmp_path: Path) -> None:
    tool = HiAPIImageGenerationTool(model="seedream-5.0-pro/text-to-image", save_dir=tmp_path)
    tool.chat_model.task_poll_interval = POLL
    message = tool.invoke(tool_call(tool, prompt="a lighthouse at dusk", aspect_ratio="16:9"))
    assert isinstance(message, ToolMessage)
    assert message.status == "success", message.content
    artifact = message.artifact
    assert artifact["route"] == "tasks"
    assert artifact["task_id"].startswith("tk-hiapi-")
    assert artifact["urls"][0].startswith(("http://", "https://"))
    assert isinstance(artifact["expire_at"], int)
    assert "base64" not in artifact["images"][0]
    [path] = artifact["paths"]
    width, height = png_size(Path(path).read_bytes())
    assert width / height == pytest.approx(16 / 9, rel=0.03)
    assert vcr.requests[0].uri.endswith("/v1/tasks")


async def test_image_tool_on_a_task_model_async_with_base64() -> None:
    tool = HiAPIImageGenerationTool(
        model="Nano-Banana-Pro", image_route="tasks", include_base64=True
    )
    tool.chat_model.task_poll_interval = POLL
    message = await tool.ainvoke(tool_call(tool, prompt="a red apple", aspect_ratio="4:3"))
    assert message.status == "success", message.content
    [block] = message.artifact["images"]
    assert block["base64"]
    assert block["url"] == message.artifact["urls"][0]


def test_task_tool_on_a_video_model(tmp_path: Path) -> None:
    handler = Events()
    tool = HiAPITaskTool(
        model="kling-3.0-omni/text-to-video", save_dir=tmp_path, poll_interval=POLL
    )
    message = tool.invoke(
        tool_call(tool, prompt="a paper boat on a rainy street", duration=6, sound=True),
        config={"callbacks": [handler]},
    )
    assert message.status == "success", message.content
    artifact = message.artifact
    video = next(o for o in artifact["outputs"] if o["type"] == "video")
    assert Path(video["path"]).read_bytes()[4:8] == b"ftyp"
    assert isinstance(video["expire_at"], int)
    statuses = [d["status"] for name, d in handler.events if name == "hiapi_task_status"]
    assert statuses[0] == "queued"
    assert statuses[-1] == "success"


async def test_task_tool_on_an_image_model_async() -> None:
    tool = HiAPITaskTool(
        model="seedream-5.0-pro/text-to-image", include_base64=True, poll_interval=POLL
    )
    message = await tool.ainvoke(tool_call(tool, prompt="a red fox in the snow", quality="high"))
    assert message.status == "success", message.content
    [image] = message.artifact["images"]
    assert image["mime_type"] == "image/png"
    assert message.artifact["paths"] == []


def test_task_tool_error_the_server_names(vcr: Any) -> None:
    # seedance-2.0 refuses `seed`: the catalogue knows, so nothing is sent.
    tool = HiAPITaskTool(model="seedance-2.0", poll_interval=POLL)
    message = tool.invoke(tool_call(tool, prompt="a boat on a lake", seed=7))
    assert message.status == "error"
    assert "seed" in str(message.content)
    assert len(vcr.requests) == 0


def test_video_tool(tmp_path: Path) -> None:
    handler = Events()
    tool = HiAPIVideoGenerationTool(save_dir=tmp_path, poll_interval=POLL)
    message = tool.invoke(
        tool_call(tool, prompt="a paper boat drifting down a rainy street", duration=5),
        config={"callbacks": [handler]},
    )
    assert message.status == "success", message.content
    path = Path(message.artifact["path"])
    assert path.read_bytes()[4:8] == b"ftyp"
    assert f"saved to {path}" in str(message.content)
    assert [name for name, _ in handler.events] == ["hiapi_video_progress"] * len(handler.events)
    assert handler.events[-1][1]["status"] == "success"


async def test_video_tool_async(tmp_path: Path) -> None:
    handler = AsyncEvents()
    tool = HiAPIVideoGenerationTool(save_dir=tmp_path, poll_interval=POLL)
    message = await tool.ainvoke(
        tool_call(tool, prompt="a red kite over a beach", aspect_ratio="9:16"),
        config={"callbacks": [handler]},
    )
    assert message.status == "success", message.content
    assert handler.events[-1][1]["status"] == "success"


def test_generate_video(tmp_path: Path) -> None:
    seen: list[str] = []
    video = generate_video(
        "a paper boat drifting down a rainy street",
        duration=5,
        resolution="720p",
        save_dir=tmp_path,
        on_progress=lambda task: seen.append(task.status),
        poll_interval=POLL,
    )
    assert video.path.read_bytes()[4:8] == b"ftyp"
    assert video.mime_type == "video/mp4"
    assert video.url.startswith(("http://", "https://"))
    assert seen[0] == "queued"
    assert seen[-1] == "success"


async def test_agenerate_video_from_a_first_frame(tmp_path: Path) -> None:
    video = await agenerate_video(
        "the boat starts to sail",
        model="kling-3.0-omni/image-to-video",
        first_frame="https://example.com/boat.png",
        save_dir=tmp_path,
        poll_interval=POLL,
    )
    assert video.task.model == "kling-3.0-omni/image-to-video"
    assert video.num_bytes > 0
