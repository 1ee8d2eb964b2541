"""Item 7: nothing active is saved. Only real raster images keep a raster extension.

Decision: a reply image whose bytes are not the declared raster type (SVG, HTML, PDF,
a mislabelled file) is still saved, but as inert `.bin`, so nothing is lost and no viewer
or browser runs it.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage

from langchain_hiapi import save_images
from langchain_hiapi._files import safe_extension
from langchain_hiapi.images import GeneratedImage
from tests._support.wire import png_bytes

PNG = png_bytes(2, 2)
JPEG = b"\xff\xd8\xff\xe0\0\x10JFIF\0"
GIF = b"GIF89a\x01\0\x01\0\0\0\0;"
WEBP = b"RIFF\0\0\0\0WEBPVP8 "
HEIC = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"
HEIF = b"\0\0\0\x18ftypmif1\0\0\0\0mif1heic"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<html><script>fetch('/steal')</script></html>"


@pytest.mark.parametrize(
    ("data", "mime", "extension"),
    [
        (PNG, "image/png", ".png"),
        (JPEG, "image/jpeg", ".jpg"),
        (JPEG, "image/jpg", ".jpg"),
        (GIF, "image/gif", ".gif"),
        (WEBP, "image/webp", ".webp"),
        (HEIC, "image/heic", ".heic"),
        (HEIF, "image/heif", ".heif"),
        (HEIC, "image/heif", ".heic"),
        (SVG, "image/svg+xml", ".bin"),
        (SVG, "image/png", ".bin"),
        (HTML, "image/png", ".bin"),
        (HTML, "text/html", ".bin"),
        (b"%PDF-1.4", "application/pdf", ".bin"),
        (PNG, "image/jpeg", ".bin"),
        (JPEG, "image/png", ".bin"),
        (PNG, "image/svg+xml", ".bin"),
        (PNG, "application/octet-stream", ".bin"),
        (b"", "image/png", ".bin"),
    ],
)
def test_extension_needs_bytes_of_the_declared_raster_type(
    data: bytes, mime: str, extension: str
) -> None:
    assert safe_extension(data, mime) == extension
    assert GeneratedImage(data, mime).extension == extension


def test_save_images_writes_active_content_as_bin(tmp_path: Path) -> None:
    def block(data: bytes, mime: str) -> dict[str, str]:
        return {"type": "image", "base64": base64.b64encode(data).decode(), "mime_type": mime}

    message = AIMessage(
        content=[
            block(PNG, "image/png"),
            block(SVG, "image/svg+xml"),
            block(HTML, "image/png"),
            block(JPEG, "image/jpeg"),
        ]
    )
    paths = save_images(message, tmp_path)
    assert [p.name for p in paths] == ["image-1.png", "image-2.bin", "image-3.bin", "image-4.jpg"]
    assert paths[1].read_bytes() == SVG  # kept, but inert
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in paths)


# Videos are task outputs now (issue 12): how downloads are named is tested in
# test_task_downloads.py::test_outputs_are_named_by_what_they_are.
