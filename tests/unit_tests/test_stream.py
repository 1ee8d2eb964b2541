"""Stream assembly: events → chunks, aggregated equal to the non-streamed reply."""

from __future__ import annotations

from functools import reduce
from operator import add
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk

from langchain_hiapi._reply import reply_to_message
from langchain_hiapi._stream import StreamAssembler
from langchain_hiapi.errors import BadRequestError, PromptBlockedError, StreamError
from tests._support.wire import chat_reply, markdown_image, png_b64, stream_events

PNG = png_b64(8, 5)


def assemble(events: list[dict[str, Any]]) -> tuple[list[AIMessageChunk], AIMessageChunk]:
    assembler = StreamAssembler()
    chunks = [c for e in events for c in assembler.feed(e)]
    chunks += assembler.finish()
    messages = [c.message for c in chunks]
    assert all(isinstance(m, AIMessageChunk) for m in messages)
    return messages, reduce(add, messages)  # type: ignore[arg-type]


def assert_same_as_invoke(aggregate: AIMessageChunk, reply_text: str | None, **fields: Any) -> None:
    invoked = reply_to_message(chat_reply(reply_text, **fields))
    invoked_id = invoked.id
    assert aggregate.content == _rename(invoked.content, invoked_id)
    assert aggregate.additional_kwargs == invoked.additional_kwargs
    assert aggregate.tool_calls == invoked.tool_calls
    assert aggregate.usage_metadata == invoked.usage_metadata
    assert (
        aggregate.response_metadata["finish_reason"] == invoked.response_metadata["finish_reason"]
    )
    assert aggregate.response_metadata["token_usage"] == invoked.response_metadata["token_usage"]


def _rename(content: Any, invoked_id: str | None) -> Any:
    # The fixtures use different response ids for the streamed and the invoked reply.
    if isinstance(content, str):
        return content
    return [
        {**c, "id": c["id"].replace(str(invoked_id), "chatcmpl-X")} if isinstance(c, dict) else c
        for c in content
    ]


def test_contract_stream_text_then_single_image_delta() -> None:
    image = markdown_image(PNG)
    chunks, aggregate = assemble(
        stream_events([{"content": "Here is your cat\n"}, {"content": image}])
    )
    image_chunks = [c for c in chunks if isinstance(c.content, list)]
    assert len(image_chunks) == 1
    assert image_chunks[0].content == [
        {"type": "image", "id": "chatcmpl-X-img1", "base64": PNG, "mime_type": "image/png"}
    ]
    # no chunk leaks base64 as text
    assert all(PNG[:20] not in c.text for c in chunks)
    last = chunks[-1]
    assert last.chunk_position == "last"
    assert last.response_metadata["finish_reason"] == "stop"
    assert last.response_metadata["model_name"] == "gemini-3-pro-image-preview"
    assert last.response_metadata["id"] == "chatcmpl-X"
    assert last.usage_metadata is not None and last.usage_metadata["total_tokens"] == 1305
    assert_same_as_invoke(aggregate, f"Here is your cat\n{image}")


@pytest.mark.parametrize("cut", [1, 2, 5, 11, 30, 31, 40, 200])
def test_image_markdown_split_across_deltas(cut: int) -> None:
    text = f"Before {markdown_image(PNG, 'image/jpeg')} after"
    deltas = [{"content": text[i : i + cut]} for i in range(0, len(text), cut)]
    chunks, aggregate = assemble(stream_events(deltas))
    assert sum(isinstance(c.content, list) for c in chunks) == 1
    assert all(PNG[:12] not in c.text for c in chunks)
    assert_same_as_invoke(aggregate, text)


def test_image_only_stream_matches_invoke() -> None:
    _, aggregate = assemble(stream_events([{"content": markdown_image(PNG)}]))
    assert_same_as_invoke(aggregate, markdown_image(PNG))
    assert [b["type"] for b in aggregate.content_blocks] == ["image"]


def test_reasoning_stream_then_image() -> None:
    deltas = [
        {"reasoning_content": "Let me "},
        {"reasoning": "think."},
        {"content": markdown_image(PNG)},
    ]
    _, aggregate = assemble(stream_events(deltas))
    assert aggregate.additional_kwargs == {"reasoning_content": "Let me think."}
    assert_same_as_invoke(aggregate, markdown_image(PNG), reasoning_content="Let me think.")
    assert [b["type"] for b in aggregate.content_blocks] == ["reasoning", "image"]


def test_text_stream_is_plain_string() -> None:
    _, aggregate = assemble(
        stream_events([{"content": "Hel"}, {"content": "lo"}], model="gpt-4o-mini")
    )
    assert aggregate.content == "Hello"
    assert_same_as_invoke(aggregate, "Hello", model="gpt-4o-mini")


def test_tool_call_deltas() -> None:
    deltas = [
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "add", "arguments": ""},
                }
            ]
        },
        {"tool_calls": [{"index": 0, "function": {"arguments": '{"a": '}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": "1}"}}]},
    ]
    chunks, aggregate = assemble(stream_events(deltas, finish_reason="tool_calls"))
    assert chunks[1].tool_call_chunks == [
        {"name": "add", "args": "", "id": "c1", "index": 0, "type": "tool_call_chunk"}
    ]
    assert aggregate.tool_calls == [
        {"name": "add", "args": {"a": 1}, "id": "c1", "type": "tool_call"}
    ]
    assert_same_as_invoke(
        aggregate,
        None,
        finish_reason="tool_calls",
        tool_calls=[
            {"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1}'}}
        ],
    )


def test_usage_only_chunk_after_finish_lands_on_last_chunk() -> None:
    chunks, _ = assemble(stream_events([{"content": "x"}]))
    assert [c.usage_metadata is not None for c in chunks] == [False, False, True]


def test_no_usage_chunk_is_fine() -> None:
    chunks, aggregate = assemble(stream_events([{"content": "x"}], usage=None))
    assert aggregate.usage_metadata is None
    assert chunks[-1].chunk_position == "last"


def test_missing_finish_reason_is_stream_error_with_partial_text() -> None:
    assembler = StreamAssembler()
    for event in stream_events(
        [{"content": "Here is"}, {"content": " your"}], finish_reason=None, usage=None
    ):
        assembler.feed(event)
    with pytest.raises(StreamError, match="finish_reason") as info:
        assembler.finish()
    assert info.value.partial_text == "Here is your"


def test_stream_ending_inside_image_is_error() -> None:
    assembler = StreamAssembler()
    for event in stream_events(
        [{"content": f"![image](data:image/png;base64,{PNG[:40]}"}], finish_reason=None
    ):
        assembler.feed(event)
    with pytest.raises(StreamError):
        assembler.finish()


def test_error_event_mid_stream() -> None:
    assembler = StreamAssembler()
    assembler.feed(stream_events([])[0])
    with pytest.raises(StreamError, match="upstream exploded"):
        assembler.feed({"error": {"message": "upstream exploded", "type": "upstream_error"}})


def test_v1_content_blocks_of_chunks() -> None:
    chunks, _ = assemble(stream_events([{"content": "hi "}, {"content": markdown_image(PNG)}]))
    blocks = [b for c in chunks for b in c.content_blocks]
    assert [b["type"] for b in blocks] == ["text", "image"]


# ------------------------------------------------------------------------ blocked prompts


def test_stream_ending_with_an_empty_choices_chunk_is_a_blocked_prompt() -> None:
    # new-api: a `choices: []` chunk (no usage), then the usage chunk and [DONE]; no finish.
    events = stream_events([], finish_reason=None)
    base = {k: events[0][k] for k in ("id", "object", "created", "model")}
    events.insert(1, {**base, "choices": [], "usage": None})
    with pytest.raises(PromptBlockedError) as info:
        assemble(events)
    assert isinstance(info.value, BadRequestError)
    assert info.value.code == "prompt_blocked"


def test_stream_cut_after_content_is_not_a_blocked_prompt() -> None:
    # An upstream failure mid-stream: content, then only the usage chunk (choices: []).
    events = stream_events([{"content": "so far"}], finish_reason=None)
    with pytest.raises(StreamError, match="before a finish_reason") as info:
        assemble(events)
    assert not isinstance(info.value, PromptBlockedError)


def test_content_filter_finish_reason_is_in_stream_metadata() -> None:
    _, aggregate = assemble(stream_events([{"content": "I can't"}], finish_reason="content_filter"))
    assert aggregate.response_metadata["finish_reason"] == "content_filter"


def test_stream_usage_has_image_tokens_and_upstream_model_name() -> None:
    _, aggregate = assemble(stream_events([{"content": "x"}], model="gemini-3-pro-image-preview"))
    assert aggregate.usage_metadata is not None
    assert aggregate.usage_metadata["output_token_details"] == {"reasoning": 7, "image": 1290}
    assert aggregate.response_metadata["model_name"] == "gemini-3-pro-image-preview"


def test_stream_logprobs_add_up() -> None:
    events = stream_events([{"content": "a"}, {"content": "b"}])
    events[1]["choices"][0]["logprobs"] = {"content": [{"token": "a", "logprob": -1.0}]}
    events[2]["choices"][0]["logprobs"] = {"content": [{"token": "b", "logprob": -2.0}]}
    _, aggregate = assemble(events)
    assert [t["token"] for t in aggregate.response_metadata["logprobs"]["content"]] == ["a", "b"]


# ------------------------------------------------------------------------ hostile events


def _tool_delta(arguments: Any, index: Any = 0, **extra: Any) -> dict[str, Any]:
    return {"tool_calls": [{"index": index, "function": {"arguments": arguments}, **extra}]}


def test_deeply_nested_streamed_tool_arguments_are_a_stream_error() -> None:
    fragments = ['{"a":', "[" * 60, "[" * 60, "]" * 120 + "}"]
    events = stream_events([_tool_delta(f) for f in fragments], finish_reason="tool_calls")
    with pytest.raises(StreamError, match="deeper than 100"):
        assemble(events)


def test_brackets_inside_streamed_strings_do_not_count_as_nesting() -> None:
    text = '"' + "[{" * 200 + '\\\\\\"[[["'  # ends in an escaped \\ and an escaped "
    cut = text.index("\\") + 1  # a fragment ends right after a backslash
    fragments = ['{"code": ', text[:7], text[7:cut], text[cut : cut + 2], text[cut + 2 :], "}"]
    events = stream_events([_tool_delta(f) for f in fragments], finish_reason="tool_calls")
    _, aggregate = assemble(events)
    assert aggregate.tool_calls[0]["args"]["code"] == "[{" * 200 + '\\"[[['


@pytest.mark.parametrize(
    "delta",
    [
        {"tool_calls": ["not an object"]},
        {"tool_calls": [{"index": 0, "function": "f"}]},
        _tool_delta("{}", index="0"),
        _tool_delta({"a": 1}),
        {"tool_calls": {"index": 0}},
    ],
)
def test_malformed_streamed_tool_calls_are_stream_errors(delta: dict[str, Any]) -> None:
    with pytest.raises(StreamError):
        assemble(stream_events([delta], finish_reason="tool_calls"))


def test_non_string_stream_ids_and_bad_usage_do_not_break_the_stream() -> None:
    events = stream_events([{"content": "hi"}], usage={"prompt_tokens": float("nan")})
    for event in events:
        event["id"] = 42
    with pytest.warns(UserWarning, match="unusable token count"):
        _, aggregate = assemble(events)
    assert aggregate.content == "hi"
    assert aggregate.usage_metadata is None
