"""Output files of emulated tasks: PNG images, a small MP4, a short WAV, CDN-style errors."""

from __future__ import annotations

import hashlib
import io
import math
import re
import struct
import wave
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from langchain_hiapi.testing._font import caption, labelled_png
from langchain_hiapi.testing._image import colour_of

# Long side in pixels per resolution tier: real, and the small default that keeps tests
# fast (still large enough to read the drawn prompt).
FULL_LONG_SIDE = {"1K": 1024, "2K": 2048, "4K": 4096}
SMALL_LONG_SIDE = {"1K": 256, "2K": 384, "4K": 512}
_RATIO = re.compile(r"^([1-9][0-9]{0,3}):([1-9][0-9]{0,3})$")
_PIXELS = re.compile(r"^([1-9][0-9]{1,4})[x*]([1-9][0-9]{1,4})$")
_TIER = {"480p": "1K", "720p": "1K", "1080p": "2K", "4k": "4K", "4K": "4K", "basic": "1K"}
AUDIO_RATE = 8000
AUDIO_SECONDS = 0.25


def minimal_mp4(seed: str, payload_bytes: int = 2048) -> bytes:
    """Builds a small MP4-shaped file: an `ftyp` box, a `free` box and an `mdat` box.

    Not playable, but every box is well formed, so `file` and MIME sniffers call it MP4.

    Args:
        seed: Text the `mdat` bytes are derived from (same seed, same bytes).
        payload_bytes: Size of the `mdat` payload.

    Returns:
        The file bytes.
    """
    ftyp = b"isom" + struct.pack(">I", 0x200) + b"isomiso2mp41"
    note = b"langchain-hiapi emulator video"
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    mdat = (digest * (payload_bytes // len(digest) + 1))[:payload_bytes]

    def box(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", 8 + len(data)) + kind + data

    return box(b"ftyp", ftyp) + box(b"free", note) + box(b"mdat", mdat)


def _tier(data: Mapping[str, Any]) -> str:
    value = data.get("resolution")
    if isinstance(value, str):
        if value in FULL_LONG_SIDE:
            return value
        return _TIER.get(value, "1K")
    return "2K" if data.get("quality") == "high" else "1K"


def dimensions(data: Mapping[str, Any], kind: str, *, full_size: bool) -> tuple[int, int]:
    """Pixel size of an image (or a video frame) for a task's `input`.

    `size` (`1024x1024`, `2048*2048`) is taken literally; otherwise the long side comes
    from `resolution` (or `quality`) and the shape from `aspect_ratio` (`auto` and
    `adaptive` are square for images, 16:9 for videos).

    Args:
        data: The task's `input`.
        kind: `image` or `video`.
        full_size: Real pixel sizes instead of the small test sizes.

    Returns:
        `(width, height)`.
    """
    for key in ("size", "aspect_ratio"):
        value = data.get(key)
        match = _PIXELS.match(value) if isinstance(value, str) else None
        if match:
            width, height = int(match.group(1)), int(match.group(2))
            if full_size:
                return width, height
            scale = SMALL_LONG_SIDE["1K"] / max(width, height)
            return max(1, round(width * scale)), max(1, round(height * scale))
    ratio = data.get("aspect_ratio")
    match = _RATIO.match(ratio) if isinstance(ratio, str) else None
    if match:
        w, h = int(match.group(1)), int(match.group(2))
    else:
        w, h = (16, 9) if kind == "video" else (1, 1)
    long_side = (FULL_LONG_SIDE if full_size else SMALL_LONG_SIDE)[_tier(data)]
    if w >= h:
        return long_side, max(1, round(long_side * h / w))
    return max(1, round(long_side * w / h)), long_side


def label(data: Mapping[str, Any], width: int, height: int) -> str:
    """The text an image shows: the prompt's first words and the aspect ratio."""
    prompt = data.get("prompt")
    ratio = data.get("aspect_ratio")
    shape = ratio if isinstance(ratio, str) and ratio else f"{width}x{height}"
    return caption(prompt if isinstance(prompt, str) else "", shape)


def image_png(text: str, width: int, height: int) -> bytes:
    """A placeholder PNG showing `text`, filled with the colour the text names."""
    return labelled_png(text, width, height, colour_of(text))


@lru_cache(maxsize=8)
def video_mp4(seed: str) -> bytes:
    """A small MP4 (the emulator's usual one) derived from `seed`."""
    return minimal_mp4(seed)


@lru_cache(maxsize=8)
def audio_wav(seed: str) -> bytes:
    """A short mono 16-bit WAV: a tone whose pitch depends on `seed`."""
    pitch = 220 + hashlib.sha256(seed.encode("utf-8")).digest()[0] * 2
    frames = int(AUDIO_RATE * AUDIO_SECONDS)
    samples = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * pitch * i / AUDIO_RATE)))
        for i in range(frames)
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(AUDIO_RATE)
        writer.writeframes(samples)
    return out.getvalue()


def cdn_error(code: str, message: str, resource: str) -> bytes:
    """An S3/OSS-style XML error body, as an object-storage CDN sends."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        f"<Resource>{escape(resource)}</Resource></Error>"
    ).encode()
