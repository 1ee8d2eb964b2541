"""Video inputs (`_video_input`): options on each model's own fields, input images."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from langchain_hiapi import GeneratedImage
from langchain_hiapi.video import build_video_input, image_reference
from tests._support.wire import png_bytes

URL = "https://example.com/start.png"


def test_seedance_input_uses_its_own_fields() -> None:
    assert build_video_input(
        "a boat", duration=8, aspect_ratio="9:16", resolution="1080p", first_frame=URL
    ) == {
        "prompt": "a boat",
        "duration": 8,
        "aspect_ratio": "9:16",
        "resolution": "1080p",
        "first_frame_url": URL,
    }
    assert build_video_input("a boat", reference_images=[URL, URL]) == {
        "prompt": "a boat",
        "reference_image_urls": [URL, URL],
    }


def test_kling_image_to_video_takes_the_first_frame_in_its_image_list() -> None:
    got = build_video_input(None, model="kling-3.0-omni/image-to-video", first_frame=URL)
    assert got == {"image_urls": [URL]}
    with pytest.raises(ValueError, match=r"aspect_ratio: model 'kling-3.0-omni/image-to-video'"):
        build_video_input("x", model="kling-3.0-omni/image-to-video", aspect_ratio="16:9")


def test_an_option_the_model_lacks_names_the_model_and_its_fields() -> None:
    with pytest.raises(ValueError, match=r"first_frame: .*'happyhorse-1-0'.*its fields: aspect"):
        build_video_input("x", model="happyhorse-1-0", first_frame=URL)
    with pytest.raises(ValueError, match="reference_images"):
        build_video_input("x", model="happyhorse-1-0", reference_images=[URL])


def test_undocumented_models_pass_everything_through() -> None:
    got = build_video_input(
        "x", model="veo-3.1/text-to-video", duration=6, first_frame=URL, extra_input={"a": 1}
    )
    assert got == {"prompt": "x", "duration": 6, "first_frame_url": URL, "a": 1}


def test_image_reference_forms(tmp_path: Path) -> None:
    png = png_bytes(2, 2)
    data_uri = "data:image/png;base64," + base64.b64encode(png).decode()
    path = tmp_path / "a.png"
    path.write_bytes(png)
    assert image_reference(URL) == URL
    assert image_reference(png) == data_uri
    assert image_reference(path) == data_uri
    assert image_reference(GeneratedImage(png, "image/png")) == data_uri
    with pytest.raises(ValueError, match=r"pass a pathlib\.Path"):
        image_reference("relative/file.png")
    with pytest.raises(ValueError, match="PNG, JPEG, GIF or WebP"):
        image_reference(b"not an image")
    with pytest.raises(ValueError, match="cannot read"):
        image_reference(tmp_path / "missing.png")
