"""Media bytes: what type they are, how big an image is, data URIs and strict base64.

The one home of these jobs; everything here is pure (no I/O) and never trusts a
declared type where the bytes can be checked.

* `sniff_image` / `sniff_mime`: the MIME type from magic bytes.
* `image_dimensions`: an image's pixel size from its header.
* `data_uri` / `parse_data_uri` / `decode_data_uri`: build and read `data:` URIs.
* `strict_b64decode` / `decode_base64`: base64 with no silently skipped characters.
* `guess_mime_type`: the MIME type a download's `Content-Type` or URL names.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import struct
import sys
from typing import Any, NamedTuple
from urllib.parse import unquote_to_bytes

__all__ = [
    "OCTET_STREAM",
    "DataURI",
    "data_uri",
    "decode_base64",
    "decode_data_uri",
    "guess_mime_type",
    "image_dimensions",
    "parse_data_uri",
    "sniff_image",
    "sniff_mime",
    "strict_b64decode",
]

OCTET_STREAM = "application/octet-stream"
"""The MIME type of bytes of no known type."""

# ----------------------------------------------------------------------------- sniffing

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
# ISO-BMFF major brands (bytes 8-12, after `ftyp`) of HEIC and of other HEIF images.
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"})
_HEIF_BRANDS = frozenset({b"mif1", b"msf1", b"heif"})


def sniff_image(data: bytes) -> str | None:
    """The raster image type the bytes are, from their magic bytes.

    Recognises PNG, JPEG, GIF, WebP, HEIC and HEIF; nothing else counts as an image
    (SVG, which can carry scripts, is text and never sniffed as one). A caller that
    accepts fewer types checks the result against its own list.

    Args:
        data: The file's bytes (the first 16 are enough).

    Returns:
        E.g. `image/png`, or `None` when the bytes are none of those types.
    """
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        if data[8:12] in _HEIC_BRANDS:
            return "image/heic"
        if data[8:12] in _HEIF_BRANDS:
            return "image/heif"
    return None


def sniff_mime(data: bytes) -> str:
    """`sniff_image`, with `application/octet-stream` for bytes of no known type."""
    return sniff_image(data) or OCTET_STREAM


# --------------------------------------------------------------------------- dimensions

# JPEG start-of-frame markers (not DHT 0xC4, JPG 0xC8 or DAC 0xCC, which share the range).
_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE})


def image_dimensions(data: bytes) -> tuple[int, int] | None:
    """Reads an image's pixel size from its header (PNG, JPEG, GIF or WebP).

    Args:
        data: The image file bytes.

    Returns:
        `(width, height)`, or `None` for another format or a damaged header.
    """
    kind = sniff_image(data)
    if kind == "image/png" and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if kind == "image/jpeg":
        return _jpeg_dimensions(data)
    if kind == "image/gif" and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if kind == "image/webp":
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


# ------------------------------------------------------------------------------- base64


def strict_b64decode(data: str) -> bytes:
    """`base64.b64decode(data, validate=True)` without its ASCII copy of `data`.

    `b64decode` first encodes a str into a bytes copy (16 MB for a 2K image); binascii
    reads an ASCII str in place. `strict_mode` (Python 3.11+) is what `validate=True`
    passes to binascii, so errors and results are identical.

    Raises:
        binascii.Error: A character outside the alphabet, or bad padding.
        ValueError: A non-ASCII character.
    """
    if sys.version_info >= (3, 11):
        return binascii.a2b_base64(data, strict_mode=True)
    return base64.b64decode(data, validate=True)  # pragma: no cover - Python 3.10


def decode_base64(data: Any, where: str) -> bytes:
    """Decodes base64 media data, tolerating only line breaks, URL-safe form and no padding.

    Args:
        data: The base64 text (anything else is an error).
        where: Where the data is, for error messages (e.g. `content block 2`).

    Returns:
        The decoded bytes, never empty.

    Raises:
        ValueError: Not a string, invalid base64, or empty; the message names `where`.
    """
    if not isinstance(data, str):
        msg = f"{where}: base64 data must be a string, got {type(data).__name__}"
        raise ValueError(msg)
    try:
        decoded = strict_b64decode(data)
    except (binascii.Error, ValueError):
        # Tolerate line breaks, the URL-safe alphabet and missing padding; nothing else.
        cleaned = "".join(data.split()).replace("-", "+").replace("_", "/")
        cleaned += "=" * (-len(cleaned) % 4)
        try:
            decoded = base64.b64decode(cleaned, validate=True)
        except (binascii.Error, ValueError) as exc:
            msg = f"{where}: invalid base64 image data ({exc}); starts with {data[:40]!r}"
            raise ValueError(msg) from None
    if not decoded:
        msg = f"{where}: the image data is empty"
        raise ValueError(msg)
    return decoded


# ---------------------------------------------------------------------------- data URIs


def data_uri(mime_type: str, data: bytes | str) -> str:
    """Builds `data:<mime_type>;base64,<data>`.

    Args:
        mime_type: The MIME type, e.g. `image/png`.
        data: Raw bytes (encoded here) or text that is already base64 (used as is).

    Returns:
        The data URI.
    """
    payload = base64.b64encode(data).decode("ascii") if isinstance(data, bytes) else data
    return f"data:{mime_type};base64,{payload}"


class DataURI(NamedTuple):
    """A `data:` URI taken apart, its payload not decoded (it can be megabytes).

    Attributes:
        mime_type: The declared MIME type, lower-cased; `""` when none is declared.
        is_base64: Whether the payload is base64 (`;base64`), else percent-encoded.
        payload: The text after the first comma, as is.
    """

    mime_type: str
    is_base64: bool
    payload: str


def parse_data_uri(url: str, where: str) -> DataURI:
    """Takes a `data:[<mime>][;param]...[;base64],<payload>` URI apart.

    Args:
        url: The URI (the `data:` scheme is matched case-insensitively).
        where: Where the URI is, for error messages.

    Returns:
        Its MIME type, whether it is base64 and its payload.

    Raises:
        ValueError: Not a data URI, or no comma before the payload.
    """
    header, sep, payload = url.partition(",")
    if not sep or header[:5].lower() != "data:":
        msg = f"{where}: malformed data URI {url[:60]!r}"
        raise ValueError(msg)
    params = header[5:].split(";")
    is_base64 = "base64" in (p.strip().lower() for p in params[1:])
    return DataURI(params[0].strip().lower(), is_base64, payload)


def decode_data_uri(url: str, where: str) -> tuple[bytes, str]:
    """Decodes a data URI's payload (see `decode_base64`, or percent-decoding).

    Args:
        url: The data URI.
        where: Where the URI is, for error messages.

    Returns:
        `(bytes, MIME type)`; without a declared type, the sniffed one (`sniff_mime`).

    Raises:
        ValueError: A malformed URI or invalid base64; the message names `where`.
    """
    parsed = parse_data_uri(url, where)
    if parsed.is_base64:
        data = decode_base64(parsed.payload, where)
    else:
        data = unquote_to_bytes(parsed.payload)
    return data, parsed.mime_type or sniff_mime(data)


# ---------------------------------------------------------------------- declared types


def guess_mime_type(content_type: str | None, url: str) -> str | None:
    """The MIME type a download is: its `Content-Type`, else what its URL or path names.

    Args:
        content_type: The `Content-Type` it was served with (parameters ignored); an
            empty one or `application/octet-stream` says nothing.
        url: Its URL or local path; only the extension of the path part counts.

    Returns:
        E.g. `image/png`, or `None` when neither says.
    """
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime and mime != OCTET_STREAM:
        return mime
    path = url.split("?", 1)[0].split("#", 1)[0]
    guessed, _ = mimetypes.guess_type(path)
    return guessed
