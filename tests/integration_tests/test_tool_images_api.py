"""The image tool routes images-API-only models to /v1/images/generations (on cassettes).

Models HiAPI serves on the task API too (`flux-1.1-pro`, `qwen-image-2.0`) go to the task
API by default (issue 12); `image_route="images"` still sends them to the images API.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import ToolMessage

from langchain_hiapi import HiAPIImageGenerationTool

pytestmark = pytest.mark.vcr


def call(tool: HiAPIImageGenerationTool, **args: Any) -> ToolMessage:
    message = tool.invoke({"type": "tool_call", "id": "call-1", "name": tool.name, "args": args})
    assert isinstance(message, ToolMessage)
    return message


def test_images_api_model_routes_to_images_endpoint(vcr: Any, tmp_path: Path) -> None:
    tool = HiAPIImageGenerationTool(model="flux-1.1-pro", image_route="images", save_dir=tmp_path)
    message = call(tool, prompt="a lighthouse at dusk", aspect_ratio="16:9")
    assert message.status == "success"
    assert "base64" not in str(message.content)
    paths = message.artifact["paths"]
    assert len(paths) == 1
    assert Path(paths[0]).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    first = vcr.requests[0]
    assert first.uri.endswith("/images/generations")
    body = json.loads(first.body)
    assert body["model"] == "flux-1.1-pro"
    assert body["size"] == "1536x1024"  # 16:9 is landscape
    assert not any(r.uri.endswith("/chat/completions") for r in vcr.requests)


async def test_images_api_model_async(vcr: Any) -> None:
    tool = HiAPIImageGenerationTool(model="gpt-image-1.5")
    message = await tool.ainvoke(
        {
            "type": "tool_call",
            "id": "c",
            "name": tool.name,
            "args": {"prompt": "a fox", "aspect_ratio": "9:16"},
        }
    )
    assert message.status == "success"
    assert message.artifact["images"][0]["mime_type"].startswith("image/")
    assert json.loads(vcr.requests[0].body)["size"] == "1024x1536"


def test_images_api_model_refuses_input_images(vcr: Any) -> None:
    tool = HiAPIImageGenerationTool(model="gpt-image-2-beta")
    assert "images" not in tool.args
    message = call(tool, prompt="edit", images=["data:image/png;base64,iVBORw0KGgo="])
    assert message.status == "error"
    assert "images: Extra inputs are not permitted" in str(message.content)
    assert len(vcr.requests) == 0
