"""The retry policy and the decisions around it (pure: no I/O).

When a failed request is sent again and after how long: transient statuses, ``Retry-After``,
exponential backoff with jitter, the call's deadline, and the money rule (a request that may
already have been billed is re-sent only when the server deduplicates it). Transport failures
are mapped to :mod:`langchain_hiapi.errors` here too.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from langchain_hiapi._error_mapping import get_header
from langchain_hiapi._request_checks import safe_url
from langchain_hiapi._secrets import redact
from langchain_hiapi.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    HiAPIError,
    ModelNotFoundError,
    ModelUnavailableError,
    StreamError,
)
from langchain_hiapi.timeouts import Deadline

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_RETRY_POLICY",
    "IDEMPOTENCY_KEY_HEADER",
    "INITIAL_RETRY_DELAY",
    "MAX_RETRY_AFTER",
    "MAX_RETRY_DELAY",
    "RETRYABLE_STATUS_CODES",
    "RetryPolicy",
    "check_wait",
    "download_failure",
    "log_attempt",
    "log_paced",
    "log_response",
    "next_delay",
    "safe_cause",
    "stream_failure",
    "transport_error",
]

logger = logging.getLogger("langchain_hiapi")

DEFAULT_MAX_RETRIES = 2


INITIAL_RETRY_DELAY = 0.5


MAX_RETRY_DELAY = 8.0


# A server asking for a longer pause than this still gets retried, just sooner.
MAX_RETRY_AFTER = 60.0


# 409 is used for transient video-task states (upstream_busy, ...); the 5xx are gateway or
# upstream hiccups. Deterministic failures are excluded by code in RetryPolicy.
RETRYABLE_STATUS_CODES = frozenset({408, 409, 429, 500, 502, 503, 504})


# Deterministic failures, and `empty_response` (billed already: a retry would bill again).
_NON_RETRYABLE_CODES = frozenset({"model_not_found", "convert_request_failed", "empty_response"})


# Retry exponent cap: keeps 2**n finite for absurd max_retries values.
_MAX_BACKOFF_EXPONENT = 32


_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# A POST carrying this header is deduplicated by the server (task creates): re-sending it
# after a lost reply or a timeout cannot create or bill a second task.
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before retrying a failed request.

    Attributes:
        max_retries: Retries after the first attempt (so at most ``max_retries + 1`` requests).
        initial_delay: Backoff before the first retry, in seconds.
        max_delay: Upper bound of the exponential backoff, in seconds.
        max_retry_after: Upper bound for a server-requested ``Retry-After`` pause, in seconds.
        retry_read_timeouts: Also retry a request that may already have reached the gateway
            (a read/write timeout, or the connection lost before the reply). Off by default:
            the gateway may already be generating (and billing) an image. Requests the server
            deduplicates (GETs, task creates with an ``Idempotency-Key``) are retried anyway.
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    initial_delay: float = INITIAL_RETRY_DELAY
    max_delay: float = MAX_RETRY_DELAY
    max_retry_after: float = MAX_RETRY_AFTER
    retry_read_timeouts: bool = False

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if self.initial_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ValueError("retry delays must be >= 0")

    def should_retry_status(self, error: APIStatusError) -> bool:
        """Whether an HTTP error reply is worth retrying.

        Args:
            error: The mapped error of the reply.

        Returns:
            ``True`` for transient statuses (408, 409 - including the task API's
            ``IDEMPOTENCY_KEY_PROCESSING`` -, 429, 5xx gateway errors) and the task API's
            ``MODEL_UNAVAILABLE``, except deterministic failures: ``model_not_found`` (any
            status), ``convert_request_failed`` (a malformed request, sent as 500) and
            ``empty_response`` (a 500 for which the prompt was billed).
        """
        if isinstance(error, ModelNotFoundError) or error.code in _NON_RETRYABLE_CODES:
            return False
        if isinstance(error, ModelUnavailableError):
            return True
        return error.status_code in RETRYABLE_STATUS_CODES

    def delay(
        self,
        retries_done: int,
        headers: Mapping[str, str] | None,
        *,
        now: float | None = None,
        rand: float | None = None,
    ) -> float:
        """Seconds to wait before the next attempt.

        A positive ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date) header is
        honoured, capped at ``max_retry_after``. Otherwise the backoff is
        ``min(initial_delay * 2**retries_done, max_delay)`` reduced by up to 25 % of jitter so
        that clients throttled together do not retry together.

        Args:
            retries_done: Retries already made (0 before the first retry).
            headers: Headers of the failed reply, if there was one.
            now: Current POSIX time, for HTTP-date headers (default: ``time.time()``).
            rand: A number in [0, 1) for the jitter (default: ``random.random()``).

        Returns:
            The delay in seconds (never negative).
        """
        retry_after = _parse_retry_after(headers, time.time() if now is None else now)
        if retry_after is not None and retry_after > 0:
            return min(retry_after, self.max_retry_after)
        exponent = min(max(retries_done, 0), _MAX_BACKOFF_EXPONENT)
        backoff = min(self.initial_delay * 2.0**exponent, self.max_delay)
        # Not for security: jitter only spreads retries out.
        jitter = 1.0 - 0.25 * (random.random() if rand is None else rand)  # noqa: S311
        return max(backoff * jitter, 0.0)


DEFAULT_RETRY_POLICY = RetryPolicy()


def _parse_retry_after(headers: Mapping[str, str] | None, now: float) -> float | None:
    """Read ``retry-after-ms`` / ``Retry-After`` (seconds or HTTP date) as seconds."""
    value = get_header(headers, "retry-after-ms")
    if value is not None:
        try:
            ms = float(value)
        except ValueError:
            pass
        else:
            if math.isfinite(ms):
                return ms / 1000.0
    value = get_header(headers, "retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) else None
    try:
        parsed = email.utils.parsedate_tz(value)
        if parsed is None:
            return None
        seconds = float(email.utils.mktime_tz(parsed)) - now
    except (OverflowError, ValueError, TypeError, OSError):
        # A date the platform cannot represent (year 99999999999): ignore the header and
        # fall back to the normal backoff.
        return None
    return seconds if math.isfinite(seconds) else None


def safe_cause(exc: BaseException, secret: str | None) -> BaseException | None:
    """The exception to chain as ``__cause__``, or ``None`` if its text would show the key."""
    if secret and (secret in str(exc) or secret in repr(exc)):
        return None
    return exc


def _replay_safe(request: httpx.Request) -> bool:
    """Whether sending ``request`` twice cannot do anything twice.

    True for safe methods and for a request the server deduplicates by its
    ``Idempotency-Key`` (a task create: a replay returns the first task).
    """
    return request.method in _IDEMPOTENT_METHODS or bool(
        request.headers.get(IDEMPOTENCY_KEY_HEADER)
    )


def transport_error(
    exc: httpx.RequestError,
    request: httpx.Request,
    policy: RetryPolicy,
    *,
    response_started: bool,
    secret: str | None = None,
    deadline: Deadline | None = None,
    error_status: int | None = None,
) -> tuple[HiAPIError, bool]:
    """Map an httpx failure to our error and decide whether a retry is safe.

    Args:
        exc: The httpx exception.
        request: The request that failed.
        policy: The retry policy (for ``retry_read_timeouts``).
        response_started: Whether a 2xx status line had already arrived (the gateway accepted
            the request and may be billing it).
        secret: The API key, replaced in the message should httpx ever quote it.
        deadline: The call's overall deadline; once it has passed, nothing is retried.
        error_status: The non-2xx status line that arrived before the body broke, if any.

    Returns:
        ``(error to raise, retryable)``.
    """
    where = f"{request.method} {safe_url(request.url)}"
    if deadline is not None and deadline.expired():
        # Whatever broke (a clamped read, a socket closed at the deadline), time is up.
        return deadline.error(where), False
    detail = redact(str(exc) or type(exc).__name__, secret)
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        # Nothing was sent yet: always safe to retry.
        return APITimeoutError(f"timed out connecting ({where}): {detail}"), True
    if isinstance(exc, httpx.TimeoutException):
        # Read/write timeout: the request may be in progress on the gateway (safe to resend
        # only when the server deduplicates it).
        return (
            APITimeoutError(f"request timed out ({where}): {detail}"),
            policy.retry_read_timeouts or bool(request.headers.get(IDEMPOTENCY_KEY_HEADER)),
        )
    if isinstance(exc, (httpx.ConnectError, httpx.NetworkError, httpx.RemoteProtocolError)):
        # Not connected, or the body was not fully written: the gateway cannot have acted on it.
        unsent = not response_started and isinstance(exc, (httpx.ConnectError, httpx.WriteError))
        # The gateway already answered with a transient error status: judged like that status.
        refused = error_status is not None and error_status in RETRYABLE_STATUS_CODES
        # Lost after the whole request went out: the gateway may be generating (and billing)
        # it, so only a request it deduplicates, or a user who opted in, is sent again.
        retryable = (
            unsent
            or refused
            or _replay_safe(request)
            or (not response_started and policy.retry_read_timeouts)
        )
        phase = (
            "connection lost while reading the response" if response_started else "connection error"
        )
        return APIConnectionError(f"{phase} ({where}): {type(exc).__name__}: {detail}"), retryable
    # Proxy, unsupported protocol, local protocol, decoding, redirects: deterministic.
    return APIConnectionError(f"request failed ({where}): {type(exc).__name__}: {detail}"), False


def next_delay(
    policy: RetryPolicy,
    retries_done: int,
    retryable: bool,
    headers: Mapping[str, str] | None,
    request: httpx.Request,
    reason: str,
    deadline: Deadline | None = None,
) -> float | None:
    """Seconds to sleep before retrying, or ``None`` to give up (and log the decision).

    A retry whose wait would not end before the call's deadline is not made.
    """
    if not retryable or retries_done >= policy.max_retries:
        return None
    delay = policy.delay(retries_done, headers)
    left = deadline.remaining() if deadline is not None else None
    if left is not None and delay >= left:
        logger.debug(
            "HiAPI %s %s: %s; no retry: %.2f s wait exceeds the %.2f s left of the timeout",
            request.method,
            safe_url(request.url),
            reason,
            delay,
            max(left, 0.0),
        )
        return None
    logger.debug(
        "HiAPI %s %s: %s; retry %d of %d in %.2f s",
        request.method,
        safe_url(request.url),
        reason,
        retries_done + 1,
        policy.max_retries,
        delay,
    )
    return delay


def log_paced(request: httpx.Request) -> None:
    logger.debug(
        "HiAPI %s %s: status 429; retry paced by the rate limiter",
        request.method,
        safe_url(request.url),
    )


def log_attempt(request: httpx.Request, retries_done: int) -> None:
    if not logger.isEnabledFor(logging.DEBUG):
        return
    logger.debug(
        "HiAPI %s %s (attempt %d)", request.method, safe_url(request.url), retries_done + 1
    )


def log_response(request: httpx.Request, response: httpx.Response) -> None:
    if not logger.isEnabledFor(logging.DEBUG):
        return
    logger.debug("HiAPI %s %s -> %d", request.method, safe_url(request.url), response.status_code)


def stream_failure(
    exc: httpx.RequestError, deadline: Deadline | None = None, secret: str | None = None
) -> StreamError:
    """Map a transport failure after the stream started. Never retried: output was sent."""
    if deadline is not None and deadline.expired():
        return StreamError(
            f"stream ended early: the overall timeout of {deadline.total:g} s passed"
        )
    if isinstance(exc, httpx.TimeoutException):
        # A StreamError rather than APITimeoutError: a partial answer may already exist.
        return StreamError(f"stream ended early: read timed out ({exc or 'no data'})")
    return StreamError(f"stream ended early: {type(exc).__name__}: {redact(str(exc), secret)}")


def download_failure(
    exc: httpx.RequestError, request: httpx.Request, deadline: Deadline | None = None
) -> APIConnectionError:
    """Map a transport failure while a download body streams in (not retried)."""
    where = f"GET {safe_url(request.url)}"
    if deadline is not None and deadline.expired():
        return deadline.error(where)
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"download timed out ({where}): {detail}")
    return APIConnectionError(f"download failed ({where}): {type(exc).__name__}: {detail}")


def check_wait(deadline: Deadline, wait: float, request: httpx.Request) -> None:
    """Refuses to wait for the rate limiter past the call's deadline."""
    left = deadline.remaining()
    if left is not None and wait >= left:
        raise deadline.error(f"{request.method} {safe_url(request.url)}")
