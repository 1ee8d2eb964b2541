"""Opt-in rate limiting of the task API: token buckets for creates and for polls."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class RateLimits:
    """Request rates the task API allows per API key; beyond them it answers 429.

    Creates (`POST /v1/tasks`) and polls (`GET /v1/tasks/:id` and `GET /v1/tasks`) are
    counted in separate token buckets, and so are chat completions when `chat_per_s` is set
    (their 429 has the chat routes' error shape). A 429 carries no `Retry-After` (the contract's
    429 transcript has none) and does not use up a token.

    Attributes:
        create_per_s: Creates per second, or None for no limit.
        poll_per_s: Polls per second, or None for no limit.
        chat_per_s: `POST /v1/chat/completions` per second, or None for no limit.
        burst: Bucket size: requests allowed at once after an idle spell. The default 1
            spaces requests at least `1 / rate` apart, so over any window of `T`
            seconds at most `rate * T + 1` pass (what a benchmark measures against).
        error_shape: Body of the 429: the task envelope (`"envelope"`, the contract's
            first variant) or the blogs' `{"error": {"type": "hiapi_error", ...}}`.
        clock: Monotonic seconds; injectable for tests.
    """

    create_per_s: float | None = None
    poll_per_s: float | None = None
    chat_per_s: float | None = None
    burst: float = 1.0
    error_shape: Literal["envelope", "hiapi_error"] = "envelope"
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)

    def __post_init__(self) -> None:
        for name in ("create_per_s", "poll_per_s", "chat_per_s"):
            rate = getattr(self, name)
            if rate is not None and not (rate > 0 and math.isfinite(rate)):
                raise ValueError(f"{name} must be a positive number or None, got {rate!r}")
        if not self.burst >= 1:
            raise ValueError(f"burst must be >= 1, got {self.burst!r}")
        if self.error_shape not in ("envelope", "hiapi_error"):
            raise ValueError(
                f"error_shape must be 'envelope' or 'hiapi_error', got {self.error_shape!r}"
            )


class TokenBucket:
    """A thread-safe token bucket: `rate` tokens a second, at most `burst` saved up.

    Implemented as its exact equivalent, the generic cell rate algorithm: it tracks the
    theoretical arrival time of the next request instead of a fractional token count, so
    no credit is lost to rounding and a client asking faster than `rate` gets exactly
    `rate` admissions a second.

    Args:
        rate: Tokens added per second.
        burst: Bucket capacity (starts full).
        clock: Monotonic seconds.
    """

    # Float slack, so a request arriving exactly on time is not refused by rounding.
    _EPSILON = 1e-9

    def __init__(self, rate: float, burst: float, clock: Callable[[], float]) -> None:
        self._interval = 1.0 / rate
        self._tolerance = (burst - 1.0) * self._interval
        self._clock = clock
        self._next = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Takes one token if there is one; False (and nothing taken) otherwise."""
        with self._lock:
            now = self._clock()
            due = max(self._next, now)
            if due - now > self._tolerance + self._EPSILON:
                return False
            self._next = due + self._interval
            return True


class RateLimiter:
    """Per-key buckets for the request kinds of `RateLimits`."""

    def __init__(self, limits: RateLimits | None) -> None:
        self.limits = limits
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def allow(self, account: str, kind: Literal["create", "poll", "chat"]) -> bool:
        """Whether `account` may make one more request of `kind` now."""
        limits = self.limits
        if limits is None:
            return True
        rate = {
            "create": limits.create_per_s,
            "poll": limits.poll_per_s,
            "chat": limits.chat_per_s,
        }[kind]
        if rate is None:
            return True
        with self._lock:
            bucket = self._buckets.get((account, kind))
            if bucket is None:
                bucket = TokenBucket(rate, limits.burst, limits.clock)
                self._buckets[(account, kind)] = bucket
        return bucket.take()

    def reset(self) -> None:
        """Refills every bucket (forgets them)."""
        with self._lock:
            self._buckets.clear()
