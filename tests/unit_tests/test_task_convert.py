"""Conversation <-> task translation for ChatHiAPI's task route (pure, no I/O)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Literal

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from pydantic import BaseModel, ConfigDict

from langchain_hiapi import ImageConfig, InvalidResponseError, get_images
from langchain_hiapi._convert import messages_to_wire
from langchain_hiapi._task_convert import (
    Download,
    conversation_to_task_input,
    image_output_urls,
    message_to_chunk,
    task_to_message,
)
from tests._support.wire import png_b64, png_bytes

NOW = 1_800_000_000.0
PNG = png_b64(4, 3)
CDN = "https://cdn.hiapi.ai/tasks/tk-hiapi-1/0.png"


class ProInput(BaseModel):
    """Shaped like Nano-Banana-Pro's task input."""

    model_config = ConfigDict(extra="forbid")
    prompt: str
    image_input: list[str] | None = None
    aspect_ratio: Literal["auto", "1:1", "16:9"] = "auto"
    resolution: Literal["1K", "2K", "4K"] = "1K"


class BananaInput(BaseModel):
    """Shaped like Nano-Banana's task input: no images, no resolution."""

    model_config = ConfigDict(extra="forbid")
    prompt: str
    aspect_ratio: str = "auto"


class FrameInput(BaseModel):
    """A model taking one image (a first frame) and an optional prompt."""

    model_config = ConfigDict(extra="forbid")
    prompt: str | None = None
    first_frame_url: str | None = None


def build(messages: list, **kwargs: object) -> dict:
    options: dict = {"model": "Nano-Banana-Pro", "input_model": ProInput, "now": NOW}
    options["image_field"] = "image_input"
    options.update(kwargs)
    return conversation_to_task_input(messages, **options)


# ------------------------------------------------------------------------------ prompt


def test_prompt_is_system_text_then_last_human_message() -> None:
    messages = [
        SystemMessage("Style: watercolour."),
        HumanMessage("a fox"),
        AIMessage("Here you are"),
        HumanMessage([{"type": "text", "text": "a "}, "red ", {"type": "text", "text": "cat"}]),
    ]
    assert build(messages) == {"prompt": "Style: watercolour.\n\na red cat"}


def test_no_human_message_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a human message"):
        build([SystemMessage("only system")])


def test_human_message_without_text_is_refused_when_prompt_is_required() -> None:
    human = HumanMessage([{"type": "image", "base64": PNG, "mime_type": "image/png"}])
    with pytest.raises(ValueError, match=r"messages\[0\].*no text"):
        build([human])


def test_prompt_may_be_omitted_where_the_schema_allows() -> None:
    human = HumanMessage([{"type": "image", "url": CDN}])
    got = build([human], input_model=FrameInput, image_field="first_frame_url")
    assert got == {"first_frame_url": CDN}


# ------------------------------------------------------------------------------ images


def test_human_images_go_into_the_image_field() -> None:
    human = HumanMessage(
        [
            {"type": "text", "text": "combine these"},
            {"type": "image", "url": "https://example.com/a.png"},
            {"type": "image", "base64": PNG, "mime_type": "image/png"},
            {"type": "image_url", "image_url": {"url": "https://example.com/b.jpg"}},
        ]
    )
    got = build([human])
    assert got["image_input"] == [
        "https://example.com/a.png",
        f"data:image/png;base64,{PNG}",
        "https://example.com/b.jpg",
    ]


def test_edit_sends_the_last_generated_image_as_its_url_first() -> None:
    older = AIMessage(["", {"type": "image", "url": "https://cdn/old.png", "base64": PNG}])
    generated = AIMessage(
        [
            "",
            {
                "type": "image",
                "url": CDN,
                "base64": PNG,
                "mime_type": "image/png",
                "extras": {"expire_at": NOW + 3600},
            },
        ]
    )
    messages = [
        HumanMessage("a cat"),
        older,
        HumanMessage("again"),
        generated,
        AIMessage("text only reply"),
        HumanMessage(
            [{"type": "text", "text": "make it blue"}, {"type": "image", "url": "https://u/x.png"}]
        ),
    ]
    got = build(messages)
    assert got == {"prompt": "make it blue", "image_input": [CDN, "https://u/x.png"]}


def test_chat_route_image_without_url_goes_as_data_uri() -> None:
    generated = AIMessage(["", {"type": "image", "base64": PNG, "mime_type": "image/png"}])
    got = build([HumanMessage("a cat"), generated, HumanMessage("now blue")])
    assert got["image_input"] == [f"data:image/png;base64,{PNG}"]


def test_expired_generated_url_falls_back_to_its_base64() -> None:
    block = {
        "type": "image",
        "url": CDN,
        "base64": PNG,
        "mime_type": "image/png",
        "extras": {"expire_at": NOW - 1},
    }
    got = build([HumanMessage("a"), AIMessage(["", block]), HumanMessage("b")])
    assert got["image_input"] == [f"data:image/png;base64,{PNG}"]


def test_expired_url_without_data_is_refused_naming_the_message() -> None:
    block = {"type": "image", "url": CDN, "extras": {"expire_at": NOW - 1}}
    with pytest.raises(ValueError, match=r"messages\[1\].*expired at"):
        build([HumanMessage("a"), AIMessage(["", block]), HumanMessage("b")])


def test_images_after_the_last_human_message_are_not_edit_sources() -> None:
    generated = AIMessage(["", {"type": "image", "url": CDN}])
    assert build([HumanMessage("a cat"), generated]) == {"prompt": "a cat"}


def test_images_for_a_model_without_image_field_are_refused() -> None:
    human = HumanMessage([{"type": "text", "text": "x"}, {"type": "image", "url": CDN}])
    with pytest.raises(ValueError, match="'Nano-Banana' takes no input images"):
        build([human], model="Nano-Banana", input_model=BananaInput, image_field=None)


def test_single_image_field_takes_one_image_and_refuses_two() -> None:
    one = HumanMessage([{"type": "text", "text": "go"}, {"type": "image", "url": CDN}])
    got = build([one], input_model=FrameInput, image_field="first_frame_url")
    assert got == {"prompt": "go", "first_frame_url": CDN}
    two = HumanMessage([*one.content, {"type": "image", "url": "https://x/y.png"}])
    with pytest.raises(ValueError, match=r"first_frame_url.*takes one input image"):
        build([two], input_model=FrameInput, image_field="first_frame_url")


def test_non_image_media_in_the_human_message_is_refused() -> None:
    human = HumanMessage(
        [{"type": "text", "text": "x"}, {"type": "audio", "url": "https://x/a.mp3"}]
    )
    with pytest.raises(ValueError, match=r"messages\[0\]: a 'audio' block cannot be sent"):
        build([human])


def test_base64_image_without_mime_type_is_refused() -> None:
    human = HumanMessage([{"type": "text", "text": "x"}, {"type": "image", "base64": PNG}])
    with pytest.raises(ValueError, match="needs a 'mime_type'"):
        build([human])


# ------------------------------------------------------------------------------ options


def test_image_config_becomes_aspect_ratio_and_resolution() -> None:
    got = build([HumanMessage("x")], image_config=ImageConfig(aspect_ratio="auto", image_size="4K"))
    assert got == {"prompt": "x", "aspect_ratio": "auto", "resolution": "4K"}


def test_image_size_for_a_model_without_resolution_names_the_field() -> None:
    with pytest.raises(ValueError, match=r"image_config\.image_size: .*no 'resolution' field"):
        build(
            [HumanMessage("x")],
            model="Nano-Banana",
            input_model=BananaInput,
            image_field=None,
            image_config=ImageConfig(image_size="2K"),
        )


def test_unknown_model_passes_every_field_through() -> None:
    got = build(
        [HumanMessage("x")],
        model="brand-new",
        input_model=None,
        image_field=None,
        image_config=ImageConfig(aspect_ratio="16:9", image_size="2K"),
    )
    assert got == {"prompt": "x", "aspect_ratio": "16:9", "resolution": "2K"}


def test_extra_input_wins_over_derived_fields() -> None:
    got = build(
        [HumanMessage("x")],
        image_config=ImageConfig(aspect_ratio="16:9"),
        extra_input={"aspect_ratio": "1:1", "output_format": "jpg"},
    )
    assert got == {"prompt": "x", "aspect_ratio": "1:1", "output_format": "jpg"}


def test_tool_and_other_messages_do_not_leak_into_the_prompt() -> None:
    tool = ToolMessage("tool says", tool_call_id="1")
    messages = [HumanMessage("first"), tool, HumanMessage("b")]
    assert build(messages) == {"prompt": "b"}


# ------------------------------------------------------------------------------ replies


@dataclass(frozen=True)
class Output:
    url: str
    type: str
    expire_at: int | None = None


@dataclass(frozen=True)
class FakeTask:
    id: str = "tk-hiapi-01KYGS2YVNZKX51N9113NVRJK6"
    model: str | None = "Nano-Banana-Pro"
    status: str = "success"
    route: str | None = None
    outputs: list[Output] = field(default_factory=list)


def test_task_outputs_become_blocks_with_url_base64_and_metadata() -> None:
    task = FakeTask(
        route="ext",
        outputs=[
            Output(CDN, "image", 1_800_000_500),
            Output("https://cdn.hiapi.ai/t/v.mp4", "video", 1_800_000_400),
        ],
    )
    assert image_output_urls(task) == [CDN]
    message = task_to_message(task, downloads={CDN: Download(png_bytes(4, 3), "image/png")})
    image, video = message.content[1], message.content[2]
    assert message.content[0] == ""
    assert image == {
        "type": "image",
        "id": f"{task.id}-img1",
        "url": CDN,
        "mime_type": "image/png",
        "base64": base64.b64encode(png_bytes(4, 3)).decode(),
        "extras": {"expire_at": 1_800_000_500, "output_type": "image"},
    }
    assert video == {
        "type": "video",
        "id": f"{task.id}-img2",
        "url": "https://cdn.hiapi.ai/t/v.mp4",
        "mime_type": "video/mp4",
        "extras": {"expire_at": 1_800_000_400, "output_type": "video"},
    }
    meta = message.response_metadata
    assert meta["route"] == "tasks"
    assert meta["task_id"] == task.id == message.id
    assert meta["expire_at"] == 1_800_000_400
    assert meta["task_route"] == "ext"
    assert meta["model_provider"] == "hiapi"
    assert meta["outputs"][1] == {
        "url": "https://cdn.hiapi.ai/t/v.mp4",
        "type": "video",
        "expire_at": 1_800_000_400,
    }
    assert [i.data for i in get_images(message)] == [png_bytes(4, 3)]
    assert [b["type"] for b in message.content_blocks] == ["image", "video"]


def test_reply_without_downloads_keeps_only_urls() -> None:
    task = FakeTask(outputs=[Output(CDN, "image", None)])
    block = task_to_message(task, downloads={}).content[1]
    assert isinstance(block, dict)
    assert "base64" not in block
    assert block["url"] == CDN
    assert block["mime_type"] == "image/png"  # guessed from the URL


def test_successful_task_without_outputs_is_an_error_not_an_empty_answer() -> None:
    with pytest.raises(InvalidResponseError, match="without any output"):
        task_to_message(FakeTask(outputs=[]), downloads={})


def test_generated_image_sent_back_on_the_chat_route_goes_as_data_uri() -> None:
    reply = task_to_message(
        FakeTask(outputs=[Output(CDN, "image", None)]),
        downloads={CDN: Download(png_bytes(2, 2), "image/png")},
    )
    wire = messages_to_wire([HumanMessage("a"), reply, HumanMessage("b")])
    # The gateway only turns data URIs in assistant text back into images.
    assert wire[1]["content"] == [
        {"type": "text", "text": f"![image](data:image/png;base64,{png_b64(2, 2)})"}
    ]


def test_round_trip_edit_uses_the_task_reply_url() -> None:
    reply = task_to_message(
        FakeTask(outputs=[Output(CDN, "image", int(NOW) + 60)]),
        downloads={CDN: Download(png_bytes(2, 2), "image/png")},
    )
    got = build([HumanMessage("a cat"), reply, HumanMessage("make it blue")])
    assert got == {"prompt": "make it blue", "image_input": [CDN]}


def test_message_to_chunk_is_one_last_chunk() -> None:
    reply = task_to_message(FakeTask(outputs=[Output(CDN, "image", None)]), downloads={})
    chunk = message_to_chunk(reply)
    assert chunk.chunk_position == "last"
    assert chunk.content == reply.content
    assert chunk.response_metadata == reply.response_metadata
    assert chunk.id == reply.id
