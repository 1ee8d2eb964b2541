"""Tests for the incremental SSE decoder, and for events read through `HiAPIClient`'s streams."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langchain_hiapi._decoding import BodyDecoder
from langchain_hiapi._sse import DONE, EventReader, SSEDecoder, StreamBudget
from langchain_hiapi.errors import StreamError
from langchain_hiapi.timeouts import Deadline
from tests._support.client import (
    CHUNK,
    FINISH,
    Harness,
    Server,
    sse,
    sse_reply,
)


def decode_all(chunks: list[bytes]) -> list[bytes]:
    dec = SSEDecoder()
    out: list[bytes] = []
    for chunk in chunks:
        out += dec.feed(chunk)
    return out + dec.close()


def reference_decode(stream: bytes) -> list[bytes]:
    """Straightforward (non-incremental) reading of the SSE rules, for comparison."""
    if stream.startswith(b"\xef\xbb\xbf"):
        stream = stream[3:]
    events: list[bytes] = []
    data: list[bytes] | None = None
    for line in re.split(rb"\r\n|\r|\n", stream):
        if line == b"":
            if data is not None:
                events.append(b"\n".join(data))
            data = None
        elif line.startswith(b":"):
            continue
        else:
            name, _, value = line.partition(b":")
            if name == b"data":
                if value.startswith(b" "):
                    value = value[1:]
                data = (data or []) + [value]
    if data is not None:
        events.append(b"\n".join(data))
    return events


def test_basic_events_and_done() -> None:
    stream = (
        b'data: {"a":1}\n\n'
        b": PING\n\n"
        b"event: message\nid: 7\nretry: 100\n"
        b'data: {"b":2}\n\n'
        b"data: [DONE]\n\n"
    )
    assert decode_all([stream]) == [b'{"a":1}', b'{"b":2}', b"[DONE]"]


def test_line_endings_and_multiline_data() -> None:
    stream = b"data: a\r\ndata: b\r\n\r\ndata:c\rdata:  d\r\rdata\n\n"
    assert decode_all([stream]) == [b"a\nb", b"c\n d", b""]


def test_crlf_split_across_feeds_counts_once() -> None:
    dec = SSEDecoder()
    assert dec.feed(b"data: x\r") == []
    assert dec.feed(b"\n") == []
    # If the \r\n had counted twice, the event would already have been dispatched.
    assert dec.feed(b"data: y\r\n\r\n") == [b"x\ny"]


def test_lone_cr_at_end_then_other_byte() -> None:
    dec = SSEDecoder()
    assert dec.feed(b"data: x\r") == []
    # The second \r ends the blank line only once we know no \n follows it.
    assert dec.feed(b"\r") == []
    assert dec.feed(b"d") == [b"x"]


def test_close_flushes_last_event_without_blank_line() -> None:
    dec = SSEDecoder()
    assert dec.feed(b"data: one\n\ndata: two") == [b"one"]
    assert dec.close() == [b"two"]
    assert dec.close() == []


def test_close_with_trailing_cr() -> None:
    dec = SSEDecoder()
    assert dec.feed(b"data: z\r") == []
    assert dec.close() == [b"z"]


def test_comment_and_unknown_fields_ignored() -> None:
    stream = b": PING\ndataset: no\nfoo\n\n:data: no\n\n"
    assert decode_all([stream]) == []


def test_bom_is_skipped_even_when_split() -> None:
    assert decode_all([b"\xef", b"\xbb", b"\xbfdata: x\n\n"]) == [b"x"]


def test_payloads_are_bytes() -> None:
    (payload,) = decode_all([b"data: x\n\n"])
    assert type(payload) is bytes


def test_sixteen_megabyte_line_in_small_chunks_is_linear() -> None:
    image = "A" * (16 * 1024 * 1024)
    body = b'{"choices":[{"index":0,"delta":{"content":"' + image.encode() + b'"}}]}'
    stream = b"data: " + body + b"\n\ndata: [DONE]\n\n"
    dec = SSEDecoder()
    out: list[bytes] = []
    start = time.perf_counter()
    step = 4096  # 4k+ feeds: a quadratic rescan would take minutes
    for i in range(0, len(stream), step):
        out += dec.feed(stream[i : i + step])
    elapsed = time.perf_counter() - start
    assert out == [body, b"[DONE]"]
    assert elapsed < 2.0
    # The same line as events, in the 64 KB reads of the client (end to end with a real
    # 16 MB image: tests/reliability/test_streams.py::test_16mb_image_line).
    budget = StreamBudget(64 * 1024 * 1024, Deadline(None), "test")
    reader = EventReader(BodyDecoder(""), SSEDecoder(), budget=budget)
    start = time.perf_counter()
    step = 64 * 1024
    events = [e for i in range(0, len(stream), step) for e in reader.feed(stream[i : i + step])]
    assert time.perf_counter() - start < 3.0
    assert events[1:] == [DONE]
    assert events[0]["choices"][0]["delta"]["content"] == image


def test_many_cr_only_lines_are_linear() -> None:
    stream = b"data: x\r\r" * 50_000
    start = time.perf_counter()
    out = SSEDecoder().feed(stream)
    assert len(out) == 49_999  # the last \r may be half of \r\n until more data or close()
    assert time.perf_counter() - start < 2.0


# -- property tests ------------------------------------------------------------------------

_value = st.binary(max_size=30).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
_eol = st.sampled_from([b"\n", b"\r\n", b"\r"])
_line = st.one_of(
    st.builds(lambda v: b"data: " + v, _value),
    st.builds(lambda v: b"data:" + v, _value),
    st.builds(lambda v: b": " + v, _value),
    st.builds(lambda v: b"event: " + v, _value),
    st.just(b"data"),
    st.just(b""),
)


@st.composite
def sse_streams(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(st.tuples(_line, _eol), max_size=25))
    stream = b"".join(line + eol for line, eol in lines)
    if draw(st.booleans()):
        stream += draw(_line)  # a last line without line ending
    return stream


@settings(max_examples=300, deadline=None)
@given(stream=sse_streams(), cuts=st.lists(st.integers(min_value=0), max_size=12))
def test_any_split_gives_same_payloads(stream: bytes, cuts: list[int]) -> None:
    points = sorted({c % (len(stream) + 1) for c in cuts})
    chunks = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]
    expected = reference_decode(stream)
    assert decode_all([stream]) == expected
    assert decode_all(chunks) == expected
    assert decode_all([bytes([b]) for b in stream]) == expected


async def test_stream_events_with_ping_and_done(mode: str) -> None:
    first, second = sse(CHUNK, FINISH, done=False)
    chunks = [first[:10], first[10:] + b": PI", b"NG\n\n", second, b"data: [DONE]\n\n"]
    chunks += sse({"after": "done"})
    reply, stream = sse_reply(chunks)
    h = Harness(mode, Server(reply))
    assert await h.stream() == [CHUNK, FINISH]
    req = h.server.requests[0]
    assert req.headers["accept"] == "text/event-stream"
    assert json.loads(req.content) == {"model": "m", "stream": True}
    assert stream.closed


async def test_stream_ends_at_eof_without_done(mode: str) -> None:
    reply, stream = sse_reply([*sse(CHUNK, done=False), b'data: {"last": 1}'])
    h = Harness(mode, Server(reply))
    assert await h.stream() == [CHUNK, {"last": 1}]
    assert stream.closed


async def test_stream_skips_empty_data(mode: str) -> None:
    reply, _ = sse_reply([b"data:\n\ndata: \n\n", *sse(CHUNK)])
    h = Harness(mode, Server(reply))
    assert await h.stream() == [CHUNK]


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        (b"data: {not json\n\n", "malformed event \\(not JSON\\): {not json"),
        (b"data: [1, 2]\n\n", "malformed event \\(expected an object, got list\\)"),
        (b"data: \xff\xfe\n\n", "malformed event"),
    ],
)
async def test_stream_malformed_event(mode: str, payload: bytes, match: str) -> None:
    reply, stream = sse_reply([*sse(CHUNK, done=False), payload, *sse(FINISH)])
    h = Harness(mode, Server(reply))
    got: list[dict[str, Any]] = []
    with pytest.raises(StreamError, match=match):
        got = await h.stream()
    assert got == []
    assert stream.closed
    assert h.calls == 1


async def test_stream_error_event(mode: str) -> None:
    event = {"error": {"message": "upstream failed (request id: r1)", "code": "upstream_error"}}
    reply, _ = sse_reply(sse(CHUNK, event))
    h = Harness(mode, Server(reply))
    with pytest.raises(StreamError) as info:
        await h.stream()
    assert info.value.code == "upstream_error"
    assert info.value.request_id == "r1"
    assert str(info.value) == "HiAPI upstream_error: upstream failed (request id: r1)"
