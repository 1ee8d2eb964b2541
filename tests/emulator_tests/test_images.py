"""Image models: generated PNGs, input images, image streaming."""

from __future__ import annotations

import base64
import json
import re
import struct
import zlib
from typing import Any

import httpx
import pytest

from langchain_hiapi.testing import HiAPIEmulator
from langchain_hiapi.testing._image import image_dimensions
from langchain_hiapi.testing._png import encode_png, png_size

CHAT = "/chat/completions"
_IMAGE = re.compile(r"!\[image\]\(data:(image/png);base64,([A-Za-z0-9+/=]+)\)")


def _request(
    content: Any = "Draw a cat", model: str = "Nano-Banana-Pro", **image_config: str
) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": content}]}
    if image_config:
        body["extra_body"] = {"google": {"image_config": image_config}}
    return body


def _png_of(content: str) -> bytes:
    match = _IMAGE.search(content)
    assert match is not None, content[:200]
    return base64.b64decode(match.group(2))


def _pixel(png: bytes) -> tuple[int, int, int]:
    # First pixel of a non-interlaced RGB PNG with filter 0 rows.
    idat = png[png.index(b"IDAT") + 4 :]
    raw = zlib.decompressobj().decompress(idat)
    return raw[1], raw[2], raw[3]


def _check_png(png: bytes) -> None:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    pos = 8
    kinds = []
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + data) & 0xFFFFFFFF == crc
        kinds.append(kind)
        pos += 12 + length
    assert kinds == [b"IHDR", b"IDAT", b"IEND"]


def test_png_writer_reader_roundtrip() -> None:
    png = encode_png(7, 5, (1, 2, 3))
    _check_png(png)
    assert png_size(png) == (7, 5)
    assert _pixel(png) == (1, 2, 3)
    noisy = encode_png(16, 16, (0, 0, 0), noise=True)
    _check_png(noisy)
    assert png_size(b"not a png") is None


@pytest.mark.parametrize(
    ("ratio", "size", "full", "expected"),
    [
        ("16:9", "2K", False, (128, 72)),
        ("9:16", "1K", False, (36, 64)),
        ("1:1", "4K", False, (256, 256)),
        ("auto", "1K", False, (64, 64)),
        ("21:9", "1K", True, (1024, 439)),
        ("16:9", "2K", True, (2048, 1152)),
        ("3:4", "4K", True, (3072, 4096)),
    ],
)
def test_image_dimensions(ratio: str, size: str, full: bool, expected: tuple[int, int]) -> None:
    assert image_dimensions(ratio, size, full_size=full) == expected


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"aspect_ratio": "16:9", "image_size": "2K"}, (128, 72)),
        ({"aspect_ratio": "9:16"}, (36, 64)),
        ({}, (64, 64)),
    ],
)
def test_generated_png(
    client: httpx.Client, config: dict[str, str], expected: tuple[int, int]
) -> None:
    body = client.post(CHAT, json=_request(**config)).json()
    assert body["model"] == "gemini-3-pro-image-preview"
    choice = body["choices"][0]
    assert choice["finish_reason"] == "stop"
    content = choice["message"]["content"]
    assert content.startswith("Here is your image: Draw a cat")
    assert "\n![image](data:image/png;base64," in content
    png = _png_of(content)
    _check_png(png)
    assert png_size(png) == expected
    usage = body["usage"]
    assert usage["completion_tokens"] == 1290
    assert usage["completion_tokens_details"]["image_tokens"] == 1290
    assert usage["total_tokens"] == usage["prompt_tokens"] + 1290
    assert set(usage["prompt_tokens_details"]) == {
        "cached_tokens",
        "text_tokens",
        "audio_tokens",
        "image_tokens",
    }


@pytest.mark.parametrize(
    ("model", "reported"),
    [
        ("Nano-Banana", "gemini-2.5-flash-image"),
        ("Nano-Banana-2", "gemini-3.1-flash-image-preview"),
        ("gpt-image-2", "gpt-image-2"),
    ],
)
def test_reported_model(client: httpx.Client, model: str, reported: str) -> None:
    assert client.post(CHAT, json=_request(model=model)).json()["model"] == reported


def test_full_size() -> None:
    with HiAPIEmulator(full_size=True) as emulator:
        response = httpx.post(
            emulator.base_url + CHAT,
            json=_request(aspect_ratio="16:9", image_size="1K"),
            headers={"Authorization": f"Bearer {emulator.api_key}"},
        )
    png = _png_of(response.json()["choices"][0]["message"]["content"])
    assert png_size(png) == (1024, 576)


def test_colour_from_prompt(client: httpx.Client) -> None:
    blue = client.post(CHAT, json=_request("Now make it blue")).json()
    assert _pixel(_png_of(blue["choices"][0]["message"]["content"])) == (30, 80, 220)
    red = client.post(CHAT, json=_request("A RED square")).json()
    assert _pixel(_png_of(red["choices"][0]["message"]["content"])) == (220, 20, 60)


@pytest.mark.parametrize(
    "config", [{"aspect_ratio": "7:3"}, {"image_size": "8K"}, {"image_size": "1k"}]
)
def test_unknown_image_config_400(client: httpx.Client, config: dict[str, str]) -> None:
    response = client.post(CHAT, json=_request(**config))
    assert response.status_code == 400
    error = response.json()["error"]
    value = next(iter(config.values()))
    assert value in error["message"]
    assert error["code"] == 400


def test_input_image_part(client: httpx.Client) -> None:
    data = base64.b64encode(encode_png(64, 36, (0, 0, 0))).decode()
    content = [
        {"type": "text", "text": "Make it blue"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}},
    ]
    answer = client.post(CHAT, json=_request(content)).json()["choices"][0]["message"]["content"]
    assert "I received 1 input image (image/png, 64x36)." in answer
    assert _pixel(_png_of(answer)) == (30, 80, 220)


def test_multi_turn_edit_with_markdown_in_assistant_message(client: httpx.Client) -> None:
    first = client.post(CHAT, json=_request("Draw a red ball", aspect_ratio="16:9")).json()
    previous = first["choices"][0]["message"]["content"]
    messages = [
        {"role": "user", "content": "Draw a red ball"},
        {"role": "assistant", "content": previous},
        {"role": "user", "content": [{"type": "text", "text": "make it green"}]},
    ]
    answer = client.post(CHAT, json={"model": "Nano-Banana", "messages": messages}).json()
    content = answer["choices"][0]["message"]["content"]
    assert "I received 1 input image (image/png, 64x36)." in content
    assert _pixel(_png_of(content)) == (34, 139, 34)
    assert answer["usage"]["prompt_tokens_details"]["image_tokens"] > 0


def test_markdown_image_in_user_text_and_url(client: httpx.Client) -> None:
    data = base64.b64encode(encode_png(10, 20, (0, 0, 0))).decode()
    content = [
        {"type": "text", "text": f"Edit this ![x](data:image/png;base64,{data}) please"},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
    ]
    answer = client.post(CHAT, json=_request(content)).json()["choices"][0]["message"]["content"]
    assert "I received 2 input images (image/png, 10x20; https://example.com/cat.png)." in answer


def test_text_model_acknowledges_images(client: httpx.Client) -> None:
    data = base64.b64encode(encode_png(3, 4, (0, 0, 0))).decode()
    content = [
        {"type": "text", "text": "Describe"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}},
    ]
    body = client.post(CHAT, json=_request(content, model="gpt-4o")).json()
    assert "I received 1 input image (image/png, 3x4)." in body["choices"][0]["message"]["content"]


@pytest.mark.parametrize(
    "url", ["data:image/png;base64,@@not-base64@@", "data:image/png,rawbytes", "ftp://x/y.png"]
)
def test_bad_input_image_400(client: httpx.Client, url: str) -> None:
    content = [{"type": "image_url", "image_url": {"url": url}}]
    response = client.post(CHAT, json=_request(content))
    assert response.status_code == 400
    assert response.json()["error"]["message"]


def test_gemini_rejects_unsupported_mime(client: httpx.Client) -> None:
    gif = base64.b64encode(b"GIF89a....").decode()
    content = [{"type": "image_url", "image_url": {"url": f"data:image/gif;base64,{gif}"}}]
    response = client.post(CHAT, json=_request(content))
    assert response.status_code == 400
    assert "image/gif" in response.json()["error"]["message"]


def test_image_stream_event_order(client: httpx.Client) -> None:
    body = _request("Draw a yellow sun", aspect_ratio="16:9", image_size="2K")
    body["stream"] = True
    with client.stream("POST", CHAT, json=body) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["transfer-encoding"] == "chunked"
        events = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1
    assert all(c["model"] == "gemini-3-pro-image-preview" for c in chunks)
    assert all(c["system_fingerprint"] is None for c in chunks)
    role, *deltas, finish, usage = chunks
    assert role["choices"][0]["delta"] == {"content": "", "role": "assistant"}
    assert role["usage"] is None
    contents = [d["choices"][0]["delta"]["content"] for d in deltas]
    images = [c for c in contents if "![image](" in c]
    assert len(images) == 1
    assert images[0].startswith("![image](data:image/png;base64,")
    assert images[0].endswith(")")
    assert len(contents) > 2  # text split into several deltas
    assert png_size(_png_of(images[0])) == (128, 72)
    assert all(d["choices"][0]["finish_reason"] is None for d in deltas)
    assert finish["choices"][0] == {
        "delta": {},
        "logprobs": None,
        "finish_reason": "stop",
        "index": 0,
    }
    assert usage["choices"] == []
    assert usage["usage"]["completion_tokens"] == 1290


def test_image_thoughts_when_asked(client: httpx.Client) -> None:
    body = _request("Draw a cat")
    body["extra_body"] = {"google": {"thinking_config": {"include_thoughts": True}}}
    message = client.post(CHAT, json=body).json()["choices"][0]["message"]
    assert message["reasoning_content"]
