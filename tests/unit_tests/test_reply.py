"""Replies -> LangChain messages (pure functions, no HTTP)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from langchain_hiapi._reply import reply_to_message, reply_to_result
from langchain_hiapi.errors import BadRequestError, InvalidResponseError, PromptBlockedError
from tests._support.wire import USAGE, chat_reply, markdown_image, png_b64

PNG = png_b64(4, 3)


# ------------------------------------------------------------------------ replies


def test_text_only_reply_is_plain_string() -> None:
    message = reply_to_message(chat_reply("Just text", model="gpt-4o-mini"))
    assert message.content == "Just text"
    assert message.response_metadata["model_name"] == "gpt-4o-mini"
    assert message.response_metadata["model_provider"] == "hiapi"
    assert message.response_metadata["finish_reason"] == "stop"
    assert message.response_metadata["id"] == "chatcmpl-20251201123456789abc"
    assert message.id == "chatcmpl-20251201123456789abc"


def test_contract_example_reply() -> None:
    message = reply_to_message(chat_reply(f"Here is your cat\n{markdown_image(PNG)}"))
    assert message.content == [
        "Here is your cat\n",
        {
            "type": "image",
            "id": "chatcmpl-20251201123456789abc-img1",
            "base64": PNG,
            "mime_type": "image/png",
        },
    ]
    assert "base64" not in message.text and PNG not in message.text
    assert message.text == "Here is your cat\n"


def test_several_images_any_mime_text_between_and_after() -> None:
    jpeg = base64.b64encode(b"\xff\xd8\xff\xe0fakejpeg").decode()
    webp = base64.b64encode(b"RIFF0000WEBPVP8 ").decode()
    text = f"A\n{markdown_image(jpeg, 'image/jpeg')}\nB\n{markdown_image(webp, 'image/webp')}\nC"
    message = reply_to_message(chat_reply(text))
    assert isinstance(message.content, list)
    kinds = [c if isinstance(c, str) else (c["mime_type"], c["base64"]) for c in message.content]
    assert kinds == ["A\n", ("image/jpeg", jpeg), "\nB\n", ("image/webp", webp), "\nC"]
    ids = [c["id"] for c in message.content if isinstance(c, dict)]
    assert len(set(ids)) == 2


def test_image_first_reply_starts_with_empty_string() -> None:
    message = reply_to_message(chat_reply(markdown_image(PNG)))
    assert message.content[0] == ""
    assert message.content[1]["type"] == "image"


def test_non_image_media_becomes_file_block() -> None:
    message = reply_to_message(chat_reply("clip\n[media](data:audio/wav;base64,UklGRg==)"))
    assert message.content[1] == {
        "type": "audio",
        "id": "chatcmpl-20251201123456789abc-img1",
        "base64": "UklGRg==",
        "mime_type": "audio/wav",
    }


def test_openrouter_images_field_and_content_parts() -> None:
    reply = chat_reply(
        [
            {"type": "text", "text": "look"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        ],
        images=[{"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{PNG}"}}],
    )
    message = reply_to_message(reply)
    assert message.content[0] == "look"
    assert [(b["mime_type"], b["base64"]) for b in message.content[1:]] == [
        ("image/png", PNG),
        ("image/jpeg", PNG),
    ]


def test_content_blocks_are_standard_and_stable() -> None:
    message = reply_to_message(chat_reply(f"Cat\n{markdown_image(PNG)}", reasoning_content="hmm"))
    blocks = message.content_blocks
    assert blocks == [
        {"type": "reasoning", "reasoning": "hmm"},
        {"type": "text", "text": "Cat\n"},
        {
            "type": "image",
            "id": "chatcmpl-20251201123456789abc-img1",
            "base64": PNG,
            "mime_type": "image/png",
        },
    ]
    assert message.content_blocks == blocks  # ids stable across accesses


def test_image_first_content_blocks_have_no_empty_text() -> None:
    message = reply_to_message(chat_reply(markdown_image(PNG)))
    assert [b["type"] for b in message.content_blocks] == ["image"]


def test_reasoning_and_usage() -> None:
    message = reply_to_message(chat_reply("answer", reasoning_content="thought"))
    assert message.additional_kwargs == {"reasoning_content": "thought"}
    assert message.usage_metadata == {
        "input_tokens": 15,
        "output_tokens": 1290,
        "total_tokens": 1305,
        "input_token_details": {"cache_read": 3},
        "output_token_details": {"reasoning": 7, "image": 1290},
    }
    assert message.response_metadata["token_usage"] == USAGE
    assert (
        message.response_metadata["token_usage"]["completion_tokens_details"]["image_tokens"]
        == 1290
    )


def test_tool_calls_and_invalid_tool_calls() -> None:
    reply = chat_reply(
        None,
        finish_reason="tool_calls",
        tool_calls=[
            {"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1}'}},
            {"id": "c2", "type": "function", "function": {"name": "add", "arguments": "{not json"}},
        ],
    )
    message = reply_to_message(reply)
    assert message.content == ""
    assert message.tool_calls == [
        {"name": "add", "args": {"a": 1}, "id": "c1", "type": "tool_call"}
    ]
    assert len(message.invalid_tool_calls) == 1
    assert message.invalid_tool_calls[0]["args"] == "{not json"
    assert [b["type"] for b in message.content_blocks] == ["tool_call", "invalid_tool_call"]


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"choices": [{"index": 0}]},
        {"choices": "none"},
        {"error": {"message": "boom"}},
        {"choices": [{"message": {"content": 5}}]},
    ],
)
def test_unusable_reply_is_an_error(bad: object) -> None:
    with pytest.raises(InvalidResponseError):
        reply_to_message(bad)


def test_result_carries_llm_output() -> None:
    result = reply_to_result(chat_reply("hi"))
    assert result.llm_output == {
        "model_name": "gemini-3-pro-image-preview",
        "token_usage": USAGE,
        "id": "chatcmpl-20251201123456789abc",
    }
    assert result.generations[0].generation_info == {"finish_reason": "stop"}


def test_input_and_output_image_tokens_are_usage_details() -> None:
    usage = {
        "prompt_tokens": 300,
        "completion_tokens": 1300,
        "total_tokens": 1600,
        "prompt_tokens_details": {"cached_tokens": 0, "text_tokens": 42, "image_tokens": 258},
        "completion_tokens_details": {"reasoning_tokens": 0, "image_tokens": 1290},
    }
    message = reply_to_message(chat_reply("x", usage=usage))
    assert message.usage_metadata is not None
    assert message.usage_metadata["input_token_details"] == {"cache_read": 0, "image": 258}
    assert message.usage_metadata["output_token_details"] == {"reasoning": 0, "image": 1290}


def test_upstream_model_name_is_kept() -> None:
    message = reply_to_message(chat_reply("x", model="gemini-3-pro-image-preview"))
    assert message.response_metadata["model_name"] == "gemini-3-pro-image-preview"


def test_reply_without_choices_is_a_blocked_prompt() -> None:
    # Gateways before 2025-12-27 answered a blocked prompt with HTTP 200 and no choices.
    reply = chat_reply("x")
    reply["choices"] = []
    with pytest.raises(PromptBlockedError) as info:
        reply_to_result(reply)
    assert isinstance(info.value, BadRequestError)
    assert info.value.status_code == 200
    assert info.value.code == "prompt_blocked"


def test_content_filter_finish_reason_is_in_response_metadata() -> None:
    message = reply_to_message(chat_reply("", finish_reason="content_filter"))
    assert message.response_metadata["finish_reason"] == "content_filter"


def test_every_choice_is_a_generation_with_its_logprobs() -> None:
    reply = chat_reply("first")
    logprobs = {"content": [{"token": "x", "logprob": -0.1}]}
    reply["choices"][0]["logprobs"] = logprobs
    reply["choices"].append(
        {"index": 1, "finish_reason": "stop", "message": {"role": "assistant", "content": "two"}}
    )
    result = reply_to_result(reply)
    assert [g.message.content for g in result.generations] == ["first", "two"]
    assert result.generations[0].message.response_metadata["logprobs"] == logprobs
    assert result.generations[0].generation_info == {"finish_reason": "stop", "logprobs": logprobs}


# ------------------------------------------------------------------------ hostile replies


def _tool_reply(arguments: Any, **function: Any) -> dict[str, Any]:
    call = {"id": "c1", "type": "function", "function": {"name": "f", **function}}
    call["function"]["arguments"] = arguments
    return chat_reply(None, finish_reason="tool_calls", tool_calls=[call])


@pytest.mark.parametrize("depth", [150, 900, 5000, 100_000])
def test_deeply_nested_tool_arguments_are_an_invalid_tool_call(depth: int) -> None:
    arguments = '{"a":' + "[" * depth + "]" * depth + "}"
    message = reply_to_message(_tool_reply(arguments))
    assert message.tool_calls == []
    (invalid,) = message.invalid_tool_calls
    assert invalid["args"] == arguments
    assert "nested" in (invalid["error"] or "")


def test_moderately_nested_tool_arguments_are_fine() -> None:
    arguments = '{"a":' + "[" * 50 + "]" * 50 + "}"
    assert reply_to_message(_tool_reply(arguments)).tool_calls[0]["name"] == "f"


@pytest.mark.parametrize(
    ("arguments", "function"),
    [({"already": "parsed"}, {}), ('{"a": 1}', {"name": 5}), ("[1, 2]", {}), (7, {})],
)
def test_odd_tool_call_shapes_are_valid_or_invalid_calls(arguments: Any, function: Any) -> None:
    message = reply_to_message(_tool_reply(arguments, **function))
    assert len(message.tool_calls) + len(message.invalid_tool_calls) == 1


@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), 1e300, 10**40, -5, "12", [3], {"n": 1}, True],
)
@pytest.mark.parametrize("field", ["prompt_tokens", "total_tokens", "details"])
def test_unusable_usage_numbers_are_left_out_with_a_warning(value: Any, field: str) -> None:
    usage: dict[str, Any] = {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}
    if field == "details":
        usage["completion_tokens_details"] = {"image_tokens": value}
    else:
        usage[field] = value
    with pytest.warns(UserWarning, match="unusable token count"):
        message = reply_to_message(chat_reply("fine", usage=usage))
    assert message.content == "fine"
    assert message.usage_metadata is None
    assert message.response_metadata["token_usage"] == usage  # the raw numbers stay visible


def test_non_string_ids_are_ignored() -> None:
    reply = chat_reply("x")
    reply["id"] = 12345
    message = reply_to_message(reply)
    assert message.id is None and message.content == "x"
