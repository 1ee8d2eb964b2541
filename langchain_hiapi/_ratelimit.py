"""Adaptive client-side rate control: learn a key's allowed request rate from its 429s.

HiAPI publishes no numeric limits, counts them per API key, and answers 429 without
``Retry-After`` (``hiapi-task-api.md`` §2.11). Retrying blindly either fails a batch after
``max_retries`` or spends most requests on 429s. Instead, every request of a key goes through
an :class:`AdaptiveRate` for its class (``"create"``, ``"poll"``, ``"chat"``), which spaces
request starts at a learned rate:

* the rate grows exponentially while requests queue for it (slow start) until two 429s come
  close together (a lone one may be two requests bunched on the network: step back a little,
  keep growing);
* a 429 is handled once per congestion episode (429s of requests sent before the last cut were
  paced at the old rate and do not cut again). Tripped close to what the server accepted
  since the previous cut (a strict limit trips as soon as the pace passes it), the rate
  settles just below where it tripped. Having run well past what was accepted (a bucket with
  a burst drains slowly), it settles just below that accepted rate: with the bucket empty at
  both cuts, the accepted count over the span IS the server's rate. Another 429 soon after a
  cut cuts by a constant factor. Plain AIMD's blind halving would average 3/4 of the limit;
* after a cut the rate climbs back quickly to just below the limit, then probes past it
  slowly, so a steady bulk job runs near the limit and sees a 429 every few dozen requests.

This module is pure logic: time comes from an injectable clock and it never sleeps. The HTTP
client asks a :class:`RequestGate` how long to wait, sleeps (``time.sleep`` or
``asyncio.sleep``, so an event loop is never blocked), sends, and reports the status back.
One :class:`KeyRateLimiter` per (API key, base URL) is shared process-wide through
:func:`shared_rate_limiter`, by every chat model, tool and task client, sync and async.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import SecretStr

__all__ = [
    "DEFAULT_RATE_SETTINGS",
    "RATE_LIMIT_PATIENCE",
    "AdaptiveRate",
    "KeyRateLimiter",
    "RateSettings",
    "RequestClass",
    "RequestGate",
    "request_class",
    "shared_rate_limiter",
]

RequestClass = Literal["create", "poll", "chat"]

RATE_LIMIT_PATIENCE = 120.0
"""Seconds a 429 is retried at the limiter's pace without counting against `max_retries`.

That holds while a request of the same key and class has succeeded within this many seconds
(or the request itself is younger). A key that only ever gets 429s fails with
`RateLimitError` after this long plus `max_retries` paced, backed-off attempts.
"""
_TOO_MANY_REQUESTS = 429
# A slot this close (in slots) counts as reached: float rounding of the virtual clock.
_EPSILON = 1e-9
# Waits of up to this many slots (two, with room for rounding) are slept in one go; longer
# ones in halving naps.
_FULL_NAP_SLOTS = 2.5
# Longest nap before the first 429, while the rate may still grow fast.
_SLOW_START_NAP = 0.25
# The accepted rate since a cut is trusted from this many successes over this many seconds.
_MIN_ACCEPTED = 4
_MIN_SPAN = 0.5
# In slow start, a 429 within this many successes of the previous one ends it.
_CONFIRM_SUCCESSES = 8


@dataclass(frozen=True)
class RateSettings:
    """How one class of requests is paced.

    Attributes:
        initial_rate: Requests per second before anything is learned.
        min_rate: Floor of the rate, however many 429s arrive.
        max_rate: Ceiling of the rate.
        decrease: Factor applied to the rate on a 429 soon after a cut (and the deepest any
            cut goes).
        slow_start_gain: Before the first 429, requests per second added per success that had
            to queue: exponential growth in time (``1.0`` multiplies the rate by e per second).
        margin: How far below the learned limit the rate settles (a share of it).
        recovery: After a cut, share of the gap to the learned limit closed per success.
        probe: At the learned limit, growth past it per success, as a share of the rate.
    """

    initial_rate: float = 4.0
    min_rate: float = 0.05
    max_rate: float = 1000.0
    decrease: float = 0.7
    slow_start_gain: float = 1.0
    margin: float = 0.05
    recovery: float = 0.05
    probe: float = 0.001

    def __post_init__(self) -> None:
        if not 0 < self.min_rate <= self.initial_rate <= self.max_rate:
            raise ValueError(
                "RateSettings: need 0 < min_rate <= initial_rate <= max_rate, got "
                f"min_rate={self.min_rate}, initial_rate={self.initial_rate}, "
                f"max_rate={self.max_rate}"
            )
        for name in ("decrease", "margin", "recovery"):
            value = getattr(self, name)
            if not 0 <= value < 1 or (name == "decrease" and value == 0):
                raise ValueError(
                    f"RateSettings.{name} must be in [0, 1) (decrease > 0), got {value}"
                )
        for name in ("slow_start_gain", "probe"):
            if getattr(self, name) < 0:
                raise ValueError(f"RateSettings.{name} must be >= 0, got {getattr(self, name)}")


DEFAULT_RATE_SETTINGS: Mapping[RequestClass, RateSettings] = {
    "create": RateSettings(initial_rate=4.0),
    "poll": RateSettings(initial_rate=5.0),
    "chat": RateSettings(initial_rate=10.0),
}
"""Starting rates per request class.

Creates start at 4/s ("ten concurrent task creations can trip the limit on a fresh account",
§2.11) and grow from there; one task polled every 3 s needs far less; chat (opt-in) starts
higher, so sequential interactive calls never queue for the limiter.
"""


def request_class(method: str, path: str) -> RequestClass | None:
    """The rate class of a request, or ``None`` when it is not rate controlled.

    Args:
        method: HTTP method.
        path: Path below the base URL (``/tasks``, ``/tasks/abc``, ``/chat/completions``...).

    Returns:
        ``"create"`` for ``POST /tasks``, ``"poll"`` for other ``/tasks`` requests (detail and
        list), ``"chat"`` for any other POST (chat, images API, videos); ``None`` for other
        GETs (model listing, file downloads).
    """
    route = path.split("?", 1)[0].rstrip("/")
    method = method.upper()
    if route == "/tasks" or route.startswith("/tasks/"):
        return "create" if method == "POST" else "poll"
    return "chat" if method == "POST" else None


@dataclass
class _Ticket:
    """One booked send slot, numbered in the limiter's virtual time."""

    slot: float
    queued: bool  # the slot was ahead when booked: the pace is what holds requests back
    sent_at: float | None = None


class AdaptiveRate:
    """Learned pacing of one class of requests (thread-safe, never sleeps).

    Slots are booked in *virtual time*, which advances at the current rate (one slot per
    request): when the rate grows or is cut, every booked slot comes sooner or later with it,
    so requests queued long ago follow the pace learned since.

    Args:
        settings: Pacing parameters.
        clock: Monotonic time in seconds (injectable for tests).
    """

    def __init__(
        self, settings: RateSettings | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings or RateSettings()
        self._clock = clock
        self._lock = threading.Lock()
        self._rate = self.settings.initial_rate
        self._ceiling: float | None = None
        self._virtual = 0.0  # slots elapsed
        self._updated = clock()  # real time of `_virtual`
        self._next_free = 0.0  # first slot nobody booked yet
        self._last_sent = float("-inf")  # virtual time of the last send
        self._last_cut = float("-inf")
        self._last_success: float | None = None
        self._accepted = 0  # non-429 replies to requests sent since the last cut
        self._first_sent = float("inf")  # earliest send with a reply, since the cut
        self._replied_until = float("-inf")  # latest send with a reply, since the cut
        self.successes = 0
        self.rate_limited = 0
        self.cuts = 0

    def __repr__(self) -> str:
        return (
            f"AdaptiveRate(rate={self._rate:.3g}/s, ceiling={self._ceiling!r}, "
            f"successes={self.successes}, rate_limited={self.rate_limited})"
        )

    @property
    def rate(self) -> float:
        """Current pace in requests per second."""
        return self._rate

    @property
    def ceiling(self) -> float | None:
        """The limit learned at the last cut (``None`` before the first 429)."""
        return self._ceiling

    @property
    def last_success(self) -> float | None:
        """Clock time of the last 2xx/3xx reply, or ``None``."""
        return self._last_success

    def now(self) -> float:
        """The limiter's clock."""
        return self._clock()

    def _advance(self) -> float:
        now = self._clock()
        self._virtual += max(now - self._updated, 0.0) * self._rate
        self._updated = now
        return now

    def wait_time(self, ticket: _Ticket | None) -> tuple[float, _Ticket]:
        """Book (or re-check) a send slot.

        Args:
            ticket: The slot booked by a previous call for the same attempt, if any.

        Returns:
            ``(seconds to wait, ticket)``. Zero means send now (the ticket is marked sent).
            Otherwise sleep that long and call again with the ticket: a far slot is approached
            in halving naps, as the rate may change meanwhile.
        """
        with self._lock:
            now = self._advance()
            if ticket is None:
                # No burst after an idle spell: unused past slots are not banked.
                slot = max(self._virtual, self._next_free)
                self._next_free = slot + 1.0
                ticket = _Ticket(slot=slot, queued=slot > self._virtual)
            # Never closer than one slot after the last send: late sleepers must not burst.
            ahead = max(ticket.slot, self._last_sent + 1.0) - self._virtual
            if ahead <= _EPSILON:
                ticket.sent_at = now
                self._last_sent = self._virtual
                return 0.0, ticket
            wait = ahead / self._rate
            if ahead > _FULL_NAP_SLOTS:
                wait /= 2
                if self._ceiling is None:
                    # Slow start may multiply the rate within a second: look again soon.
                    wait = min(wait, _SLOW_START_NAP)
            return wait, ticket

    def on_reply(self, ticket: _Ticket, status_code: int) -> None:
        """Learn from the status of a reply to a request sent with ``ticket``."""
        with self._lock:
            now = self._advance()
            sent_at = ticket.sent_at if ticket.sent_at is not None else now
            # Requests sent before the last cut were paced at the old rate: their replies
            # belong to the episode already reacted to.
            current = sent_at > self._last_cut
            if current:
                self._first_sent = min(self._first_sent, sent_at)
                self._replied_until = max(self._replied_until, sent_at)
            if status_code == _TOO_MANY_REQUESTS:
                self.rate_limited += 1
                if current:
                    self._cut(now)
                return
            if status_code < 400:  # progress; other errors only say the pace was accepted
                self.successes += 1
                self._last_success = now
            if current:
                self._accepted += 1
            self._grow(ticket)

    def _accepted_rate(self) -> float | None:
        """What the server accepted per second since the last cut, if enough is known."""
        span = self._replied_until - self._first_sent
        if self.cuts == 0 or span < _MIN_SPAN or self._accepted < _MIN_ACCEPTED:
            return None
        return self._accepted / span

    def _cut(self, now: float) -> None:
        s = self.settings
        rate = self._rate
        accepted = self._accepted_rate()
        pause = 1.0
        if self._ceiling is None:
            # Slow start: one 429 may be requests bunched in transit, so step back a little.
            if self.cuts > 0 and self._accepted < _CONFIRM_SUCCESSES:
                self._ceiling = rate
            target = rate * (1.0 - s.margin)
            pause = 0.0
        elif accepted is not None and rate <= accepted * (1 + 2 * s.margin):
            # The limit was crossed just now, close to what passed so far (a strict limit
            # trips as soon as the pace passes it): settle just below where it tripped.
            self._ceiling = rate
            target = rate * (1.0 - s.margin)
            pause = 0.0
        elif accepted is None:
            # Another 429 soon after a cut: still well above the limit.
            self._ceiling = rate
            target = rate * s.decrease
        else:
            # Past what was accepted (a burst bucket drained): the accepted rate IS the limit.
            self._ceiling = accepted
            target = max(rate * s.decrease, accepted * (1.0 - s.margin))
        self._rate = max(s.min_rate, target)
        self._last_cut = now
        self._first_sent = float("inf")
        self._replied_until = float("-inf")
        self._accepted = 0
        # Still well above the limit, its bucket is empty: queued requests wait a slot more.
        self._virtual -= pause
        self.cuts += 1

    def _grow(self, ticket: _Ticket) -> None:
        if not ticket.queued:  # only with evidence that the pace is what holds requests back
            return
        s = self.settings
        if self._ceiling is None:
            self._rate += s.slow_start_gain
        else:
            # Back quickly to just below the learned limit, then probe past it slowly.
            target = self._ceiling * (1.0 - s.margin)
            if self._rate < target:
                # At least a probe step, so the target is reached rather than approached.
                step = max((target - self._rate) * s.recovery, self._rate * s.probe)
                self._rate = min(self._rate + step, target)
            else:
                self._rate *= 1.0 + s.probe
        self._rate = min(self._rate, s.max_rate)


class RequestGate:
    """The limiter's view of one request, across its retries.

    Usage (the HTTP client's retry loop)::

        while (wait := gate.wait_time()) > 0:
            sleep(wait)
        ...send...
        if gate.record(status_code):  # a 429 the limiter absorbs
            continue  # retry at the limiter's pace, not counted against max_retries

    Args:
        rate: The class limiter.
        patience: See :data:`RATE_LIMIT_PATIENCE`.
    """

    def __init__(self, rate: AdaptiveRate, patience: float = RATE_LIMIT_PATIENCE) -> None:
        self.rate = rate
        self._patience = patience
        self._started = rate.now()
        self._ticket: _Ticket | None = None

    def wait_time(self) -> float:
        """Seconds to sleep before sending (then call again); 0 means send now."""
        ticket = self._ticket
        if ticket is not None and ticket.sent_at is not None:
            ticket = None  # the last attempt was sent (and failed without a reply): new slot
        wait, self._ticket = self.rate.wait_time(ticket)
        return wait

    def record(self, status_code: int) -> bool:
        """Report the HTTP status of the reply to the attempt just sent.

        Returns:
            ``True`` for a 429 the limiter absorbs (retry without counting a retry): the key
            is making progress, i.e. a request of this class succeeded, or this request
            started, less than ``patience`` seconds ago.
        """
        ticket, self._ticket = self._ticket, None
        if ticket is None:
            return False
        self.rate.on_reply(ticket, status_code)
        if status_code != _TOO_MANY_REQUESTS:
            return False
        last = self.rate.last_success
        progress = self._started if last is None else max(last, self._started)
        return self.rate.now() - progress < self._patience


@dataclass
class KeyRateLimiter:
    """The limiters of one API key on one base URL, one :class:`AdaptiveRate` per class.

    Args:
        settings: Per-class pacing (missing classes use :data:`DEFAULT_RATE_SETTINGS`).
        clock: Monotonic time in seconds (injectable for tests).
        patience: See :data:`RATE_LIMIT_PATIENCE`.
    """

    settings: Mapping[RequestClass, RateSettings] = field(
        default_factory=lambda: dict(DEFAULT_RATE_SETTINGS)
    )
    clock: Callable[[], float] = time.monotonic
    patience: float = RATE_LIMIT_PATIENCE
    rates: dict[RequestClass, AdaptiveRate] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.patience < 0:
            raise ValueError(f"patience must be >= 0 seconds, got {self.patience}")
        unknown = set(self.settings) - set(DEFAULT_RATE_SETTINGS)
        if unknown:
            raise ValueError(
                f"settings: unknown request classes {sorted(unknown)}; "
                f"allowed: {sorted(DEFAULT_RATE_SETTINGS)}"
            )
        self.rates = {
            kind: AdaptiveRate(self.settings.get(kind, default), clock=self.clock)
            for kind, default in DEFAULT_RATE_SETTINGS.items()
        }

    def gate(self, method: str, path: str) -> RequestGate | None:
        """A gate for one request (see :class:`RequestGate`), ``None`` if not controlled."""
        kind = request_class(method, path)
        return None if kind is None else RequestGate(self.rates[kind], self.patience)

    @property
    def rate_limited(self) -> int:
        """429 replies seen so far, all classes."""
        return sum(rate.rate_limited for rate in self.rates.values())


_registry: dict[tuple[str, str, Callable[[], float]], KeyRateLimiter] = {}
_registry_lock = threading.Lock()


def _key_id(api_key: SecretStr | str | None) -> str:
    """A digest of the key: the registry never holds the key itself."""
    raw = api_key.get_secret_value() if isinstance(api_key, SecretStr) else (api_key or "")
    return hashlib.sha256(raw.encode()).hexdigest()


def shared_rate_limiter(
    api_key: SecretStr | str | None,
    base_url: str,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> KeyRateLimiter:
    """The process-wide limiter of an API key on a base URL (created on first use).

    HiAPI counts limits per key, so every client of the same key and base URL, sync or async,
    in any thread, shares one limiter.

    Args:
        api_key: The key (only its SHA-256 digest is kept).
        base_url: The API root; a trailing ``/`` is ignored.
        clock: The clock it paces on. A client given a fake clock (and a sleep that advances
            it) gets a limiter of its own on that clock, instead of waiting for real time
            that its sleep never lets pass.

    Returns:
        The shared :class:`KeyRateLimiter`.
    """
    ident = (_key_id(api_key), base_url.rstrip("/"), clock)
    with _registry_lock:
        limiter = _registry.get(ident)
        if limiter is None:
            limiter = _registry[ident] = KeyRateLimiter(clock=clock)
        return limiter
