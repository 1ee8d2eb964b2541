"""The request flows (`_exchange`): streaming calls and the rate limiter's gate."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from langchain_hiapi._client import HiAPIClient
from langchain_hiapi._ratelimit import (
    DEFAULT_RATE_SETTINGS,
    RATE_LIMIT_PATIENCE,
    KeyRateLimiter,
)
from langchain_hiapi._retry import DEFAULT_MAX_RETRIES, MAX_RETRY_DELAY, RetryPolicy
from langchain_hiapi.errors import (
    InsufficientQuotaError,
    InternalServerError,
    RateLimitError,
    StreamError,
)
from tests._support.client import (
    BASE,
    CHUNK,
    FINISH,
    KEY,
    Harness,
    Server,
    error_reply,
    ok,
    sse,
    sse_reply,
)


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
