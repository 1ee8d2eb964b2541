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

from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import httpx

from langchain_hiapi import catalogue
from langchain_hiapi._downloads import public_url
from langchain_hiapi._flows import Call
from langchain_hiapi._media import decode_base64, decode_data_uri, sniff_mime
from langchain_hiapi._oneshot import (
    CONNECTION_DEFAULTS,
    ConnectionOptions,
    FetchBytes,
    arun_once,
    run_once,
)
from langchain_hiapi._options import Keywords
from langchain_hiapi.errors import InvalidResponseError
from langchain_hiapi.images import GeneratedImage
from langchain_hiapi.limits import Limits

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from langchain_hiapi._client import HiAPIClient

__all__ = [
    "DEFAULT_IMAGES_API_MODEL",
    "IMAGES_API_MODELS",
    "IMAGES_PATH",
    "AsyncImagesOptions",
    "ImagesOptions",
    "agenerate_images",
    "build_images_request",
    "generate_images",
    "images_flow",
]

IMAGES_PATH = "/images/generations"
IMAGES_API_MODELS: frozenset[str] = catalogue.images_api_models()
"""HiAPI models served on `POST /v1/images/generations` (from the catalogue)."""
DEFAULT_IMAGES_API_MODEL = "gpt-image-1.5"
# Where the images API's request keywords end and the connection settings begin.
_REQUEST_KEYS = ("model", "n", "size", "response_format", "model_kwargs")

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
                image = decode_base64(b64, where)
            except ValueError as exc:
                raise InvalidResponseError(str(exc), body=None) from None
            items.append(GeneratedImage(image, sniff_mime(image)))
        elif isinstance(url, str) and url.startswith("data:"):
            try:
                image, mime = decode_data_uri(url, where)
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
    return GeneratedImage(content, mime if mime.startswith("image/") else sniff_mime(content))


class _ImagesOptions(ConnectionOptions, total=False):
    model: str
    n: int
    size: str | None
    response_format: ResponseFormat | None
    model_kwargs: Mapping[str, Any] | None
    limits: Limits | None
    allowed_download_hosts: Sequence[str]


class ImagesOptions(_ImagesOptions, total=False):
    """The keywords of `generate_images`."""

    http_client: httpx.Client | None


class AsyncImagesOptions(_ImagesOptions, total=False):
    """The keywords of `agenerate_images` (`http_async_client` instead of `http_client`)."""

    http_async_client: httpx.AsyncClient | None


_DEFAULTS: dict[str, Any] = {
    **CONNECTION_DEFAULTS,
    "model": DEFAULT_IMAGES_API_MODEL,
    "n": 1,
    "size": None,
    "response_format": None,
    "model_kwargs": None,
    "limits": None,
    "allowed_download_hosts": (),
}
IMAGES_OPTIONS = Keywords(ImagesOptions, {**_DEFAULTS, "http_client": None})
ASYNC_IMAGES_OPTIONS = Keywords(AsyncImagesOptions, {**_DEFAULTS, "http_async_client": None})


def images_flow(
    body: Mapping[str, Any], *, max_bytes: int, http_client: Any = None
) -> Generator[Call | FetchBytes, Any, list[GeneratedImage]]:
    """One images-API call: the request, then a download of each image given by URL.

    Args:
        body: The request body (`build_images_request`).
        max_bytes: Size limit of each downloaded image.
        http_client: The caller's `httpx` client for downloads outside the base URL.

    Returns:
        The images in reply order.
    """
    reply = yield Call("POST", IMAGES_PATH, body)
    images: list[GeneratedImage] = []
    for item in _parse_reply(reply.json):
        if isinstance(item, _Pending):
            step = FetchBytes(item.url, max_bytes, "max_image_download_bytes", http_client)
            item = _image_from_download(item, *(yield step))
        images.append(item)
    return images


def _images_call(
    prompt: str, where: str, keywords: Keywords, options: Mapping[str, Any]
) -> tuple[Any, dict[str, Any]]:
    """The flow factory and the connection settings of one call, its request checked first."""
    settings = keywords.resolve(where, options)
    body = build_images_request(prompt, **{key: settings.pop(key) for key in _REQUEST_KEYS})
    downloads = settings.get("http_client", settings.get("http_async_client"))

    def make_flow(client: HiAPIClient) -> Generator[Call | FetchBytes, Any, list[GeneratedImage]]:
        max_bytes = client.limits.max_image_download_bytes
        return images_flow(body, max_bytes=max_bytes, http_client=downloads)

    return make_flow, settings


@IMAGES_OPTIONS.signature
def generate_images(prompt: str, **options: Unpack[ImagesOptions]) -> list[GeneratedImage]:
    """Generates images with an images-API model (`POST /v1/images/generations`).

    Args:
        prompt: What to draw.
        **options: Keywords:
            `model`: a model of `IMAGES_API_MODELS` (any id is sent as is).
            `n`: number of images.
            `size`: `WIDTHxHEIGHT` or `auto`; the model's default if None.
            `response_format`: `b64_json` or `url`; the model's default if None. Either
            way the images come back as bytes.
            `model_kwargs`: extra top-level request fields (e.g. `quality`).
            `client`: a client to reuse (left open), e.g. `ChatHiAPI(...).client`.
            Otherwise one is built from the keywords below and closed afterwards.
            `api_key`: HiAPI key; defaults to `HIAPI_API_KEY`.
            `base_url`: API base URL; defaults to `HIAPI_BASE_URL`, else
            `https://api.hiapi.ai/v1`.
            `timeout`: request timeout; also used to download URL images.
            `max_retries`: retries for rate limits, 5xx and connection errors.
            `http_client`: an `httpx.Client` for the requests and for downloading URL
            images outside the base URL (e.g. with your proxy settings).
            `limits`: byte limits (default `Limits()`); ignored when `client` is given.
            `allowed_download_hosts`: extra hosts URL images may come from (`host` or
            `host:port`); ignored when `client` is given.

    Returns:
        The images in reply order.

    Raises:
        ValueError: An argument cannot be sent.
        TypeError: An unknown keyword.
        HiAPIError: The request or a download failed, or the reply holds no image.
        UnsafeURLError: An image URL (or a redirect) points where downloads are refused.
        ResponseTooLargeError: The reply or an image passed its limit.
    """
    return run_once(*_images_call(prompt, "generate_images", IMAGES_OPTIONS, options))


@ASYNC_IMAGES_OPTIONS.signature
async def agenerate_images(
    prompt: str, **options: Unpack[AsyncImagesOptions]
) -> list[GeneratedImage]:
    """Async `generate_images` (same arguments; `http_async_client` for URL downloads)."""
    return await arun_once(*_images_call(prompt, "agenerate_images", ASYNC_IMAGES_OPTIONS, options))
