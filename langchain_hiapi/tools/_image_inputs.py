"""Input images of the image tool: paths, URLs and data URIs as blocks, within a byte budget."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langchain_core.tools import ToolException

from langchain_hiapi._localfiles import read_image_file
from langchain_hiapi._media import DataURI, parse_data_uri, sniff_image, strict_b64decode
from langchain_hiapi.errors import LocalFileError
from langchain_hiapi.limits import DEFAULT_LIMITS, Limits

__all__ = [
    "MAX_INPUT_IMAGE_BYTES",
    "InputBudget",
    "input_block",
    "sniff_input_mime",
]

MAX_INPUT_IMAGE_BYTES = DEFAULT_LIMITS.max_input_image_bytes
"""Largest input image by default (`Limits.max_input_image_bytes`; Gemini's limit for
inline data in one request)."""

# Input MIME types the gateway passes to Gemini's image models (see the wire contract).
_INPUT_MIME_TYPES = ("image/png", "image/jpeg", "image/webp", "image/heic", "image/heif")


def sniff_input_mime(data: bytes) -> str | None:
    """The MIME type of an input image the gateway takes (PNG, JPEG, WebP, HEIC/HEIF)."""
    mime = sniff_image(data)
    return mime if mime in _INPUT_MIME_TYPES else None


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
    try:
        parsed: DataURI | None = parse_data_uri(ref, where)
    except ValueError:  # no comma before the payload
        parsed = None
    if parsed is None or not parsed.is_base64:
        msg = f"{where}: a data URI must look like data:image/png;base64,<data>."
        raise ToolException(msg)
    if parsed.mime_type not in _INPUT_MIME_TYPES:
        allowed = ", ".join(_INPUT_MIME_TYPES)
        msg = f"{where}: unsupported image type {parsed.mime_type[:60]!r}; allowed: {allowed}."
        raise ToolException(msg)
    # Checked before decoding: the decoded size is about 3/4 of the base64 length.
    budget.check_one(len(parsed.payload) // 4 * 3, where)
    try:
        decoded = strict_b64decode(parsed.payload)
    except (binascii.Error, ValueError):
        msg = f"{where}: the data URI holds invalid base64 data."
        raise ToolException(msg) from None
    budget.take(len(decoded), where)
    return {"type": "image", "base64": parsed.payload, "mime_type": parsed.mime_type}


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
