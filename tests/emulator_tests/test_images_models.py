"""Emulator: the images API (b64_json and url) and the model list.

The OpenAI-style `/v1/videos` route is gone (videos run on the task API, issue 12); a test
here pins that it answers 404 like any unknown route.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from langchain_hiapi.testing import HiAPIEmulator
from langchain_hiapi.testing._png import png_size
from langchain_hiapi.testing._task_media import minimal_mp4

# --------------------------------------------------------------------------- images


def _generate(client: httpx.Client, **extra: Any) -> httpx.Response:
    body = {"model": "gpt-image-1.5", "prompt": "a blue square", **extra}
    return client.post("/images/generations", json=body)


def test_images_b64_json(client: httpx.Client) -> None:
    response = _generate(client, n=2, size="1536x1024", response_format="b64_json")
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body["created"], int)
    assert len(body["data"]) == 2
    for item in body["data"]:
        assert set(item) == {"b64_json"}
        png = base64.b64decode(item["b64_json"])
        width, height = png_size(png) or (0, 0)
        assert width > height  # the aspect of 1536x1024, drawn small


def test_images_url_served_without_auth(emu: HiAPIEmulator, client: httpx.Client) -> None:
    response = _generate(client, model="flux-1.1-pro", n=2)  # flux answers with URLs
    urls = [item["url"] for item in response.json()["data"]]
    assert len(set(urls)) == 2
    for url in urls:
        assert url.startswith(emu.base_url + "/images/files/")
        fetched = httpx.get(url)  # like a signed CDN link: no key
        assert fetched.status_code == 200
        assert fetched.headers["content-type"] == "image/png"
        assert png_size(fetched.content) is not None
    assert httpx.get(emu.base_url + "/images/files/img-999999.png").status_code == 404


def test_images_full_size(client: httpx.Client) -> None:
    with HiAPIEmulator(full_size=True) as big:
        response = httpx.post(
            big.base_url + "/images/generations",
            json={"model": "qwen-image-2.0", "prompt": "red", "size": "640x480"},
            headers={"Authorization": f"Bearer {big.api_key}"},
        )
        url = response.json()["data"][0]["url"]
        assert png_size(httpx.get(url).content) == (640, 480)


@pytest.mark.parametrize(
    ("extra", "status", "code"),
    [
        ({"model": "dall-e-9"}, 503, "model_not_found"),
        ({"prompt": ""}, 400, "invalid_request"),
        ({"n": 0}, 400, "invalid_request"),
        ({"n": 11}, 400, "invalid_request"),
        ({"n": True}, 400, "invalid_request"),
        ({"size": "huge"}, 400, "invalid_request"),
        ({"size": "10x10"}, 400, "invalid_request"),
        ({"response_format": "png"}, 400, "invalid_request"),
    ],
)
def test_images_validation(
    client: httpx.Client, extra: dict[str, Any], status: int, code: str
) -> None:
    response = _generate(client, **extra)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_images_need_auth(emu: HiAPIEmulator) -> None:
    response = httpx.post(emu.base_url + "/images/generations", json={"prompt": "x"})
    assert response.status_code == 401


# --------------------------------------------------------------------------- models


def test_model_list_has_video_and_images_models(client: httpx.Client) -> None:
    data = {m["id"]: m for m in client.get("/models").json()["data"]}
    for model in ("kling-v3", "seedance-1-0-pro", "seedance-1-5-pro", "seedance-2-0"):
        assert data[model]["supported_endpoint_types"] == ["openai-video"]
    for model in ("wan2.7-t2v", "wan2.7-i2v"):
        assert data[model]["supported_endpoint_types"] == ["openai-video"]
    for model in ("gpt-image-1.5", "flux-1.1-pro", "qwen-image-2.0", "gpt-image-2-beta"):
        assert data[model]["supported_endpoint_types"] == ["image-generation"]
    assert data["flux-1.1-pro"]["owned_by"] == "black-forest-labs"
    assert data["Nano-Banana"]["supported_endpoint_types"] == ["openai", "gemini"]


def test_the_videos_route_is_gone(client: httpx.Client) -> None:
    response = client.post("/videos", json={"model": "seedance-2.0", "prompt": "a boat"})
    assert response.status_code == 404
    assert client.get("/videos/task_1").status_code == 404
    with pytest.raises(TypeError, match="video_polls"):
        HiAPIEmulator(video_polls=3)  # type: ignore[call-arg]


def test_minimal_mp4_boxes_are_well_formed() -> None:
    data = minimal_mp4("seed")
    offset, kinds = 0, []
    while offset < len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        kinds.append(data[offset + 4 : offset + 8])
        assert size >= 8
        offset += size
    assert offset == len(data)
    assert kinds == [b"ftyp", b"free", b"mdat"]
    assert minimal_mp4("seed") == data
    assert minimal_mp4("other") != data
