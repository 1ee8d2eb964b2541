"""Timeouts: per-phase httpx timeouts plus one overall deadline per call.

How `timeout=` is read everywhere in the package:

* a number `T`: every phase (connect, read, write, pool) gets `T` seconds, and the whole
  call gets `T` seconds in total;
* `HiAPITimeout(connect=..., read=..., write=..., pool=..., total=...)`: per-phase values
  as in httpx, plus `total`, the overall budget of one call (`None`: no overall budget);
* a plain `httpx.Timeout`: per-phase values only, no overall budget;
* `None`: no timeouts at all.

The overall budget covers one *call* (`invoke`, one `stream`, one download, one task
status request): every attempt, the waits between retries, reading the whole body or
stream. A server that trickles a byte a second, sends keep-alive comments forever or goes
silent after the headers cannot hold the call past it. A retry is not started when the
wait before it would not end within the budget. Video and task polling loops have their
own `max_wait`; each request they make is one call.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import httpx

from langchain_hiapi.errors import APITimeoutError

__all__ = ["DEFAULT_TIMEOUT", "DEFAULT_TOTAL_TIMEOUT", "Deadline", "HiAPITimeout", "split_timeout"]

DEFAULT_TOTAL_TIMEOUT = 1800.0
"""Overall budget of one call by default: a 4K image (minutes) with its retries fits."""

_PHASES = ("connect", "read", "write", "pool")


class HiAPITimeout(httpx.Timeout):
    """An `httpx.Timeout` with an overall deadline per call (`total`).

    Args:
        *args: As for `httpx.Timeout` (a default for every phase).
        total: Seconds one whole call may take, or `None` for no overall limit.
        **kwargs: `connect`, `read`, `write`, `pool`, as for `httpx.Timeout`.

    Example:
        ```python
        from langchain_hiapi import ChatHiAPI, HiAPITimeout

        llm = ChatHiAPI(timeout=HiAPITimeout(30.0, read=300.0, total=600.0))
        ```
    """

    def __init__(self, *args: Any, total: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if total is not None and (
            isinstance(total, bool)
            or not isinstance(total, (int, float))
            or not (math.isfinite(total) and total > 0)
        ):
            raise ValueError(
                f"timeout total must be a positive number of seconds or None, got {total!r}"
            )
        self.total = None if total is None else float(total)

    def as_dict(self) -> dict[str, float | None]:
        """The per-phase values and `total`, e.g. for serialisation."""
        return {**super().as_dict(), "total": self.total}

    def __eq__(self, other: Any) -> bool:
        return (
            isinstance(other, httpx.Timeout)
            and super().__eq__(other)
            and self.total == getattr(other, "total", None)
        )

    def __hash__(self) -> int:
        return hash(tuple(self.as_dict().items()))

    def __repr__(self) -> str:
        phases = ", ".join(f"{name}={getattr(self, name)}" for name in _PHASES)
        return f"HiAPITimeout({phases}, total={self.total})"


# Slow first bytes (2K/4K images) and slow uploads (base64 inputs); `total` bounds the rest.
DEFAULT_TIMEOUT = HiAPITimeout(
    connect=10.0, read=600.0, write=120.0, pool=30.0, total=DEFAULT_TOTAL_TIMEOUT
)
"""The client's default: every phase bounded, and the whole call by `DEFAULT_TOTAL_TIMEOUT`."""


def split_timeout(
    timeout: httpx.Timeout | float | None,
) -> tuple[httpx.Timeout | None, float | None]:
    """Splits a `timeout` setting into per-phase timeouts and the overall budget.

    Args:
        timeout: A number, an `httpx.Timeout` (or `HiAPITimeout`), or `None`.

    Returns:
        `(per-phase timeouts for httpx, overall budget in seconds or None)`.
    """
    if timeout is None:
        return None, None
    if isinstance(timeout, HiAPITimeout):
        phases = httpx.Timeout(
            connect=timeout.connect, read=timeout.read, write=timeout.write, pool=timeout.pool
        )
        return phases, timeout.total
    if isinstance(timeout, httpx.Timeout):
        return timeout, None
    return httpx.Timeout(float(timeout)), float(timeout)


class Deadline:
    """The end of one call's overall budget (pure: the clock is injected).

    Args:
        total: The budget in seconds, or `None` for none (then nothing ever expires).
        clock: A monotonic clock.
    """

    __slots__ = ("_at", "_clock", "total")

    def __init__(self, total: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.total = total
        self._clock = clock
        self._at = None if total is None else clock() + total

    def remaining(self) -> float | None:
        """Seconds left (may be negative), or `None` without a budget."""
        return None if self._at is None else self._at - self._clock()

    def expired(self) -> bool:
        """Whether the budget is used up."""
        left = self.remaining()
        return left is not None and left <= 0

    def error(self, what: str) -> APITimeoutError:
        """The error for a call that ran out of time."""
        return APITimeoutError(
            f"{what} timed out: it did not finish within the overall timeout of "
            f"{self.total:g} s (timeout / HiAPITimeout.total)"
        )

    def check(self, what: str) -> None:
        """Raises `APITimeoutError` if the budget is used up.

        Args:
            what: The call, for the message (e.g. `POST https://host/v1/chat/completions`).
        """
        if self.expired():
            raise self.error(what)

    def clamp(self, phases: httpx.Timeout | None) -> dict[str, float | None] | None:
        """Per-phase timeouts for the next request, none longer than the time left.

        Args:
            phases: The configured per-phase timeouts, or `None` for none.

        Returns:
            The `timeout` request extension httpx reads, or `None` to keep the
            client's own setting.
        """
        left = self.remaining()
        if left is None:
            return None if phases is None else phases.as_dict()
        left = max(left, 0.0)
        values = phases.as_dict() if phases is not None else dict.fromkeys(_PHASES)
        return {
            name: left if value is None else min(value, left)
            for name, value in values.items()
            if name in _PHASES
        }
