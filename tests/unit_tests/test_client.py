"""Tests for the HTTP client, all over ``httpx.MockTransport`` (no sockets, no real sleeping)."""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from langchain_hiapi._client import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    INITIAL_RETRY_DELAY,
    MAX_RETRY_AFTER,
    MAX_RETRY_DELAY,
    RETRYABLE_STATUS_CODES,
    HiAPIClient,
    RetryPolicy,
)
from langchain_hiapi._exchange import send
from langchain_hiapi._ratelimit import (
    DEFAULT_RATE_SETTINGS,
    RATE_LIMIT_PATIENCE,
    KeyRateLimiter,
)
from langchain_hiapi._steps import adrive, drive
from langchain_hiapi.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    HiAPIError,
    InsufficientQuotaError,
    InternalServerError,
    InvalidResponseError,
    ModelNotFoundError,
    NotFoundError,
    PermissionDeniedError,
    PromptBlockedError,
    RateLimitError,
    StreamError,
    error_from_response,
)
from tests._support.client import (
    BASE,
    KEY,
    Chunks,
    Harness,
    Server,
    err_body,
    error_reply,
    ok,
    sse,
    sse_reply,
)


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# -- request building ----------------------------------------------------------------------


async def test_headers_url_and_body(mode: str) -> None:
    h = Harness(mode, Server(ok()), default_headers={"X-Extra": "1", "User-Agent": "custom/1"})
    body = {"model": "Nano-Banana", "messages": [{"role": "user", "content": "画一只猫"}]}
    assert await h.json("POST", "/chat/completions", body) == {"ok": True}
    (req,) = h.server.requests
    assert str(req.url) == "https://api.test/v1/chat/completions"
    assert req.method == "POST"
    assert req.headers["authorization"] == f"Bearer {KEY}"
    assert req.headers["content-type"] == "application/json"
    assert req.headers["accept"] == "application/json"
    assert req.headers["x-extra"] == "1"
    assert req.headers["user-agent"] == "custom/1"  # default_headers are applied last
    expected = '{"model":"Nano-Banana","messages":[{"role":"user","content":"画一只猫"}]}'
    assert req.content == expected.encode()


async def test_default_user_agent_and_get_without_body(mode: str) -> None:
    h = Harness(mode, Server(ok()))
    await h.json("GET", "/models")
    (req,) = h.server.requests
    assert req.headers["user-agent"].startswith("langchain-hiapi/")
    assert "content-type" not in req.headers
    assert req.content == b""


@pytest.mark.parametrize("key", [None, SecretStr("")])
async def test_no_authorization_without_key(mode: str, key: SecretStr | None) -> None:
    h = Harness(mode, Server(ok()), api_key=key)
    await h.json()
    assert "authorization" not in h.server.requests[0].headers


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [
        (DEFAULT_TIMEOUT, {"connect": 10.0, "read": 600.0, "write": 120.0, "pool": 30.0}),
        (5.0, {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}),
        (None, {"connect": None, "read": None, "write": None, "pool": None}),
    ],
)
async def test_timeout_applied_per_request(
    mode: str, timeout: httpx.Timeout | float | None, expected: dict[str, float | None]
) -> None:
    # A frozen clock: a number is also the overall budget, which would otherwise shave
    # a few microseconds off every phase by the time the request is sent.
    h = Harness(mode, Server(ok()), timeout=timeout, clock=lambda: 0.0)
    await h.json()
    assert h.server.requests[0].extensions["timeout"] == expected


def test_constants() -> None:
    assert DEFAULT_BASE_URL == "https://api.hiapi.ai/v1"
    assert DEFAULT_MAX_RETRIES == 2
    assert (INITIAL_RETRY_DELAY, MAX_RETRY_DELAY, MAX_RETRY_AFTER) == (0.5, 8.0, 60.0)
    assert frozenset({408, 409, 429, 500, 502, 503, 504}) == RETRYABLE_STATUS_CODES
    assert RetryPolicy() == RetryPolicy(2, 0.5, 8.0, 60.0, False)


def test_retry_policy_validation() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)
    with pytest.raises(ValueError, match="delays"):
        RetryPolicy(initial_delay=-1)


# -- error mapping through the client ------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "cls", "code"),
    [
        (error_reply(400, "blocked", "prompt_blocked"), PromptBlockedError, "prompt_blocked"),
        (error_reply(500, "empty", "empty_response"), InternalServerError, "empty_response"),
        (error_reply(401, "Invalid token"), AuthenticationError, None),
        (error_reply(403, "banned", "access_denied"), PermissionDeniedError, "access_denied"),
        (
            error_reply(403, "余额不足", "insufficient_user_quota"),
            InsufficientQuotaError,
            "insufficient_user_quota",
        ),
        (error_reply(404, "no route"), NotFoundError, None),
        (error_reply(503, "no channel", "model_not_found"), ModelNotFoundError, "model_not_found"),
        (
            error_reply(500, "bad extra_body", "convert_request_failed"),
            InternalServerError,
            "convert_request_failed",
        ),
    ],
)
async def test_non_retryable_errors_sent_once(
    mode: str, reply: httpx.Response, cls: type[APIStatusError], code: str | None
) -> None:
    h = Harness(mode, Server(reply))
    with pytest.raises(cls) as info:
        await h.json()
    assert type(info.value) is cls
    assert info.value.code == code
    assert h.calls == 1
    assert h.sleeps == []


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (408, APIStatusError),
        (409, APIStatusError),
        (429, RateLimitError),
        (500, InternalServerError),
        (502, InternalServerError),
        (503, InternalServerError),
        (504, InternalServerError),
    ],
)
async def test_retryable_status_storm(mode: str, status: int, cls: type[APIStatusError]) -> None:
    h = Harness(mode, Server(error_reply(status)))
    with pytest.raises(cls) as info:
        await h.json()
    assert info.value.status_code == status
    assert h.calls == DEFAULT_MAX_RETRIES + 1
    assert len(h.sleeps) == DEFAULT_MAX_RETRIES


async def test_rate_limit_then_success(mode: str) -> None:
    h = Harness(mode, Server(error_reply(429, "slow"), ok({"id": "x"})))
    assert await h.json() == {"id": "x"}
    assert h.calls == 2
    assert len(h.sleeps) == 1
    assert 0.375 <= h.sleeps[0] <= 0.5


async def test_max_retries_respected(mode: str) -> None:
    h = Harness(mode, Server(error_reply(429)), retry_policy=RetryPolicy(max_retries=5))
    with pytest.raises(RateLimitError):
        await h.json()
    assert h.calls == 6
    h0 = Harness(mode, Server(error_reply(429)), retry_policy=RetryPolicy(max_retries=0))
    with pytest.raises(RateLimitError):
        await h0.json()
    assert h0.calls == 1


async def test_numeric_code_and_chinese_message(mode: str) -> None:
    reply = error_reply(429, "上游负载已饱和 请稍后再试 (request id: 20251201abc)", 429)
    h = Harness(mode, Server(reply), retry_policy=RetryPolicy(max_retries=0))
    with pytest.raises(RateLimitError) as info:
        await h.json()
    err = info.value
    assert err.code == 429
    assert err.request_id == "20251201abc"
    assert str(err) == "HiAPI 429 429: 上游负载已饱和 请稍后再试 (request id: 20251201abc)"


async def test_binary_garbage_error(mode: str) -> None:
    reply = httpx.Response(500, content=bytes(range(256)))
    h = Harness(mode, Server(reply), retry_policy=RetryPolicy(max_retries=0))
    with pytest.raises(InternalServerError) as info:
        await h.json()
    assert str(info.value).isprintable()


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"<html>not json</html>", "non-JSON body: <html>not json</html>"),
        (b"\xff\xfe\x00garbage", "non-JSON body"),
        (b"[1, 2, 3]", "expected a JSON object, got list"),
        (b"", "non-JSON body: <empty body>"),
    ],
)
async def test_invalid_2xx_body(mode: str, content: bytes, match: str) -> None:
    h = Harness(mode, Server(httpx.Response(200, content=content)))
    with pytest.raises(InvalidResponseError, match=match) as info:
        await h.json()
    assert info.value.status_code == 200
    assert h.calls == 1


# -- Retry-After and backoff ---------------------------------------------------------------


def test_retry_after_parsing_is_deterministic() -> None:
    policy = RetryPolicy()
    now = 1_764_590_000.0
    date = email.utils.formatdate(now + 12, usegmt=True)
    assert policy.delay(0, {"Retry-After": date}, now=now) == 12.0
    assert policy.delay(0, {"retry-after": "7"}, now=now) == 7.0
    assert policy.delay(0, {"retry-after-ms": "250"}, now=now) == 0.25
    assert policy.delay(0, {"retry-after-ms": "250", "Retry-After": "9"}) == 0.25
    # Capped, not ignored.
    assert policy.delay(0, {"Retry-After": "3600"}) == MAX_RETRY_AFTER
    assert RetryPolicy(max_retry_after=5).delay(0, {"Retry-After": "30"}) == 5
    # Zero, negative, past dates and garbage fall back to the jittered backoff.
    past = email.utils.formatdate(now - 100, usegmt=True)
    for value in ("0", "-3", "soon", past, "nan", "inf"):
        assert policy.delay(1, {"Retry-After": value}, now=now, rand=0.0) == 1.0


def test_backoff_bounds_and_jitter() -> None:
    policy = RetryPolicy()
    assert [policy.delay(n, None, rand=0.0) for n in range(7)] == [0.5, 1, 2, 4, 8, 8, 8]
    assert [policy.delay(n, None, rand=1.0) for n in range(6)] == [0.375, 0.75, 1.5, 3, 6, 6]
    assert policy.delay(10_000, None, rand=0.0) == MAX_RETRY_DELAY
    for n in range(12):
        for _ in range(20):
            assert 0.375 <= policy.delay(n, {}) <= 8.0
    custom = RetryPolicy(initial_delay=1.0, max_delay=3.0)
    assert [custom.delay(n, None, rand=0.0) for n in range(4)] == [1, 2, 3, 3]


async def test_backoff_sequence_through_client(mode: str) -> None:
    h = Harness(mode, Server(error_reply(500)), retry_policy=RetryPolicy(max_retries=6))
    with pytest.raises(InternalServerError):
        await h.json()
    bounds = [(0.375, 0.5), (0.75, 1), (1.5, 2), (3, 4), (6, 8), (6, 8)]
    assert len(h.sleeps) == 6
    for delay, (low, high) in zip(h.sleeps, bounds, strict=True):
        assert low <= delay <= high


# -- transport failures --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "cls"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), APIConnectionError),
        (httpx.ConnectTimeout("connect timed out"), APITimeoutError),
        (httpx.PoolTimeout("no free connection"), APITimeoutError),
        (httpx.WriteError("[Errno 32] Broken pipe"), None),
    ],
)
async def test_connection_errors_retried(
    mode: str, exc: Exception, cls: type[HiAPIError] | None
) -> None:
    h = Harness(mode, Server(exc))
    with pytest.raises(cls or APIConnectionError) as info:
        await h.json()
    assert h.calls == DEFAULT_MAX_RETRIES + 1
    assert info.value.status_code is None
    assert info.value.__cause__ is exc
    assert "api.test/v1/chat/completions" in str(info.value)


_LOST_AFTER_SENDING = [
    httpx.RemoteProtocolError("Server disconnected without sending a response."),
    httpx.ReadError("[Errno 104] Connection reset by peer"),
]


@pytest.mark.parametrize("exc", _LOST_AFTER_SENDING)
async def test_post_lost_after_sending_is_not_resent(mode: str, exc: Exception) -> None:
    # The whole chat request went out: the gateway may be generating (and billing) it.
    h = Harness(mode, Server(exc))
    with pytest.raises(APIConnectionError) as info:
        await h.json()
    assert h.calls == 1
    assert info.value.__cause__ is exc


@pytest.mark.parametrize("exc", _LOST_AFTER_SENDING)
async def test_get_lost_after_sending_is_retried(mode: str, exc: Exception) -> None:
    h = Harness(mode, Server(exc))
    with pytest.raises(APIConnectionError):
        await h.json("GET", "/models")
    assert h.calls == DEFAULT_MAX_RETRIES + 1


@pytest.mark.parametrize("exc", _LOST_AFTER_SENDING)
async def test_post_lost_after_sending_is_resent_when_opted_in(mode: str, exc: Exception) -> None:
    h = Harness(mode, Server(exc, ok()), retry_policy=RetryPolicy(retry_read_timeouts=True))
    assert await h.json() == {"ok": True}
    assert h.calls == 2


async def test_connection_error_then_success(mode: str) -> None:
    h = Harness(mode, Server(httpx.ConnectError("refused"), ok()))
    assert await h.json() == {"ok": True}
    assert h.calls == 2


async def test_write_timeout_not_retried_by_default(mode: str) -> None:
    # A read timeout: tests/reliability/test_faults.py (test_read_timeout_is_not_resent_...).
    h = Harness(mode, Server(httpx.WriteTimeout("w")))
    with pytest.raises(APITimeoutError):
        await h.json()
    assert h.calls == 1


async def test_unsupported_protocol_not_retried(mode: str) -> None:
    h = Harness(mode, Server(httpx.UnsupportedProtocol("ftp")))
    with pytest.raises(APIConnectionError):
        await h.json()
    assert h.calls == 1


def body_cut() -> httpx.Response:
    return httpx.Response(200, stream=Chunks([b'{"id": "x", '], httpx.ReadError("reset")))


async def test_2xx_body_cut_not_retried_for_post(mode: str) -> None:
    h = Harness(mode, Server(lambda _: body_cut()))
    with pytest.raises(APIConnectionError, match="connection lost while reading the response"):
        await h.json("POST")
    assert h.calls == 1


async def test_2xx_body_cut_retried_for_get(mode: str) -> None:
    h = Harness(mode, Server(lambda _: body_cut(), ok({"data": []})))
    assert await h.json("GET", "/models") == {"data": []}
    assert h.calls == 2


async def test_error_body_read_failure_is_retried(mode: str) -> None:
    broken = httpx.Response(502, stream=Chunks([b"<ht"], httpx.ReadError("reset")))
    h = Harness(mode, Server(broken, ok()))
    assert await h.json() == {"ok": True}
    assert h.calls == 2


# -- bytes ---------------------------------------------------------------------------------


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


# -- streaming -----------------------------------------------------------------------------

CHUNK = {"id": "c", "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}]}
FINISH = {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}


async def test_stream_events_with_ping_and_done(mode: str) -> None:
    first, second = sse(CHUNK, FINISH, done=False)
    chunks = [first[:10], first[10:] + b": PI", b"NG\n\n", second, b"data: [DONE]\n\n"]
    chunks += sse({"after": "done"})
    reply, stream = sse_reply(chunks)
    h = Harness(mode, Server(reply))
    assert await h.stream() == [CHUNK, FINISH]
    req = h.server.requests[0]
    assert req.headers["accept"] == "text/event-stream"
    assert json.loads(req.content) == {"model": "m", "stream": True}
    assert stream.closed


async def test_stream_ends_at_eof_without_done(mode: str) -> None:
    reply, stream = sse_reply([*sse(CHUNK, done=False), b'data: {"last": 1}'])
    h = Harness(mode, Server(reply))
    assert await h.stream() == [CHUNK, {"last": 1}]
    assert stream.closed


async def test_stream_skips_empty_data(mode: str) -> None:
    reply, _ = sse_reply([b"data:\n\ndata: \n\n", *sse(CHUNK)])
    h = Harness(mode, Server(reply))
    assert await h.stream() == [CHUNK]


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        (b"data: {not json\n\n", "malformed event \\(not JSON\\): {not json"),
        (b"data: [1, 2]\n\n", "malformed event \\(expected an object, got list\\)"),
        (b"data: \xff\xfe\n\n", "malformed event"),
    ],
)
async def test_stream_malformed_event(mode: str, payload: bytes, match: str) -> None:
    reply, stream = sse_reply([*sse(CHUNK, done=False), payload, *sse(FINISH)])
    h = Harness(mode, Server(reply))
    got: list[dict[str, Any]] = []
    with pytest.raises(StreamError, match=match):
        got = await h.stream()
    assert got == []
    assert stream.closed
    assert h.calls == 1


async def test_stream_error_event(mode: str) -> None:
    event = {"error": {"message": "upstream failed (request id: r1)", "code": "upstream_error"}}
    reply, _ = sse_reply(sse(CHUNK, event))
    h = Harness(mode, Server(reply))
    with pytest.raises(StreamError) as info:
        await h.stream()
    assert info.value.code == "upstream_error"
    assert info.value.request_id == "r1"
    assert str(info.value) == "HiAPI upstream_error: upstream failed (request id: r1)"


@pytest.mark.parametrize(
    "exc",
    [
        httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
        httpx.ReadError("[Errno 104] Connection reset by peer"),
        httpx.ReadTimeout("timed out"),
    ],
)
async def test_stream_cut_mid_stream_is_stream_error_without_retry(
    mode: str, exc: Exception
) -> None:
    reply, stream = sse_reply(sse(CHUNK, done=False), exc)
    h = Harness(mode, Server(reply))
    received: list[dict[str, Any]] = []

    async def consume() -> None:
        body = {"model": "m", "stream": True}
        if mode == "sync":
            for event in h.client.stream_events("/chat/completions", body):
                received.append(event)
        else:
            async for event in h.client.astream_events("/chat/completions", body):
                received.append(event)

    with pytest.raises(StreamError, match="stream ended early") as info:
        await consume()
    assert received == [CHUNK]  # the first event was delivered before the failure
    assert info.value.__cause__ is exc
    assert h.calls == 1
    assert h.sleeps == []
    assert stream.closed


async def test_stream_retries_before_first_event(mode: str) -> None:
    reply, _ = sse_reply(sse(CHUNK))
    h = Harness(mode, Server(error_reply(503, "busy"), httpx.ConnectError("refused"), reply))
    assert await h.stream() == [CHUNK]
    assert h.calls == 3
    assert len(h.sleeps) == 2


async def test_stream_non_2xx_maps_error(mode: str) -> None:
    h = Harness(mode, Server(error_reply(403, "没钱了", "insufficient_user_quota")))
    with pytest.raises(InsufficientQuotaError, match="没钱了"):
        await h.stream()
    assert h.calls == 1


async def test_stream_json_reply_instead_of_events(mode: str) -> None:
    reply = httpx.Response(200, json={"error": {"message": "nope", "code": "weird"}})
    h = Harness(mode, Server(reply))
    with pytest.raises(StreamError, match="nope"):
        await h.stream()
    h2 = Harness(mode, Server(httpx.Response(200, json={"object": "chat.completion"})))
    with pytest.raises(StreamError, match="expected an event stream"):
        await h2.stream()


async def test_stream_consumer_stops_early_closes_response(mode: str) -> None:
    reply, stream = sse_reply(sse(CHUNK, CHUNK, FINISH))
    h = Harness(mode, Server(reply))
    assert await h.stream(limit=1) == [CHUNK]
    assert stream.closed


# -- secrets and logging -------------------------------------------------------------------


async def test_key_never_in_errors_or_logs(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    scenarios: list[tuple[Server, Callable[[Harness], Any]]] = [
        (Server(error_reply(429, headers={"Retry-After": "1"})), Harness.json),
        (Server(error_reply(401, "Invalid token")), Harness.json),
        (Server(httpx.ConnectError("refused")), Harness.json),
        (Server(httpx.ReadTimeout("slow")), Harness.json),
        (Server(httpx.Response(200, content=b"<html>")), Harness.json),
        (Server(sse_reply(sse(CHUNK, done=False), httpx.ReadError("reset"))[0]), Harness.stream),
    ]
    for server, call in scenarios:
        h = Harness(mode, server)
        with pytest.raises(HiAPIError) as info:
            await call(h)
        errors.append(info.value)
        assert KEY not in repr(h.client)
    for err in errors:
        assert KEY not in str(err)
        assert KEY not in repr(err)
        assert KEY not in repr(vars(err))
    messages = [record.getMessage() for record in caplog.records]
    assert messages
    assert all(KEY not in m for m in messages)
    assert all("authorization" not in m.lower() for m in messages)
    joined = "\n".join(messages)
    assert "POST https://api.test/v1/chat/completions (attempt 1)" in joined
    assert "status 429; retry 1 of 2 in 1.00 s" in joined
    assert "ConnectError; retry 2 of 2" in joined


def test_error_from_response_never_sees_request() -> None:
    err = error_from_response(401, err_body("Invalid token"), {"content-type": "application/json"})
    assert err.headers == {"content-type": "application/json"}


# -- client lifecycle ----------------------------------------------------------------------


@pytest.fixture
def owned_transport(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Make the clients HiAPIClient creates itself use a MockTransport."""
    state: dict[str, Any] = {"server": Server(ok()), "sync": [], "async": []}
    transport = httpx.MockTransport(state["server"])
    real_client, real_async = httpx.Client, httpx.AsyncClient

    def make_client(**kwargs: Any) -> httpx.Client:
        client = real_client(transport=transport, **kwargs)
        state["sync"].append(client)
        return client

    def make_async(**kwargs: Any) -> httpx.AsyncClient:
        client = real_async(transport=transport, **kwargs)
        state["async"].append(client)
        return client

    monkeypatch.setattr(httpx, "Client", make_client)
    monkeypatch.setattr(httpx, "AsyncClient", make_async)
    return state


def test_sync_client_created_lazily_and_reused(owned_transport: dict[str, Any]) -> None:
    client = HiAPIClient(base_url=BASE, api_key=SecretStr(KEY), timeout=3.0)
    assert owned_transport["sync"] == []
    client.request_json("GET", "/models")
    client.request_json("GET", "/models")
    (created,) = owned_transport["sync"]
    assert created.timeout.read == 3.0
    client.close()
    assert created.is_closed
    client.request_json("GET", "/models")  # a closed pool is replaced on next use
    assert len(owned_transport["sync"]) == 2
    client.close()


async def test_async_client_created_lazily_and_reused(owned_transport: dict[str, Any]) -> None:
    async with HiAPIClient(base_url=BASE, api_key=SecretStr(KEY)) as client:
        await client.arequest_json("GET", "/models")
        await client.arequest_json("GET", "/models")
        (created,) = owned_transport["async"]
    assert created.is_closed


def test_async_client_per_event_loop(owned_transport: dict[str, Any]) -> None:
    client = HiAPIClient(base_url=BASE, api_key=SecretStr(KEY))
    asyncio.run(client.arequest_json("GET", "/models"))
    asyncio.run(client.arequest_json("GET", "/models"))
    assert len(owned_transport["async"]) == 2  # pooled connections cannot cross loops


def test_user_clients_never_closed() -> None:
    transport = httpx.MockTransport(Server(ok()))
    sync_client = httpx.Client(transport=transport)
    async_client = httpx.AsyncClient(transport=transport)
    client = HiAPIClient(
        base_url=BASE, api_key=None, http_client=sync_client, http_async_client=async_client
    )

    async def use_async() -> None:
        await client.arequest_json("GET", "/models")
        await client.aclose()
        async with client:
            pass

    client.request_json("GET", "/models")
    client.close()
    with client:
        pass
    asyncio.run(use_async())
    assert not sync_client.is_closed
    assert not async_client.is_closed
    sync_client.close()
    asyncio.run(async_client.aclose())


# -- adaptive rate limiter hook ----------------------------------------------------------


class FakeClock:
    """Shared by the limiter and the client's sleeps, so pacing advances simulated time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


def paced(
    mode: str, server: Server, clock: FakeClock, **kwargs: Any
) -> tuple[HiAPIClient, KeyRateLimiter]:
    limiter = KeyRateLimiter(clock=clock, patience=kwargs.pop("patience", RATE_LIMIT_PATIENCE))
    transport = httpx.MockTransport(server)
    if mode == "sync":
        kwargs["http_client"] = httpx.Client(transport=transport)
    else:
        kwargs["http_async_client"] = httpx.AsyncClient(transport=transport)
    client = HiAPIClient(
        base_url=BASE,
        api_key=SecretStr(KEY),
        sleep=clock.sleep,
        asleep=clock.asleep,
        rate_limiter=limiter,
        **kwargs,
    )
    return client, limiter


async def call(client: HiAPIClient, mode: str, method: str, path: str) -> dict[str, Any]:
    body = {"model": "m"} if method == "POST" else None
    if mode == "sync":
        return client.request_json(method, path, body)
    return await client.arequest_json(method, path, body)


async def test_limiter_absorbs_429s_without_spending_retries(mode: str) -> None:
    clock = FakeClock()
    server = Server(*[error_reply(429)] * 6, ok({"id": "t"}))
    client, limiter = paced(mode, server, clock, retry_policy=RetryPolicy(max_retries=1))
    assert await call(client, mode, "POST", "/tasks") == {"id": "t"}
    assert len(server.requests) == 7
    create = limiter.rates["create"]
    assert create.rate_limited == 6 and create.successes == 1
    assert create.rate < DEFAULT_RATE_SETTINGS["create"].initial_rate
    # Every wait was the limiter's pacing, never the retry backoff: one slot at 95 % of the
    # pace after each of the first two 429s (slow start steps back, then the limit is
    # confirmed), then two slots (one of pause for the server's emptied bucket) at 0.7 times
    # the previous pace after each quick repeat.
    s = DEFAULT_RATE_SETTINGS["create"]
    rates = [s.initial_rate * (1 - s.margin)]
    rates.append(rates[-1] * (1 - s.margin))
    for _ in range(4):
        rates.append(rates[-1] * s.decrease)
    expected = [1 / rates[0], 1 / rates[1]] + [2 / r for r in rates[2:]]
    assert clock.sleeps == pytest.approx(expected)


async def test_limiter_spaces_requests_and_skips_downloads(mode: str) -> None:
    clock = FakeClock()
    server = Server(ok())
    client, limiter = paced(mode, server, clock)
    for _ in range(3):
        await call(client, mode, "GET", "/tasks/abc")
    initial = DEFAULT_RATE_SETTINGS["poll"].initial_rate
    # The second request queued and succeeded: slow start added one request per second.
    assert clock.sleeps == pytest.approx([1 / initial, 1 / (initial + 1)])
    for _ in range(3):
        await call(client, mode, "GET", "/models")  # not rate controlled
    assert len(clock.sleeps) == 2
    assert limiter.rates["poll"].successes == 3
    assert limiter.rates["chat"].successes == 0


async def test_key_with_only_429s_fails_after_bounded_time(mode: str) -> None:
    clock = FakeClock()
    server = Server(error_reply(429, "slow down"))
    client, limiter = paced(mode, server, clock, patience=30.0)
    start = clock.now
    with pytest.raises(RateLimitError, match="slow down"):
        await call(client, mode, "POST", "/tasks")
    waited = clock.now - start
    assert waited >= 30.0
    # After the patience: max_retries more attempts, each paced (the rate's floor is
    # min_rate) plus the retry backoff.
    s = DEFAULT_RATE_SETTINGS["create"]
    bound = 30.0 + (DEFAULT_MAX_RETRIES + 1) * (1 / s.min_rate + MAX_RETRY_DELAY)
    assert waited <= bound
    assert limiter.rates["create"].rate_limited == len(server.requests)


async def test_limiter_leaves_other_errors_to_the_retry_budget(mode: str) -> None:
    clock = FakeClock()
    server = Server(error_reply(503))
    client, limiter = paced(mode, server, clock)
    with pytest.raises(InternalServerError):
        await call(client, mode, "POST", "/tasks")
    assert len(server.requests) == DEFAULT_MAX_RETRIES + 1
    assert limiter.rates["create"].rate_limited == 0
    assert limiter.rates["create"].successes == 0


async def test_no_limiter_by_default(mode: str) -> None:
    h = Harness(mode, Server(error_reply(429)))
    assert h.client.rate_limiter is None
    with pytest.raises(RateLimitError):
        await h.json("POST", "/tasks")
    assert h.calls == DEFAULT_MAX_RETRIES + 1


@pytest.mark.parametrize(
    "value",
    ["Mon, 01 Jan 99999999 00:00:00 GMT", "Mon, 32 Foo 2020 25:61:61 GMT", "1e400", "nan"],
)
def test_hostile_retry_after_falls_back_to_backoff(value: str) -> None:
    delay = RetryPolicy().delay(0, {"retry-after": value}, rand=0.0)
    assert delay == INITIAL_RETRY_DELAY


async def test_read_body_goes_to_the_caller_not_the_response(mode: str) -> None:
    # Only httpx's public API: the body is handed over in a list the JSON parser empties,
    # never left on the Response (httpx's private `_content`), where it would outlive the
    # parse in a reference cycle (a 16 MB image reply held twice).
    payload = {"data": "x" * 100_000}
    encoded = json.dumps(payload).encode()

    def streamed(request: httpx.Request) -> httpx.Response:
        # Streamed like a real socket (an in-memory body is already read by httpx).
        chunks = [encoded[i : i + 4096] for i in range(0, len(encoded), 4096)]
        return httpx.Response(
            200, headers={"content-type": "application/json"}, stream=Chunks(chunks)
        )

    server = Server(streamed)
    h = Harness(mode, server)
    client = h.client
    sink: list[bytes] = []
    calls = client._calls()
    if mode == "sync":
        http = client._sync_client()
        flow = send(
            calls,
            http,
            http.build_request("GET", BASE + "tasks"),
            calls.deadline(),
            read_body=True,
            sink=sink,
        )
        response = drive(flow, client._io())
    else:
        ahttp = client._async_client_for_loop()
        flow = send(
            calls,
            ahttp,
            ahttp.build_request("GET", BASE + "tasks"),
            calls.deadline(),
            read_body=True,
            sink=sink,
        )
        response = await adrive(flow, client._aio())
    assert response.status_code == 200
    assert json.loads(sink.pop()) == payload
    with pytest.raises(httpx.ResponseNotRead):
        response.content  # noqa: B018
    assert await h.json("GET", "/tasks") == payload  # request_json parses from the sink
