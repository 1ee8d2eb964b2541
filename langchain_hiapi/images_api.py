"""The OpenAI images API on HiAPI: `POST /v1/images/generations`.

Some HiAPI image models (`gpt-image-1.5`, `flux-1.1-pro`, `qwen-image-2.0`,
`gpt-image-2-beta`) are served here rather than on chat completions. The reply holds
each image as `b64_json` or as a `url`; both come back as `GeneratedImage` bytes.

URL outputs are downloaded under the package's download policy: the gateway's own
origin (with the API key), hosts in `allowed_download_hosts`, and `https` hosts whose
addresses are all public (without the key); anything else, and redirects into it, raise
`UnsafeURLError` before a connection is made. Each image is capped at
`Limits.max_image_download_bytes`.

Example:
    ```python
    from langchain_hiapi import generate_images

    images = generate_images("a lighthouse at dusk", model="flux-1.1-pro", n=2)
    for number, image in enumerate(images, 1):
        image.save(f"lighthouse-{number}{image.extension}")
    ```
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from pydantic import SecretStr

from langchain_hiapi._client import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, HiAPIClient
from langchain_hiapi._downloads import public_url
from langchain_hiapi._images import (
    GeneratedImage,
    _decode_base64,
    _decode_data_url,
    _sniff_mime,
)
from langchain_hiapi.errors import InvalidResponseError
from langchain_hiapi.limits import Limits
from langchain_hiapi.models import _make_client

__all__ = [
    "DEFAULT_IMAGES_API_MODEL",
    "IMAGES_API_MODELS",
    "IMAGES_PATH",
    "agenerate_images",
    "build_images_request",
    "generate_images",
]

IMAGES_PATH = "/images/generations"
IMAGES_API_MODELS: frozenset[str] = frozenset(
    {"gpt-image-1.5", "flux-1.1-pro", "qwen-image-2.0", "gpt-image-2-beta"}
)
"""HiAPI models served on `POST /v1/images/generations` (not on chat completions)."""
DEFAULT_IMAGES_API_MODEL = "gpt-image-1.5"

ResponseFormat = Literal["url", "b64_json"]


def build_images_request(
    prompt: str,
    *,
    model: str = DEFAULT_IMAGES_API_MODEL,
    n: int = 1,
    size: str | None = None,
    response_format: ResponseFormat | None = None,
    model_kwargs: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Builds the JSON body of `POST /v1/images/generations`, checking it first.

    Args:
        prompt: What to draw.
        model: The model id.
        n: Number of images (at least 1).
        size: `WIDTHxHEIGHT` (e.g. `1024x1024`) or `auto`; the model's default if None.
        response_format: `b64_json` or `url`; the model's default if None.
        model_kwargs: Extra top-level fields sent as they are (e.g. `quality`).

    Returns:
        The request body.

    Raises:
        ValueError: An argument cannot be sent (empty prompt, `n` < 1, unknown format).
    """
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError("prompt must be a non-empty string")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    if response_format not in (None, "url", "b64_json"):
        raise ValueError(f"response_format must be 'url' or 'b64_json', got {response_format!r}")
    body: dict[str, Any] = dict(model_kwargs or {})
    body.update(model=model, prompt=prompt, n=n)
    if size is not None:
        body["size"] = size
    if response_format is not None:
        body["response_format"] = response_format
    return body


@dataclass(frozen=True)
class _Pending:
    """An image of the reply that still has to be downloaded."""

    index: int
    url: str


def _parse_reply(body: Mapping[str, Any]) -> list[GeneratedImage | _Pending]:
    """Reads `{"data": [{"b64_json"} | {"url"}, ...]}`.

    new-api always serialises both keys (one of them `""`), so empty means absent.
    """
    data = body.get("data")
    if not isinstance(data, list) or not data:
        raise InvalidResponseError(
            f"POST {IMAGES_PATH}: expected a non-empty `data` list, got {data!r:.200}", body=body
        )
    items: list[GeneratedImage | _Pending] = []
    for index, entry in enumerate(data):
        where = f"POST {IMAGES_PATH}: data[{index}]"
        entry = entry if isinstance(entry, Mapping) else {}
        b64, url = entry.get("b64_json"), entry.get("url")
        if isinstance(b64, str) and b64:
            try:
                image = _decode_base64(b64, where)
            except ValueError as exc:
                raise InvalidResponseError(str(exc), body=None) from None
            items.append(GeneratedImage(image, _sniff_mime(image)))
        elif isinstance(url, str) and url.startswith("data:"):
            try:
                image, mime = _decode_data_url(url, where)
            except ValueError as exc:
                raise InvalidResponseError(str(exc), body=None) from None
            items.append(GeneratedImage(image, mime))
        elif isinstance(url, str) and url.startswith(("http://", "https://")):
            items.append(_Pending(index, url))
        else:
            raise InvalidResponseError(f"{where} has neither b64_json nor an http(s) url")
    return items


def _image_from_download(pending: _Pending, content: bytes, content_type: str) -> GeneratedImage:
    if not content:
        raise InvalidResponseError(
            f"image URL of data[{pending.index}] returned an empty body: {public_url(pending.url)}"
        )
    mime = content_type.split(";", 1)[0].strip().lower()
    return GeneratedImage(content, mime if mime.startswith("image/") else _sniff_mime(content))


def _fetch(client: HiAPIClient, url: str, http_client: httpx.Client | None) -> tuple[bytes, str]:
    return client.fetch_bytes(
        url,
        max_bytes=client.limits.max_image_download_bytes,
        limit_name="max_image_download_bytes",
        http_client=http_client,
    )


async def _afetch(
    client: HiAPIClient, url: str, http_async_client: httpx.AsyncClient | None
) -> tuple[bytes, str]:
    return await client.afetch_bytes(
        url,
        max_bytes=client.limits.max_image_download_bytes,
        limit_name="max_image_download_bytes",
        http_client=http_async_client,
    )


def generate_images(
    prompt: str,
    *,
    model: str = DEFAULT_IMAGES_API_MODEL,
    n: int = 1,
    size: str | None = None,
    response_format: ResponseFormat | None = None,
    model_kwargs: Mapping[str, Any] | None = None,
    client: HiAPIClient | None = None,
    api_key: str | SecretStr | None = None,
    base_url: str | None = None,
    timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
    max_retries: int = DEFAULT_MAX_RETRIES,
    http_client: httpx.Client | None = None,
    limits: Limits | None = None,
    allowed_download_hosts: Sequence[str] = (),
) -> list[GeneratedImage]:
    """Generates images with an images-API model (`POST /v1/images/generations`).

    Args:
        prompt: What to draw.
        model: A model of `IMAGES_API_MODELS` (any id is sent as is).
        n: Number of images.
        size: `WIDTHxHEIGHT` or `auto`; the model's default if None.
        response_format: `b64_json` or `url`; the model's default if None. Either way
            the images come back as bytes.
        model_kwargs: Extra top-level request fields (e.g. `quality`).
        client: A client to reuse (left open), e.g. `ChatHiAPI(...).client`. Otherwise
            one is built from the arguments below and closed afterwards.
        api_key: HiAPI key; defaults to `HIAPI_API_KEY`.
        base_url: API base URL; defaults to `HIAPI_BASE_URL`, else
            `https://api.hiapi.ai/v1`.
        timeout: Request timeout; also used to download URL images.
        max_retries: Retries for rate limits, 5xx and connection errors.
        http_client: An `httpx.Client` for the requests and for downloading URL images
            outside the base URL (e.g. with your proxy settings).
        limits: Byte limits (default `Limits()`); ignored when `client` is given.
        allowed_download_hosts: Extra hosts URL images may come from (`host` or
            `host:port`); ignored when `client` is given.

    Returns:
        The images in reply order.

    Raises:
        ValueError: An argument cannot be sent.
        HiAPIError: The request or a download failed, or the reply holds no image.
        UnsafeURLError: An image URL (or a redirect) points where downloads are refused.
        ResponseTooLargeError: The reply or an image passed its limit.
    """
    body = build_images_request(
        prompt,
        model=model,
        n=n,
        size=size,
        response_format=response_format,
        model_kwargs=model_kwargs,
    )
    owned = client is None
    http = client or _make_client(
        api_key=api_key,
        base_url=base_url,
        timeout=timeout,
        max_retries=max_retries,
        http_client=http_client,
        limits=limits,
        allowed_download_hosts=allowed_download_hosts,
    )
    try:
        items = _parse_reply(http.request_json("POST", IMAGES_PATH, body))
        return [
            _image_from_download(item, *_fetch(http, item.url, http_client))
            if isinstance(item, _Pending)
            else item
            for item in items
        ]
    finally:
        if owned:
            http.close()


async def agenerate_images(
    prompt: str,
    *,
    model: str = DEFAULT_IMAGES_API_MODEL,
    n: int = 1,
    size: str | None = None,
    response_format: ResponseFormat | None = None,
    model_kwargs: Mapping[str, Any] | None = None,
    client: HiAPIClient | None = None,
    api_key: str | SecretStr | None = None,
    base_url: str | None = None,
    timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
    max_retries: int = DEFAULT_MAX_RETRIES,
    http_async_client: httpx.AsyncClient | None = None,
    limits: Limits | None = None,
    allowed_download_hosts: Sequence[str] = (),
) -> list[GeneratedImage]:
    """Async `generate_images` (same arguments; `http_async_client` for URL downloads)."""
    body = build_images_request(
        prompt,
        model=model,
        n=n,
        size=size,
        response_format=response_format,
        model_kwargs=model_kwargs,
    )
    owned = client is None
    http = client or _make_client(
        api_key=api_key,
        base_url=base_url,
        timeout=timeout,
        max_retries=max_retries,
        http_async_client=http_async_client,
        limits=limits,
        allowed_download_hosts=allowed_download_hosts,
    )
    try:
        items = _parse_reply(await http.arequest_json("POST", IMAGES_PATH, body))
        return [
            _image_from_download(item, *await _afetch(http, item.url, http_async_client))
            if isinstance(item, _Pending)
            else item
            for item in items
        ]
    finally:
        if owned:
            await http.aclose()
