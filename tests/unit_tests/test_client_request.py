"""`HiAPIClient.request` / `fetch_to_file` (task API needs), over httpx.MockTransport.

Idempotent POST retries (issue 11, behaviour 2), the task envelope as an error, and downloads
that never send the key to another host and write atomically (behaviour 4).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from langchain_hiapi._client import JSONReply
from langchain_hiapi._files import FetchedFile
from langchain_hiapi.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ConflictError,
    IdempotencyKeyMismatchError,
    InsufficientQuotaError,
    InternalServerError,
    InvalidRequestError,
    InvalidResponseError,
    ModelUnavailableError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnsafeURLError,
)
from tests._support.client import KEY, Chunks, Harness, Server

KEYED = {"Idempotency-Key": "k-1"}


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


CREATED = {"code": 200, "message": "success", "data": {"taskId": "tk-hiapi-1"}}


def envelope_reply(status: int, error_code: str, **kw: Any) -> httpx.Response:
    body = {"code": status, "message": error_code.lower(), "data": None, "error_code": error_code}
    return httpx.Response(status, json=body, **kw)


async def call(
    h: Harness,
    method: str = "POST",
    path: str = "/tasks",
    body: Any = None,
    **kw: Any,
) -> JSONReply:
    if body is None and method == "POST":
        body = {"model": "m", "input": {}}
    if h.mode == "sync":
        return h.client.request(method, path, body, **kw)
    return await h.client.arequest(method, path, body, **kw)


async def fetch(h: Harness, url: str, dest: Path, stem: str = "out", **kw: Any) -> FetchedFile:
    kw.setdefault("max_bytes", 1 << 20)
    if h.mode == "sync":
        return h.client.fetch_to_file(url, dest, stem, **kw)
    return await h.client.afetch_to_file(url, dest, stem, **kw)


# -- request() -----------------------------------------------------------------------------


async def test_request_returns_status_headers_json(mode: str) -> None:
    server = Server(httpx.Response(200, json=CREATED, headers={"Idempotent-Replay": "true"}))
    h = Harness(mode, server)
    reply = await call(h, headers=KEYED)
    assert reply.status_code == 200
    assert reply.json == CREATED
    assert reply.header("idempotent-replay") == "true"
    assert reply.header("IDEMPOTENT-REPLAY") == "true"
    assert reply.header("missing") is None
    (req,) = server.requests
    assert req.headers["idempotency-key"] == "k-1"
    assert req.headers["authorization"] == f"Bearer {KEY}"
    assert json.loads(req.content) == {"model": "m", "input": {}}


async def test_request_params_and_header_validation(mode: str) -> None:
    server = Server(httpx.Response(200, json={"code": 200, "data": {"tasks": []}}))
    h = Harness(mode, server)
    await call(h, "GET", "/tasks", params={"page": 2, "size": 100})
    assert str(server.requests[0].url) == "https://api.test/v1/tasks?page=2&size=100"
    with pytest.raises(ValueError, match=r"headers: the value of 'Idempotency-Key'"):
        await call(h, headers={"Idempotency-Key": "a\nb"})
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("[Errno 104] Connection reset by peer"),
        httpx.ConnectError("refused"),
    ],
)
async def test_keyed_post_is_retried_after_a_lost_reply(mode: str, failure: Exception) -> None:
    server = Server(failure, httpx.Response(200, json=CREATED))
    h = Harness(mode, server)
    reply = await call(h, headers=KEYED)
    assert reply.json["data"]["taskId"] == "tk-hiapi-1"
    assert len(server.requests) == 2
    assert [r.headers["idempotency-key"] for r in server.requests] == ["k-1", "k-1"]
    assert server.requests[0].content == server.requests[1].content


async def test_unkeyed_post_read_timeout_is_not_retried(mode: str) -> None:
    server = Server(httpx.ReadTimeout("read timed out"), httpx.Response(200, json=CREATED))
    h = Harness(mode, server)
    with pytest.raises(APITimeoutError):
        await call(h)
    assert len(server.requests) == 1


def cut_after_headers() -> httpx.Response:
    # The server created the task and its reply was cut mid-body.
    return httpx.Response(200, stream=Chunks([b'{"code": 200, '], httpx.ReadError("reset")))


async def test_keyed_post_reply_cut_mid_body_is_retried(mode: str) -> None:
    server = Server(lambda _: cut_after_headers(), httpx.Response(200, json=CREATED))
    h = Harness(mode, server)
    assert (await call(h, headers=KEYED)).json == CREATED
    assert len(server.requests) == 2
    unkeyed = Server(lambda _: cut_after_headers(), httpx.Response(200, json=CREATED))
    h2 = Harness(mode, unkeyed)
    with pytest.raises(APIConnectionError):
        await call(h2)
    assert len(unkeyed.requests) == 1


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
async def test_keyed_post_retried_on_transient_statuses(mode: str, status: int) -> None:
    server = Server(envelope_reply(status, "BUSY"), httpx.Response(200, json=CREATED))
    h = Harness(mode, server)
    assert (await call(h, headers=KEYED)).json == CREATED
    assert len(server.requests) == 2


async def test_idempotency_processing_409_honours_retry_after(mode: str) -> None:
    processing = envelope_reply(409, "IDEMPOTENCY_KEY_PROCESSING", headers={"Retry-After": "3"})
    replay = httpx.Response(200, json=CREATED, headers={"Idempotent-Replay": "true"})
    server = Server(processing, replay)
    h = Harness(mode, server)
    reply = await call(h, headers=KEYED)
    assert reply.header("Idempotent-Replay") == "true"
    assert h.sleeps == [3.0]
    stuck = Harness(mode, Server(processing))
    with pytest.raises(ConflictError) as info:
        await call(stuck, headers=KEYED)
    assert info.value.code == "IDEMPOTENCY_KEY_PROCESSING"
    assert stuck.sleeps == [3.0, 3.0]


async def test_model_unavailable_is_retried(mode: str) -> None:
    server = Server(envelope_reply(400, "MODEL_UNAVAILABLE"), httpx.Response(200, json=CREATED))
    h = Harness(mode, server)
    assert (await call(h, headers=KEYED)).json == CREATED
    always = Harness(mode, Server(envelope_reply(400, "MODEL_UNAVAILABLE")))
    with pytest.raises(ModelUnavailableError):
        await call(always, headers=KEYED)
    assert always.calls == 3


@pytest.mark.parametrize(
    ("reply", "cls"),
    [
        (envelope_reply(400, "INVALID_REQUEST"), InvalidRequestError),
        (envelope_reply(422, "IDEMPOTENCY_KEY_MISMATCH"), IdempotencyKeyMismatchError),
        (envelope_reply(402, "INSUFFICIENT_QUOTA"), InsufficientQuotaError),
        (httpx.Response(402, content=b""), InsufficientQuotaError),
        (envelope_reply(404, "NOT_FOUND"), NotFoundError),
    ],
)
async def test_final_errors_are_not_retried(
    mode: str, reply: httpx.Response, cls: type[Exception]
) -> None:
    h = Harness(mode, Server(reply))
    with pytest.raises(cls):
        await call(h, headers=KEYED)
    assert h.calls == 1


async def test_error_envelope_in_a_200_is_an_error_and_retried(mode: str) -> None:
    busy = httpx.Response(200, json={"code": 503, "message": "busy", "data": None})
    server = Server(busy, httpx.Response(200, json=CREATED))
    h = Harness(mode, server)
    assert (await call(h, headers=KEYED)).json == CREATED
    assert h.calls == 2
    bad = httpx.Response(
        200, json={"code": 400, "message": "bad", "data": None, "error_code": "INVALID_REQUEST"}
    )
    h2 = Harness(mode, Server(bad))
    with pytest.raises(InvalidRequestError, match="bad"):
        await call(h2, headers=KEYED)
    h3 = Harness(mode, Server(busy))
    with pytest.raises(InternalServerError):
        await call(h3, "GET", "/tasks/x")
    assert h3.calls == 3


async def test_non_json_2xx_is_invalid_response(mode: str) -> None:
    h = Harness(mode, Server(httpx.Response(200, content=b"<html>hi</html>")))
    with pytest.raises(InvalidResponseError, match="non-JSON"):
        await call(h, "GET", "/tasks/x")
    assert h.calls == 1


async def test_rate_limit_on_get_retried_then_raised(mode: str) -> None:
    h = Harness(mode, Server(envelope_reply(429, "RATE_LIMITED")))
    with pytest.raises(RateLimitError):
        await call(h, "GET", "/tasks/x")
    assert h.calls == 3


# -- fetch_to_file() -----------------------------------------------------------------------


def file_server(
    content: bytes = b"\x89PNG\r\n\x1a\nDATA", content_type: str = "image/png", **headers: str
) -> Server:
    return Server(
        httpx.Response(200, content=content, headers={"content-type": content_type, **headers})
    )


async def test_fetch_from_api_origin_sends_key(mode: str, tmp_path: Path) -> None:
    server = file_server()
    h = Harness(mode, server, default_headers={"X-Team": "t"})
    got = await fetch(h, "https://api.test/files/tk-1/0.png", tmp_path, "tk-1-image")
    assert got.path == tmp_path / "tk-1-image.png"
    assert got.path.read_bytes() == b"\x89PNG\r\n\x1a\nDATA"
    assert (got.content_type, got.size) == ("image/png", 12)
    (req,) = server.requests
    assert req.headers["authorization"] == f"Bearer {KEY}"
    assert req.headers["x-team"] == "t"


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.hiapi.ai/tasks/tk-1/0.png",
        "https://api.test:8443/files/0.png",
        "https://api.test.evil.example/files/0.png",
    ],
)
async def test_fetch_elsewhere_never_sends_key(mode: str, tmp_path: Path, url: str) -> None:
    server = file_server()
    h = Harness(mode, server, default_headers={"X-Team": "t"})
    await fetch(h, url, tmp_path)
    (req,) = server.requests
    assert "authorization" not in req.headers
    assert "x-team" not in req.headers
    assert KEY not in str(req.headers)


async def test_fetch_plain_http_elsewhere_is_refused(mode: str, tmp_path: Path) -> None:
    # Issue 14: another scheme is another origin, and plain http off the gateway is not
    # fetched at all (tests/security has the whole download policy).
    server = file_server()
    h = Harness(mode, server)
    with pytest.raises(UnsafeURLError, match="plain http"):
        await fetch(h, "http://api.test/files/0.png", tmp_path)
    assert server.requests == []


async def test_fetch_redirect_to_other_host_drops_key(mode: str, tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.test":
            return httpx.Response(302, headers={"location": "https://cdn.example/x.mp4"})
        return httpx.Response(200, content=b"video", headers={"content-type": "video/mp4"})

    server = Server(handler)
    h = Harness(mode, server)
    got = await fetch(h, "https://api.test/files/x", tmp_path)
    assert got.path.suffix == ".mp4"
    first, second = server.requests
    assert first.headers["authorization"] == f"Bearer {KEY}"
    assert "authorization" not in second.headers


@pytest.mark.parametrize(
    ("content_type", "url", "suffix"),
    [
        ("video/mp4", "https://cdn.example/a", ".mp4"),
        ("image/jpeg; charset=binary", "https://cdn.example/a.png", ".jpg"),
        ("application/octet-stream", "https://cdn.example/a/b.WEBP?sig=1", ".webp"),
        ("binary/octet-stream", "https://cdn.example/clip.mov", ".mov"),
        ("", "https://cdn.example/first_frame.jpeg", ".jpg"),
        ("audio/mpeg", "https://cdn.example/a", ".mp3"),
        ("application/octet-stream", "https://cdn.example/run.exe", ".bin"),
        ("text/html", "https://cdn.example/page", ".bin"),
        # Issue 14 (item 7): an image extension needs bytes of that image type.
        ("image/svg+xml", "https://cdn.example/a.svg", ".bin"),
        ("image/png", "https://cdn.example/a.png", ".bin"),
    ],
)
async def test_fetch_typed_extension(
    mode: str, tmp_path: Path, content_type: str, url: str, suffix: str
) -> None:
    content = {".jpg": b"\xff\xd8\xff\xe0", ".webp": b"RIFF\0\0\0\0WEBPVP8 "}.get(suffix, b"x")
    h = Harness(mode, file_server(content, content_type))
    got = await fetch(h, url, tmp_path, "tk-1-video")
    assert got.path.name == f"tk-1-video{suffix}"


async def test_fetch_never_overwrites(mode: str, tmp_path: Path) -> None:
    (tmp_path / "out.png").write_bytes(b"old")
    h = Harness(mode, file_server())
    first = await fetch(h, "https://cdn.example/a.png", tmp_path)
    second = await fetch(h, "https://cdn.example/a.png", tmp_path)
    assert (first.path.name, second.path.name) == ("out-2.png", "out-3.png")
    assert (tmp_path / "out.png").read_bytes() == b"old"
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


async def test_fetch_unsafe_stem_is_confined(mode: str, tmp_path: Path) -> None:
    h = Harness(mode, file_server())
    got = await fetch(h, "https://cdn.example/a.png", tmp_path / "d", "../../etc/passwd")
    assert got.path.parent == tmp_path / "d"
    assert got.path.name == "etc_passwd.png"


async def test_fetch_byte_cap_by_header_and_by_body(mode: str, tmp_path: Path) -> None:
    h = Harness(mode, file_server(b"x" * 100))
    with pytest.raises(InvalidResponseError, match="100 bytes exceeds max_bytes=10"):
        await fetch(h, "https://cdn.example/a.png", tmp_path, max_bytes=10)

    def chunked(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Chunks([b"x" * 8] * 4))

    h2 = Harness(mode, Server(chunked))
    with pytest.raises(InvalidResponseError, match="exceeds max_bytes=10"):
        await fetch(h2, "https://cdn.example/a.png", tmp_path, max_bytes=10)
    assert os.listdir(tmp_path) == []


async def test_fetch_cut_body_leaves_nothing(mode: str, tmp_path: Path) -> None:
    def cut(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Chunks([b"part"], httpx.ReadError("reset")))

    h = Harness(mode, Server(cut))
    with pytest.raises(APIConnectionError, match="download failed"):
        await fetch(h, "https://cdn.example/a.png", tmp_path)
    assert os.listdir(tmp_path) == []


async def test_fetch_errors(mode: str, tmp_path: Path) -> None:
    h = Harness(mode, Server(httpx.Response(403, content=b"<Error>AccessDenied</Error>")))
    # Issue 14: a CDN's 403 is not an account problem, and its body is not kept.
    with pytest.raises(APIStatusError, match="HTTP 403") as info:
        await fetch(h, "https://cdn.example/a.png?X-Amz-Signature=secret", tmp_path)
    assert not isinstance(info.value, PermissionDeniedError)
    assert "AccessDenied" not in str(info.value)
    assert "secret" not in str(info.value)
    assert h.calls == 1
    with pytest.raises(ValueError, match="absolute http"):
        await fetch(h, "file:///etc/passwd", tmp_path)
    with pytest.raises(ValueError, match="absolute http"):
        await fetch(h, "/files/a.png", tmp_path)
    assert h.calls == 1
    flaky = Harness(mode, Server(httpx.Response(503), httpx.Response(200, content=b"ok")))
    assert (await fetch(flaky, "https://cdn.example/a.png", tmp_path)).size == 2


def test_downloads_elsewhere_are_not_paced_by_the_rate_limiter() -> None:
    from pydantic import SecretStr

    from langchain_hiapi._client import HiAPIClient
    from langchain_hiapi._ratelimit import shared_rate_limiter

    client = HiAPIClient(
        base_url="https://api.test/v1",
        api_key=SecretStr(KEY),
        rate_limiter=shared_rate_limiter(SecretStr(KEY), "https://api.test/v1"),
    )
    cdn = httpx.Request("GET", "https://cdn.hiapi.ai/tasks/tk-1/0.mp4")
    poll = httpx.Request("GET", "https://api.test/v1/tasks/tk-1")
    assert client._calls().gate(cdn) is None
    assert client._calls().gate(poll) is not None
