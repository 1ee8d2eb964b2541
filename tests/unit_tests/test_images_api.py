"""The images API over httpx.MockTransport: request body, b64_json and url replies."""

from __future__ import annotations

import base64
import inspect
import json
from typing import Any

import httpx
import pytest

from langchain_hiapi._client import HiAPIClient, JSONReply
from langchain_hiapi._flows import Call
from langchain_hiapi._oneshot import FetchBytes
from langchain_hiapi.errors import (
    APIConnectionError,
    InvalidResponseError,
    ModelNotFoundError,
    NotFoundError,
    ResponseTooLargeError,
)
from langchain_hiapi.images_api import (
    IMAGES_API_MODELS,
    agenerate_images,
    build_images_request,
    generate_images,
    images_flow,
)
from langchain_hiapi.limits import Limits
from tests._support.wire import png_bytes

KEY = "sk-images-unit-key"
BASE = "https://api.hiapi.ai/v1"
PNG = png_bytes(3, 2)
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16
B64 = base64.b64encode(PNG).decode()


class FakeImagesAPI:
    """MockTransport handler: the generation reply for POST, files by URL for GET."""

    def __init__(self, reply: dict[str, Any] | httpx.Response, files: dict[str, Any]) -> None:
        self.reply = reply
        self.files = files  # url -> bytes, (bytes, content type) or an httpx.Response
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.method == "POST":
            if isinstance(self.reply, httpx.Response):
                return httpx.Response(self.reply.status_code, content=self.reply.content)
            return httpx.Response(200, json=self.reply)
        file = self.files.get(str(request.url))
        if file is None:
            return httpx.Response(404, json={"error": {"message": "gone", "code": "not_found"}})
        if isinstance(file, httpx.Response):
            return httpx.Response(file.status_code, headers=file.headers, content=file.content)
        data, content_type = file if isinstance(file, tuple) else (file, "image/png")
        return httpx.Response(200, content=data, headers={"Content-Type": content_type})


def transport_kwargs(api: FakeImagesAPI, mode: str = "sync") -> dict[str, Any]:
    """Arguments running `generate_images` (for "async": `agenerate_images`) on `api`."""
    transport = httpx.MockTransport(api)
    client: dict[str, Any] = (
        {"http_client": httpx.Client(transport=transport)}
        if mode == "sync"
        else {"http_async_client": httpx.AsyncClient(transport=transport)}
    )
    return {"api_key": KEY, "base_url": BASE, "max_retries": 0, **client}


def reply(*items: dict[str, Any]) -> dict[str, Any]:
    return {"created": 1764590000, "data": list(items)}


# ------------------------------------------------------------------------- request body


def test_images_api_models() -> None:
    assert (
        frozenset({"gpt-image-1.5", "flux-1.1-pro", "qwen-image-2.0", "gpt-image-2-beta"})
        == IMAGES_API_MODELS
    )


def test_build_request() -> None:
    assert build_images_request("a fox") == {"model": "gpt-image-1.5", "prompt": "a fox", "n": 1}
    assert build_images_request(
        "a fox",
        model="flux-1.1-pro",
        n=2,
        size="1024x1536",
        response_format="url",
        model_kwargs={"quality": "high", "n": 9},
    ) == {
        "quality": "high",
        "model": "flux-1.1-pro",
        "prompt": "a fox",
        "n": 2,
        "size": "1024x1536",
        "response_format": "url",
    }


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"prompt": ""}, "prompt"),
        ({"prompt": "x", "n": 0}, "n must"),
        ({"prompt": "x", "n": True}, "n must"),
        ({"prompt": "x", "n": 1.0}, "n must"),
        ({"prompt": "x", "response_format": "png"}, "response_format"),
    ],
)
def test_build_request_rejects(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build_images_request(**kwargs)


# -------------------------------------------------------------------------------- replies


def test_b64_json_reply() -> None:
    api = FakeImagesAPI(reply({"b64_json": B64}, {"b64_json": base64.b64encode(JPEG).decode()}), {})
    images = generate_images("a fox", n=2, size="1024x1024", **transport_kwargs(api))
    assert [(i.data, i.mime_type) for i in images] == [(PNG, "image/png"), (JPEG, "image/jpeg")]
    (request,) = api.requests
    assert (request.method, request.url.path) == ("POST", "/v1/images/generations")
    assert json.loads(request.content) == {
        "model": "gpt-image-1.5",
        "prompt": "a fox",
        "n": 2,
        "size": "1024x1024",
    }
    assert request.headers["authorization"] == f"Bearer {KEY}"


def test_new_api_serialises_both_keys_one_empty() -> None:
    api = FakeImagesAPI(reply({"url": "", "b64_json": B64, "revised_prompt": ""}), {})
    (image,) = generate_images("x", **transport_kwargs(api))
    assert image.data == PNG


def test_url_below_base_url_goes_through_the_client_with_auth() -> None:
    url = f"{BASE}/images/files/img-1.png?sig=abc"
    api = FakeImagesAPI(reply({"url": url}), {url: PNG})
    (image,) = generate_images("x", model="flux-1.1-pro", **transport_kwargs(api))
    assert (image.data, image.mime_type) == (PNG, "image/png")
    fetch = api.requests[1]
    assert str(fetch.url) == url
    assert fetch.headers["authorization"] == f"Bearer {KEY}"


def test_external_url_is_fetched_without_the_key() -> None:
    url = "https://cdn.example.com/out/abc.jpg?token=secret"
    api = FakeImagesAPI(reply({"url": url}), {url: (JPEG, "image/jpeg")})
    (image,) = generate_images("x", **transport_kwargs(api))
    assert (image.data, image.mime_type) == (JPEG, "image/jpeg")
    fetch = api.requests[1]
    assert str(fetch.url) == url
    assert "authorization" not in fetch.headers


def test_lookalike_host_is_external() -> None:
    # Same path prefix, other host: the key must not be sent.
    url = "https://api.hiapi.ai.evil.test/v1/images/files/a.png"
    api = FakeImagesAPI(reply({"url": url}), {url: PNG})
    generate_images("x", **transport_kwargs(api))
    assert "authorization" not in api.requests[1].headers


def test_url_mime_from_bytes_when_header_is_generic() -> None:
    url = "https://cdn.example.com/a"
    api = FakeImagesAPI(reply({"url": url}), {url: (PNG, "application/octet-stream")})
    (image,) = generate_images("x", **transport_kwargs(api))
    assert image.mime_type == "image/png"


def test_data_uri_in_url_field() -> None:
    api = FakeImagesAPI(reply({"url": f"data:image/png;base64,{B64}"}), {})
    (image,) = generate_images("x", **transport_kwargs(api))
    assert image.data == PNG
    assert len(api.requests) == 1


def test_external_url_http_error_is_typed() -> None:
    url = "https://cdn.example.com/expired.png?token=secret"
    api = FakeImagesAPI(reply({"url": url}), {})
    with pytest.raises(NotFoundError):
        generate_images("x", **transport_kwargs(api))


def test_external_url_connection_error_hides_query() -> None:
    url = "https://cdn.example.com/a.png?token=secret"

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, json=reply({"url": url}))
        raise httpx.ConnectError("refused")

    kwargs = transport_kwargs(FakeImagesAPI({}, {}))
    kwargs["http_client"] = httpx.Client(transport=httpx.MockTransport(handler))
    with pytest.raises(APIConnectionError) as info:
        generate_images("x", **kwargs)
    assert "cdn.example.com/a.png" in str(info.value)
    assert "secret" not in str(info.value)


def test_empty_download_is_invalid() -> None:
    url = "https://cdn.example.com/a.png"
    api = FakeImagesAPI(reply({"url": url}), {url: b""})
    with pytest.raises(InvalidResponseError, match="empty body"):
        generate_images("x", **transport_kwargs(api))


@pytest.mark.parametrize(
    "body",
    [
        {"created": 1},
        {"data": []},
        {"data": [{"url": "", "b64_json": ""}]},
        {"data": [{"url": "ftp://x/a.png"}]},
        {"data": ["nope"]},
        {"data": [{"b64_json": "***"}]},
    ],
)
def test_unusable_replies(body: dict[str, Any]) -> None:
    with pytest.raises(InvalidResponseError):
        generate_images("x", **transport_kwargs(FakeImagesAPI(body, {})))


def test_gateway_error_is_typed() -> None:
    error = {"error": {"message": "no channel", "type": "new_api_error", "code": "model_not_found"}}
    api = FakeImagesAPI(httpx.Response(503, json=error), {})
    with pytest.raises(ModelNotFoundError):
        generate_images("x", model="nope", **transport_kwargs(api))


async def test_async_matches_sync() -> None:
    inside = f"{BASE}/images/files/1.png"
    outside = "https://cdn.example.com/2.jpg"
    items = ({"url": inside}, {"url": outside}, {"b64_json": B64})
    files: dict[str, Any] = {inside: PNG, outside: (JPEG, "image/jpeg")}
    sync_api, async_api = FakeImagesAPI(reply(*items), files), FakeImagesAPI(reply(*items), files)
    expected = generate_images("x", n=3, response_format="url", **transport_kwargs(sync_api))
    got = await agenerate_images(
        "x", n=3, response_format="url", **transport_kwargs(async_api, "async")
    )
    assert got == expected
    assert [i.mime_type for i in got] == ["image/png", "image/jpeg", "image/png"]
    assert [str(r.url) for r in async_api.requests] == [str(r.url) for r in sync_api.requests]
    assert "authorization" in async_api.requests[1].headers
    assert "authorization" not in async_api.requests[2].headers


def test_reuses_a_given_client() -> None:
    api = FakeImagesAPI(reply({"b64_json": B64}), {})
    client = HiAPIClient(
        base_url=BASE, api_key=None, http_client=httpx.Client(transport=httpx.MockTransport(api))
    )
    generate_images("x", client=client)
    generate_images("x", client=client)
    assert len(api.requests) == 2
    assert "authorization" not in api.requests[0].headers  # that client has no key


def test_reads_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIAPI_API_KEY", "sk-env")
    monkeypatch.setenv("HIAPI_BASE_URL", "https://gw.example/v1")
    api = FakeImagesAPI(reply({"b64_json": B64}), {})
    generate_images("x", http_client=httpx.Client(transport=httpx.MockTransport(api)))
    assert str(api.requests[0].url) == "https://gw.example/v1/images/generations"
    assert api.requests[0].headers["authorization"] == "Bearer sk-env"


def test_images_flow_by_hand() -> None:
    body = build_images_request("x", n=2, response_format="url")
    flow = images_flow(body, max_bytes=1234, http_client="downloads")
    call = next(flow)
    assert isinstance(call, Call)
    assert (call.method, call.path, call.body) == ("POST", "/images/generations", body)
    outside = "https://cdn.example.com/2.jpg"
    fetch = flow.send(JSONReply(200, {}, reply({"b64_json": B64}, {"url": outside})))
    assert fetch == FetchBytes(outside, 1234, "max_image_download_bytes", "downloads")
    with pytest.raises(StopIteration) as done:
        flow.send((JPEG, "image/jpeg; charset=binary"))
    assert [(i.data, i.mime_type) for i in done.value.value] == [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
    ]


def test_download_limit_comes_from_the_clients_limits() -> None:
    api = FakeImagesAPI(reply({"url": "https://cdn.example.com/big.png"}), {})
    api.files["https://cdn.example.com/big.png"] = PNG
    kwargs = transport_kwargs(api)
    with pytest.raises(ResponseTooLargeError, match="max_image_download_bytes"):
        generate_images("x", limits=Limits(max_image_download_bytes=len(PNG) - 1), **kwargs)
    assert generate_images("x", limits=Limits(max_image_download_bytes=len(PNG)), **kwargs)


def test_keywords_written_once_but_checked_and_shown() -> None:
    sync = inspect.signature(generate_images).parameters
    assert list(sync)[:7] == [
        "prompt",
        "client",
        "api_key",
        "base_url",
        "timeout",
        "max_retries",
        "model",
    ]
    assert sync["model"].default == "gpt-image-1.5"
    assert sync["n"].default == 1
    assert sync["allowed_download_hosts"].default == ()
    assert "http_client" in sync
    assert "http_async_client" not in sync
    asynchronous = inspect.signature(agenerate_images).parameters
    assert "http_async_client" in asynchronous
    assert "http_client" not in asynchronous
    with pytest.raises(TypeError, match=r"generate_images\(\) .*'quality'.*allowed: client"):
        generate_images("x", quality="high")  # type: ignore[call-arg]


async def test_async_rejects_the_sync_http_client_keyword() -> None:
    with pytest.raises(TypeError, match=r"agenerate_images\(\) .*'http_client'"):
        await agenerate_images("x", http_client=httpx.Client())  # type: ignore[call-arg]


def test_bad_request_fails_before_any_client_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[Any] = []
    monkeypatch.setattr(httpx, "Client", lambda **kw: built.append(kw))
    with pytest.raises(ValueError, match="n must be an integer"):
        generate_images("x", n=0)
    assert built == []
