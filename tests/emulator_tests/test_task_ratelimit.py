"""Emulator: opt-in rate limits of the task API (429 without Retry-After) and its counters."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from langchain_hiapi.testing import HiAPIEmulator, RateLimits, TaskTiming
from langchain_hiapi.testing._ratelimit import TokenBucket
from tests._support.emulator import (
    FakeClock,
    client_for,
    create,
    created_id,
    error_of,
)

KEY = "rate-key"
OTHER = "rate-other"
BOAT = {"prompt": "a paper boat"}


@pytest.fixture
def tick() -> FakeClock:
    return FakeClock(0.0)


@pytest.fixture
def emu(tick: FakeClock) -> Iterator[HiAPIEmulator]:
    limits = RateLimits(create_per_s=2, poll_per_s=4, clock=tick)
    with HiAPIEmulator(
        api_key=KEY, extra_api_keys=[OTHER], rate_limits=limits, task_timing=TaskTiming(0, 0, 0)
    ) as emulator:
        yield emulator


@pytest.fixture
def client(emu: HiAPIEmulator) -> Iterator[httpx.Client]:
    with client_for(emu.base_url, KEY) as c:
        yield c


def test_creates_beyond_the_rate_are_429_without_retry_after(
    emu: HiAPIEmulator, client: httpx.Client, tick: FakeClock
) -> None:
    created_id(create(client, "seedance-2.0", BOAT))
    refused = create(client, "seedance-2.0", BOAT)
    assert "rate limit" in error_of(refused, 429, "RATE_LIMIT_EXCEEDED")
    assert "retry-after" not in refused.headers
    tick.advance(0.49)
    error_of(create(client, "seedance-2.0", BOAT), 429, "RATE_LIMIT_EXCEEDED")
    tick.advance(0.01)
    created_id(create(client, "seedance-2.0", BOAT))
    stats = emu.task_stats()
    assert (stats.tasks_created, stats.rate_limited_creates, stats.rate_limited_polls) == (2, 2, 0)
    # A refused create is not a create: it reaches neither validation nor billing.
    assert stats.create_requests == 2


def test_polls_have_their_own_bucket_shared_by_detail_and_list(
    emu: HiAPIEmulator, client: httpx.Client, tick: FakeClock
) -> None:
    task_id = created_id(create(client, "seedance-2.0", BOAT))
    error_of(create(client, "seedance-2.0", BOAT), 429, "RATE_LIMIT_EXCEEDED")
    assert client.get(f"/tasks/{task_id}").status_code == 200
    refused = client.get("/tasks")
    error_of(refused, 429, "RATE_LIMIT_EXCEEDED")
    assert "retry-after" not in refused.headers
    error_of(client.get(f"/tasks/{task_id}"), 429, "RATE_LIMIT_EXCEEDED")
    tick.advance(0.25)
    assert client.get("/tasks").status_code == 200
    stats = emu.task_stats()
    assert (stats.rate_limited_creates, stats.rate_limited_polls) == (1, 2)
    assert (stats.poll_requests, stats.detail_requests, stats.list_requests) == (2, 1, 1)


def test_each_api_key_has_its_own_buckets(emu: HiAPIEmulator, client: httpx.Client) -> None:
    created_id(create(client, "seedance-2.0", BOAT))
    with client_for(emu.base_url, OTHER) as other:
        created_id(create(other, "seedance-2.0", BOAT))
    error_of(create(client, "seedance-2.0", BOAT), 429, "RATE_LIMIT_EXCEEDED")


def test_other_routes_and_files_are_not_limited(emu: HiAPIEmulator, client: httpx.Client) -> None:
    task_id = created_id(create(client, "Nano-Banana", {"prompt": "a cat"}))
    url = client.get(f"/tasks/{task_id}").json()["data"]["output"][0]["url"]
    for _ in range(3):
        assert client.get("/models").status_code == 200
        assert httpx.get(url).status_code == 200


def test_blog_error_shape(tick: FakeClock) -> None:
    limits = RateLimits(poll_per_s=1, error_shape="hiapi_error", clock=tick)
    with HiAPIEmulator(api_key=KEY, rate_limits=limits) as emu, client_for(emu.base_url, KEY) as c:
        assert c.get("/tasks").status_code == 200
        refused = c.get("/tasks")
        assert refused.status_code == 429
        assert "retry-after" not in refused.headers
        error = refused.json()["error"]
        assert set(refused.json()) == {"error"}
        assert (error["code"], error["type"]) == ("rate_limit_exceeded", "hiapi_error")
        assert error["request_id"].startswith("req_")


def test_limits_can_be_changed_or_removed_at_runtime(
    emu: HiAPIEmulator, client: httpx.Client, tick: FakeClock
) -> None:
    created_id(create(client, "seedance-2.0", BOAT))
    emu.rate_limits = None
    for _ in range(5):
        created_id(create(client, "seedance-2.0", BOAT))
    emu.rate_limits = RateLimits(create_per_s=1, burst=3, clock=tick)
    for _ in range(3):
        created_id(create(client, "seedance-2.0", BOAT))
    error_of(create(client, "seedance-2.0", BOAT), 429, "RATE_LIMIT_EXCEEDED")
    assert emu.rate_limits.burst == 3


def test_limits_off_by_default() -> None:
    with HiAPIEmulator(api_key=KEY) as emu, client_for(emu.base_url, KEY) as client:
        for _ in range(20):
            created_id(create(client, "seedance-2.0", BOAT))
        assert emu.rate_limits is None


def test_rate_limits_are_validated() -> None:
    for bad in (0, -1, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="create_per_s"):
            RateLimits(create_per_s=bad)
    with pytest.raises(ValueError, match="burst"):
        RateLimits(poll_per_s=1, burst=0.5)
    with pytest.raises(ValueError, match="error_shape"):
        RateLimits(error_shape="xml")  # type: ignore[arg-type]


@pytest.mark.parametrize(("rate", "burst"), [(5.0, 1.0), (0.5, 1.0), (100.0, 1.0), (7.0, 4.0)])
def test_token_bucket_admits_rate_times_window_plus_burst(rate: float, burst: float) -> None:
    clock = FakeClock(0.0)
    bucket = TokenBucket(rate, burst, clock)
    admitted: list[float] = []
    # Someone asking every millisecond for 20 seconds.
    for step in range(20_000):
        clock.now = step / 1000
        if bucket.take():
            admitted.append(clock.now)
    window = 20.0
    assert int(rate * window + burst) - 1 <= len(admitted) <= rate * window + burst
    # Any one-second window holds at most rate + burst admissions.
    for index, start in enumerate(admitted):
        inside = [t for t in admitted[index:] if t < start + 1.0]
        assert len(inside) <= rate + burst


def test_a_refusal_costs_no_token() -> None:
    clock = FakeClock(0.0)
    bucket = TokenBucket(1.0, 1.0, clock)
    assert bucket.take()
    for _ in range(100):
        assert not bucket.take()
    clock.advance(1.0)
    assert bucket.take()


# -- chat completions (for benchmarks comparing the chat route under the same limit) --------


def test_chat_completions_have_their_own_bucket(tick: FakeClock) -> None:
    limits = RateLimits(create_per_s=100, chat_per_s=2, clock=tick)
    with (
        HiAPIEmulator(api_key=KEY, rate_limits=limits, task_timing=TaskTiming(0, 0, 0)) as emu,
        client_for(emu.base_url, KEY) as client,
    ):
        body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
        assert client.post("/chat/completions", json=body).status_code == 200
        refused = client.post("/chat/completions", json=body)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limit_exceeded"
        assert "retry-after" not in refused.headers
        created_id(create(client, "seedance-2.0", BOAT))  # creates are counted apart
        tick.advance(0.5)
        assert client.post("/chat/completions", json=body).status_code == 200
        assert emu.chat_stats() == {"chat_requests": 3, "rate_limited_chats": 1}
        stats = client.get(emu.base_url.removesuffix("/v1") + "/_emulator/stats").json()
        assert stats["chat"] == {"chat_requests": 3, "rate_limited_chats": 1}
        emu.reset()
        assert emu.chat_stats() == {"chat_requests": 0, "rate_limited_chats": 0}


def test_chat_is_not_limited_without_chat_per_s(emu: HiAPIEmulator, client: httpx.Client) -> None:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    for _ in range(5):
        assert client.post("/chat/completions", json=body).status_code == 200
    assert emu.chat_stats()["rate_limited_chats"] == 0


def test_chat_rate_is_validated() -> None:
    with pytest.raises(ValueError, match="chat_per_s"):
        RateLimits(chat_per_s=0)
