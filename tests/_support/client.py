"""Shared helpers of the HTTP client's tests: a scripted ``httpx.MockTransport`` and a harness
that drives `HiAPIClient` in sync or async mode (no sockets, no real sleeping)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import aclosing, closing
from typing import Any

import httpx
from pydantic import SecretStr

from langchain_hiapi._client import HiAPIClient
from langchain_hiapi._exchange import JSONReply

KEY = "sk-hiapi-TOPSECRET-0123456789"
PUBLIC_IP = "93.184.215.14"
BASE = "https://api.test/v1/"


def err_body(message: str, code: str | int = "", type_: str = "new_api_error") -> bytes:
    return json.dumps(
        {"error": {"message": message, "type": type_, "param": "", "code": code}},
        ensure_ascii=False,
    ).encode()


def error_reply(
    status: int, message: str = "boom", code: str | int = "", **kw: Any
) -> httpx.Response:
    return httpx.Response(status, content=err_body(message, code), **kw)


def ok(obj: object = None) -> httpx.Response:
    return httpx.Response(200, json={"ok": True} if obj is None else obj)


class Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body delivered in chunks, optionally failing after them; records closing."""

    def __init__(self, chunks: list[bytes], error: Exception | None = None) -> None:
        self.chunks = chunks
        self.error = error
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        if self.error is not None:
            raise self.error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


def sse(*events: object, done: bool = True) -> list[bytes]:
    out = [b"data: " + json.dumps(e).encode() + b"\n\n" for e in events]
    if done:
        out.append(b"data: [DONE]\n\n")
    return out


def sse_reply(chunks: list[bytes], error: Exception | None = None) -> tuple[httpx.Response, Chunks]:
    stream = Chunks(chunks, error)
    return (
        httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=stream),
        stream,
    )


Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Server:
    """MockTransport handler replaying scripted replies (the last one repeats)."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            return reply(request)
        if hasattr(reply, "_content"):
            # The client rebinds a response's stream to itself: serve a fresh copy each time.
            return httpx.Response(reply.status_code, headers=reply.headers, content=reply.content)
        return reply  # a streamed body (Chunks): served once


class Harness:
    """One HiAPIClient over a MockTransport, driven the same way in sync and async mode."""

    def __init__(self, mode: str, server: Server, **kwargs: Any) -> None:
        self.mode = mode
        self.server = server
        self.sleeps: list[float] = []
        transport = httpx.MockTransport(server)
        if mode == "sync":
            kwargs.setdefault("http_client", httpx.Client(transport=transport))
        else:
            kwargs.setdefault("http_async_client", httpx.AsyncClient(transport=transport))
        kwargs.setdefault("api_key", SecretStr(KEY))
        # Download hosts are resolved and must be public; no DNS in unit tests.
        kwargs.setdefault("resolver", lambda host: [PUBLIC_IP])
        self.client = HiAPIClient(
            base_url=BASE, sleep=self.sleeps.append, asleep=self._asleep, **kwargs
        )

    async def _asleep(self, delay: float) -> None:
        self.sleeps.append(delay)

    @property
    def calls(self) -> int:
        return len(self.server.requests)

    async def json(self, method: str = "POST", path: str = "/chat/completions", body: Any = None):  # type: ignore[no-untyped-def]
        if body is None and method == "POST":
            body = {"model": "m"}
        if self.mode == "sync":
            return self.client.request_json(method, path, body)
        return await self.client.arequest_json(method, path, body)

    async def bytes(
        self, method: str = "GET", path: str = "/videos/v1/content"
    ) -> tuple[bytes, str]:
        if self.mode == "sync":
            return self.client.request_bytes(method, path)
        return await self.client.arequest_bytes(method, path)

    async def stream(self, limit: int | None = None) -> list[dict[str, Any]]:
        body = {"model": "m", "stream": True}
        out: list[dict[str, Any]] = []
        if self.mode == "sync":
            with closing(self.client.stream_events("/chat/completions", body)) as gen:  # type: ignore[type-var]
                for event in gen:
                    out.append(event)
                    if limit is not None and len(out) >= limit:
                        break
        else:
            async with aclosing(self.client.astream_events("/chat/completions", body)) as agen:  # type: ignore[type-var]
                async for event in agen:
                    out.append(event)
                    if limit is not None and len(out) >= limit:
                        break
        return out


# Shared by the test modules that mirror the client's modules (test_retry.py, test_fetch.py, ...).
CHUNK = {"id": "c", "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}]}

FINISH = {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}

KEYED = {"Idempotency-Key": "k-1"}

CREATED = {"code": 200, "message": "success", "data": {"taskId": "tk-hiapi-1"}}


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
