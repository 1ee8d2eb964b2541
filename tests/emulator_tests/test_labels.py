"""Emulator placeholder images show the prompt's first words and the aspect ratio (issue 12).

The text is read back from the PNG pixels by matching each character cell against the
bitmap font, so these tests fail for a flat-colour image or a wrong caption.
"""

from __future__ import annotations

import base64
import re
import struct
import zlib
from collections.abc import Iterator

import httpx
import pytest

from langchain_hiapi.testing import HiAPIEmulator, TaskTiming
from langchain_hiapi.testing._font import (
    ADVANCE,
    GLYPH_H,
    GLYPH_W,
    GLYPHS,
    LINE,
    caption,
    labelled_png,
    layout,
)
from tests._support.emulator import (
    create,
    created_id,
    download,
    poll_until_done,
)

KEY = "label-key"
_BY_BITS = {bits: char for char, bits in GLYPHS.items()}


def _pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    width, height = struct.unpack(">II", png[16:24])
    start = png.index(b"IDAT")
    (length,) = struct.unpack(">I", png[start - 4 : start])
    raw = zlib.decompress(png[start + 4 : start + 4 + length])
    stride = 1 + 3 * width
    rows = [raw[y * stride : (y + 1) * stride] for y in range(height)]
    assert all(row[0] == 0 for row in rows)  # filter type None everywhere
    return width, height, [row[1:] for row in rows]


def read_text(png: bytes, expected_text: str) -> list[str]:
    """Reads the drawn lines back, cell by cell, at the layout `expected_text` would get."""
    width, height, rows = _pixels(png)
    background = rows[0][0:3]
    scale, lines = layout(expected_text, width, height)
    top = (height - (len(lines) * LINE - 2) * scale) // 2
    out = []
    for index, line in enumerate(lines):
        left = (width - (len(line) * ADVANCE - 1) * scale) // 2
        chars = []
        for position in range(len(line)):
            x0 = left + position * ADVANCE * scale
            bits = []
            for glyph_row in range(GLYPH_H):
                row = rows[top + (index * LINE + glyph_row) * scale]
                value = 0
                for column in range(GLYPH_W):
                    x = (x0 + column * scale) * 3
                    if row[x : x + 3] != background:
                        value |= 0x10 >> column
                bits.append(value)
            chars.append(_BY_BITS.get(tuple(bits), "\ufffd"))
        out.append("".join(chars))
    return out


def test_caption_is_first_words_then_shape() -> None:
    assert caption("  a  cute cat\non a windowsill ", "1:1") == "a cute cat on a windowsill\n1:1"
    assert caption("one two three four five six seven eight nine", "16:9").split("\n") == [
        "one two three four five six seven eight",
        "16:9",
    ]
    assert caption("", "auto") == "auto"


def test_layout_picks_the_largest_scale_that_fits_whole_words() -> None:
    assert layout("a cute cat on a windowsill\n1:1", 256, 256) == (
        4,
        ["a cute cat", "on a", "windowsill", "1:1"],
    )
    assert layout("a cat\n16:9", 256, 144)[0] == 8
    # Only at scale 1 may a word be split, and lines that do not fit are dropped.
    assert layout("supercalifragilistic\n1:1", 40, 40) == (1, ["superc", "alifra", "gilist", "ic"])
    assert layout("a cat", 4, 4) == (1, [])


def test_png_draws_the_text_and_keeps_a_plain_border() -> None:
    png = labelled_png("Hello, World!\n16:9", 120, 68, (250, 210, 40))
    width, height, rows = _pixels(png)
    assert (width, height) == (120, 68)
    assert rows[0][0:3] == bytes((250, 210, 40))
    assert all(row[0:3] == rows[0][0:3] for row in rows)  # left border
    assert rows[0] == rows[0][0:3] * width  # top border
    assert read_text(png, "Hello, World!\n16:9") == ["Hello,", "World!", "16:9"]
    ink = {row[x : x + 3] for row in rows for x in range(0, len(row), 3)} - {rows[0][0:3]}
    assert ink == {b"\x00\x00\x00"}  # dark ink on a light background


def test_light_ink_on_dark_backgrounds_and_unknown_characters() -> None:
    png = labelled_png("夜 sky\n1:1", 64, 64, (0, 0, 0))
    _, _, rows = _pixels(png)
    ink = {row[x : x + 3] for row in rows for x in range(0, len(row), 3)} - {b"\x00\x00\x00"}
    assert ink == {b"\xff\xff\xff"}
    assert read_text(png, "夜 sky\n1:1") == ["? sky", "1:1"]


@pytest.fixture(scope="module")
def emu() -> Iterator[HiAPIEmulator]:
    with HiAPIEmulator(api_key=KEY, task_timing=TaskTiming(0, 0, 0)) as emulator:
        yield emulator


def test_chat_image_shows_the_prompt_and_ratio(client: httpx.Client) -> None:
    prompt = "Draw a blue cat on a mat"
    body = {
        "model": "Nano-Banana",
        "messages": [{"role": "user", "content": prompt}],
        "extra_body": {"google": {"image_config": {"aspect_ratio": "16:9", "image_size": "4K"}}},
    }
    content = client.post("/chat/completions", json=body).json()["choices"][0]["message"]
    match = re.search(r"base64,([A-Za-z0-9+/=]+)\)", content["content"])
    assert match is not None
    png = base64.b64decode(match.group(1))
    assert " ".join(read_text(png, f"{prompt}\n16:9")) == "Draw a blue cat on a mat 16:9"


@pytest.mark.parametrize(
    ("model", "data", "expected"),
    [
        (
            "Nano-Banana-Pro",
            {"prompt": "a red fox in the snow", "aspect_ratio": "16:9"},
            "a red fox in the snow 16:9",
        ),
        ("gpt-image-2", {"prompt": "a lighthouse"}, "a lighthouse 256x256"),
        ("qwen-image-2.0", {"prompt": "a vase", "size": "1536*2688"}, "a vase 146x256"),
        (
            "gpt-image-2/text-to-image",
            {"prompt": "a cat", "aspect_ratio": "21:9", "resolution": "1K"},
            "a cat 21:9",
        ),
    ],
)
def test_task_images_show_the_prompt_and_shape(
    client: httpx.Client, model: str, data: dict[str, str], expected: str
) -> None:
    done = poll_until_done(client, created_id(create(client, model, data)))
    png = download(done["output"][0]["url"]).content
    *words, shape = expected.split(" ")
    assert " ".join(read_text(png, caption(" ".join(words), shape))) == expected


def test_video_first_frame_shows_the_prompt(client: httpx.Client) -> None:
    done = poll_until_done(
        client, created_id(create(client, "happyhorse-1-0", {"prompt": "a galloping horse"}))
    )
    frame = download(done["output"][1]["url"]).content
    lines = read_text(frame, "a galloping horse\n256x144")
    assert " ".join(lines) == "a galloping horse 256x144"


def test_images_api_shows_the_prompt_and_size(client: httpx.Client) -> None:
    body = {"model": "gpt-image-1.5", "prompt": "a green kite", "size": "1536x1024"}
    item = client.post("/images/generations", json=body).json()["data"][0]
    png = base64.b64decode(item["b64_json"])
    assert " ".join(read_text(png, "a green kite\n1536x1024")) == "a green kite 1536x1024"
