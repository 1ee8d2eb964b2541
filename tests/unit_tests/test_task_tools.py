"""The generation tools on the task API: the image tool's routing and HiAPITaskTool.

Over httpx.MockTransport (no sockets) against the in-memory HiAPI of `tests._support.task_server`.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.messages import ToolMessage
from pydantic import SecretStr

from langchain_hiapi import AuthenticationError, HiAPIImageGenerationTool, HiAPITasks, HiAPITaskTool
from langchain_hiapi.catalogue import Seedream5ProTextToImageInput
from langchain_hiapi.chat_models import ChatHiAPI
from langchain_hiapi.task_tool import OpenTaskArgs
from tests._support.callbacks import Events
from tests._support.task_server import (
    CDN,
    EXPIRE_AT,
    FakeHiAPI,
    chat_error,
    envelope,
    sync_tasks,
    task_chat,
)
from tests._support.wire import png_bytes

SEEDREAM = "seedream-5.0-pro/text-to-image"


def chat_for(server: FakeHiAPI, model: str, **kwargs: Any) -> ChatHiAPI:
    return task_chat(server.transport(), model=model, **kwargs)


def task_tool(server: FakeHiAPI, model: str = SEEDREAM, **kwargs: Any) -> HiAPITaskTool:
    return HiAPITaskTool(model=model, tasks=sync_tasks(server), **kwargs)


def call(tool: Any, **args: Any) -> ToolMessage:
    message = tool.invoke({"type": "tool_call", "id": "c1", "name": tool.name, "args": args})
    assert isinstance(message, ToolMessage)
    return message


async def acall(tool: Any, **args: Any) -> ToolMessage:
    message = await tool.ainvoke({"type": "tool_call", "id": "c1", "name": tool.name, "args": args})
    assert isinstance(message, ToolMessage)
    return message


# ------------------------------------------------------------------------------ image tool


def test_image_tool_sends_task_only_models_to_the_task_api(tmp_path: Path) -> None:
    server = FakeHiAPI()
    tool = HiAPIImageGenerationTool(llm=chat_for(server, SEEDREAM), save_dir=tmp_path)
    assert "images" not in tool.args  # a text-to-image model: no editing offered
    assert "image_size for this model: not available" in tool.description
    message = call(tool, prompt="a red fox in the snow", aspect_ratio="16:9")
    assert message.status == "success", message.content
    assert server.create_bodies() == [
        {"model": SEEDREAM, "input": {"prompt": "a red fox in the snow", "aspect_ratio": "16:9"}}
    ]
    artifact = message.artifact
    task_id = next(iter(server.tasks))
    assert artifact["route"] == "tasks"
    assert artifact["task_id"] == task_id
    assert artifact["urls"] == [f"{CDN}/tasks/{task_id}/0.png"]
    assert artifact["expire_at"] == EXPIRE_AT
    [path] = artifact["paths"]
    assert Path(path).read_bytes() == png_bytes(8, 6)
    assert "base64" not in artifact["images"][0]
    assert artifact["images"][0]["url"] == artifact["urls"][0]
    assert "8x6 image/png" in str(message.content)


def test_image_tool_include_base64_puts_the_bytes_into_the_artifact() -> None:
    server = FakeHiAPI()
    tool = HiAPIImageGenerationTool(llm=chat_for(server, SEEDREAM), include_base64=True)
    block = call(tool, prompt="a red fox in the snow").artifact["images"][0]
    assert base64.b64decode(block["base64"]) == png_bytes(8, 6)
    assert block["url"].startswith(CDN)


def test_image_tool_task_url_without_save_dir_keeps_no_bytes() -> None:
    server = FakeHiAPI()
    message = call(HiAPIImageGenerationTool(llm=chat_for(server, SEEDREAM)), prompt="a fox!")
    assert "base64" not in message.artifact["images"][0]  # the URL is the handle
    assert message.artifact["urls"][0].startswith(CDN)


def test_image_tool_edit_goes_into_the_models_image_field() -> None:
    server = FakeHiAPI()
    tool = HiAPIImageGenerationTool(llm=chat_for(server, "gpt-image-2/image-to-image"))
    assert "images" in tool.args
    url = "https://example.com/cat.png"
    assert call(tool, prompt="make it blue", images=[url]).status == "success"
    assert server.create_bodies()[0]["input"] == {"prompt": "make it blue", "input_urls": [url]}


def test_image_tool_option_the_task_model_lacks_is_a_tool_error_naming_the_field() -> None:
    server = FakeHiAPI()
    message = call(
        HiAPIImageGenerationTool(llm=chat_for(server, SEEDREAM)), prompt="a fox", image_size="2K"
    )
    assert message.status == "error"
    assert "no 'resolution' field" in str(message.content)
    assert server.requests == []


def test_image_tool_failed_task_is_a_tool_error_with_its_code() -> None:
    server = FakeHiAPI()
    server.end = "fail"
    message = call(HiAPIImageGenerationTool(llm=chat_for(server, SEEDREAM)), prompt="a fox")
    assert message.status == "error"
    assert "failed with code TASK_FAILED: upstream rejected the prompt" in str(message.content)
    assert "Do not retry it unchanged" in str(message.content)


def test_image_tool_chat_model_falls_back_to_tasks() -> None:
    server = FakeHiAPI()
    server.chat_answer = chat_error(503, "model_not_found")
    message = call(HiAPIImageGenerationTool(llm=chat_for(server, "Nano-Banana-Pro")), prompt="x")
    assert message.status == "success"
    assert message.artifact["route"] == "tasks"
    assert server.paths()[:2] == ["POST /v1/chat/completions", "POST /v1/tasks"]


def test_image_tool_image_route_is_passed_to_its_chat_model() -> None:
    tool = HiAPIImageGenerationTool(model="Nano-Banana-Pro", image_route="tasks", api_key="k")
    assert tool.chat_model.image_route == "tasks"
    assert not HiAPIImageGenerationTool(model="flux-1.1-pro", api_key="k").uses_images_api
    assert HiAPIImageGenerationTool(model="gpt-image-1.5", api_key="k").uses_images_api
    assert HiAPIImageGenerationTool(
        model="flux-1.1-pro", image_route="images", api_key="k"
    ).uses_images_api


# ------------------------------------------------------------------------------ task tool


def test_task_tool_schema_is_the_models_input_schema() -> None:
    tool = HiAPITaskTool(model=SEEDREAM, api_key="k")
    assert tool.args_schema is Seedream5ProTextToImageInput
    assert tool.name == "hiapi_seedream-5_0-pro_text-to-image"
    assert tool.args["quality"]["enum"] == ["basic", "high"]
    assert "image" in tool.description
    open_tool = HiAPITaskTool(model="qwen-audio-3.0-tts-plus", api_key="k")
    assert open_tool.args_schema is OpenTaskArgs
    assert "audio" in open_tool.description


def test_task_tool_unknown_route_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="routes"):
        HiAPITaskTool(model="gpt-image-2/text-to-image@pro", api_key="k")


def test_task_tool_runs_saves_and_reports(tmp_path: Path) -> None:
    server = FakeHiAPI()
    server.outputs = [("video", "0.mp4", "video/mp4"), ("first_frame", "1.png", "image/png")]
    handler = Events()
    tool = task_tool(server, "seedance-2.0", save_dir=tmp_path, file_prefix="clip")
    message = tool.invoke(
        {
            "type": "tool_call",
            "id": "c1",
            "name": tool.name,
            "args": {"prompt": "a paper boat", "duration": 8, "resolution": "720p"},
        },
        config={"callbacks": [handler]},
    )
    assert message.status == "success", message.content
    assert server.create_bodies() == [
        # The schema defaults LangChain fills in (resolution 720p, ...) are not sent.
        {"model": "seedance-2.0", "input": {"prompt": "a paper boat", "duration": 8}}
    ]
    artifact = message.artifact
    task_id = next(iter(server.tasks))
    assert artifact["task_id"] == task_id
    assert artifact["expire_at"] == EXPIRE_AT
    video, frame = artifact["outputs"]
    assert video["type"] == "video"
    assert video["url"] == f"{CDN}/tasks/{task_id}/0.mp4"
    assert video["path"] == str(tmp_path / f"clip-{task_id}-1.mp4")
    assert Path(frame["path"]).read_bytes() == png_bytes(8, 6)
    assert artifact["paths"] == [video["path"], frame["path"]]
    assert "images" not in artifact
    assert f"video saved to {video['path']}" in str(message.content)
    statuses = [d["status"] for name, d in handler.events if name == "hiapi_task_status"]
    assert statuses == ["queued", "handling", "success"]


def test_task_tool_without_save_dir_gives_urls_and_optionally_base64(tmp_path: Path) -> None:
    server = FakeHiAPI()
    plain = call(task_tool(server), prompt="a red fox")
    assert plain.artifact["paths"] == []
    assert plain.artifact["outputs"][0]["path"] is None
    assert not any(r.url.host == "cdn.test" for r in server.requests)
    assert "image at https://cdn.test/" in str(plain.content)
    rich = call(task_tool(server, include_base64=True), prompt="a red fox")
    [block] = rich.artifact["images"]
    assert base64.b64decode(block["base64"]) == png_bytes(8, 6)
    assert block["mime_type"] == "image/png"
    assert rich.artifact["paths"] == []  # the temporary download is gone


async def test_task_tool_async(tmp_path: Path) -> None:
    server = FakeHiAPI()
    message = await acall(task_tool(server, save_dir=tmp_path), prompt="a red fox")
    assert message.status == "success"
    [path] = message.artifact["paths"]
    assert path.startswith(str(tmp_path))
    assert server.requests[-1].url.host == "cdn.test"


def test_task_tool_invalid_arguments_name_the_allowed_values() -> None:
    server = FakeHiAPI()
    message = call(task_tool(server), prompt="a red fox", quality="ultra")
    assert message.status == "error"
    assert "quality: Input should be 'basic' or 'high'" in str(message.content)
    rule = call(
        task_tool(server, "seedance-2.0"), prompt="a boat", last_frame_url="https://x/y.png"
    )
    assert rule.status == "error"
    assert "last_frame_url" in str(rule.content)
    assert server.requests == []


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            httpx.Response(402, json=envelope(None, 402, error_code="INSUFFICIENT_QUOTA")),
            "run out of quota",
        ),
        (
            httpx.Response(
                400,
                json=envelope(
                    None,
                    400,
                    error_code="INVALID_REQUEST",
                    message="additional properties 'x' not allowed",
                ),
            ),
            "Fix the field its message names",
        ),
        (httpx.Response(429, json=envelope(None, 429)), "rate limiting requests (still after 0"),
    ],
)
def test_task_tool_actionable_errors_are_tool_errors(answer: httpx.Response, expected: str) -> None:
    server = FakeHiAPI()
    server.create_answer = answer
    message = call(task_tool(server), prompt="a red fox")
    assert message.status == "error"
    assert expected in str(message.content)


def test_task_tool_failed_task_and_timeout_are_tool_errors() -> None:
    server = FakeHiAPI()
    server.end = "fail"
    server.error = {"code": "TASK_TIMEOUT", "message": "upstream timed out"}
    failed = call(task_tool(server), prompt="a red fox")
    assert "failed with code TASK_TIMEOUT" in str(failed.content)
    assert "you may retry once" in str(failed.content)
    server.polls_to_finish = 10_000
    late = call(task_tool(server, wait_timeout=0), prompt="a red fox")
    assert late.status == "error"
    assert "still being generated" in str(late.content)
    assert "tk-hiapi-" in str(late.content)


def test_task_tool_invalid_key_still_raises() -> None:
    server = FakeHiAPI()
    server.create_answer = httpx.Response(401, json={"error": {"message": "Invalid token"}})
    with pytest.raises(AuthenticationError):
        call(task_tool(server), prompt="a red fox")


def test_task_tool_outputs_are_never_overwritten(tmp_path: Path) -> None:
    server = FakeHiAPI()
    tool = task_tool(server, save_dir=tmp_path)
    first = call(tool, prompt="a red fox").artifact["paths"]
    second = call(tool, prompt="a red fox").artifact["paths"]
    assert first != second
    assert len(list(tmp_path.iterdir())) == 2


def test_task_tool_file_prefix_is_checked_up_front() -> None:
    with pytest.raises(ValueError, match="file_prefix"):
        HiAPITaskTool(model=SEEDREAM, api_key="k", file_prefix="../up")
    assert HiAPITaskTool(model=SEEDREAM, api_key="k", file_prefix="v1.2").file_prefix == "v1.2"


def test_task_tool_sends_storage_when_asked() -> None:
    server = FakeHiAPI()
    call(task_tool(server, storage="persistent"), prompt="a red fox")
    assert json.loads(server.creates()[0].content)["storage"] == "persistent"


def test_task_tool_downloads_are_capped_by_the_limits_of_their_kind(tmp_path: Path) -> None:
    from langchain_hiapi._client import HiAPIClient, RetryPolicy
    from langchain_hiapi.limits import Limits

    server = FakeHiAPI()  # an 8x6 PNG: more than 50 bytes
    client = HiAPIClient(
        base_url="https://api.test/v1",
        api_key=SecretStr("sk-unit"),
        retry_policy=RetryPolicy(max_retries=0),
        http_client=httpx.Client(transport=server.transport()),
        limits=Limits(max_image_download_bytes=50, max_video_download_bytes=10**6),
    )
    tasks = HiAPITasks(client=client, poll_interval=0.001, sleep=lambda _: None)
    message = call(HiAPITaskTool(model=SEEDREAM, tasks=tasks, save_dir=tmp_path), prompt="a fox")
    assert message.status == "error"
    assert "exceeds max_bytes=50" in str(message.content)
    assert list(tmp_path.iterdir()) == []
    # A video model's outputs are held to the video limit instead.
    server.outputs = [("video", "0.mp4", "video/mp4")]
    video = call(HiAPITaskTool(model="seedance-2.0", tasks=tasks, save_dir=tmp_path), prompt="ab c")
    assert video.status == "success", video.content
