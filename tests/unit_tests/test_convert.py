"""LangChain messages -> wire messages (pure functions, no HTTP)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_hiapi._convert import message_to_wire, messages_to_wire
from langchain_hiapi._reply import reply_to_message
from tests._support.wire import chat_reply, markdown_image, png_b64

PNG = png_b64(4, 3)


# ------------------------------------------------------------------------ requests


def test_roles_and_names() -> None:
    wire = messages_to_wire(
        [
            SystemMessage("be brief"),
            HumanMessage("hi", name="alice"),
            AIMessage("hello"),
            ChatMessage(role="developer", content="dev note"),
        ]
    )
    assert wire == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi", "name": "alice"},
        {"role": "assistant", "content": "hello"},
        {"role": "developer", "content": "dev note"},
    ]


def test_ai_tool_calls_and_tool_message() -> None:
    ai = AIMessage(
        "",
        tool_calls=[{"name": "add", "args": {"a": 1, "b": 2}, "id": "call_1"}],
        invalid_tool_calls=[
            {
                "name": "bad",
                "args": "{oops",
                "id": "call_2",
                "error": "x",
                "type": "invalid_tool_call",
            }
        ],
    )
    wire = messages_to_wire([ai, ToolMessage("3", tool_call_id="call_1")])
    assert wire[0] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'},
            },
            {"id": "call_2", "type": "function", "function": {"name": "bad", "arguments": "{oops"}},
        ],
    }
    assert wire[1] == {"role": "tool", "tool_call_id": "call_1", "content": "3"}


@pytest.mark.parametrize(
    ("block", "url"),
    [
        (
            {"type": "image", "base64": PNG, "mime_type": "image/png"},
            f"data:image/png;base64,{PNG}",
        ),
        ({"type": "image", "url": "https://x.test/cat.png"}, "https://x.test/cat.png"),
        (
            {"type": "image", "source_type": "base64", "data": PNG, "mime_type": "image/jpeg"},
            f"data:image/jpeg;base64,{PNG}",
        ),
        (
            {"type": "image", "source_type": "url", "url": "https://x.test/a.webp"},
            "https://x.test/a.webp",
        ),
        (
            {"type": "file", "base64": "JVBERi0=", "mime_type": "application/pdf"},
            "data:application/pdf;base64,JVBERi0=",
        ),
        (
            {"type": "image_url", "image_url": {"url": "https://x.test/b.png"}},
            "https://x.test/b.png",
        ),
        ({"type": "image_url", "image_url": "https://x.test/c.png"}, "https://x.test/c.png"),
    ],
)
def test_user_media_blocks_become_image_url_parts(block: dict, url: str) -> None:
    wire = message_to_wire(HumanMessage([{"type": "text", "text": "edit this"}, block]))
    assert wire["content"] == [
        {"type": "text", "text": "edit this"},
        {"type": "image_url", "image_url": {"url": url}},
    ]


def test_text_only_list_is_sent_as_string() -> None:
    wire = message_to_wire(HumanMessage(["a", {"type": "text", "text": "b"}]))
    assert wire["content"] == "ab"


def test_base64_block_without_mime_type_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"messages\[0\].*mime_type"):
        message_to_wire(HumanMessage([{"type": "image", "base64": PNG}]))


def test_unknown_block_type_is_rejected_not_dropped() -> None:
    with pytest.raises(ValueError, match="unsupported content block type 'hologram'"):
        messages_to_wire([HumanMessage([{"type": "hologram"}])])


def test_unsupported_message_type() -> None:
    with pytest.raises(TypeError, match="FunctionMessage"):
        messages_to_wire([FunctionMessage(name="f", content="x")])


def test_generated_image_round_trips_as_markdown_in_assistant_text() -> None:
    reply = reply_to_message(chat_reply(f"Here is your cat\n{markdown_image(PNG)}"))
    wire = message_to_wire(reply)
    assert wire == {
        "role": "assistant",
        "content": [{"type": "text", "text": f"Here is your cat\n{markdown_image(PNG)}"}],
    }


def test_assistant_text_parts_end_after_each_image() -> None:
    # The gateway drops the text after the last image of a text part: every part ends with
    # an image and the trailing prose is a part of its own.
    text = f"One\n{markdown_image(PNG)}\nbetween\n{markdown_image(PNG, 'image/jpeg')}\nafter"
    wire = message_to_wire(reply_to_message(chat_reply(text)))
    assert wire["content"] == [
        {"type": "text", "text": f"One\n{markdown_image(PNG)}"},
        {"type": "text", "text": f"\nbetween\n{markdown_image(PNG, 'image/jpeg')}"},
        {"type": "text", "text": "\nafter"},
    ]
    # A string content holding data-URI images is split the same way.
    assert message_to_wire(AIMessage(text))["content"] == wire["content"]


def test_assistant_text_without_data_images_stays_a_string() -> None:
    ai = AIMessage(["Look: ", {"type": "image", "url": "https://x.test/a.png"}, "done"])
    assert message_to_wire(ai)["content"] == "Look: \n![image](https://x.test/a.png)done"


@pytest.mark.parametrize(
    "content",
    [
        "clip\n[media](data:audio/wav;base64,UklGRg==)\nend",
        ["clip", {"type": "audio", "base64": "UklGRg==", "mime_type": "audio/wav"}, "\nend"],
        ["clip", {"type": "file", "base64": "JVBERi0=", "mime_type": "audio/wav"}, "\nend"],
    ],
)
def test_assistant_non_image_media_is_never_sent(content: Any) -> None:
    with pytest.warns(UserWarning, match=r"messages\[0\]: the assistant's audio/wav media"):
        wire = message_to_wire(AIMessage(content))
    assert wire["content"] == "clip\n[audio/wav omitted]\nend"
    assert "UklGRg" not in json.dumps(wire) and "JVBERi0" not in json.dumps(wire)


def test_ai_image_block_without_text_and_reasoning_skipped() -> None:
    ai = AIMessage(
        [
            {"type": "reasoning", "reasoning": "thinking..."},
            {"type": "image", "base64": PNG, "mime_type": "image/webp", "id": "i1"},
            "done",
        ]
    )
    assert message_to_wire(ai)["content"] == [
        {"type": "text", "text": markdown_image(PNG, "image/webp")},
        {"type": "text", "text": "done"},
    ]
