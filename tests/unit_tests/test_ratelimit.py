"""Tests for the adaptive rate limiter: pure logic driven by a fake clock (nothing sleeps)."""

from __future__ import annotations

import heapq
import itertools
import threading
from dataclasses import dataclass

import pytest
from pydantic import SecretStr

from langchain_hiapi._ratelimit import (
    DEFAULT_RATE_SETTINGS,
    RATE_LIMIT_PATIENCE,
    AdaptiveRate,
    KeyRateLimiter,
    RateSettings,
    RequestGate,
    request_class,
    shared_rate_limiter,
)
from tests._support.emulator import FakeClock


class Clock(FakeClock):
    """A fake monotonic clock starting at 100 s; `sleep` advances it."""

    def __init__(self, now: float = 100.0) -> None:
        super().__init__(now)

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.advance(seconds)


def send(gate: RequestGate, clock: Clock) -> float:
    """Wait for the gate like the HTTP client does; returns the send time."""
    naps = 0
    while (wait := gate.wait_time()) > 0:
        clock.sleep(wait)
        naps += 1
        assert naps < 100
    return clock.now


def two_successes(r: AdaptiveRate, clock: Clock) -> None:
    """Two requests sent one after the other, then both answered 200."""
    a, b = RequestGate(r), RequestGate(r)
    send(a, clock)
    send(b, clock)
    a.record(200)
    b.record(200)


def rate(clock: Clock, **settings: float) -> AdaptiveRate:
    return AdaptiveRate(RateSettings(**settings), clock=clock)


def end_slow_start(r: AdaptiveRate, clock: Clock) -> None:
    """Two 429s in a row: the limit is confirmed, slow start is over."""
    for _ in range(2):
        g = RequestGate(r)
        send(g, clock)
        g.record(429)
    assert r.ceiling is not None


# -- classes, settings, registry ----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("POST", "/tasks", "create"),
        ("post", "/tasks/", "create"),
        ("GET", "/tasks/abc123", "poll"),
        ("GET", "/tasks?page=2&size=100", "poll"),
        ("POST", "/chat/completions", "chat"),
        ("POST", "/images/generations", "chat"),
        ("GET", "/models", None),
        ("GET", "/files/out.png", None),
        ("GET", "/tasksfoo", None),
    ],
)
def test_request_class(method: str, path: str, expected: str | None) -> None:
    assert request_class(method, path) == expected


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"min_rate": 0}, "min_rate"),
        ({"initial_rate": 0.01}, "initial_rate"),
        ({"max_rate": 1.0}, "max_rate"),
        ({"decrease": 0}, "decrease"),
        ({"decrease": 1.0}, "decrease"),
        ({"margin": 1.0}, "margin"),
        ({"recovery": -0.1}, "recovery"),
        ({"slow_start_gain": -1}, "slow_start_gain"),
        ({"probe": -0.1}, "probe"),
    ],
)
def test_settings_are_checked(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        RateSettings(**kwargs)


def test_key_limiter_rejects_unknown_class_and_negative_patience() -> None:
    with pytest.raises(ValueError, match=r"unknown request classes \['upload'\].*chat"):
        KeyRateLimiter(settings={"upload": RateSettings()})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="patience"):
        KeyRateLimiter(patience=-1)


def test_key_limiter_has_one_rate_per_class() -> None:
    clock = Clock()
    limiter = KeyRateLimiter(settings={"poll": RateSettings(initial_rate=7.0)}, clock=clock)
    assert limiter.rates["poll"].rate == 7.0
    assert limiter.rates["create"].rate == DEFAULT_RATE_SETTINGS["create"].initial_rate
    create = limiter.gate("POST", "/tasks")
    poll = limiter.gate("GET", "/tasks/x")
    assert create is not None and poll is not None
    assert create.rate is limiter.rates["create"] and poll.rate is limiter.rates["poll"]
    assert limiter.gate("GET", "/models") is None
    # A 429 on polls does not slow creates down.
    send(poll, clock)
    poll.record(429)
    assert limiter.rates["poll"].rate < 7.0
    assert limiter.rates["create"].rate == DEFAULT_RATE_SETTINGS["create"].initial_rate
    assert limiter.rate_limited == 1


def test_shared_registry_per_key_and_base_url() -> None:
    a = shared_rate_limiter(SecretStr("sk-registry-a"), "https://api.test/v1")
    assert shared_rate_limiter("sk-registry-a", "https://api.test/v1/") is a
    assert shared_rate_limiter(SecretStr("sk-registry-b"), "https://api.test/v1") is not a
    assert shared_rate_limiter(SecretStr("sk-registry-a"), "https://other.test/v1") is not a
    assert "sk-registry-a" not in repr(a)


def test_registry_never_holds_the_key() -> None:
    from langchain_hiapi import _ratelimit

    shared_rate_limiter(SecretStr("sk-NEVER-STORED-42"), "https://api.test/v1")
    assert not any("sk-NEVER-STORED-42" in repr(ident) for ident in _ratelimit._registry)


def test_registry_is_thread_safe() -> None:
    found: list[KeyRateLimiter] = []
    barrier = threading.Barrier(8)

    def get() -> None:
        barrier.wait()
        found.append(shared_rate_limiter("sk-threads", "https://threads.test/v1"))

    threads = [threading.Thread(target=get) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(found) == 8 and all(f is found[0] for f in found)


# -- pacing -------------------------------------------------------------------------------


def test_requests_are_spaced_at_the_rate() -> None:
    clock = Clock()
    r = rate(clock, initial_rate=4.0)
    gates = [RequestGate(r) for _ in range(6)]
    waits = [g.wait_time() for g in gates]  # six requests arrive together
    assert waits[0] == 0
    assert waits[1] == pytest.approx(0.25)
    assert waits[2] == pytest.approx(0.5)
    # The far ones nap first (the rate may change meanwhile): in slow start at most 0.25 s.
    assert waits[5] == pytest.approx(0.25)
    times = [clock.now] + [send(g, clock) for g in gates[1:]]
    assert times == pytest.approx([100.0, 100.25, 100.5, 100.75, 101.0, 101.25])


def test_far_slots_are_approached_in_halving_naps_after_slow_start() -> None:
    clock = Clock()
    r = rate(clock, initial_rate=10.0, margin=0.05)
    end_slow_start(r, clock)
    pace = r.rate  # 10 * 0.95 * 0.95
    start = clock.now
    gates = [RequestGate(r) for _ in range(20)]
    waits = [g.wait_time() for g in gates]
    assert waits[0] == pytest.approx(1 / pace)
    assert waits[19] == pytest.approx(20 / pace / 2)  # half-way first, however far
    assert send(gates[19], clock) - start == pytest.approx(20 / pace)


def test_no_burst_after_idle_time() -> None:
    clock = Clock()
    r = rate(clock, initial_rate=2.0)
    send(RequestGate(r), clock)
    clock.now += 60  # idle: unused slots are not banked
    first = send(RequestGate(r), clock)
    second = send(RequestGate(r), clock)
    assert second - first == pytest.approx(0.5)


def test_late_sleepers_do_not_burst() -> None:
    clock = Clock()
    r = rate(clock, initial_rate=10.0)
    gates = [RequestGate(r) for _ in range(3)]
    for g in gates:
        g.wait_time()
    clock.now += 5  # every booked slot is long past (sleepers overslept)
    assert gates[1].wait_time() == 0
    assert gates[2].wait_time() == pytest.approx(0.1)  # one slot after the last send


# -- learning -----------------------------------------------------------------------------


def test_slow_start_grows_only_when_requests_queue() -> None:
    clock = Clock()
    r = rate(clock, initial_rate=2.0, slow_start_gain=1.0)
    alone = RequestGate(r)
    send(alone, clock)
    alone.record(200)
    assert r.rate == 2.0  # it did not wait: no evidence the pace holds anything back
    clock.now += 10
    a, b = RequestGate(r), RequestGate(r)
    send(a, clock)
    send(b, clock)  # b queued behind a
    a.record(200)
    b.record(200)
    assert r.rate == 3.0
    assert r.successes == 3 and r.ceiling is None


def test_a_lone_429_in_slow_start_steps_back_and_growth_goes_on() -> None:
    clock = Clock()
    r = rate(clock, initial_rate=10.0, margin=0.05, slow_start_gain=1.0)
    gates = [RequestGate(r) for _ in range(4)]
    for g in gates:
        send(g, clock)  # all four in flight at 10/s
    clock.now += 0.05
    assert gates[0].record(429) is True
    assert r.rate == pytest.approx(9.5) and r.ceiling is None and r.cuts == 1
    for g in gates[1:]:  # sent before the cut: the same episode
        g.record(429)
    assert r.rate == pytest.approx(9.5) and r.cuts == 1 and r.rate_limited == 4
    # Successes far enough from it: it was a fluke (two requests bunched on the way).
    for _ in range(10):
        two_successes(r, clock)
    assert r.ceiling is None and r.rate == pytest.approx(9.5 + 20)  # +1 per queued success
    late = RequestGate(r)
    send(late, clock)
    late.record(429)  # far from the last one: still not confirmed
    assert r.ceiling is None and r.rate == pytest.approx(29.5 * 0.95)


def test_two_close_429s_end_slow_start_and_a_third_cuts_deep() -> None:
    clock = Clock()
    r = rate(clock, initial_rate=10.0, margin=0.05, decrease=0.5)
    end_slow_start(r, clock)
    assert r.ceiling == pytest.approx(9.5) and r.rate == pytest.approx(9.5 * 0.95)
    third = RequestGate(r)
    send(third, clock)
    third.record(429)  # soon after: still well above the limit
    assert r.rate == pytest.approx(9.5 * 0.95 * 0.5) and r.cuts == 3


def test_gentle_cut_keeps_the_schedule_a_deep_cut_pauses_a_slot() -> None:
    clock = Clock()
    r = rate(clock, initial_rate=10.0, margin=0.05, decrease=0.5)
    first = RequestGate(r)
    send(first, clock)
    queued = RequestGate(r)
    assert queued.wait_time() == pytest.approx(0.1)
    first.record(429)  # gentle: 9.5/s, no pause
    assert send(queued, clock) - 100.0 == pytest.approx(1 / 9.5)
    queued.record(429)  # confirmed: 9.025/s, no pause either
    again = RequestGate(r)
    assert again.wait_time() == pytest.approx(1 / 9.025)
    third = RequestGate(r)
    assert third.wait_time() == pytest.approx(2 / 9.025)
    send(again, clock)
    again.record(429)  # soon after: 4.5125/s and one slot of pause for the emptied bucket
    assert send(third, clock) - 100.0 == pytest.approx(1 / 9.5 + 1 / 9.025 + 2 / 4.5125)


def test_after_running_past_the_limit_the_rate_settles_below_what_was_accepted() -> None:
    clock = Clock()
    r = rate(clock, initial_rate=21.0, decrease=0.3, margin=0.05, probe=0.0, recovery=0.0)
    end_slow_start(r, clock)  # 21 * 0.95 * 0.95 = 18.95/s
    # 24 requests at that pace; the server accepted every other one, then the last is a 429.
    gates = [RequestGate(r) for _ in range(24)]
    times = [send(g, clock) for g in gates]
    for g in gates[:-1:2]:
        g.record(200)
    assert r.cuts == 2
    gates[-1].record(429)
    assert r.cuts == 3
    accepted = 12 / (times[-1] - times[0])
    assert accepted == pytest.approx(9.5, rel=0.1)
    assert r.rate == pytest.approx(0.95 * accepted)
    assert r.ceiling == pytest.approx(accepted)


def test_tripping_close_to_the_accepted_rate_settles_just_below_it() -> None:
    clock = Clock()
    r = rate(clock, initial_rate=10.0, margin=0.05, probe=0.0, recovery=0.0)
    end_slow_start(r, clock)
    pace = r.rate
    for _ in range(20):  # all accepted at that pace
        g = RequestGate(r)
        send(g, clock)
        g.record(200)
    last = RequestGate(r)
    send(last, clock)
    last.record(429)
    assert r.cuts == 3
    assert r.ceiling == pytest.approx(pace) and r.rate == pytest.approx(pace * 0.95)


def test_estimate_needs_enough_replies() -> None:
    clock = Clock()
    r = rate(clock, initial_rate=40.0, decrease=0.5, margin=0.05)
    end_slow_start(r, clock)
    ok, limited = RequestGate(r), RequestGate(r)
    send(ok, clock)
    send(limited, clock)
    ok.record(200)
    before = r.rate
    limited.record(429)  # one acceptance in 0.05 s says nothing: the constant factor
    assert r.rate == pytest.approx(before * 0.5)


def test_recovery_then_probe() -> None:
    clock = Clock()
    r = rate(clock, initial_rate=10.0, decrease=0.5, margin=0.1, recovery=0.5, probe=0.01)
    end_slow_start(r, clock)  # ceiling 9, rate 8.1
    deep = RequestGate(r)
    send(deep, clock)
    deep.record(429)  # soon after: 4.05/s, ceiling 8.1, so the target is 7.29
    assert r.rate == pytest.approx(4.05) and r.ceiling == pytest.approx(8.1)
    target = 8.1 * 0.9

    def queued_success() -> None:
        two_successes(r, clock)

    queued_success()
    first = 4.05 + (target - 4.05) / 2
    assert r.rate == pytest.approx(first + (target - first) / 2)  # half the gap per success
    steps = 0
    while r.rate < target:
        queued_success()
        steps += 1
        assert steps < 10  # the target is reached, not only approached
    assert target <= r.rate <= target * 1.01
    before = r.rate
    queued_success()
    assert r.rate == pytest.approx(before * 1.01**2)  # then probing: +1 % per success


def test_rate_stays_within_bounds() -> None:
    clock = Clock()
    r = rate(clock, initial_rate=1.0, min_rate=0.5, max_rate=3.0, slow_start_gain=5)
    for _ in range(10):
        g = RequestGate(r)
        send(g, clock)
        g.record(429)
    assert r.rate == 0.5
    r2 = rate(clock, initial_rate=1.0, max_rate=3.0, slow_start_gain=5)
    for _ in range(5):
        two_successes(r2, clock)
    assert r2.rate == 3.0


def test_threads_get_distinct_slots() -> None:
    clock = Clock()
    r = rate(clock, initial_rate=10.0)
    slots: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def book() -> None:
        barrier.wait()
        for _ in range(50):
            _, ticket = r.wait_time(None)
            with lock:
                slots.append(ticket.slot)

    threads = [threading.Thread(target=book) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(slots) == list(range(400))  # the clock stood still: 400 distinct slots


# -- the gate: absorbed 429s and patience -------------------------------------------------


def test_gate_absorbs_429s_while_the_key_makes_progress() -> None:
    clock = Clock()
    r = rate(clock, initial_rate=1.0)
    other = RequestGate(r, patience=60)
    send(other, clock)
    other.record(200)
    gate = RequestGate(r, patience=60)
    for _ in range(5):
        send(gate, clock)
        assert gate.record(429) is True
    clock.now += 100  # nothing succeeded for 100 s, and this request is older than 60 s
    send(gate, clock)
    assert gate.record(429) is False
    # Another request succeeding is progress again.
    helper = RequestGate(r, patience=60)
    send(helper, clock)
    helper.record(200)
    send(gate, clock)
    assert gate.record(429) is True


def test_gate_does_not_absorb_other_statuses_and_books_a_new_slot_after_a_failure() -> None:
    clock = Clock()
    r = rate(clock, initial_rate=1.0)
    gate = RequestGate(r)
    send(gate, clock)
    assert gate.record(503) is False
    assert gate.record(200) is False  # nothing was sent since: ignored
    assert r.successes == 0 and r.last_success is None  # a 503 is no progress
    send(gate, clock)  # sent, then a transport error (no reply): the next attempt re-books
    assert gate.wait_time() == pytest.approx(1.0)


def test_patience_constant_is_documented_value() -> None:
    assert RATE_LIMIT_PATIENCE == 120.0
    assert KeyRateLimiter().patience == RATE_LIMIT_PATIENCE


# -- the whole algorithm against a simulated server ---------------------------------------


@dataclass
class Bucket:
    """A server-side token bucket: `rate` per second, `burst` tokens."""

    rate: float
    burst: float
    tokens: float = 0.0
    last: float = 0.0

    def __post_init__(self) -> None:
        self.tokens = self.burst

    def admit(self, now: float) -> int:
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 200
        return 429


def simulate(
    items: int, concurrency: int, server: Bucket, rtt: float
) -> tuple[float, float, AdaptiveRate]:
    """Run a bulk job of `items` creates through the limiter in simulated time.

    Returns (wall time, share of requests answered 429, the limiter).
    """
    clock = Clock(0.0)
    limiter = AdaptiveRate(DEFAULT_RATE_SETTINGS["create"], clock=clock)
    events: list[tuple[float, int, str, RequestGate, int]] = []
    order = itertools.count()
    started = requests = rejected = 0

    def start() -> None:
        nonlocal started
        if started < items:
            started += 1
            heapq.heappush(events, (clock.now, next(order), "try", RequestGate(limiter), 0))

    for _ in range(concurrency):
        start()
    while events:
        clock.now, _, kind, gate, status = heapq.heappop(events)
        if kind == "try":
            wait = gate.wait_time()
            if wait > 0:
                heapq.heappush(events, (clock.now + wait, next(order), "try", gate, 0))
                continue
            requests += 1
            status = server.admit(clock.now + rtt / 2)
            heapq.heappush(events, (clock.now + rtt, next(order), "reply", gate, status))
        else:
            absorbed = gate.record(status)
            if status == 429:
                rejected += 1
                assert absorbed
                heapq.heappush(events, (clock.now, next(order), "try", gate, 0))
            else:
                start()
    return clock.now, rejected / requests, limiter


@pytest.mark.parametrize(
    ("limit", "burst"),
    [
        # A strict limit (no burst: requests at least 1/limit apart, the emulator's default)...
        (2.0, 1.0),
        (5.0, 1.0),
        (10.0, 1.0),
        # ...and buckets that save up one or two seconds of requests.
        (5.0, 5.0),
        (10.0, 20.0),
        (20.0, 20.0),
    ],
)
def test_bulk_job_runs_near_the_limit_with_few_429s(limit: float, burst: float) -> None:
    server = Bucket(rate=limit, burst=burst)
    wall, share_429, limiter = simulate(300, 16, server, rtt=0.02)
    ideal = 300 / limit
    assert wall <= 1.15 * ideal, (wall / ideal, limiter)
    assert share_429 <= 0.05, (share_429, limiter)
    assert limiter.ceiling is not None and limiter.rate == pytest.approx(limit, rel=0.2)


def test_registry_gives_a_fake_clock_a_limiter_of_its_own() -> None:
    fake = Clock()
    real = shared_rate_limiter("sk-clocks", "https://clocks.test/v1")
    mine = shared_rate_limiter("sk-clocks", "https://clocks.test/v1", clock=fake)
    assert mine is not real
    assert mine is shared_rate_limiter("sk-clocks", "https://clocks.test/v1", clock=fake)
    assert mine.clock is fake
    # It paces on that clock: sleeping on the fake clock is enough to get the next slot.
    gates = [mine.gate("POST", "/tasks") for _ in range(2)]
    assert gates[0] is not None and gates[1] is not None
    assert send(gates[0], fake) == 100.0
    assert send(gates[1], fake) == pytest.approx(100.25)
