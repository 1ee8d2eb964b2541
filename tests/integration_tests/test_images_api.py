"""The images API on cassettes: b64_json and url replies, and an unknown model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from langchain_hiapi import GeneratedImage
from langchain_hiapi.errors import ModelNotFoundError
from langchain_hiapi.images_api import agenerate_images, generate_images
from tests._support.cassettes import CANONICAL_BASE_URL

pytestmark = pytest.mark.vcr


@pytest.fixture(scope="module")
def vcr_config(vcr_config: dict[str, Any], hiapi_endpoint: tuple[str, str]) -> dict[str, Any]:
    """Also rewrites the emulator's URL inside recorded bodies to the canonical one.

    `url` replies point back at the server (`<base_url>/images/files/...`). Requests
    are recorded under the canonical URL, so the URLs in bodies must say the same, or
    a replay would try to fetch from a port that no longer exists.
    """
    base_url = hiapi_endpoint[0].rstrip("/")
    scrub: Callable[[dict[str, Any]], dict[str, Any]] = vcr_config["before_record_response"]

    def canonical_body(response: dict[str, Any]) -> dict[str, Any]:
        response = scrub(dict(response))
        body = response.get("body") or {}
        data = body.get("string")
        if isinstance(data, bytes) and base_url != CANONICAL_BASE_URL:
            replaced = data.replace(base_url.encode(), CANONICAL_BASE_URL.encode())
            response["body"] = {**body, "string": replaced}
        return response

    return {**vcr_config, "allow_playback_repeats": False, "before_record_response": canonical_body}


def check_png(image: GeneratedImage) -> None:
    assert image.mime_type in ("image/png", "image/jpeg", "image/webp")
    assert image.data[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xe1", b"RIFF")


def test_images_api_b64_json() -> None:
    images = generate_images(
        "a blue lighthouse on a cliff",
        model="gpt-image-1.5",
        n=2,
        size="1024x1024",
        response_format="b64_json",
    )
    assert len(images) == 2
    for image in images:
        check_png(image)


async def test_images_api_url_async() -> None:
    images = await agenerate_images(
        "a red maple leaf", model="flux-1.1-pro", size="1024x768", response_format="url"
    )
    assert len(images) == 1
    check_png(images[0])


def test_images_api_unknown_model() -> None:
    with pytest.raises(ModelNotFoundError):
        generate_images("anything", model="no-such-image-model")
