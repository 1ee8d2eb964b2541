"""The retry policy (`_retry`): Retry-After parsing, backoff, and which failures are re-sent."""

from __future__ import annotations

import email.utils
from typing import Any

import httpx
import pytest

from langchain_hiapi._request_checks import DEFAULT_BASE_URL
from langchain_hiapi._retry import (
    DEFAULT_MAX_RETRIES,
    INITIAL_RETRY_DELAY,
    MAX_RETRY_AFTER,
    MAX_RETRY_DELAY,
    RETRYABLE_STATUS_CODES,
    RetryPolicy,
)
from langchain_hiapi.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ConflictError,
    HiAPIError,
    IdempotencyKeyMismatchError,
    InsufficientQuotaError,
    InternalServerError,
    InvalidRequestError,
    ModelUnavailableError,
    NotFoundError,
    RateLimitError,
)
from tests._support.client import (
    CREATED,
    KEYED,
    Chunks,
    Harness,
    Server,
    call,
    error_reply,
    ok,
)


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


@pytest.mark.parametrize(
    "value",
    ["Mon, 01 Jan 99999999 00:00:00 GMT", "Mon, 32 Foo 2020 25:61:61 GMT", "1e400", "nan"],
)
def test_hostile_retry_after_falls_back_to_backoff(value: str) -> None:
    delay = RetryPolicy().delay(0, {"retry-after": value}, rand=0.0)
    assert delay == INITIAL_RETRY_DELAY


def envelope_reply(status: int, error_code: str, **kw: Any) -> httpx.Response:
    body = {"code": status, "message": error_code.lower(), "data": None, "error_code": error_code}
    return httpx.Response(status, json=body, **kw)


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


async def test_rate_limit_on_get_retried_then_raised(mode: str) -> None:
    h = Harness(mode, Server(envelope_reply(429, "RATE_LIMITED")))
    with pytest.raises(RateLimitError):
        await call(h, "GET", "/tasks/x")
    assert h.calls == 3
