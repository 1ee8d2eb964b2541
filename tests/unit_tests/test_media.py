"""Tests for `langchain_hiapi._media`: sniffing, image sizes, base64, data URIs, MIME guesses."""

from __future__ import annotations

import base64
import struct
from collections.abc import Callable

import pytest

from langchain_hiapi._media import (
    OCTET_STREAM,
    DataURI,
    data_uri,
    decode_base64,
    decode_data_uri,
    guess_mime_type,
    image_dimensions,
    parse_data_uri,
    sniff_image,
    sniff_mime,
    strict_b64decode,
)
from tests._support.wire import jpeg_header, png_bytes

PNG = png_bytes(7, 5)
GIF = b"GIF89a" + struct.pack("<HH", 33, 44) + b"\x00" * 8
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 16


def _ftyp(brand: bytes) -> bytes:
    return b"\x00\x00\x00\x18ftyp" + brand + b"\x00" * 12


# ----------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (PNG, "image/png"),
        (jpeg_header(2, 2), "image/jpeg"),
        (b"GIF87a" + b"\x00" * 8, "image/gif"),
        (GIF, "image/gif"),
        (WEBP, "image/webp"),
        (_ftyp(b"heic"), "image/heic"),
        (_ftyp(b"hevx"), "image/heic"),
        (_ftyp(b"mif1"), "image/heif"),
        (_ftyp(b"msf1"), "image/heif"),
    ],
)
def test_sniff_image_recognises_raster_types(data: bytes, mime: str) -> None:
    assert sniff_image(data) == mime
    assert sniff_mime(data) == mime


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"????",
        b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>",
        b"<html><body>not an image</body></html>",
        b"%PDF-1.7\n",
        b"\xff\xd8\xfe",  # JPEG needs a third marker byte 0xFF
        b"\x89PNG\r\n",  # truncated PNG signature
        b"RIFF\x00\x00\x00\x00WAVEfmt ",  # RIFF, but audio
        _ftyp(b"isom"),  # MP4 video, not an image
        _ftyp(b"avif"),  # not accepted: no caller lists AVIF as an input type
    ],
)
def test_sniff_image_rejects_everything_else(data: bytes) -> None:
    assert sniff_image(data) is None
    assert sniff_mime(data) == OCTET_STREAM == "application/octet-stream"


# --------------------------------------------------------------------------- dimensions


def test_image_dimensions_of_common_formats() -> None:
    assert image_dimensions(PNG) == (7, 5)
    assert image_dimensions(jpeg_header(640, 480)) == (640, 480)
    assert image_dimensions(GIF) == (33, 44)
    vp8x = b"RIFF\x00\x00\x00\x00WEBPVP8X" + b"\x00" * 8 + (99).to_bytes(3, "little")
    vp8x += (49).to_bytes(3, "little")
    assert image_dimensions(vp8x) == (100, 50)
    assert image_dimensions(b"not an image") is None
    assert image_dimensions(b"\xff\xd8\xff\xda\x00\x02") is None  # scan before a frame
    assert image_dimensions(b"\xff\xd8\xff\xc0\x00") is None  # truncated header


def test_image_dimensions_of_lossy_and_lossless_webp() -> None:
    lossy = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 10 + struct.pack("<HH", 320, 200)
    assert image_dimensions(lossy) == (320, 200)
    bits = (64 - 1) | ((32 - 1) << 14)
    lossless = b"RIFF\x00\x00\x00\x00WEBPVP8L" + b"\x00" * 5 + bits.to_bytes(4, "little")
    assert image_dimensions(lossless) == (64, 32)
    assert image_dimensions(b"RIFF\x00\x00\x00\x00WEBPVP8X" + b"\x00" * 4) is None  # short


def test_image_dimensions_jpeg_skips_fill_bytes_restart_markers_and_tables() -> None:
    dht = b"\xff\xc4" + struct.pack(">H", 4) + b"\x00\x00"  # 0xC4 is not a frame
    sof2 = b"\xff\xc2" + struct.pack(">HBHHB", 11, 8, 90, 160, 1) + b"\x01\x11\x00"
    data = b"\xff\xd8\xff\xff" + b"\xff\xd0" + dht + sof2
    assert image_dimensions(data) == (160, 90)
    assert image_dimensions(b"\xff\xd8\xff\xe0\x00\x10garbage-not-a-marker") is None


def test_image_dimensions_of_truncated_or_sizeless_headers() -> None:
    assert image_dimensions(PNG[:20]) is None  # IHDR cut short
    assert image_dimensions(b"GIF89a\x01") is None
    assert image_dimensions(_ftyp(b"heic")) is None  # known type, size not read


# ------------------------------------------------------------------------------- base64


def _error_of(decode: Callable[[str], bytes], text: str) -> tuple[type[BaseException], str]:
    with pytest.raises(ValueError) as caught:  # noqa: PT011 - compared below
        decode(text)
    return type(caught.value), str(caught.value)


def test_strict_b64decode_matches_validating_b64decode() -> None:
    assert strict_b64decode(base64.b64encode(PNG).decode()) == PNG

    def validating(text: str) -> bytes:
        return base64.b64decode(text, validate=True)

    for bad in ("QUJD\nRA==", "QUJD*", "QUJDRA", "QUJD-_==", "QUJD\u00e9"):
        assert _error_of(strict_b64decode, bad) == _error_of(validating, bad)


def test_decode_base64_tolerates_only_wrapping_url_safe_and_missing_padding() -> None:
    data = bytes(range(256))
    standard = base64.b64encode(data).decode()
    assert decode_base64(standard, "x") == data
    assert decode_base64("\n".join(standard[i : i + 76] for i in range(0, 344, 76)), "x") == data
    assert decode_base64(base64.urlsafe_b64encode(data).decode().rstrip("="), "x") == data


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (b"QUJD", r"block 3: base64 data must be a string, got bytes"),
        (None, r"block 3: base64 data must be a string, got NoneType"),
        ("QUJD*RA==", r"block 3: invalid base64 image data .*starts with 'QUJD\*RA=='"),
        ("", r"block 3: the image data is empty"),
    ],
)
def test_decode_base64_errors_name_the_place(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        decode_base64(value, "block 3")


# ---------------------------------------------------------------------------- data URIs


def test_data_uri_encodes_bytes_and_keeps_base64_text() -> None:
    encoded = base64.b64encode(PNG).decode()
    assert data_uri("image/png", PNG) == f"data:image/png;base64,{encoded}"
    assert data_uri("image/png", encoded) == f"data:image/png;base64,{encoded}"
    assert data_uri("image/jpeg", b"") == "data:image/jpeg;base64,"


def test_parse_data_uri_takes_the_uri_apart_without_decoding() -> None:
    assert parse_data_uri("data:Image/PNG;base64,QUJD", "x") == DataURI("image/png", True, "QUJD")
    assert parse_data_uri("DATA:text/plain;charset=utf-8;BASE64,a,b", "x") == DataURI(
        "text/plain", True, "a,b"
    )
    assert parse_data_uri("data:,hello%20there", "x") == DataURI("", False, "hello%20there")
    assert parse_data_uri("data:image/svg+xml;utf8,<svg/>", "x") == DataURI(
        "image/svg+xml", False, "<svg/>"
    )


@pytest.mark.parametrize("url", ["data:image/png;base64", "https://x/a.png,b", "", "dat:a,b"])
def test_parse_data_uri_rejects_malformed(url: str) -> None:
    with pytest.raises(ValueError, match=r"^images\[1\]: malformed data URI"):
        parse_data_uri(url, "images[1]")


def test_decode_data_uri() -> None:
    assert decode_data_uri(data_uri("image/png", PNG), "x") == (PNG, "image/png")
    # No declared type: the bytes decide.
    assert decode_data_uri(data_uri("", GIF), "x") == (GIF, "image/gif")
    assert decode_data_uri("data:;base64,Pz8/", "x") == (b"???", OCTET_STREAM)
    # Percent-encoded payloads (no `;base64`) are unquoted.
    assert decode_data_uri("data:text/plain,a%20b", "x") == (b"a b", "text/plain")
    with pytest.raises(ValueError, match=r"^part 2: invalid base64"):
        decode_data_uri("data:image/png;base64,QUJD*", "part 2")
    with pytest.raises(ValueError, match=r"^part 2: malformed data URI"):
        decode_data_uri("data:image/png;base64", "part 2")


# ----------------------------------------------------------------------- guess_mime_type


@pytest.mark.parametrize(
    ("content_type", "url", "expected"),
    [
        ("image/PNG; charset=binary", "https://cdn/x.jpg", "image/png"),
        ("application/octet-stream", "https://cdn/x.jpg?sig=a.png", "image/jpeg"),
        ("", "https://cdn/video.mp4#t=1", "video/mp4"),
        (None, "out/image-1.png", "image/png"),
        ("application/octet-stream", "https://cdn/blob", None),
        (None, "https://cdn/x.unknownext", None),
    ],
)
def test_guess_mime_type(content_type: str | None, url: str, expected: str | None) -> None:
    assert guess_mime_type(content_type, url) == expected
