"""Property tests: nothing is lost in request building, SSE framing or image extraction."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import re
import string
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from langchain_hiapi import ChatHiAPI
from langchain_hiapi._convert import messages_to_wire
from langchain_hiapi._markdown_media import DataURIPart, split_data_uris
from langchain_hiapi._reply import BlockIds, text_to_content
from langchain_hiapi.errors import StreamError

FAST = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

MIMES = ["image/png", "image/jpeg", "image/webp", "image/heic"]
# Prose may hold every Markdown character, but no newline (AI images get their own line).
PROSE = st.text(
    alphabet=st.sampled_from(string.ascii_letters + string.digits + " !()[]:;,./+=-_é漢🙂"),
    max_size=25,
)
B64 = st.binary(min_size=1, max_size=48).map(lambda b: base64.b64encode(b).decode())
IMAGE = st.fixed_dictionaries({"base64": B64, "mime_type": st.sampled_from(MIMES)})
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
TOOL_CALL = st.fixed_dictionaries(
    {
        "name": st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True),
        "args": st.dictionaries(st.text(min_size=1, max_size=8), JSON_VALUE, max_size=4),
        "id": st.from_regex(r"call_[A-Za-z0-9]{1,12}", fullmatch=True),
    }
)


def image_block(image: dict[str, str]) -> dict[str, Any]:
    return {"type": "image", **image}


@st.composite
def human_messages(draw: st.DrawFn) -> tuple[HumanMessage, list[Any]]:
    parts = draw(st.lists(st.one_of(PROSE, IMAGE), max_size=5))
    blocks = [{"type": "text", "text": p} if isinstance(p, str) else image_block(p) for p in parts]
    return HumanMessage(content=blocks), parts


@st.composite
def ai_messages(draw: st.DrawFn) -> tuple[AIMessage, list[Any], list[dict[str, Any]]]:
    parts = draw(st.lists(st.one_of(PROSE, IMAGE), max_size=5))
    calls = draw(st.lists(TOOL_CALL, max_size=3, unique_by=lambda c: c["id"]))
    blocks = [{"type": "text", "text": p} if isinstance(p, str) else image_block(p) for p in parts]
    tool_calls = [{**c, "type": "tool_call"} for c in calls]
    return AIMessage(content=blocks, tool_calls=tool_calls), parts, calls  # type: ignore[arg-type]


def check_human(wire: dict[str, Any], parts: list[Any]) -> None:
    assert wire["role"] == "user"
    texts = [p for p in parts if isinstance(p, str)]
    images = [p for p in parts if not isinstance(p, str)]
    if isinstance(wire["content"], str):
        assert not images
        assert wire["content"] == "".join(texts)
        return
    assert [p["text"] for p in wire["content"] if p["type"] == "text"] == texts
    urls = [p["image_url"]["url"] for p in wire["content"] if p["type"] == "image_url"]
    assert urls == [f"data:{i['mime_type']};base64,{i['base64']}" for i in images]


def check_ai(wire: dict[str, Any], parts: list[Any], calls: list[dict[str, Any]]) -> None:
    assert wire["role"] == "assistant"
    texts = [p for p in parts if isinstance(p, str)]
    images = [p for p in parts if not isinstance(p, str)]
    content = wire["content"] or ""
    if isinstance(content, list):
        # The gateway drops text after the last image of a part: each part but the last
        # ends right after an image, the last holds the trailing prose (if any).
        assert images and all(p["type"] == "text" for p in content)
        part_texts = [p["text"] for p in content]
        assert all(isinstance(split_data_uris(t)[-1], DataURIPart) for t in part_texts[:-1])
        content = "".join(part_texts)
    else:
        assert not images
    segments = split_data_uris(content)
    found = [(s.mime_type, s.base64) for s in segments if isinstance(s, DataURIPart)]
    assert found == [(i["mime_type"], i["base64"]) for i in images]
    prose = "".join(s for s in segments if isinstance(s, str))
    assert prose.replace("\n", "") == "".join(texts)
    # The reply parser reads the same text back into the same image blocks.
    blocks = [b for b in text_to_content(content, BlockIds("r")) if isinstance(b, dict)]
    assert [(b["type"], b["mime_type"], b["base64"]) for b in blocks] == [
        ("image", i["mime_type"], i["base64"]) for i in images
    ]
    wire_calls = wire.get("tool_calls", [])
    assert [
        (c["id"], c["function"]["name"], json.loads(c["function"]["arguments"])) for c in wire_calls
    ] == [(c["id"], c["name"], c["args"]) for c in calls]


@st.composite
def conversations(draw: st.DrawFn) -> list[tuple[str, Any]]:
    kinds = draw(st.lists(st.sampled_from(["human", "ai", "tool"]), min_size=1, max_size=6))
    out: list[tuple[str, Any]] = []
    for kind in kinds:
        if kind == "human":
            out.append(("human", draw(human_messages())))
        elif kind == "ai":
            out.append(("ai", draw(ai_messages())))
        else:
            call_id = draw(st.from_regex(r"call_[a-z0-9]{1,8}", fullmatch=True))
            out.append(("tool", (ToolMessage(content=draw(PROSE), tool_call_id=call_id), call_id)))
    return out


@FAST
@given(conversations())
def test_messages_round_trip_through_request_building(conv: list[tuple[str, Any]]) -> None:
    messages: list[BaseMessage] = [item[0] for _, item in conv]
    wire = messages_to_wire(messages)
    assert len(wire) == len(messages)
    for (kind, item), wired in zip(conv, wire, strict=True):
        if kind == "human":
            check_human(wired, item[1])
        elif kind == "ai":
            check_ai(wired, item[1], item[2])
        else:
            message, call_id = item
            assert wired == {"role": "tool", "tool_call_id": call_id, "content": message.content}
    json.dumps(wire, allow_nan=False)  # and it is sendable


def test_media_after_exclamation_and_empty_text() -> None:
    png = base64.b64encode(b"\x89PNG").decode()
    message = AIMessage(
        content=[
            {"type": "text", "text": "Done!"},
            {"type": "text", "text": ""},
            {"type": "image", "base64": png, "mime_type": "image/png"},
            {"type": "file", "base64": "JVBERi0=", "mime_type": "application/pdf"},
        ]
    )
    with pytest.warns(UserWarning, match="application/pdf media is not sent back"):
        content = messages_to_wire([message])[0]["content"]
    assert [text_to_content(part["text"], BlockIds("r")) for part in content] == [
        ["Done!\n", {"type": "image", "id": "r-img1", "base64": png, "mime_type": "image/png"}],
        ["[application/pdf omitted]"],
    ]


# ------------------------------------------------------------------------ SSE framing

PNG_B64 = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(200)) * 3).decode()


def event(delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> str:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    body = {"id": "chatcmpl-p", "object": "chat.completion.chunk", "model": "m", "choices": choices}
    return json.dumps({**body, **extra}, ensure_ascii=False)


EVENTS = [
    event({"role": "assistant", "content": ""}),
    event({"reasoning_content": "thinking é漢"}),
    event({"content": "Here is your cat 🙂\n"}),
    event({"content": f"![image](data:image/png;base64,{PNG_B64})"}),
    event({"content": "\nand a call"}),
    event(
        {"tool_calls": [{"index": 0, "id": "call_1", "function": {"name": "f", "arguments": ""}}]}
    ),
    event({"tool_calls": [{"index": 0, "function": {"arguments": '{"a": '}}]}),
    event({"tool_calls": [{"index": 0, "function": {"arguments": "[1, 2]}"}}]}),
    event({}, "stop"),
    event(None, usage={"prompt_tokens": 3, "completion_tokens": 9, "total_tokens": 12}),
]


def sse_body(newline: str) -> bytes:
    out = [": PING" + newline + newline]
    for payload in [*EVENTS, "[DONE]"]:
        out.append("data: " + payload + newline + newline)
    out.insert(4, ": PING" + newline + newline)
    return "".join(out).encode("utf-8")


def split_at(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds) if b > a]


def streaming_model(chunks: list[bytes]) -> ChatHiAPI:
    headers = {"content-type": "text/event-stream"}

    async def agen() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=headers, content=iter(chunks))

    async def ahandler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=headers, content=agen())

    return ChatHiAPI(
        model="Nano-Banana",
        api_key="k",
        base_url="http://hiapi.test/v1",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(ahandler)),
    )


def run_stream(llm: ChatHiAPI, mode: str) -> Any:
    if mode == "sync":
        chunks = list(llm.stream("hi"))
    else:

        async def collect() -> list[Any]:
            return [c async for c in llm.astream("hi")]

        chunks = asyncio.run(collect())
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


def summary(message: Any) -> dict[str, Any]:
    return {
        "content": message.content,
        "tool_calls": message.tool_calls,
        "usage": message.usage_metadata,
        "reasoning": message.additional_kwargs.get("reasoning_content"),
        "finish": message.response_metadata.get("finish_reason"),
        "id": message.id,
    }


REFERENCE = summary(run_stream(streaming_model([sse_body("\n")]), "sync"))


def test_reference_stream_is_complete() -> None:
    assert REFERENCE["content"][0] == "Here is your cat 🙂\n"
    assert REFERENCE["content"][1]["base64"] == PNG_B64
    assert REFERENCE["content"][2] == "\nand a call"
    assert REFERENCE["tool_calls"][0]["args"] == {"a": [1, 2]}
    assert REFERENCE["usage"]["total_tokens"] == 12
    assert REFERENCE["reasoning"] == "thinking é漢"
    assert REFERENCE["finish"] == "stop"


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
@FAST
@given(cuts=st.lists(st.integers(min_value=0), max_size=40))
def test_any_network_split_gives_the_same_message(mode: str, newline: str, cuts: list[int]) -> None:
    chunks = split_at(sse_body(newline), cuts)
    assert b"".join(chunks) == sse_body(newline)
    assert summary(run_stream(streaming_model(chunks), mode)) == REFERENCE


def test_one_byte_chunks_give_the_same_message() -> None:
    body = sse_body("\r\n")
    chunks = [body[i : i + 1] for i in range(len(body))]
    assert summary(run_stream(streaming_model(chunks), "sync")) == REFERENCE


# ------------------------------------------------------------------------ Markdown in deltas

NEAR_MISSES = [
    "![x](https://example.com/a.png)",
    "![x](data:text)",
    "![x](data:image/png;base64,)",
    "[x](data:image/png;base64,AAAA",
    "![a]b](data:image/png;base64,AAAA)",
    "(data:image/png;base64,AAAA)",
    "![",
    "](",
    "!",
]


@st.composite
def reply_texts(draw: st.DrawFn) -> str:
    pieces = draw(
        st.lists(
            st.one_of(
                PROSE,
                st.sampled_from(NEAR_MISSES),
                IMAGE.map(lambda i: f"![image](data:{i['mime_type']};base64,{i['base64']})"),
                B64.map(lambda b: f"[media](data:application/pdf;base64,{b})"),
                st.just("\n"),
            ),
            max_size=8,
        )
    )
    return "".join(pieces)


def sse_for_deltas(deltas: list[str]) -> bytes:
    events = [event({"role": "assistant", "content": ""})]
    events += [event({"content": d}) for d in deltas]
    events += [event({}, "stop"), "[DONE]"]
    return "".join(f"data: {e}\n\n" for e in events).encode()


def invoke_text(text: str) -> Any:
    reply = {
        "id": "chatcmpl-p",
        "object": "chat.completion",
        "model": "m",
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}
        ],
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=reply)

    llm = ChatHiAPI(
        model="Nano-Banana",
        api_key="k",
        base_url="http://hiapi.test/v1",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    return llm.invoke("hi")


def text_splits(text: str, cuts: list[int]) -> Iterator[str]:
    points = sorted({c % (len(text) + 1) for c in cuts})
    bounds = [0, *points, len(text)]
    return (text[a:b] for a, b in itertools.pairwise(bounds) if b > a)


# A text that ends inside a data-URI payload: the stream cannot tell it from a cut image.
_TOKEN = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
ENDS_INSIDE_DATA_URI = re.compile(
    rf"\[[^\[\]\r\n]{{0,999}}\]\(data:{_TOKEN}/{_TOKEN};base64,[A-Za-z0-9+/=]*\Z"
)


@FAST
@given(text=reply_texts(), cuts=st.lists(st.integers(min_value=0), max_size=30))
def test_markdown_images_extract_the_same_however_split(text: str, cuts: list[int]) -> None:
    deltas = list(text_splits(text, cuts))
    assert "".join(deltas) == text
    invoked = invoke_text(text)
    # No base64 leaks into prose, and every image of the text is a block.
    expected = [s for s in split_data_uris(text) if isinstance(s, DataURIPart)]
    blocks = [b for b in invoked.content if isinstance(b, dict)] if invoked.content else []
    assert [(b["mime_type"], b["base64"]) for b in blocks] == [
        (p.mime_type, p.base64) for p in expected
    ]
    model = streaming_model([sse_for_deltas(deltas)])
    if ENDS_INSIDE_DATA_URI.search(text):
        # By design a stream that ends inside a data URI is a cut image, not prose (a
        # non-streamed reply keeps such a tail as text): the only allowed difference.
        with pytest.raises(StreamError, match="ended inside an image") as info:
            run_stream(model, "sync")
        prose = "".join(s for s in split_data_uris(text) if isinstance(s, str))
        assert prose.startswith(info.value.partial_text)
        return
    assert run_stream(model, "sync").content == invoked.content


def test_stream_ending_inside_a_data_uri_is_an_error() -> None:
    text = "Here you go\n![image](data:image/png;base64,iVBORw0KGgo"
    with pytest.raises(StreamError, match="ended inside an image") as info:
        run_stream(streaming_model([sse_for_deltas([text[:20], text[20:]])]), "sync")
    assert info.value.partial_text == "Here you go\n"
