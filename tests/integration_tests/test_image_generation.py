"""Image generation on cassettes: Nano-Banana and Nano-Banana-Pro, sync/async, invoke/stream."""

from __future__ import annotations

import json
import struct
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage

from langchain_hiapi import ChatHiAPI, GeneratedImage, get_images

pytestmark = pytest.mark.vcr

RATIOS = {"1:1": 1.0, "16:9": 16 / 9, "9:16": 9 / 16, "4:3": 4 / 3}


def image_size(image: GeneratedImage) -> tuple[int, int]:
    """Reads width and height from a PNG or JPEG header (HiAPI may return either)."""
    data = image.data
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        assert data[12:16] == b"IHDR"
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    assert data.startswith(b"\xff\xd8"), f"not a PNG or JPEG: {data[:8]!r}"
    pos = 2
    while pos < len(data):
        marker, length = data[pos + 1], struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return int(width), int(height)
        pos += 2 + length
    raise AssertionError("JPEG without a frame header")


def check_image_reply(message: BaseMessage, aspect_ratio: str) -> GeneratedImage:
    images = get_images(message)
    assert len(images) >= 1
    image = images[0]
    assert image.mime_type in ("image/png", "image/jpeg", "image/webp")
    width, height = image_size(image)
    assert width / height == pytest.approx(RATIOS[aspect_ratio], rel=0.03)
    # the prose never carries the base64
    assert "base64" not in message.text
    blocks = [b for b in message.content_blocks if b["type"] == "image"]
    assert blocks[0].get("id")
    assert message.content_blocks == message.content_blocks  # ids stable across accesses
    assert message.response_metadata["model_provider"] == "hiapi"
    assert message.response_metadata["finish_reason"] == "stop"
    return image


def aggregate(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    total = chunks[0]
    for chunk in chunks[1:]:
        total += chunk
    return total


@pytest.mark.parametrize("model", ["Nano-Banana", "Nano-Banana-Pro"])
def test_invoke_default_square(model: str) -> None:
    message = ChatHiAPI(model=model).invoke("Draw a cute cat sitting on a windowsill")
    assert isinstance(message, AIMessage)
    check_image_reply(message, "1:1")
    assert message.usage_metadata is not None
    assert message.usage_metadata["output_tokens"] > 0


def test_invoke_pro_16_9_2k() -> None:
    llm = ChatHiAPI(
        model="Nano-Banana-Pro", image_config={"aspect_ratio": "16:9", "image_size": "2K"}
    )
    check_image_reply(llm.invoke("A lighthouse at dusk"), "16:9")


def test_per_call_override_9_16() -> None:
    llm = ChatHiAPI(model="Nano-Banana-Pro", image_config={"aspect_ratio": "16:9"})
    check_image_reply(llm.invoke("A tall tower", image_config={"aspect_ratio": "9:16"}), "9:16")


@pytest.mark.parametrize("model", ["Nano-Banana", "Nano-Banana-Pro"])
def test_stream_image_arrives_as_one_block(model: str) -> None:
    llm = ChatHiAPI(model=model, image_config={"aspect_ratio": "4:3"})
    chunks = list(llm.stream("A red fox in the snow"))
    image_chunks = [c for c in chunks if any(b["type"] == "image" for b in c.content_blocks)]
    assert len(image_chunks) == 1
    assert chunks[-1].chunk_position == "last"
    message = aggregate(chunks)
    check_image_reply(message, "4:3")
    assert message.usage_metadata is not None


async def test_ainvoke_and_astream() -> None:
    llm = ChatHiAPI(
        model="Nano-Banana-Pro", image_config={"aspect_ratio": "16:9", "image_size": "2K"}
    )
    check_image_reply(await llm.ainvoke("A castle on a hill"), "16:9")
    chunks = [c async for c in llm.astream("A castle on a hill")]
    check_image_reply(aggregate(chunks), "16:9")


def test_output_version_v1() -> None:
    llm = ChatHiAPI(model="Nano-Banana", output_version="v1")
    message = llm.invoke("A small boat")
    assert isinstance(message.content, list)
    assert any(isinstance(b, dict) and b.get("type") == "image" for b in message.content)
    check_image_reply(message, "1:1")


def test_multi_turn_edit_sends_image_back(vcr: Any) -> None:
    llm = ChatHiAPI(model="Nano-Banana-Pro")
    first = llm.invoke("Draw a cute cat")
    original = check_image_reply(first, "1:1")
    edited = llm.invoke([HumanMessage("Draw a cute cat"), first, HumanMessage("make it blue")])
    check_image_reply(edited, "1:1")
    # The second request carried the first image back inside the assistant text, which the
    # gateway splits into an image part (HiAPI's multi-turn editing).
    # Each text part ends right after its image (the gateway drops text after the last one).
    sent = json.loads(vcr.requests[1].body)["messages"]
    assert sent[1]["role"] == "assistant"
    (part,) = sent[1]["content"]
    assert part["type"] == "text"
    assert part["text"].endswith(")")
    assert "![image](data:" + original.mime_type + ";base64," in part["text"]
    assert sent[2] == {"role": "user", "content": "make it blue"}


def test_invalid_image_config_sends_no_request(vcr: Any) -> None:
    llm = ChatHiAPI(model="Nano-Banana")
    with pytest.raises(ValueError, match="image_size"):
        llm.invoke("x", image_config={"image_size": "4K"})
    with pytest.raises(ValueError, match="aspect_ratio"):
        llm.invoke("x", image_config={"aspect_ratio": "2:1"})
    assert len(vcr.requests) == 0
