"""Task callbacks: the terminal task detail POSTed to `callback.url`, signed, redelivered.

Per the contract (§2.7): the body is the task detail object (the `data` of
`GET /v1/tasks/:id`, not the envelope), `Content-Type: application/json`; with a webhook
secret set, `X-HiAPI-Timestamp` (Unix seconds) and `X-HiAPI-Signature` =
`hex(HMAC_SHA256(secret, timestamp + "." + body))` are added; without one there are no
signature headers. A non-2xx answer or a connection error is retried with doubling
backoff, up to `CallbackPolicy.attempts` attempts; each attempt is signed afresh with
its own timestamp over the same body bytes (the sources leave this open).

The emulator only ever connects to loopback addresses (`127.0.0.0/8`, `::1`,
`localhost`): any other callback URL is accepted at create time, like the server would,
but never contacted; the refusal is logged in `attempts`. Nothing leaves the machine.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import hmac
import http.client
import ipaddress
import itertools
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

TIMESTAMP_HEADER = "X-HiAPI-Timestamp"
SIGNATURE_HEADER = "X-HiAPI-Signature"


@dataclass(frozen=True)
class CallbackPolicy:
    """How callbacks are (re)delivered.

    Attributes:
        attempts: Deliveries tried at most, the first included.
        backoff: Seconds before the second attempt; doubled for each further one.
        max_backoff: Longest wait between attempts.
        timeout: Seconds to connect and to wait for the receiver's answer.
    """

    attempts: int = 5
    backoff: float = 1.0
    max_backoff: float = 30.0
    timeout: float = 5.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be >= 1, got {self.attempts!r}")
        if self.backoff < 0 or self.max_backoff < 0 or self.timeout <= 0:
            raise ValueError("backoff and max_backoff must be >= 0, timeout > 0")

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        return float(min(self.max_backoff, self.backoff * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class CallbackAttempt:
    """One delivery attempt, as logged.

    Attributes:
        task_id: The task the callback is about.
        url: The callback URL.
        attempt: 1 for the first delivery, 2 for the first redelivery, ...
        status: The receiver's HTTP status, or None when nothing was answered.
        error: Why no status: a connection error, or the refusal of a non-loopback URL.
        headers: Headers sent (signature headers included).
        body: Body sent.
    """

    task_id: str
    url: str
    attempt: int
    status: int | None
    error: str | None
    headers: dict[str, str] = field(repr=False)
    body: bytes = field(repr=False)

    @property
    def delivered(self) -> bool:
        """Whether the receiver answered 2xx."""
        return self.status is not None and 200 <= self.status < 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`hex(HMAC_SHA256(secret, timestamp + "." + body))`, lower case."""
    signed = timestamp.encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def loopback_address(url: str) -> tuple[str, str, int, str] | str:
    """Where a callback URL may be delivered: `(scheme, ip, port, target)` or a refusal.

    Only literal loopback IPs and `localhost` qualify; no name is ever resolved.

    Args:
        url: The callback URL.

    Returns:
        The connection parameters, or a string saying why the URL is refused.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        return f"refused: malformed URL ({error})"
    if parts.scheme not in ("http", "https"):
        return f"refused: scheme {parts.scheme!r} is not http(s)"
    host = (parts.hostname or "").lower()
    if host == "localhost":
        ip = "127.0.0.1"
    else:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if address is None or not address.is_loopback:
            return (
                f"refused: {host!r} is not a loopback address (the emulator stays on this machine)"
            )
        ip = str(address)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, ip, port or (443 if parts.scheme == "https" else 80), target


@dataclass(order=True)
class _Delivery:
    due: float
    seq: int
    task_id: str = field(compare=False)
    url: str = field(compare=False)
    body: bytes = field(compare=False)
    attempt: int = field(default=1, compare=False)


class CallbackDispatcher:
    """Delivers callbacks from one background thread.

    Args:
        policy: Redelivery policy.
        secret: Returns the webhook secret at delivery time (None or "": unsigned).
        clock: Unix seconds for `X-HiAPI-Timestamp` (the emulator's task clock).
        tick: Called on every wake-up, so timed tasks can reach their terminal state
            (and submit callbacks) without being polled.
        ticking: Whether `tick` needs calling periodically right now.
        tick_interval: Seconds between ticks while `ticking()` holds.
    """

    def __init__(
        self,
        policy: CallbackPolicy,
        secret: Callable[[], str | None],
        clock: Callable[[], float],
        tick: Callable[[], None] | None = None,
        ticking: Callable[[], bool] | None = None,
        tick_interval: float = 0.02,
    ) -> None:
        self.policy = policy
        self._secret, self._clock = secret, clock
        self._tick, self._ticking, self._tick_interval = tick, ticking, tick_interval
        self._cond = threading.Condition()
        self._heap: list[_Delivery] = []
        self._seq = itertools.count()
        self._busy = 0
        self._log: list[CallbackAttempt] = []
        self._stopping = False
        self._thread: threading.Thread | None = None

    def set_ticker(self, tick: Callable[[], None], ticking: Callable[[], bool]) -> None:
        """Sets the `tick` and `ticking` callables (see the class docstring)."""
        self._tick, self._ticking = tick, ticking

    def start(self) -> None:
        """Starts the delivery thread (idempotent)."""
        with self._cond:
            if self._thread is not None:
                return
            self._stopping = False
            self._thread = threading.Thread(
                target=self._run, name="hiapi-emulator-callbacks", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stops the thread; pending deliveries are dropped."""
        with self._cond:
            thread, self._thread = self._thread, None
            self._stopping = True
            self._heap.clear()
            self._cond.notify_all()
        if thread is not None:
            thread.join(timeout=10)

    def reset(self) -> None:
        """Drops pending deliveries and forgets the log."""
        with self._cond:
            self._heap.clear()
            self._log.clear()

    def submit(self, task_id: str, url: str, body: bytes) -> None:
        """Queues the first delivery of a callback, due now."""
        with self._cond:
            heapq.heappush(
                self._heap, _Delivery(time.monotonic(), next(self._seq), task_id, url, body)
            )
            self._cond.notify_all()

    def wake(self) -> None:
        """Makes the thread re-check `ticking()` now."""
        with self._cond:
            self._cond.notify_all()

    @property
    def attempts(self) -> list[CallbackAttempt]:
        """Every attempt so far (a copy), oldest first."""
        with self._cond:
            return list(self._log)

    def wait_idle(self, timeout: float) -> bool:
        """Waits until no delivery is pending or running.

        Args:
            timeout: Seconds to wait at most.

        Returns:
            Whether it became idle in time.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._heap or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    # -- the thread ---------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            if self._tick is not None:
                self._tick()
            with self._cond:
                if self._stopping:
                    return
                now = time.monotonic()
                if self._heap and self._heap[0].due <= now:
                    delivery = heapq.heappop(self._heap)
                    self._busy += 1
                else:
                    waits = [self._heap[0].due - now] if self._heap else []
                    if self._ticking is not None and self._ticking():
                        waits.append(self._tick_interval)
                    self._cond.wait(min(waits) if waits else None)
                    continue
            try:
                self._deliver(delivery)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _deliver(self, delivery: _Delivery) -> None:
        headers = {"Content-Type": "application/json", "User-Agent": "HiAPI-Emulator-Callback/1"}
        secret = self._secret()
        if secret:
            timestamp = str(int(self._clock()))
            headers[TIMESTAMP_HEADER] = timestamp
            headers[SIGNATURE_HEADER] = sign(secret, timestamp, delivery.body)
        where = loopback_address(delivery.url)
        status: int | None = None
        error: str | None = None
        if isinstance(where, str):
            error = where
        else:
            status, error = self._post(where, headers, delivery.body)
        attempt = CallbackAttempt(
            delivery.task_id, delivery.url, delivery.attempt, status, error, headers, delivery.body
        )
        with self._cond:
            self._log.append(attempt)
            retry = (
                not isinstance(where, str)
                and not attempt.delivered
                and delivery.attempt < self.policy.attempts
                and not self._stopping
            )
            if retry:
                delivery.due = time.monotonic() + self.policy.delay(delivery.attempt)
                delivery.attempt += 1
                delivery.seq = next(self._seq)
                heapq.heappush(self._heap, delivery)

    def _post(
        self, where: tuple[str, str, int, str], headers: dict[str, str], body: bytes
    ) -> tuple[int | None, str | None]:
        scheme, ip, port, target = where
        timeout = self.policy.timeout
        connection: http.client.HTTPConnection
        if scheme == "https":
            # Loopback only: a test receiver's self-signed certificate is expected.
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            connection = http.client.HTTPSConnection(ip, port, timeout=timeout, context=context)
        else:
            connection = http.client.HTTPConnection(ip, port, timeout=timeout)
        try:
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            response.read(65536)
            return response.status, None
        except (OSError, http.client.HTTPException) as error:
            return None, f"{type(error).__name__}: {error}"
        finally:
            with contextlib.suppress(OSError):
                connection.close()
