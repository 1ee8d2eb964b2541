"""Minimal PNG writer and reader (standard library only)."""

from __future__ import annotations

import os
import struct
import zlib
from functools import lru_cache

_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


@lru_cache(maxsize=4)
def encode_png(width: int, height: int, rgb: tuple[int, int, int], *, noise: bool = False) -> bytes:
    """Encodes an 8-bit RGB PNG.

    Args:
        width: Image width in pixels.
        height: Image height in pixels.
        rgb: Fill colour, used when `noise` is false.
        noise: Fill with random bytes instead, so the PNG does not compress (benchmarks).

    Returns:
        The PNG file bytes (signature, IHDR, IDAT, IEND, all with CRCs). The last few
        images are cached, so repeated noise images are identical and cost nothing.
    """
    stride = width * 3
    if noise:
        pixels = os.urandom(stride * height)
        # Filter byte 0 (None) in front of every scanline.
        raw = b"".join(b"\x00" + pixels[y * stride : (y + 1) * stride] for y in range(height))
        # Random data does not compress: level 0 keeps big images fast to build.
        idat = zlib.compress(raw, 0)
    else:
        row = b"\x00" + bytes(rgb) * width
        idat = zlib.compress(row * height, 9)
    return png_chunks(width, height, idat)


def png_chunks(width: int, height: int, idat: bytes) -> bytes:
    """Wraps compressed 8-bit RGB scanlines (filter byte first) into a PNG file.

    Args:
        width: Image width in pixels.
        height: Image height in pixels.
        idat: zlib-compressed scanlines, each a 0 filter byte then `width * 3` bytes.

    Returns:
        The PNG file bytes.
    """
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return _SIGNATURE + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def png_size(data: bytes) -> tuple[int, int] | None:
    """Reads the width and height from a PNG's IHDR chunk.

    Args:
        data: File bytes.

    Returns:
        `(width, height)`, or None when `data` is not a PNG.
    """
    if len(data) < 24 or not data.startswith(_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)
