"""Input images of the image tool: paths, URLs and data URIs as blocks, within a byte budget."""

from __future__ import annotations

import base64
import binascii
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.tools import ToolException

from langchain_hiapi._localfiles import LocalFileError, read_image_file
from langchain_hiapi.limits import DEFAULT_LIMITS, Limits

__all__ = [
    "MAX_INPUT_IMAGE_BYTES",
    "InputBudget",
    "image_dimensions",
    "input_block",
    "sniff_input_mime",
]

MAX_INPUT_IMAGE_BYTES = DEFAULT_LIMITS.max_input_image_bytes
"""Largest input image by default (`Limits.max_input_image_bytes`; Gemini's limit for
inline data in one request)."""

# Input MIME types the gateway passes to Gemini's image models (see the wire contract).
_INPUT_MIME_TYPES = ("image/png", "image/jpeg", "image/webp", "image/heic", "image/heif")
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"})
_HEIF_BRANDS = frozenset({b"mif1", b"msf1", b"heif"})
_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE})


def image_dimensions(data: bytes) -> tuple[int, int] | None:
    """Reads an image's pixel size from its header (PNG, JPEG, GIF or WebP).

    Args:
        data: The image file bytes.

    Returns:
        `(width, height)`, or `None` for another format or a damaged header.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_dimensions(data)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_dimensions(data)
    return None


def _jpeg_dimensions(data: bytes) -> tuple[int, int] | None:
    # Walk the marker segments up to the first start-of-frame, which holds the size.
    pos = 2
    length = len(data)
    while pos + 4 <= length:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            pos += 2
            continue
        (segment,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker in _JPEG_SOF:
            if pos + 9 > length:
                return None
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return int(width), int(height)
        if marker == 0xDA or segment < 2:  # image data before any frame header
            return None
        pos += 2 + segment
    return None


def _webp_dimensions(data: bytes) -> tuple[int, int] | None:
    kind = data[12:16]
    if kind == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if kind == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    if kind == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def sniff_input_mime(data: bytes) -> str | None:
    """The MIME type of an input image the gateway takes (PNG, JPEG, WebP, HEIC/HEIF)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        if data[8:12] in _HEIC_BRANDS:
            return "image/heic"
        if data[8:12] in _HEIF_BRANDS:
            return "image/heif"
    return None


class InputBudget:
    """Bytes of input images of one call: each at most one limit, all at most another."""

    def __init__(self, limits: Limits) -> None:
        self.per_image = limits.max_input_image_bytes
        self.total = limits.max_input_images_bytes
        self.used = 0

    def check_one(self, size: int, where: str) -> None:
        """Refuses one image over `Limits.max_input_image_bytes`."""
        if size > self.per_image:
            msg = (
                f"{where}: the image is larger than {self.per_image} bytes"
                " (Limits.max_input_image_bytes)."
            )
            raise ToolException(msg)

    def take(self, size: int, where: str) -> None:
        """Counts one image, refusing it over either limit."""
        self.check_one(size, where)
        self.used += size
        if self.used > self.total:
            msg = (
                f"{where}: the input images together are larger than {self.total} bytes"
                " (Limits.max_input_images_bytes). Pass fewer or smaller images."
            )
            raise ToolException(msg)


def _data_uri_block(ref: str, where: str, budget: InputBudget) -> dict[str, Any]:
    header, sep, payload = ref.partition(",")
    params = header[len("data:") :].split(";")
    mime = params[0].strip().lower()
    if not sep or "base64" not in (p.strip().lower() for p in params[1:]):
        msg = f"{where}: a data URI must look like data:image/png;base64,<data>."
        raise ToolException(msg)
    if mime not in _INPUT_MIME_TYPES:
        allowed = ", ".join(_INPUT_MIME_TYPES)
        msg = f"{where}: unsupported image type {mime[:60]!r}; allowed: {allowed}."
        raise ToolException(msg)
    # Checked before decoding: the decoded size is about 3/4 of the base64 length.
    budget.check_one(len(payload) // 4 * 3, where)
    try:
        decoded = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        msg = f"{where}: the data URI holds invalid base64 data."
        raise ToolException(msg) from None
    budget.take(len(decoded), where)
    return {"type": "image", "base64": payload, "mime_type": mime}


def input_block(ref: Any, index: int, budget: InputBudget, dirs: Sequence[Path]) -> dict[str, Any]:
    """Turns one `images` entry into a standard image block; raises `ToolException`.

    Args:
        ref: A local path (under one of `dirs`), an http(s) URL or a data: URI.
        index: Its place in `images`, for messages.
        budget: The call's byte budget.
        dirs: Where local files may be read from.

    Returns:
        The block (a URL block for the gateway to download, else base64).
    """
    where = f"images[{index}]"
    if not isinstance(ref, str):
        msg = f"{where}: expected a path, an http(s) URL or a data: URI."
        raise ToolException(msg)
    ref = ref.strip()
    if ref.lower().startswith(("http://", "https://")):
        return {"type": "image", "url": ref}  # the gateway downloads it
    if ref.lower().startswith("data:"):
        return _data_uri_block(ref, where, budget)
    try:
        data, mime = read_image_file(
            ref, dirs, budget.per_image, where=where, sniff=sniff_input_mime
        )
    except LocalFileError as exc:
        raise ToolException(str(exc)) from None
    budget.take(len(data), where)
    return {
        "type": "image",
        "base64": base64.b64encode(data).decode("ascii"),
        "mime_type": mime,
    }
