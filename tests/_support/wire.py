"""Builders for contract-shaped HiAPI replies used across unit tests."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from typing import Any


def png_bytes(width: int = 4, height: int = 3) -> bytes:
    """A valid RGB PNG of the given size."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    raw = b"".join(b"\x00" + b"\x10\x80\xf0" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def jpeg_header(width: int, height: int) -> bytes:
    """A minimal baseline JPEG header (SOI, APP0, SOF0, EOI) declaring the given size."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def png_b64(width: int = 4, height: int = 3) -> str:
    return base64.b64encode(png_bytes(width, height)).decode()


def markdown_image(b64: str, mime: str = "image/png") -> str:
    return f"![image](data:{mime};base64,{b64})"


USAGE = {
    "prompt_tokens": 15,
    "completion_tokens": 1290,
    "total_tokens": 1305,
    "prompt_tokens_details": {
        "cached_tokens": 3,
        "text_tokens": 15,
        "audio_tokens": 0,
        "image_tokens": 0,
    },
    "completion_tokens_details": {
        "text_tokens": 0,
        "audio_tokens": 0,
        "reasoning_tokens": 7,
        "image_tokens": 1290,
    },
}


def chat_reply(
    content: Any = "Hello!",
    *,
    model: str = "gemini-3-pro-image-preview",
    finish_reason: str = "stop",
    usage: dict[str, Any] | None = USAGE,
    **message_fields: Any,
) -> dict[str, Any]:
    message = {"role": "assistant", "content": content, **message_fields}
    reply: dict[str, Any] = {
        "id": "chatcmpl-20251201123456789abc",
        "object": "chat.completion",
        "created": 1764590000,
        "model": model,
        "choices": [{"index": 0, "finish_reason": finish_reason, "message": message}],
    }
    if usage is not None:
        reply["usage"] = usage
    return reply


def stream_events(
    deltas: list[dict[str, Any]],
    *,
    model: str = "gemini-3-pro-image-preview",
    finish_reason: str | None = "stop",
    usage: dict[str, Any] | None = USAGE,
) -> list[dict[str, Any]]:
    """Chunk objects exactly as the contract lists them: role, deltas, finish, usage."""
    base = {
        "id": "chatcmpl-X",
        "object": "chat.completion.chunk",
        "created": 1764590000,
        "model": model,
        "system_fingerprint": None,
    }

    def event(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            **base,
            "choices": [{"delta": delta, "logprobs": None, "finish_reason": finish, "index": 0}],
            "usage": None,
        }

    events = [event({"content": "", "role": "assistant"})]
    events += [event(d) for d in deltas]
    if finish_reason is not None:
        events.append(event({}, finish_reason))
    if usage is not None:
        events.append({**base, "choices": [], "usage": usage})
    return events


def sse_bytes(events: list[dict[str, Any]], *, done: bool = True, pings: bool = False) -> bytes:
    lines = []
    for event in events:
        if pings:
            lines.append(b": PING\n\n")
        lines.append(b"data: " + json.dumps(event).encode() + b"\n\n")
    if done:
        lines.append(b"data: [DONE]\n\n")
    return b"".join(lines)


def png_size(data: bytes) -> tuple[int, int]:
    """The `(width, height)` in a PNG's IHDR chunk (asserts the PNG signature)."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n"), data[:8]
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)
