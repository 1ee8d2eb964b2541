"""Video generation on the task API: generate_video and the video tool (inputs: test_video_input).

Over httpx.MockTransport (no sockets) against the in-memory HiAPI of `tests._support.task_server`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import ToolMessage

import langchain_hiapi
from langchain_hiapi import (
    HiAPIVideoGenerationTool,
    TaskFailedError,
    TaskInputError,
    TaskWaitTimeout,
    VideoGenerationError,
    VideoTimeoutError,
    agenerate_video,
    generate_video,
)
from langchain_hiapi.video import DEFAULT_VIDEO_MODEL, VIDEO_MODELS, video_args_schema
from tests._support.callbacks import Events
from tests._support.task_server import CDN, EXPIRE_AT, MP4, FakeHiAPI, async_tasks, sync_tasks
from tests._support.wire import png_bytes

URL = "https://example.com/start.png"


def video_server() -> FakeHiAPI:
    server = FakeHiAPI()
    server.outputs = [("video", "0.mp4", "video/mp4"), ("first_frame", "1.png", "image/png")]
    return server


# ------------------------------------------------------------------------------ inputs


def test_defaults_and_names() -> None:
    assert DEFAULT_VIDEO_MODEL == "seedance-2.0"
    assert {"seedance-2.0", "kling-3.0-omni/image-to-video", "happyhorse-1-0"} <= VIDEO_MODELS
    assert VideoGenerationError is TaskFailedError
    assert VideoTimeoutError is TaskWaitTimeout
    assert not hasattr(langchain_hiapi, "HiAPIVideoClient")


def test_tool_arguments_follow_the_model() -> None:
    seedance = video_args_schema("seedance-2.0").model_json_schema()["properties"]
    assert set(seedance) == {
        "prompt",
        "duration",
        "aspect_ratio",
        "resolution",
        "first_frame",
        "reference_images",
    }
    assert seedance["duration"]["anyOf"][0] == {"maximum": 15, "minimum": 4, "type": "integer"}
    assert "adaptive" in seedance["aspect_ratio"]["anyOf"][0]["enum"]
    kling = video_args_schema("kling-3.0-omni/image-to-video").model_json_schema()["properties"]
    assert set(kling) == {"prompt", "duration", "resolution", "first_frame"}
    horse = video_args_schema("happyhorse-1-0").model_json_schema()["properties"]
    assert set(horse) == {"prompt", "duration", "aspect_ratio", "resolution"}


# ------------------------------------------------------------------------------ generate


def test_generate_video_creates_waits_and_saves(tmp_path: Path) -> None:
    server = video_server()
    seen: list[str] = []
    video = generate_video(
        "a paper boat",
        duration=8,
        first_frame=png_bytes(2, 2),
        save_dir=tmp_path,
        on_progress=lambda task: seen.append(task.status),
        tasks=sync_tasks(server),
    )
    body = server.create_bodies()[0]
    assert body["model"] == "seedance-2.0"
    assert body["input"]["duration"] == 8
    assert body["input"]["first_frame_url"].startswith("data:image/png;base64,")
    assert seen == ["queued", "handling", "success"]
    task_id = video.task.id
    assert video.path == tmp_path / f"video-{task_id}-1.mp4"
    assert video.path.read_bytes() == MP4
    assert video.mime_type == "video/mp4"
    assert video.num_bytes == len(MP4)
    assert video.url == f"{CDN}/tasks/{task_id}/0.mp4"
    assert video.expire_at == EXPIRE_AT
    assert set(video.files) == {"video", "first_frame"}
    assert video.files["first_frame"].read_bytes() == png_bytes(8, 6)


async def test_agenerate_video(tmp_path: Path) -> None:
    server = video_server()
    seen: list[str] = []

    async def progress(task: Any) -> None:
        seen.append(task.status)

    video = await agenerate_video(
        "a paper boat", save_dir=tmp_path, on_progress=progress, tasks=async_tasks(server)
    )
    assert seen == ["queued", "handling", "success"]
    assert video.num_bytes == len(MP4)


def test_generate_video_errors() -> None:
    server = video_server()
    with pytest.raises(TaskInputError, match="duration"):
        generate_video("a boat", duration=99, tasks=sync_tasks(server))
    with pytest.raises(ValueError, match="prefix must be a file name"):
        generate_video("a boat", prefix="../up", tasks=sync_tasks(server))
    assert server.requests == []
    server.end = "fail"
    with pytest.raises(VideoGenerationError, match="TASK_FAILED"):
        generate_video("a boat", tasks=sync_tasks(server))


# ------------------------------------------------------------------------------ tool


def run_tool(tool: HiAPIVideoGenerationTool, handler: Any = None, **args: Any) -> ToolMessage:
    config = {"callbacks": [handler]} if handler is not None else {}
    message = tool.invoke(
        {"type": "tool_call", "id": "v1", "name": tool.name, "args": args}, config=config
    )
    assert isinstance(message, ToolMessage)
    return message


def test_video_tool_saves_reports_and_sends_progress(tmp_path: Path) -> None:
    server = video_server()
    handler = Events()
    tool = HiAPIVideoGenerationTool(tasks=sync_tasks(server), save_dir=tmp_path, duration=6)
    message = run_tool(tool, handler, prompt="a paper boat", aspect_ratio="9:16")
    assert message.status == "success", message.content
    assert server.create_bodies()[0]["input"] == {
        "prompt": "a paper boat",
        "duration": 6,  # the tool's default
        "aspect_ratio": "9:16",
    }
    artifact = message.artifact
    assert artifact["path"] == str(tmp_path / f"video-{artifact['task_id']}-1.mp4")
    assert Path(artifact["path"]).read_bytes() == MP4
    assert artifact["expire_at"] == EXPIRE_AT
    assert str(message.content).startswith("Generated a video with seedance-2.0 (task tk-hiapi-")
    assert f"saved to {artifact['path']}" in str(message.content)
    assert [name for name, _ in handler.events] == ["hiapi_video_progress"] * 3
    assert [data["status"] for _, data in handler.events] == ["queued", "handling", "success"]


def test_video_tool_file_prefix_follows_the_file_name_rule() -> None:
    assert HiAPIVideoGenerationTool(api_key="k", prefix="clip.v2").file_prefix == "clip.v2"
    with pytest.raises(ValueError, match="file_prefix must be a file name"):
        HiAPIVideoGenerationTool(api_key="k", prefix="my clip")


def test_video_tool_errors_are_tool_errors() -> None:
    server = video_server()
    server.end = "fail"
    tool = HiAPIVideoGenerationTool(tasks=sync_tasks(server), save_dir=None)
    message = run_tool(tool, prompt="a paper boat")
    assert message.status == "error"
    assert "failed with code TASK_FAILED" in str(message.content)
    bad = run_tool(tool, prompt="a paper boat", duration=99)
    assert bad.status == "error"
    assert "duration" in str(bad.content)
    kling = HiAPIVideoGenerationTool(
        model="kling-3.0-omni/image-to-video", tasks=sync_tasks(server)
    )
    extra = run_tool(kling, prompt="x", aspect_ratio="16:9")
    assert extra.status == "error"
    assert "aspect_ratio" in str(extra.content)


def test_nothing_is_sent_to_the_videos_route(tmp_path: Path) -> None:
    server = video_server()
    generate_video("a boat", save_dir=tmp_path, tasks=sync_tasks(server))
    run_tool(HiAPIVideoGenerationTool(tasks=sync_tasks(server), save_dir=tmp_path), prompt="x")
    assert server.requests
    assert not [r for r in server.requests if "/videos" in r.url.path]
    assert json.loads(server.creates()[0].content)["model"] == "seedance-2.0"
