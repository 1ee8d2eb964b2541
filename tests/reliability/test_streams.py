"""Broken streams keep what arrived; a 16 MB image line streams and invokes intact."""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from langchain_core.messages import HumanMessage

from langchain_hiapi import ChatHiAPI
from langchain_hiapi.errors import BadRequestError, StreamError
from langchain_hiapi.testing import HiAPIEmulator, Reply
from tests._support.harness import (
    IMAGE_MODEL,
    PRO_MODEL,
    TEXT_MODEL,
    call,
    chunk_text,
    invoke,
    stream,
)

PROMPT = "please repeat these eleven words back to me one by one now"
FULL_TEXT = f"You said: {PROMPT}"


# ------------------------------------------------------------------------ broken streams


async def test_full_text_reference(emu: HiAPIEmulator, make_llm: Any, mode: str) -> None:
    """The uncut stream the cut ones are compared with."""
    llm, _ = make_llm()
    message = await stream(llm, mode, PROMPT)
    assert message.content == FULL_TEXT
    assert message.response_metadata["finish_reason"] == "stop"


@pytest.mark.parametrize("cut_after", [1, 2, 4, 7])
async def test_stream_cut_keeps_partial_text(
    emu: HiAPIEmulator, make_llm: Any, mode: str, cut_after: int
) -> None:
    emu.queue(Reply(stream_cut_after=cut_after))
    llm, sleeps = make_llm(max_retries=2)
    received: list[Any] = []
    with pytest.raises(StreamError, match="stream ended early") as info:
        await stream(llm, mode, PROMPT, sink=received)
    partial = info.value.partial_text
    # Nothing lost: the error holds exactly the text the consumer already got ...
    assert partial == chunk_text(received)
    # ... which is the start of the real answer, one word per event after the first.
    assert FULL_TEXT.startswith(partial)
    assert len(partial.split()) == cut_after - 1
    # Output was flowing: never re-sent.
    assert len(emu.requests) == 1
    assert sleeps.delays == []


async def test_stream_cut_through_invoke_with_streaming(
    emu: HiAPIEmulator, make_llm: Any, mode: str
) -> None:
    emu.queue(Reply(stream_cut_after=4))
    llm, _ = make_llm(streaming=True)
    with pytest.raises(StreamError) as info:
        await invoke(llm, mode, PROMPT)
    assert info.value.partial_text == "You said: please "
    assert len(emu.requests) == 1


async def test_done_without_finish_is_an_error(
    emu: HiAPIEmulator, make_llm: Any, mode: str
) -> None:
    emu.queue(Reply(done_without_finish=True))
    llm, _ = make_llm()
    received: list[Any] = []
    with pytest.raises(StreamError, match="finish_reason") as info:
        await stream(llm, mode, PROMPT, sink=received)
    # Every delta arrived; only the finish chunk is missing. Not a silent short answer.
    assert info.value.partial_text == FULL_TEXT == chunk_text(received)
    assert len(emu.requests) == 1


async def test_done_without_finish_on_an_image_model(
    emu: HiAPIEmulator, make_llm: Any, mode: str
) -> None:
    emu.queue(Reply(done_without_finish=True))
    llm, _ = make_llm(model=IMAGE_MODEL)
    received: list[Any] = []
    with pytest.raises(StreamError) as info:
        await stream(llm, mode, "draw a blue cat", sink=received)
    assert info.value.partial_text.startswith("Here is your image")
    assert "base64" not in info.value.partial_text  # prose only, never the payload
    images = [p for c in received if isinstance(c.content, list) for p in c.content]
    assert [p["type"] for p in images if isinstance(p, dict)] == ["image"]


async def test_malformed_json_event(emu: HiAPIEmulator, make_llm: Any, mode: str) -> None:
    emu.queue(Reply(malformed_json=True))
    llm, _ = make_llm()
    with pytest.raises(StreamError, match="malformed event") as info:
        await stream(llm, mode, PROMPT)
    assert info.value.partial_text == ""  # the broken event is the second one
    assert len(emu.requests) == 1


def _sse(*payloads: str) -> bytes:
    return b"".join(b"data: " + p.encode() + b"\n\n" for p in payloads)


def _delta(content: str) -> str:
    return (
        '{"id":"chatcmpl-m","object":"chat.completion.chunk","model":"m",'
        '"choices":[{"index":0,"delta":{"content":"' + content + '"},"finish_reason":null}]}'
    )


BROKEN_LATE = {
    "malformed": (_sse(_delta("Hello "), _delta("world"), '{"choices":[{"delta":'), "not JSON"),
    "not-utf8": (_sse(_delta("Hello "), _delta("world")) + b"data: \xff\xfe\n\n", "not UTF-8"),
    "error-event": (
        _sse(
            _delta("Hello "),
            _delta("world"),
            '{"error":{"message":"upstream quota","type":"upstream_error","code":429}}',
        ),
        "upstream quota",
    ),
    "no-done": (_sse(_delta("Hello "), _delta("world")), "finish_reason"),
}


@pytest.mark.parametrize("case", list(BROKEN_LATE))
async def test_stream_broken_after_text_keeps_it(mode: str, case: str) -> None:
    body, message = BROKEN_LATE[case]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    transport = httpx.MockTransport(handler)
    llm = ChatHiAPI(
        model=TEXT_MODEL,
        api_key="k",
        base_url="http://hiapi.test/v1",
        http_client=httpx.Client(transport=transport),
        http_async_client=httpx.AsyncClient(transport=transport),
    )
    received: list[Any] = []
    with pytest.raises(StreamError, match=message) as info:
        await stream(llm, mode, "hi", sink=received)
    assert info.value.partial_text == "Hello world" == chunk_text(received)


# ------------------------------------------------------------------------ 16 MB images


@pytest.fixture(scope="module")
def big_emulator() -> Iterator[HiAPIEmulator]:
    with HiAPIEmulator(full_size=True, noise=True) as emulator:
        yield emulator


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:8]
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("kind", ["invoke", "stream"])
async def test_16mb_image_line(big_emulator: HiAPIEmulator, mode: str, kind: str) -> None:
    llm = ChatHiAPI(
        model=PRO_MODEL,
        base_url=big_emulator.base_url,
        api_key=big_emulator.api_key,
        image_config={"aspect_ratio": "1:1", "image_size": "2K"},
    )
    try:
        message = await call(llm, mode, kind, "draw a purple mountain")
    finally:
        await llm.client.aclose()
    assert isinstance(message.content, list)
    texts = [p for p in message.content if isinstance(p, str)]
    images = [p for p in message.content if isinstance(p, dict)]
    assert "".join(texts).startswith("Here is your image: draw a purple mountain.")
    assert all("base64" not in t and "data:" not in t for t in texts)
    (image,) = images
    assert image["type"] == "image"
    assert image["mime_type"] == "image/png"
    assert len(image["base64"]) > 16_000_000  # one 16 MB SSE line / JSON string
    data = base64.b64decode(image["base64"], validate=True)
    assert png_size(data) == (2048, 2048)
    assert data.endswith(b"IEND\xaeB`\x82")


# ------------------------------------------------------------------------ concurrency


def _prompt(index: int, *, bad: bool) -> list[HumanMessage]:
    """A request; `bad` ones carry a GIF, which Gemini (so the emulator) rejects with 400."""
    blocks: list[Any] = [{"type": "text", "text": f"draw a red thing number {index}"}]
    if bad:
        gif = base64.b64encode(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;").decode()
        blocks.append({"type": "image", "base64": gif, "mime_type": "image/gif"})
    return [HumanMessage(content=blocks)]


@pytest.mark.parametrize("method", ["batch", "abatch"])
async def test_batch_with_some_failures(emu: HiAPIEmulator, make_llm: Any, method: str) -> None:
    bad = {1, 4, 5}
    inputs = [_prompt(i, bad=i in bad) for i in range(8)]
    llm, sleeps = make_llm(model=IMAGE_MODEL, max_retries=2)
    config = {"max_concurrency": 8}
    if method == "abatch":
        results = await llm.abatch(inputs, config=config, return_exceptions=True)
    else:
        results = llm.batch(inputs, config=config, return_exceptions=True)
    assert len(results) == len(inputs)
    for index, result in enumerate(results):
        if index in bad:
            assert isinstance(result, BadRequestError), result
            assert "image/gif" in str(result)
        else:
            # Each answer belongs to its own input, in input order.
            assert not isinstance(result, Exception), result
            assert f"number {index}" in result.content[0]
            assert result.content[1]["type"] == "image"
    assert len(emu.requests) == len(inputs)  # 400s are not retried
    assert sleeps.delays == []


async def test_abatch_with_transient_faults_all_succeed(emu: HiAPIEmulator, make_llm: Any) -> None:
    """Three 429s land on whichever requests come first; retries absorb them all."""
    emu.queue(*[Reply(status=429)] * 3)
    llm, sleeps = make_llm(max_retries=3)
    inputs = [f"message {i}" for i in range(6)]
    results = await llm.abatch(inputs, config={"max_concurrency": 6}, return_exceptions=True)
    assert [r.content for r in results] == [f"You said: message {i}" for i in range(6)]
    assert len(emu.requests) == 6 + 3
    assert len(sleeps.delays) == 3


def test_streams_keep_their_connection_alive(emu: HiAPIEmulator) -> None:
    """After `[DONE]` the rest of the body is read, so the pooled connection is reused."""
    llm = ChatHiAPI(model="gpt-4o-mini", base_url=emu.base_url, api_key=emu.api_key)
    for _ in range(3):
        assert "".join(c.text for c in llm.stream("hello there")).strip()
    pool = llm.client._sync_client()._transport._pool  # type: ignore[attr-defined]
    assert len(pool.connections) == 1
    assert pool.connections[0].is_idle()
