"""Downloads (`_fetch`): `request_bytes` and `fetch_to_file`, redirects and the key's origin."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from langchain_hiapi._files import FetchedFile
from langchain_hiapi.errors import (
    APIConnectionError,
    APIStatusError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    UnsafeURLError,
)
from tests._support.client import (
    KEY,
    Chunks,
    Harness,
    Server,
    error_reply,
)


async def test_request_bytes_follows_redirect_without_leaking_key(mode: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.test":
            return httpx.Response(302, headers={"location": "https://cdn.example/v.mp4"})
        return httpx.Response(200, content=b"\x00\x01mp4", headers={"content-type": "video/mp4"})

    h = Harness(mode, Server(handler))
    assert await h.bytes() == (b"\x00\x01mp4", "video/mp4")
    first, second = h.server.requests
    assert first.headers["accept"] == "*/*"
    assert first.headers["authorization"] == f"Bearer {KEY}"
    assert "authorization" not in second.headers  # httpx drops it across origins


async def test_request_bytes_error(mode: str) -> None:
    h = Harness(mode, Server(error_reply(404, "video not found")))
    with pytest.raises(NotFoundError, match="video not found"):
        await h.bytes()


async def fetch(h: Harness, url: str, dest: Path, stem: str = "out", **kw: Any) -> FetchedFile:
    kw.setdefault("max_bytes", 1 << 20)
    if h.mode == "sync":
        return h.client.fetch_to_file(url, dest, stem, **kw)
    return await h.client.afetch_to_file(url, dest, stem, **kw)


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
