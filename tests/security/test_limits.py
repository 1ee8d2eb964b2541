"""Item 3: every byte count is bounded; past a limit comes a typed `ResponseTooLargeError`.

The hostile replies come from loopback servers that would go on for far longer than the
limit (until the client hangs up), so a probe that passes shows the client stopped early.
"""

from __future__ import annotations

import inspect
import json
import socket
import tracemalloc
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from langchain_hiapi._client import HiAPIClient
from langchain_hiapi._sse import SSEDecoder
from langchain_hiapi.errors import (
    InternalServerError,
    InvalidResponseError,
    ResponseTooLargeError,
    StreamError,
)
from langchain_hiapi.images_api import agenerate_images, generate_images
from langchain_hiapi.limits import DEFAULT_LIMITS, Limits
from langchain_hiapi.testing import HiAPIEmulator
from langchain_hiapi.video import HiAPIVideoGenerationTool, agenerate_video, generate_video
from tests._support.client_calls import get_json, stream
from tests._support.servers import RawServer, chunk, repeat, reply, response_head, trickle

KIB = 1024
MIB = 1024 * KIB
KEY = "sk-security-limits-0123456789"


def client(server: RawServer, **limits: int) -> HiAPIClient:
    return HiAPIClient(base_url=server.base_url, api_key=SecretStr(KEY), limits=Limits(**limits))


def endless_chunks(piece: bytes, content_type: str = "application/json", **headers: str) -> Any:
    """A handler sending a chunked 2xx body of `piece` until the client hangs up."""

    def handle(conn: socket.socket, head: bytes) -> int:
        conn.sendall(
            response_head(
                200, {"Content-Type": content_type, "Transfer-Encoding": "chunked", **headers}
            )
        )
        return trickle(conn, (chunk(p) for p in repeat(piece, 100_000)), end=b"0\r\n\r\n")

    return handle


async def test_declared_oversize_body_fails_before_reading(mode: str) -> None:
    def handle(conn: socket.socket, head: bytes) -> None:
        conn.sendall(response_head(200, {"Content-Length": str(10**12)}) + b'{"a":')

    with RawServer(handle) as server:
        c = client(server, max_response_bytes=MIB)
        with pytest.raises(ResponseTooLargeError) as info:
            await get_json(c, mode)
        await c.aclose()
    assert info.value.limit_name == "max_response_bytes"
    assert info.value.limit == MIB


async def test_endless_chunked_body_stops_at_the_limit(mode: str) -> None:
    with RawServer(endless_chunks(b"x" * 64 * KIB)) as server:
        c = client(server, max_response_bytes=MIB)
        with pytest.raises(ResponseTooLargeError, match="max_response_bytes"):
            await get_json(c, mode)
        await c.aclose()
    (sent,) = server.results
    assert sent < 100_000  # the client hung up long before the server was done


def bomb(encoding: str, size: int) -> bytes:
    wbits = 31 if encoding == "gzip" else 15  # gzip container, or zlib for deflate
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = b"\0" * MIB
    out = [compressor.compress(block) for _ in range(size // MIB)]
    return b"".join([*out, compressor.flush()])


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_decompression_bombs_are_counted_after_decoding(mode: str, encoding: str) -> None:
    payload = bomb(encoding, 192 * MIB)
    assert len(payload) < 1 * MIB

    def handle(conn: socket.socket, head: bytes) -> None:
        headers = {"Content-Encoding": encoding, "Content-Type": "application/json"}
        reply(conn, 200, payload, headers)

    with RawServer(handle) as server:
        c = client(server, max_response_bytes=MIB)
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLargeError):
                await get_json(c, mode)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        await c.aclose()
    # Inflated in 1 MiB steps: nowhere near the 192 MiB (httpx alone peaks at ~150 MiB,
    # inflating each 64 KiB network read in one go).
    assert peak < 16 * MIB


async def test_oversize_error_body_is_cut_and_keeps_its_type(mode: str) -> None:
    def handle(conn: socket.socket, head: bytes) -> int:
        conn.sendall(response_head(500, {"Transfer-Encoding": "chunked"}))
        return trickle(
            conn, (chunk(p) for p in repeat(b"<html>" * 10_000, 100_000)), end=b"0\r\n\r\n"
        )

    with RawServer(handle) as server:
        c = HiAPIClient(
            base_url=server.base_url,
            api_key=None,
            limits=Limits(max_error_body_bytes=4 * KIB),
            sleep=lambda delay: None,
        )
        c.retry_policy = type(c.retry_policy)(max_retries=0)
        with pytest.raises(InternalServerError) as info:
            await get_json(c, mode)
        await c.aclose()
    assert isinstance(info.value.body, str)
    assert len(info.value.body.encode()) <= 4 * KIB


def sse_handler(*pieces: bytes, endless: bytes | None = None) -> Any:
    def handle(conn: socket.socket, head: bytes) -> int:
        conn.sendall(
            response_head(
                200, {"Content-Type": "text/event-stream", "Transfer-Encoding": "chunked"}
            )
        )
        for piece in pieces:
            conn.sendall(chunk(piece))
        if endless is None:
            conn.sendall(b"0\r\n\r\n")
            return 0
        return trickle(conn, (chunk(p) for p in repeat(endless, 100_000)), end=b"0\r\n\r\n")

    return handle


EVENT = json.dumps({"choices": [{"index": 0, "delta": {"content": "hi"}}]}).encode()


async def test_an_endless_sse_line_is_refused(mode: str) -> None:
    with RawServer(sse_handler(b"data: " + EVENT + b"\n\ndata: ", endless=b"A" * 64 * KIB)) as s:
        c = client(s, max_event_bytes=MIB)
        with pytest.raises(ResponseTooLargeError) as info:
            await stream(c, mode)
        await c.aclose()
    assert info.value.limit_name == "max_event_bytes"


async def test_data_lines_of_an_unfinished_event_are_bounded(mode: str) -> None:
    with RawServer(sse_handler(endless=b"data: " + b"B" * 32 * KIB + b"\n")) as s:
        c = client(s, max_event_bytes=MIB)
        with pytest.raises(ResponseTooLargeError, match="max_event_bytes"):
            await stream(c, mode)
        await c.aclose()


async def test_an_endless_stream_is_refused(mode: str) -> None:
    with RawServer(sse_handler(endless=b"data: " + EVENT + b"\n\n")) as s:
        c = client(s, max_stream_bytes=256 * KIB)
        with pytest.raises(ResponseTooLargeError) as info:
            await stream(c, mode)
        await c.aclose()
    assert info.value.limit_name == "max_stream_bytes"


async def test_endless_keepalive_comments_count_towards_the_stream(mode: str) -> None:
    with RawServer(sse_handler(endless=b": PING\n\n" * 1000)) as s:
        c = client(s, max_stream_bytes=512 * KIB)
        with pytest.raises(ResponseTooLargeError, match="max_stream_bytes"):
            await stream(c, mode)
        await c.aclose()


async def test_json_instead_of_a_stream_is_cut(mode: str) -> None:
    with RawServer(endless_chunks(b'{"error": "' + b"z" * 64 * KIB)) as s:
        c = client(s, max_error_body_bytes=8 * KIB)
        with pytest.raises(StreamError):
            await stream(c, mode)
        await c.aclose()


def test_sse_decoder_limits_are_exact() -> None:
    decoder = SSEDecoder(max_event_bytes=10)
    assert decoder.feed(b"data: 0123456789\n\n") == [b"0123456789"]
    with pytest.raises(ResponseTooLargeError):
        decoder.feed(b"data: 0123456789A\n\n")
    unbounded = SSEDecoder()
    assert unbounded.feed(b"data: " + b"x" * MIB + b"\n\n") == [b"x" * MIB]


# ------------------------------------------------------------------------------ downloads


def images_gateway(size: int) -> Any:
    """POST answers with a URL on the same origin; GET serves `size` bytes of "image"."""

    def handle(conn: socket.socket, head: bytes) -> Any:
        if head.startswith(b"POST"):
            port = conn.getsockname()[1]
            url = f"http://127.0.0.1:{port}/v1/images/files/a.png"
            return reply(conn, 200, json.dumps({"data": [{"url": url}]}).encode())
        conn.sendall(
            response_head(200, {"Content-Type": "image/png", "Transfer-Encoding": "chunked"})
        )
        pieces = repeat(b"\x89PNG\r\n\x1a\n" * 8 * KIB, size // (64 * KIB))
        return trickle(conn, (chunk(p) for p in pieces), end=b"0\r\n\r\n")

    return handle


async def images(mode: str, **kwargs: Any) -> Any:
    if mode == "sync":
        return generate_images("x", **kwargs)
    return await agenerate_images("x", **kwargs)


async def test_image_downloads_are_capped(mode: str) -> None:
    with RawServer(images_gateway(64 * MIB)) as server:
        kwargs: dict[str, Any] = {
            "api_key": KEY,
            "base_url": server.base_url,
            "limits": Limits(max_image_download_bytes=MIB),
        }
        with pytest.raises(ResponseTooLargeError) as info:
            await images(mode, **kwargs)
    assert info.value.limit_name == "max_image_download_bytes"


def test_image_downloads_within_the_limit_succeed() -> None:
    with RawServer(images_gateway(2 * MIB)) as server:
        (image,) = generate_images("x", api_key=KEY, base_url=server.base_url)
    assert len(image.data) == 2 * MIB


async def _maybe(result: Any) -> Any:
    return await result if inspect.isawaitable(result) else result


async def test_video_downloads_are_capped(mode: str, tmp_path: Any) -> None:
    # Videos come from the task API (issue 12); the emulator's MP4 is about 2 KB.
    with HiAPIEmulator(api_key=KEY) as emu:
        settings: dict[str, Any] = {
            "api_key": KEY,
            "base_url": emu.base_url,
            "poll_interval": 0.01,
            "max_download_bytes": 1000,
        }
        make = generate_video if mode == "sync" else agenerate_video
        with pytest.raises(InvalidResponseError, match="exceeds max_bytes=1000"):
            await _maybe(make("a boat on a lake", save_dir=tmp_path, **settings))
        tool = HiAPIVideoGenerationTool(
            api_key=KEY,
            base_url=emu.base_url,
            poll_interval=0.01,
            save_dir=tmp_path,
            limits=Limits(max_video_download_bytes=1000),
        )
        message = tool.invoke(
            {"type": "tool_call", "id": "1", "name": tool.name, "args": {"prompt": "a boat"}}
        )
        assert message.status == "error"
        assert "max_bytes=1000" in str(message.content)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


# ------------------------------------------------------------------------------ settings


def test_defaults_fit_4k_images_and_long_videos() -> None:
    # A 4K PNG is ~30 MB, ~40 MB as base64 in a chat reply; a long 1080p clip ~300 MB.
    assert DEFAULT_LIMITS.max_response_bytes >= 64 * MIB
    assert DEFAULT_LIMITS.max_event_bytes >= 64 * MIB  # the gateway allows 64 MB lines
    assert DEFAULT_LIMITS.max_image_download_bytes >= 40 * MIB
    assert DEFAULT_LIMITS.max_video_download_bytes >= 512 * MIB


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "1"])
def test_limits_are_validated(bad: Any) -> None:
    with pytest.raises(ValueError, match="max_response_bytes"):
        Limits(max_response_bytes=bad)


def test_iterators_are_plain() -> None:
    # (keeps the helpers honest: repeat yields exactly `times` pieces)
    pieces: Iterator[bytes] = repeat(b"a", 3)
    assert list(pieces) == [b"a", b"a", b"a"]
