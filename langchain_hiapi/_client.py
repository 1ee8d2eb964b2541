"""HTTP client for HiAPI: the only module of the package that touches httpx.

Sync and async methods mirror each other; everything that is not I/O (building the request,
deciding whether and how long to retry, mapping failures to :mod:`langchain_hiapi.errors`,
decoding events) lives in shared helpers, so the two paths differ only in ``await``.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import logging
import math
import os
import random
import re
import threading
import time
import warnings
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import SecretStr

from langchain_hiapi import _downloads, _netguard
from langchain_hiapi._decoding import ACCEPT_ENCODING, BodyDecoder
from langchain_hiapi._downloads import (
    DownloadPolicy,
    Resolver,
    Target,
    is_public_address,
    literal_address,
    public_url,
    redirect_flow,
    redirect_location,
)
from langchain_hiapi._error_mapping import (
    body_snippet,
    envelope_error,
    error_from_response,
    get_header,
    parse_error_object,
)
from langchain_hiapi._files import DownloadSink, FetchedFile
from langchain_hiapi._pool import Pool, PoolKey, lease_pool, release_pool
from langchain_hiapi._ratelimit import KeyRateLimiter, RequestGate, shared_rate_limiter
from langchain_hiapi._secrets import (
    redact,
    scrub_error,
    strip_base_url_credentials,
)
from langchain_hiapi._sse import SSEDecoder
from langchain_hiapi._version import __version__
from langchain_hiapi.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    HiAPIError,
    InvalidResponseError,
    ModelNotFoundError,
    ModelUnavailableError,
    ResponseTooLargeError,
    StreamError,
    UnsafeURLError,
)
from langchain_hiapi.limits import DEFAULT_LIMITS, Limits
from langchain_hiapi.timeouts import (
    DEFAULT_TOTAL_TIMEOUT,
    Deadline,
    HiAPITimeout,
    split_timeout,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_RETRY_POLICY",
    "DEFAULT_TIMEOUT",
    "IDEMPOTENCY_KEY_HEADER",
    "INITIAL_RETRY_DELAY",
    "MAX_RETRY_AFTER",
    "MAX_RETRY_DELAY",
    "RETRYABLE_STATUS_CODES",
    "FetchedFile",
    "HiAPIClient",
    "JSONReply",
    "RetryPolicy",
]

logger = logging.getLogger("langchain_hiapi")

DEFAULT_BASE_URL = "https://api.hiapi.ai/v1"
# Image models (Nano-Banana-Pro at 2K/4K) can take minutes before the first byte of a
# non-streamed reply, so the read timeout is generous; connecting should be quick, and a large
# request body (input images as base64) may take a while to upload on a slow link.
# The overall budget bounds one call however the server trickles (see `timeouts`).
DEFAULT_TIMEOUT = HiAPITimeout(
    connect=10.0, read=600.0, write=120.0, pool=30.0, total=DEFAULT_TOTAL_TIMEOUT
)
DEFAULT_MAX_RETRIES = 2
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
# A server asking for a longer pause than this still gets retried, just sooner.
MAX_RETRY_AFTER = 60.0
# 409 is used for transient video-task states (upstream_busy, ...); the 5xx are gateway or
# upstream hiccups. Deterministic failures are excluded by code in RetryPolicy.
RETRYABLE_STATUS_CODES = frozenset({408, 409, 429, 500, 502, 503, 504})
# Codes that fail the same way every time, whatever the status says, and `empty_response`
# (a 500 after the upstream answered nothing): the gateway has billed the prompt, so a
# retry would bill it again.
_NON_RETRYABLE_CODES = frozenset({"model_not_found", "convert_request_failed", "empty_response"})
# Retry exponent cap: keeps 2**n finite for absurd max_retries values.
_MAX_BACKOFF_EXPONENT = 32
_USER_AGENT = f"langchain-hiapi/{__version__}"
_JSON = "application/json"
_EVENT_STREAM = "text/event-stream"
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A POST carrying this header is deduplicated by the server (task creates): re-sending it
# after a lost reply or a timeout cannot create or bill a second task.
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class JSONReply:
    """A 2xx JSON reply with its status and headers (for APIs that put meaning in headers).

    Attributes:
        status_code: The HTTP status.
        headers: The reply's headers (look them up with `header`, case-insensitively).
        json: The parsed JSON object.
    """

    status_code: int
    headers: Mapping[str, str] = field(repr=False)
    json: dict[str, Any]

    def header(self, name: str) -> str | None:
        """A header's value, looked up case-insensitively; `None` when absent."""
        return get_header(self.headers, name.lower())


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


def _user_agent() -> str:
    """``langchain-hiapi/<version>``."""
    return _USER_AGENT


def _safe_url(url: httpx.URL) -> str:
    """URL for logs and messages: no user info, no query string."""
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}{url.path}"


# Header names are RFC 9110 tokens; values are visible ASCII, spaces and tabs (what httpx
# can encode and h11 accepts). Anything else fails inside httpx with a message that quotes
# the raw value, which for the Authorization header is the API key.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE = re.compile(r"[\x20-\x7e\t]*")


def _check_api_key(api_key: SecretStr | None) -> None:
    """Reject a key that cannot be sent as a header, without ever quoting it.

    Raises:
        TypeError: Not a ``SecretStr`` (the value is not shown).
        ValueError: The key has control characters (e.g. a trailing newline from a key
            file), surrounding spaces or non-ASCII characters.
    """
    if api_key is not None and not isinstance(api_key, SecretStr):
        raise TypeError(
            f"api_key must be a SecretStr or None, got {type(api_key).__name__} "
            "(the value is not shown)"
        )
    key = api_key.get_secret_value() if api_key is not None else ""
    if not key:
        return
    if key != key.strip() or not _HEADER_VALUE.fullmatch(key):
        raise ValueError(
            "api_key cannot be sent in an HTTP header: it has surrounding whitespace, a "
            "control character (such as a trailing newline) or a non-ASCII character; "
            "check how the key was read (the key itself is not shown)"
        )


def _check_headers(headers: Mapping[str, str], what: str = "default_headers") -> dict[str, str]:
    """Validate ``default_headers`` so a bad one fails clearly before any request.

    Args:
        headers: The headers.
        what: How the error messages name them.

    Raises:
        TypeError: A name or value is not a string.
        ValueError: A name is not an HTTP token or a value has control/non-ASCII characters.
    """
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError(
                f"{what} must map str to str; got {type(name).__name__} -> "
                f"{type(value).__name__} for header {name!r}"
            )
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError(f"{what}: {name!r} is not a valid HTTP header name")
        if not _HEADER_VALUE.fullmatch(value):
            # The value is not quoted: headers often carry credentials.
            raise ValueError(
                f"{what}: the value of {name!r} has a control character (such as a "
                "newline) or a non-ASCII character and cannot be sent"
            )
        checked[name] = value
    return checked


_QUERY_SCALARS = (str, int, float, bool)


def _check_query(query: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``default_query`` so a bad one fails clearly before any request.

    Raises:
        TypeError: A name is not a string or a value is not a string, number, bool or a
            list of those.
    """
    checked: dict[str, Any] = {}
    for name, value in query.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        if not isinstance(name, str) or not all(isinstance(v, _QUERY_SCALARS) for v in values):
            raise TypeError(
                "default_query must map str to a string, number, bool or a list of those; "
                f"got {type(name).__name__} -> {type(value).__name__} for {name!r}"
            )
        checked[name] = list(value) if isinstance(value, (list, tuple)) else value
    return checked


def check_base_url(base_url: object) -> str:
    """Normalise and check the base URL; user info is removed with a warning.

    ``https://user:pass@host/v1`` would make httpx send Basic auth and put the password in
    every log line and trace that shows the URL; HiAPI authenticates with ``api_key``, so
    the user info is dropped (never sent, logged or traced) and a ``UserWarning`` says so.

    Raises:
        TypeError: Not a string.
        ValueError: Not an absolute ``http(s)://host/...`` URL (the URL's user info and
            query string are not echoed).
    """
    if not isinstance(base_url, str):
        raise TypeError(f"base_url must be a string, got {type(base_url).__name__}")
    problem = None
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, ValueError) as exc:
        problem = str(exc).replace(base_url, "<base_url>")
    else:
        if url.scheme not in ("http", "https") or not url.host:
            problem = "expected an http:// or https:// URL with a host"
    if problem is not None:
        # User info and query string are not echoed: a URL may embed credentials.
        shown = base_url.split("@")[-1].split("?")[0][:80]
        raise ValueError(f"base_url must look like {DEFAULT_BASE_URL!r}; got {shown!r} ({problem})")
    cleaned: str = strip_base_url_credentials(base_url)
    return cleaned.rstrip("/")


_check_base_url = check_base_url


def is_loopback_host(host: str) -> bool:
    """Whether a URL host is this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    lowered = host.lower().rstrip(".")
    if lowered == "localhost" or lowered.endswith(".localhost"):
        return True
    address = literal_address(lowered)
    return address is not None and address.is_loopback


def _warn_clear_text_key(base_url: str, api_key: SecretStr | None) -> None:
    """Warns when the key would travel unencrypted to another machine."""
    if api_key is None or not api_key.get_secret_value():
        return
    url = httpx.URL(base_url)
    if url.scheme == "http" and not is_loopback_host(url.host):
        warnings.warn(
            f"base_url {public_url(url)!r} is plain http on a non-loopback host: the API key "
            "would be sent in clear text. Use https.",
            UserWarning,
            stacklevel=3,
        )


def _check_timeout(timeout: object) -> httpx.Timeout | float | None:
    """Check the ``timeout`` argument, rejecting unusable values.

    Raises:
        TypeError: Not a number, an ``httpx.Timeout`` or ``None``.
        ValueError: A number that is not finite and positive.
    """
    if timeout is None:
        return None
    if isinstance(timeout, httpx.Timeout):
        values = {
            "connect": timeout.connect,
            "read": timeout.read,
            "write": timeout.write,
            "pool": timeout.pool,
        }
        for phase, value in values.items():
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(
                    f"timeout.{phase} must be a positive number of seconds or None, got {value!r}"
                )
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(
            "timeout must be a number of seconds, an httpx.Timeout or None; "
            f"got {type(timeout).__name__}"
        )
    if not (math.isfinite(timeout) and timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds or None, got {timeout!r}")
    return float(timeout)


def _encode_body(body: Mapping[str, Any]) -> bytes:
    """Serialise a request body as strict JSON.

    Raises:
        ValueError: The body holds NaN or an infinity (not JSON; the gateway rejects it).
        TypeError: The body holds a value JSON cannot represent.
    """
    try:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError as exc:
        raise ValueError(
            f"request body cannot be sent: {exc} (NaN or infinity in a parameter such as "
            "temperature, model_kwargs or extra_body)"
        ) from None
    except TypeError as exc:
        raise TypeError(
            f"request body cannot be sent as JSON: {exc} (check model_kwargs, extra_body "
            "and other call arguments)"
        ) from None
    return text.encode()


# ---------------------------------------------------------------------------------------------
# Pure decisions shared by the sync and async paths
# ---------------------------------------------------------------------------------------------


def _redact(text: str, secret: str | None) -> str:
    """Replace every occurrence of ``secret`` in ``text``."""
    return redact(text, secret)


def _safe_cause(exc: BaseException, secret: str | None) -> BaseException | None:
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


def _transport_error(
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
    where = f"{request.method} {_safe_url(request.url)}"
    if deadline is not None and deadline.expired():
        # Whatever broke (a clamped read, a socket closed at the deadline), time is up.
        return deadline.error(where), False
    detail = _redact(str(exc) or type(exc).__name__, secret)
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


def _next_delay(
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
            _safe_url(request.url),
            reason,
            delay,
            max(left, 0.0),
        )
        return None
    logger.debug(
        "HiAPI %s %s: %s; retry %d of %d in %.2f s",
        request.method,
        _safe_url(request.url),
        reason,
        retries_done + 1,
        policy.max_retries,
        delay,
    )
    return delay


def _log_paced(request: httpx.Request) -> None:
    logger.debug(
        "HiAPI %s %s: status 429; retry paced by the rate limiter",
        request.method,
        _safe_url(request.url),
    )


def _log_attempt(request: httpx.Request, retries_done: int) -> None:
    if not logger.isEnabledFor(logging.DEBUG):
        return
    logger.debug(
        "HiAPI %s %s (attempt %d)", request.method, _safe_url(request.url), retries_done + 1
    )


def _log_response(request: httpx.Request, response: httpx.Response) -> None:
    if not logger.isEnabledFor(logging.DEBUG):
        return
    logger.debug("HiAPI %s %s -> %d", request.method, _safe_url(request.url), response.status_code)


def _hand_over(content: bytes, sink: list[bytes] | None) -> None:
    """Gives a read 2xx body to the caller's ``sink`` (a list the parser empties).

    The body is not left on the ``Response`` (httpx would keep it there, in a reference
    cycle until a garbage collection, while JSON parsing makes its own copies of a multi-MB
    image reply), and only httpx's public API is used.
    """
    if sink is not None:
        sink.append(content)


def _parse_json_body(
    status_code: int, body: list[bytes], headers: Mapping[str, str]
) -> dict[str, Any]:
    """Parse a 2xx body that must be a JSON object; empties ``body`` (see `_hand_over`)."""
    content = body.pop()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    head = content[:1024]
    if text is not None:
        content = head  # the full bytes are no longer needed
    try:
        parsed = json.loads(text if text is not None else content)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        content = head
        raise InvalidResponseError(
            f"expected a JSON object, got a non-JSON body: {body_snippet(content)}",
            status_code=status_code,
            body=bytes(content[:1024]).decode("utf-8", errors="replace"),
            headers=headers,
        ) from None
    if not isinstance(parsed, dict):
        raise InvalidResponseError(
            f"expected a JSON object, got {type(parsed).__name__}: {body_snippet(content)}",
            status_code=status_code,
            body=parsed,
            headers=headers,
        )
    return parsed


def _take_text(payloads: list[bytes], index: int) -> str | None:
    """Decode ``payloads[index]`` as UTF-8 and drop the bytes from the list.

    Decoding first and releasing the bytes before ``json.loads`` keeps at most two copies of a
    multi-MB image line alive (``json.loads(bytes)`` would hold bytes, text and the result).

    Raises:
        StreamError: The payload is not UTF-8.
    """
    payload = payloads[index]
    payloads[index] = b""
    if not payload.strip():
        return None  # keep-alive "data:" lines carry nothing
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        raise StreamError(f"malformed event (not UTF-8): {body_snippet(payload)}") from None


def _text_snippet(text: str) -> str:
    return body_snippet(text[:1024].encode("utf-8", errors="replace"))


def _parse_event(text: str) -> dict[str, Any]:
    """Parse one event's JSON text.

    Raises:
        StreamError: The text is not a JSON object, or it is an error event.
    """
    try:
        event = json.loads(text)
    except (ValueError, RecursionError):
        raise StreamError(f"malformed event (not JSON): {_text_snippet(text)}") from None
    if not isinstance(event, dict):
        raise StreamError(
            f"malformed event (expected an object, got {type(event).__name__}): "
            f"{_text_snippet(text)}"
        )
    if "error" in event and not event.get("choices"):
        # A gateway error sent inside the stream after the 200 status line.
        fields = parse_error_object(event)
        raise StreamError(
            fields["message"] or f"error event: {_text_snippet(text)}",
            type=fields["type"],
            code=fields["code"],
            param=fields["param"],
            request_id=fields["request_id"],
            body=event,
        )
    return event


_DONE: dict[str, Any] = {}  # sentinel: "[DONE]" reached, later payloads are ignored


def _events(payloads: list[bytes]) -> Iterator[dict[str, Any]]:
    """Decode a batch of SSE payloads lazily, emptying the list as it goes.

    Lazy so that the events before a malformed one are still delivered (the caller then
    knows the partial answer) before the error is raised.

    Args:
        payloads: Payloads from :class:`SSEDecoder`; entries are replaced by ``b""``.

    Yields:
        Each event, then :data:`_DONE` if ``[DONE]`` was reached.

    Raises:
        StreamError: A payload is malformed or an error event.
    """
    for index in range(len(payloads)):
        if payloads[index] == b"[DONE]":
            yield _DONE
            return
        text = _take_text(payloads, index)
        if text is not None:
            event = _parse_event(text)
            # Free the raw text before the consumer handles the event: otherwise a
            # multi-MB image line is held three times over (payload text, parsed, slice).
            del text
            yield event


# What may follow `[DONE]` before we stop reading and give the connection up.
_MAX_DRAIN_BYTES = 64 * 1024


def _drain(chunks: Iterator[bytes]) -> None:
    """Reads what follows `[DONE]` (the chunked terminator) so the connection is kept alive.

    Closing a response with unread bytes discards its connection: every streamed call would
    then pay a new TCP and TLS handshake.
    """
    left = _MAX_DRAIN_BYTES
    with contextlib.suppress(httpx.HTTPError):
        for chunk in chunks:
            left -= len(chunk)
            if left < 0:  # not a clean end: let close() drop the connection
                return


async def _adrain(chunks: AsyncIterator[bytes]) -> None:
    """Async `_drain`."""
    left = _MAX_DRAIN_BYTES
    with contextlib.suppress(httpx.HTTPError):
        async for chunk in chunks:
            left -= len(chunk)
            if left < 0:
                return


def _stream_failure(
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
    return StreamError(f"stream ended early: {type(exc).__name__}: {_redact(str(exc), secret)}")


def _check_stream_response(response: httpx.Response, content: bytes | None) -> None:
    """Reject a 2xx reply to a streaming request that is not an event stream.

    Args:
        response: The reply.
        content: Its body if it was read (only for JSON replies), else ``None``.

    Raises:
        StreamError: The reply is JSON instead of events.
    """
    if content is None:
        return
    try:
        parsed = json.loads(content)
    except (ValueError, RecursionError):
        parsed = None
    fields = parse_error_object(parsed)
    message = fields["message"] if isinstance(parsed, dict) and "error" in parsed else None
    raise StreamError(
        message or f"expected an event stream, got JSON: {body_snippet(content)}",
        status_code=response.status_code,
        type=fields["type"],
        code=fields["code"],
        request_id=fields["request_id"],
        body=parsed,
        headers=response.headers,
    )


_ReplyCheck = Callable[[httpx.Response, "list[bytes] | None"], "APIStatusError | None"]


def _envelope_check(parsed: list[dict[str, Any]]) -> _ReplyCheck:
    """A ``check`` for `_send` that parses a 2xx JSON reply into ``parsed`` (parsed once).

    Returns the error of a task-API envelope whose ``code`` is not a success (see
    `envelope_error`), so that it is retried like the same status would be.
    """

    def check(response: httpx.Response, sink: list[bytes] | None) -> APIStatusError | None:
        body = _parse_json_body(response.status_code, sink or [b""], response.headers)
        parsed.append(body)
        return envelope_error(response.status_code, body, response.headers)

    return check


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` with the scheme's default port made explicit."""
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host.lower(), url.port or default


def _check_download_url(url: object) -> httpx.URL:
    """Parse a download URL.

    Raises:
        ValueError: Not a string holding an absolute http(s) URL with a host.
    """
    if isinstance(url, str):
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, ValueError):
            parsed = None
        if parsed is not None and parsed.scheme in ("http", "https") and parsed.host:
            return parsed
    # Only the start is shown: output URLs are signed and may carry tokens in the query.
    shown = str(url).split("?")[0][:80]
    raise ValueError(f"cannot download {shown!r}: expected an absolute http(s) URL")


def _download_failure(
    exc: httpx.RequestError, request: httpx.Request, deadline: Deadline | None = None
) -> APIConnectionError:
    """Map a transport failure while a download body streams in (not retried)."""
    where = f"GET {_safe_url(request.url)}"
    if deadline is not None and deadline.expired():
        return deadline.error(where)
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"download timed out ({where}): {detail}")
    return APIConnectionError(f"download failed ({where}): {type(exc).__name__}: {detail}")


def _too_large(request: httpx.Request, max_bytes: int, size: int | None) -> ResponseTooLargeError:
    what = f"{size} bytes" if size is not None else "more"
    return ResponseTooLargeError(
        f"download of {_safe_url(request.url)} refused: {what} exceeds max_bytes={max_bytes}",
        limit_name="max_bytes",
        limit=max_bytes,
    )


class _FileWriter:
    """A download body into a `DownloadSink`: bounded inflation, byte cap, deadline.

    Shared by the sync and async downloads, which only feed it raw chunks.
    """

    def __init__(
        self,
        sink: DownloadSink,
        decoder: BodyDecoder,
        deadline: Deadline,
        response: httpx.Response,
    ) -> None:
        self._sink = sink
        self._decoder = decoder
        self._deadline = deadline
        self._response = response
        self._request = response.request
        self._where = f"GET {_safe_url(self._request.url)}"
        size = _declared_size(response)
        if size is not None and size > sink.max_bytes:
            sink.discard()
            raise _too_large(self._request, sink.max_bytes, size)

    def feed(self, raw: bytes) -> None:
        """Writes the decoded pieces of a raw chunk."""
        for piece in self._decoder.decode(raw):
            self._write(piece)

    def finish(self) -> FetchedFile:
        """Writes what the decoder still holds and publishes the file."""
        for piece in self._decoder.flush():
            self._write(piece)
        response = self._response
        return self._sink.publish(response.headers.get("content-type", ""), str(response.url))

    def discard(self) -> None:
        """Drops a partial file (no-op once published)."""
        self._sink.discard()

    def _write(self, piece: bytes) -> None:
        try:
            self._sink.write(piece)
        except ValueError:
            raise _too_large(self._request, self._sink.max_bytes, None) from None
        self._deadline.check(self._where)


def _declared_size(response: httpx.Response) -> int | None:
    """The ``Content-Length`` of an unencoded reply, if any.

    Only a hint for refusing early: the cap is enforced on the bytes that actually arrive.
    """
    if response.headers.get("content-encoding"):
        return None
    try:
        return int(response.headers.get("content-length", ""))
    except ValueError:
        return None


class _BodyBuffer:
    """Collects a reply body up to a byte limit (the sync and async readers only feed it).

    Chunks are counted as httpx yields them, i.e. after decompression, so a gzip or
    deflate bomb stops at the limit rather than at the size of its compressed form.
    """

    __slots__ = ("_chunks", "_deadline", "_limit", "_limit_name", "_size", "_truncate", "_what")

    def __init__(
        self,
        limit: int,
        limit_name: str,
        *,
        truncate: bool = False,
        deadline: Deadline | None = None,
        what: str = "reply",
    ) -> None:
        self._chunks: list[bytes] = []
        self._size = 0
        self._limit = limit
        self._limit_name = limit_name
        self._truncate = truncate
        self._deadline = deadline
        self._what = what

    def expect(self, headers: Mapping[str, str]) -> None:
        """Fails at once when an uncompressed body announces more than the limit."""
        if self._truncate or headers.get("content-encoding", "identity").lower() != "identity":
            return
        try:
            declared = int(headers.get("content-length", ""))
        except ValueError:
            return
        if declared > self._limit:
            raise self.too_large(declared)

    def add(self, chunk: bytes) -> bool:
        """Adds a chunk; returns ``False`` when a truncating buffer is full.

        Raises:
            ResponseTooLargeError: The limit was passed (non-truncating buffer).
            APITimeoutError: The call's deadline has passed.
        """
        self._size += len(chunk)
        if self._size > self._limit:
            if not self._truncate:
                self._chunks = []
                raise self.too_large(self._size)
            keep = len(chunk) - (self._size - self._limit)
            self._chunks.append(chunk[:keep])
            return False
        self._chunks.append(chunk)
        if self._deadline is not None:
            self._deadline.check(self._what)
        return True

    def content(self) -> bytes:
        """The body collected so far (the buffer is emptied)."""
        chunks, self._chunks = self._chunks, []
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def too_large(self, size: int) -> ResponseTooLargeError:
        """The error for a body of ``size`` bytes."""
        return ResponseTooLargeError(
            f"{self._what}: the body is larger than {self._limit_name}={self._limit} bytes "
            f"({size} bytes or more); raise Limits.{self._limit_name} if this is legitimate",
            limit_name=self._limit_name,
            limit=self._limit,
        )


def _decoder(response: httpx.Response) -> BodyDecoder:
    if response.is_stream_consumed:
        # Built in memory (a mock transport): httpx has read and decoded the body already.
        return BodyDecoder("")
    return BodyDecoder(response.headers.get("content-encoding", ""))


def _raw(response: httpx.Response) -> Iterator[bytes]:
    """The body as raw (still encoded) chunks; see `_decoder` for in-memory replies."""
    if response.is_stream_consumed:
        return iter((response.content,))
    return response.iter_raw()


async def _araw(response: httpx.Response) -> AsyncIterator[bytes]:
    """Async `_raw`."""
    if response.is_stream_consumed:
        yield response.content
        return
    async for chunk in response.aiter_raw():
        yield chunk


def _fill(buffer: _BodyBuffer, pieces: Iterable[bytes]) -> bool:
    """Adds decoded pieces; ``False`` once a truncating buffer is full."""
    return all(buffer.add(piece) for piece in pieces)


def _read_body(response: httpx.Response, buffer: _BodyBuffer) -> bytes:
    """Reads and decodes a body into ``buffer`` (raw bytes: decoding is bounded here)."""
    buffer.expect(response.headers)
    decoder = _decoder(response)
    for raw in _raw(response):
        if not _fill(buffer, decoder.decode(raw)):
            return buffer.content()
    _fill(buffer, decoder.flush())
    return buffer.content()


async def _aread_body(response: httpx.Response, buffer: _BodyBuffer) -> bytes:
    """Async :func:`_read_body`."""
    buffer.expect(response.headers)
    decoder = _decoder(response)
    async for raw in _araw(response):
        if not _fill(buffer, decoder.decode(raw)):
            return buffer.content()
    _fill(buffer, decoder.flush())
    return buffer.content()


def _foreign_status_error(status_code: int, url: httpx.URL) -> APIStatusError:
    """A non-2xx reply of a download host that is not the gateway.

    Its body and headers are not kept: they are written by a third party and must not
    reach an agent's tool message (prompt injection) or a log.
    """
    cls = type(error_from_response(status_code, b"", {}))
    if status_code in (401, 403):
        # A CDN refusing a (signed, maybe expired) URL says nothing about the API key.
        cls = APIStatusError
    return cls(
        f"download from {public_url(url)} failed with HTTP {status_code}",
        status_code=status_code,
    )


def _check_peer(response: httpx.Response, target: Target | None) -> None:
    """Refuses a reply from a non-public address for a target that must be public.

    For clients the package did not build (and so cannot guard at connect time): a DNS
    answer that changed after the check shows up here, before the body is read.
    """
    if target is None or target.access != "public":
        return
    stream = response.extensions.get("network_stream")
    info = stream.get_extra_info("server_addr") if stream is not None else None
    if not info:
        return
    address = literal_address(str(info[0]))
    if address is not None and not is_public_address(address):
        raise UnsafeURLError(
            f"refused to download {public_url(target.url)!r}: connected to {address}, "
            "which is not a public address",
            url=public_url(target.url),
        )


def _resolve_with_system(host: str) -> list[str]:
    # Looked up at call time so tests can replace the module's resolver.
    return _downloads.system_resolver(host)


def _check_wait(deadline: Deadline, wait: float, request: httpx.Request) -> None:
    """Refuses to wait for the rate limiter past the call's deadline."""
    left = deadline.remaining()
    if left is not None and wait >= left:
        raise deadline.error(f"{request.method} {_safe_url(request.url)}")


def _is_redirect(response: httpx.Response) -> bool:
    return redirect_location(response.status_code, response.headers) is not None


class _StreamBudget:
    """Counts a stream's bytes against ``max_stream_bytes`` and watches the deadline."""

    __slots__ = ("_deadline", "_left", "_limit", "_where")

    def __init__(self, limit: int, deadline: Deadline, where: str) -> None:
        self._limit = limit
        self._left = limit
        self._deadline = deadline
        self._where = where

    def add(self, chunk: bytes) -> None:
        """Counts a chunk.

        Raises:
            ResponseTooLargeError: The stream passed ``max_stream_bytes``.
            StreamError: The overall timeout passed (events may already have arrived).
        """
        self._left -= len(chunk)
        if self._left < 0:
            raise ResponseTooLargeError(
                f"event stream from {self._where} is larger than max_stream_bytes="
                f"{self._limit} bytes; raise Limits.max_stream_bytes if this is legitimate",
                limit_name="max_stream_bytes",
                limit=self._limit,
            )
        if self._deadline.expired():
            raise StreamError(
                f"stream ended early: the overall timeout of {self._deadline.total:g} s passed "
                f"({self._where})"
            )


class _EventReader:
    """Raw stream bytes to events: bounded decoding, byte budget, SSE, JSON (pure)."""

    __slots__ = ("_budget", "_decoder", "_sse")

    def __init__(self, decoder: BodyDecoder, sse: SSEDecoder, *, budget: _StreamBudget) -> None:
        self._decoder = decoder
        self._sse = sse
        self._budget = budget

    def feed(self, raw: bytes | None) -> Iterator[dict[str, Any]]:
        """Events completed by a raw chunk, or by the end of the stream (``None``).

        Lazy, so the events before a malformed one still reach the consumer; ends with
        :data:`_DONE` if ``[DONE]`` arrived.
        """
        try:
            pieces = self._decoder.decode(raw) if raw is not None else self._decoder.flush()
            for piece in pieces:
                self._budget.add(piece)
                # No local name for the payloads: a multi-MB payload is freed before the
                # consumer gets its (already parsed) event.
                for event in _events(self._sse.feed(piece)):
                    yield event
                    if event is _DONE:
                        return
        except httpx.DecodingError as exc:
            raise StreamError(f"stream ended early: {exc}") from None
        if raw is None:
            yield from _events(self._sse.close())


def _is_json_reply(response: httpx.Response) -> bool:
    content_type = str(response.headers.get("content-type", ""))
    return content_type.split(";")[0].strip().lower() == _JSON


_SHARED_LIMITER = "shared"  # pickled in place of the process-wide limiter of the key


def _restore_client(settings: dict[str, Any]) -> HiAPIClient:
    """Rebuild a pickled `HiAPIClient` from its settings (in any process)."""
    if settings.get("rate_limiter") == _SHARED_LIMITER:
        settings["rate_limiter"] = shared_rate_limiter(settings["api_key"], settings["base_url"])
    return HiAPIClient(**settings)


# ---------------------------------------------------------------------------------------------
# Client
# ---------------------------------------------------------------------------------------------


class HiAPIClient:
    """Minimal HiAPI HTTP client with retries, typed errors and SSE streaming.

    Holds settings, not sockets: on first use it leases the process-wide connection pool of its
    settings (see :mod:`langchain_hiapi._pool`: one ``httpx.Client`` and one ``httpx.AsyncClient``
    per event loop, httpx's default pool limits, since benchmarks showed larger keep-alive pools
    slow the async path down), so it can be copied and pickled at any time. ``close()`` ends the
    lease. Clients passed in by the caller are used as given and never closed.

    The timeout is applied to every request, including those sent through a caller's client.
    A number, or an ``HiAPITimeout`` with ``total``, also bounds each call as a whole (see
    :mod:`langchain_hiapi.timeouts`). ``None`` disables timeouts.

    Every byte count is bounded by ``limits``; URLs from replies are downloaded only under
    the origin policy of :mod:`langchain_hiapi._downloads`.

    Args:
        base_url: API root, e.g. ``https://api.hiapi.ai/v1`` (user info is removed).
        api_key: Bearer token; read from the ``SecretStr`` at request time only.
        timeout: A number of seconds (every phase and the whole call), an
            ``httpx.Timeout`` / ``HiAPITimeout``, or ``None``.
        retry_policy: When and how long to retry.
        default_headers: Extra headers for every request to the gateway (applied last);
            never sent to another host (downloads from a CDN get none).
        http_client: A sync client to use instead of creating one.
        http_async_client: An async client to use instead of creating one.
        sleep: Sleep function for retries (injectable for tests).
        asleep: Async sleep function for retries (injectable for tests).
        rate_limiter: Adaptive pacing shared by every client of the key (see
            :func:`langchain_hiapi._ratelimit.shared_rate_limiter`); ``None`` sends at once.
            429s it absorbs are retried at its pace without counting against
            ``max_retries`` while the key makes progress.
        default_query: Query parameters added to every request URL.
        proxy: Proxy URL for the connections (part of the shared pool's settings).
        limits: Byte limits for replies, streams and downloads.
        allowed_download_hosts: Hosts (``host`` or ``host:port``) downloads may come from
            in addition to the gateway's origin and public https hosts.
        resolver: Host name to addresses, for the download policy (default: the system
            resolver; injectable for tests).
        clock: Monotonic clock for the overall deadline (injectable for tests).

    Raises:
        TypeError: ``base_url``, ``timeout`` or ``default_headers`` has the wrong type.
        ValueError: ``base_url`` is not an http(s) URL, ``timeout`` is not positive, or the
            key or a default header cannot be sent as an HTTP header. Raised here, so a bad
            setting fails before any request is sent.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: SecretStr | None,
        timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
        retry_policy: RetryPolicy = DEFAULT_RETRY_POLICY,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], None] = time.sleep,
        asleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rate_limiter: KeyRateLimiter | None = None,
        default_query: Mapping[str, Any] | None = None,
        proxy: str | None = None,
        limits: Limits = DEFAULT_LIMITS,
        allowed_download_hosts: Iterable[str] = (),
        resolver: Resolver | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = _check_base_url(base_url)
        self.rate_limiter = rate_limiter
        if default_query is not None and not isinstance(default_query, Mapping):
            raise TypeError(f"default_query must be a dict, got {type(default_query).__name__}")
        self._default_query = _check_query(default_query or {})
        if proxy is not None and not isinstance(proxy, str):
            raise TypeError(f"proxy must be a URL string, got {type(proxy).__name__}")
        self._proxy = proxy
        _check_api_key(api_key)
        _warn_clear_text_key(self.base_url, api_key)
        self._api_key = api_key
        self._timeout = _check_timeout(timeout)
        self._phases, self._total = split_timeout(self._timeout)
        self.retry_policy = retry_policy
        self._default_headers = _check_headers(default_headers or {})
        self.limits = limits
        self.download_policy = DownloadPolicy(self.base_url, allowed_download_hosts)
        self._resolver = resolver or _resolve_with_system
        self._clock = clock
        self._sleep = sleep
        self._asleep = asleep
        self._user_client = http_client
        self._user_async_client = http_async_client
        self._resolver_setting = resolver
        self._pool_key = PoolKey.of(
            base_url=self.base_url,
            api_key=api_key,
            timeout=self._phases,
            proxy=proxy,
            headers=self._default_headers,
        )
        self._lease: tuple[Pool, weakref.finalize[Any, Any]] | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"HiAPIClient(base_url={self.base_url!r})"

    # -- copies and pickles: settings only, never sockets or locks ---------------------------

    def _settings(self) -> dict[str, Any]:
        """The constructor arguments this client was built from."""
        return {
            "base_url": self.base_url,
            "api_key": self._api_key,
            "timeout": self._timeout,
            "retry_policy": self.retry_policy,
            "default_headers": dict(self._default_headers),
            "http_client": self._user_client,
            "http_async_client": self._user_async_client,
            "sleep": self._sleep,
            "asleep": self._asleep,
            "rate_limiter": self.rate_limiter,
            "default_query": dict(self._default_query),
            "proxy": self._proxy,
            "limits": self.limits,
            "allowed_download_hosts": tuple(sorted(self.download_policy.allowed_hosts)),
            "resolver": self._resolver_setting,
            "clock": self._clock,
        }

    def __copy__(self) -> HiAPIClient:
        return HiAPIClient(**self._settings())

    def __deepcopy__(self, memo: dict[int, Any]) -> HiAPIClient:
        # A copy shares what is meant to be shared (a caller's httpx clients, the key's
        # rate limiter, the pool of its settings) and owns nothing else.
        return HiAPIClient(**self._settings())

    def __reduce__(self) -> tuple[Any, ...]:
        settings = self._settings()
        if settings.pop("http_client") is not None or settings.pop("http_async_client"):
            raise TypeError(
                "a HiAPIClient that uses your own http_client / http_async_client cannot be "
                "pickled (an httpx client holds sockets and locks); pass connection settings "
                "instead"
            )
        if self.rate_limiter is not None and self.rate_limiter is shared_rate_limiter(
            self._api_key, self.base_url
        ):
            settings["rate_limiter"] = _SHARED_LIMITER  # the other process has its own
        return (_restore_client, (settings,))

    # -- pooled clients ---------------------------------------------------------------------

    def _pool(self) -> Pool:
        """The shared pool of this client's settings, leased on first use."""
        lease = self._lease
        if lease is None or lease[0].closed:
            with self._lock:
                lease = self._lease
                if lease is None or lease[0].closed:
                    if lease is not None:
                        release_pool(*lease, close_now=False)
                    lease = self._lease = lease_pool(self._pool_key, self)
        return lease[0]

    def _sync_client(self) -> httpx.Client:
        if self._user_client is not None:
            return self._user_client
        return self._pool().sync_client()

    def _async_client_for_loop(self) -> httpx.AsyncClient:
        if self._user_async_client is not None:
            return self._user_async_client
        # Pooled connections belong to the loop that opened them: one client per loop,
        # closed when that loop shuts down.
        return self._pool().async_client()

    def _end_lease(self) -> list[Pool]:
        with self._lock:
            lease, self._lease = self._lease, None
        return release_pool(*lease) if lease is not None else []

    def close(self) -> None:
        """Ends this client's use of its shared pool, closing it if nobody else uses it.

        A caller's own httpx clients are never closed. The client stays usable: the next
        request leases a pool again.
        """
        for pool in self._end_lease():
            pool.close()

    async def aclose(self) -> None:
        """Async `close`: also awaits the closing of the running loop's connections."""
        for pool in self._end_lease():
            await pool.aclose()

    def __enter__(self) -> HiAPIClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> HiAPIClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- request building -----------------------------------------------------------------

    def _secret(self) -> str | None:
        """The API key in plain text, for redaction only."""
        return self._api_key.get_secret_value() if self._api_key is not None else None

    def _gate(self, request: httpx.Request) -> RequestGate | None:
        """The rate limiter's gate for a request, if this client paces requests."""
        if self.rate_limiter is None:
            return None
        base = httpx.URL(self.base_url)
        if _origin(request.url) != _origin(base):
            return None  # a download from a CDN is not an API request
        base_path = base.path.rstrip("/")
        path = request.url.path
        return self.rate_limiter.gate(request.method, path.removeprefix(base_path))

    def _deadline(self) -> Deadline:
        """A fresh overall deadline for one call."""
        return Deadline(self._total, self._clock)

    def _request_args(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None,
        accept: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Arguments for ``build_request``, shared by the sync and async paths.

        ``headers`` (per request, checked like ``default_headers``) are applied last;
        ``params`` become the query string.
        """
        extra = _check_headers(headers, "headers") if headers else {}
        headers = {}
        if self._api_key is not None and self._api_key.get_secret_value():
            headers["Authorization"] = f"Bearer {self._api_key.get_secret_value()}"
        content: bytes | None = None
        if body is not None:
            headers["Content-Type"] = _JSON
            content = _encode_body(body)
        headers["Accept"] = accept
        # Only what can be inflated in bounded steps (no zstd/brotli bombs).
        headers["Accept-Encoding"] = ACCEPT_ENCODING
        headers["User-Agent"] = _user_agent()
        headers.update(self._default_headers)
        headers.update(extra)
        args: dict[str, Any] = {
            "method": method,
            "url": self.base_url + path,
            "params": self._default_query or None,
            "content": content,
            "headers": headers,
            "timeout": self._phases,
        }
        if params:
            # Per-request parameters (e.g. a list page) win over default_query.
            args["params"] = {**self._default_query, **params}
        return args

    def _hop_args(self, method: str, target: Target) -> dict[str, Any]:
        """Arguments for ``build_request`` for one download hop.

        The key and the default headers go to the gateway's origin only.
        """
        if target.same_origin:
            headers = self._request_args(method, "", None, "*/*")["headers"]
        else:
            # No key and no default headers (credential-looking or not) leave the gateway.
            headers = {
                "Accept": "*/*",
                "Accept-Encoding": ACCEPT_ENCODING,
                "User-Agent": _user_agent(),
            }
        return {"method": method, "url": target.url, "headers": headers, "timeout": self._phases}

    def _arm(self, request: httpx.Request, deadline: Deadline) -> str:
        """Before an attempt: fail if time is up, clamp the per-phase timeouts to it."""
        where = f"{request.method} {_safe_url(request.url)}"
        deadline.check(where)
        clamped = deadline.clamp(self._phases)
        if clamped is not None:
            request.extensions["timeout"] = clamped
        return where

    def _reply_buffer(
        self,
        response: httpx.Response,
        deadline: Deadline,
        where: str,
        max_bytes: int | None,
        limit_name: str,
    ) -> _BodyBuffer:
        """The buffer for a reply body: the error-body limit cuts, the others raise."""
        if not response.is_success:
            return _BodyBuffer(
                self.limits.max_error_body_bytes,
                "max_error_body_bytes",
                truncate=True,
                deadline=deadline,
                what=where,
            )
        if max_bytes is None:
            max_bytes, limit_name = self.limits.max_response_bytes, "max_response_bytes"
        return _BodyBuffer(max_bytes, limit_name, deadline=deadline, what=where)

    def _status_error(
        self, response: httpx.Response, content: bytes, hop: Target | None
    ) -> APIStatusError:
        if hop is not None and not hop.same_origin:
            return _foreign_status_error(response.status_code, response.request.url)
        error = error_from_response(response.status_code, content, response.headers)
        scrub_error(error, self._secret())
        return error

    # -- sync I/O -------------------------------------------------------------------------

    def _send(
        self,
        request: httpx.Request,
        *,
        read_body: bool,
        follow_redirects: bool = False,
        check: _ReplyCheck | None = None,
        sink: list[bytes] | None = None,
        deadline: Deadline | None = None,
        max_bytes: int | None = None,
        limit_name: str = "max_response_bytes",
        hop: Target | None = None,
        client: httpx.Client | None = None,
    ) -> httpx.Response:
        """Send with retries until a 2xx reply (with its body read if ``read_body``).

        Args:
            request: The request.
            read_body: Read the 2xx body (bounded by ``max_bytes``) before returning.
            follow_redirects: Let httpx follow redirects.
            deadline: The call's overall deadline (a new one if ``None``).
            max_bytes: Limit for the 2xx body (default ``limits.max_response_bytes``).
            limit_name: The `Limits` field ``max_bytes`` comes from, for the error.
            hop: For a download hop: a redirect reply is returned unread, a foreign host's
                error body is dropped, and a ``public`` target's peer address is checked.
            client: The httpx client to use (default: the pooled one).
            check: With ``read_body``: inspects a read 2xx reply (its body is in ``sink``)
                and may turn it into an error, which is then retried like any error reply.
            sink: With ``read_body``: receives the read 2xx body (see `_hand_over`).

        Raises:
            APIStatusError: A non-2xx reply (or a 2xx one ``check`` rejects), after retries.
            APIConnectionError: No usable reply, after retries.
            ResponseTooLargeError: The body passed its limit.
        """
        client = client or self._sync_client()
        deadline = deadline or self._deadline()
        policy = self.retry_policy
        pick = self.download_policy.address_picker(hop, self._resolver) if hop else None
        # The rate limiter paces the key's requests to the gateway, not downloads elsewhere.
        gate = self._gate(request) if hop is None or hop.same_origin else None
        retries = 0
        while True:
            while gate is not None and (wait := gate.wait_time()) > 0:
                _check_wait(deadline, wait, request)
                self._sleep(wait)
            where = self._arm(request, deadline)
            _log_attempt(request, retries)
            headers: Mapping[str, str] | None = None
            cause: BaseException | None = None
            started = False
            absorbed = False
            status_line: int | None = None
            try:
                with _netguard.guard(deadline, pick):
                    response = client.send(request, stream=True, follow_redirects=follow_redirects)
                    status_line = response.status_code
                    absorbed = gate is not None and gate.record(response.status_code)
                    started = response.is_success or (hop is not None and _is_redirect(response))
                    read = (read_body and response.is_success) or not started
                    try:
                        _check_peer(response, hop)
                        if hop is not None and not started and not hop.same_origin:
                            content = b""  # a third party's error body is never read
                        elif read:
                            buffer = self._reply_buffer(
                                response, deadline, where, max_bytes, limit_name
                            )
                            content = _read_body(response, buffer)
                            if started:
                                _hand_over(content, sink)
                                content = b""
                        else:
                            content = b""
                    finally:
                        if read or not started:
                            response.close()
                rejected = check(response, sink) if started and check is not None else None
                if rejected is not None:
                    scrub_error(rejected, self._secret())
                if started and rejected is None:
                    _log_response(request, response)
                    return response
            except httpx.RequestError as exc:
                secret = self._secret()
                error, retryable = _transport_error(
                    exc,
                    request,
                    policy,
                    response_started=started,
                    secret=secret,
                    deadline=deadline,
                    error_status=None if started else status_line,
                )
                reason, cause = type(exc).__name__, _safe_cause(exc, secret)
            else:
                headers = response.headers
                error = rejected or self._status_error(response, content, hop)
                retryable = policy.should_retry_status(error)
                reason, cause = f"status {error.status_code}", None
                if absorbed and retryable:
                    _log_paced(request)
                    continue  # the limiter paces the retry; not counted against max_retries
            delay = _next_delay(policy, retries, retryable, headers, request, reason, deadline)
            if delay is None:
                raise error from cause
            self._sleep(delay)
            retries += 1

    def request_json(
        self, method: str, path: str, body: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Send a request and return the JSON object of the 2xx reply.

        Args:
            method: HTTP method.
            path: Path below the base URL, starting with ``/``.
            body: JSON body, if any.

        Returns:
            The parsed reply.

        Raises:
            APIStatusError: Non-2xx reply (typed by status/code), after retries.
            APIConnectionError: No reply, after retries (``APITimeoutError`` when the
                overall timeout passed).
            InvalidResponseError: The 2xx body is not a JSON object.
            ResponseTooLargeError: The body is larger than ``limits.max_response_bytes``.
        """
        client = self._sync_client()
        request = client.build_request(**self._request_args(method, path, body, _JSON))
        received: list[bytes] = []
        response = self._send(request, read_body=True, sink=received)
        try:
            return _parse_json_body(response.status_code, received, response.headers)
        except InvalidResponseError as exc:
            raise scrub_error(exc, self._secret()) from None

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> JSONReply:
        """Send a request to a JSON API and return the 2xx reply with status and headers.

        Like `request_json`, plus: per-request ``headers`` and query ``params``; a 2xx
        task-API envelope whose ``code`` is not a success is an error (retried like its
        status); and a POST with an ``Idempotency-Key`` header is retried like a GET, after
        connection errors and read timeouts too (the server deduplicates it).

        Args:
            method: HTTP method.
            path: Path below the base URL, starting with ``/``.
            body: JSON body, if any.
            headers: Extra headers for this request (applied last).
            params: Query parameters.

        Returns:
            The reply.

        Raises:
            APIStatusError: Non-2xx reply or error envelope (typed by status/code), after
                retries.
            APIConnectionError: No reply, after retries.
            InvalidResponseError: The 2xx body is not a JSON object.
        """
        client = self._sync_client()
        args = self._request_args(method, path, body, _JSON, headers=headers, params=params)
        parsed: list[dict[str, Any]] = []
        request = client.build_request(**args)
        response = self._send(request, read_body=True, check=_envelope_check(parsed), sink=[])
        return JSONReply(response.status_code, response.headers, parsed[-1])

    def fetch_to_file(
        self, url: str, dest_dir: str | os.PathLike[str], stem: str, *, max_bytes: int
    ) -> FetchedFile:
        """Download an absolute URL (a task output) into ``dest_dir``, atomically.

        The URL and every redirect are checked by the download policy (see
        :meth:`fetch_bytes`); the key goes only to ``base_url``'s origin. The body is
        inflated in bounded steps and streams into a hidden temporary file that is renamed
        to ``<stem><ext>`` (``-2``, ``-3``, ... when taken) once complete; the extension
        comes from the content type, else the URL, and an image keeps a raster extension
        only when its bytes are of that type (anything else is ``.bin``). Retries (before
        the body starts) follow the retry policy; the whole download is one call for the
        overall timeout.

        Args:
            url: The absolute http(s) URL.
            dest_dir: The directory; created if missing.
            stem: The file name without extension (unsafe characters are replaced).
            max_bytes: Largest accepted download; a bigger one leaves no file.

        Returns:
            The file written.

        Raises:
            ValueError: ``url`` is not an absolute http(s) URL.
            UnsafeURLError: The URL or a redirect is refused (before connecting to it).
            APIStatusError: Non-2xx reply, after retries (a foreign host's body is dropped).
            APIConnectionError: No reply, or the body was cut (``APITimeoutError`` when the
                overall timeout passed).
            ResponseTooLargeError: The body exceeds ``max_bytes`` (an
                ``InvalidResponseError``).
        """
        _check_download_url(url)
        deadline = self._deadline()
        response = self._follow(url, deadline=deadline, read_body=False)
        try:
            writer = _FileWriter(
                DownloadSink(dest_dir, stem, max_bytes), _decoder(response), deadline, response
            )
            try:
                with _netguard.guard(deadline):
                    for raw in _raw(response):
                        writer.feed(raw)
                return writer.finish()
            except httpx.RequestError as exc:
                raise _download_failure(exc, response.request, deadline) from exc
            finally:
                writer.discard()
        finally:
            response.close()

    def request_bytes(
        self, method: str, path: str, *, max_bytes: int | None = None, limit_name: str = ""
    ) -> tuple[bytes, str]:
        """Fetch a binary resource of the gateway (e.g. a video download).

        Redirects are followed under the download policy (see :meth:`fetch_bytes`).

        Args:
            method: HTTP method of the first request.
            path: Path below the base URL.
            max_bytes: Size limit (default ``limits.max_response_bytes``).
            limit_name: The `Limits` field ``max_bytes`` comes from, for the error.

        Returns:
            ``(content, content type)``.

        Raises:
            APIStatusError: Non-2xx reply, after retries.
            APIConnectionError: No reply, after retries.
            UnsafeURLError: A redirect leads where downloads are refused.
            ResponseTooLargeError: The body passed the limit.
        """
        return self.fetch_bytes(
            self.base_url + path, max_bytes=max_bytes, limit_name=limit_name, method=method
        )

    def fetch_bytes(
        self,
        url: str,
        *,
        max_bytes: int | None = None,
        limit_name: str = "",
        method: str = "GET",
        http_client: httpx.Client | None = None,
    ) -> tuple[bytes, str]:
        """Download a URL a reply pointed to, under the download policy.

        Only the gateway's origin, ``allowed_download_hosts`` and https hosts with public
        addresses are fetched; redirects are followed by hand (``limits.max_redirects``)
        and each hop is checked again; the key goes to the gateway's origin only. The
        whole download is one call for the overall timeout.

        Args:
            url: The absolute URL.
            max_bytes: Size limit (default ``limits.max_response_bytes``).
            limit_name: The `Limits` field ``max_bytes`` comes from, for the error.
            method: HTTP method of the first request.
            http_client: Client for hosts other than the gateway (default: the pooled one).

        Returns:
            ``(content, content type)``.

        Raises:
            UnsafeURLError: The URL or a redirect is refused (before connecting to it).
            APIStatusError: Non-2xx reply (a foreign host's body is not kept).
            APIConnectionError: No reply, after retries.
            ResponseTooLargeError: The body passed the limit.
        """
        received: list[bytes] = []
        response = self._follow(
            url,
            deadline=self._deadline(),
            read_body=True,
            sink=received,
            method=method,
            max_bytes=max_bytes,
            limit_name=limit_name or "max_response_bytes",
            http_client=http_client,
        )
        response.close()
        return received[-1] if received else b"", response.headers.get("content-type", "")

    def _follow(
        self,
        url: str,
        *,
        deadline: Deadline,
        read_body: bool,
        sink: list[bytes] | None = None,
        method: str = "GET",
        max_bytes: int | None = None,
        limit_name: str = "max_response_bytes",
        http_client: httpx.Client | None = None,
    ) -> httpx.Response:
        """Runs the download policy's redirect flow; returns the final 2xx reply.

        With ``read_body`` the body is read (bounded); otherwise the reply is returned with
        its body unread and the caller closes it.
        """
        flow = redirect_flow(self.download_policy, url, self.limits.max_redirects)
        target = next(flow)
        while True:
            self.download_policy.resolve(target, self._resolver)
            client = self._sync_client() if target.same_origin else http_client
            request = (client or self._sync_client()).build_request(
                **self._hop_args(method, target)
            )
            response = self._send(
                request,
                read_body=read_body,
                sink=sink,
                deadline=deadline,
                max_bytes=max_bytes,
                limit_name=limit_name,
                hop=target,
                client=client,
            )
            try:
                target = flow.send((response.status_code, response.headers))
            except StopIteration:
                return response
            except BaseException:
                response.close()
                raise
            response.close()
            method = "GET"

    def stream_events(self, path: str, body: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """POST a streaming request and yield its events as dicts until ``[DONE]``.

        Retries happen only before the 2xx status line; never once events flow. The response is
        closed when the stream ends, fails, or the consumer stops iterating (generator close).
        A stream that ends without ``[DONE]`` just ends. The overall timeout covers the
        whole stream, and ``limits`` bound each event and the stream as a whole.

        Args:
            path: Path below the base URL.
            body: JSON body (should contain ``"stream": true``).

        Yields:
            Each event's JSON object.

        Raises:
            APIStatusError: Non-2xx reply, after retries.
            APIConnectionError: No reply, after retries.
            StreamError: Malformed event, error event, connection lost mid-stream, or the
                overall timeout passed mid-stream.
            ResponseTooLargeError: An event or the stream passed its limit.
        """
        client = self._sync_client()
        request = client.build_request(**self._request_args("POST", path, body, _EVENT_STREAM))
        deadline = self._deadline()
        response = self._send(request, read_body=False, deadline=deadline)
        secret = self._secret()
        budget = self._stream_budget(deadline, request)
        try:
            content: bytes | None = None
            if _is_json_reply(response):
                try:
                    with _netguard.guard(deadline):
                        content = _read_body(response, self._json_instead_buffer(deadline))
                except httpx.RequestError as exc:
                    raise _stream_failure(exc, deadline, secret) from exc
            _check_stream_response(response, content)
            events = _EventReader(
                _decoder(response), SSEDecoder(self.limits.max_event_bytes), budget=budget
            )
            chunks = _raw(response)
            while True:
                try:
                    with _netguard.guard(deadline):
                        raw = next(chunks, None)
                except httpx.RequestError as exc:
                    raise _stream_failure(exc, deadline, secret) from exc
                for event in events.feed(raw):
                    if event is _DONE:
                        with _netguard.guard(deadline):
                            _drain(chunks)
                        return
                    yield event
                if raw is None:
                    return
        except HiAPIError as exc:
            raise scrub_error(exc, secret) from exc.__cause__
        finally:
            # Also runs on generator close() when the consumer stops early.
            response.close()

    def _json_instead_buffer(self, deadline: Deadline) -> _BodyBuffer:
        """For a JSON reply where events were expected (an error in disguise)."""
        return _BodyBuffer(
            self.limits.max_error_body_bytes,
            "max_error_body_bytes",
            truncate=True,
            deadline=deadline,
        )

    def _stream_budget(self, deadline: Deadline, request: httpx.Request) -> _StreamBudget:
        return _StreamBudget(self.limits.max_stream_bytes, deadline, _safe_url(request.url))

    # -- async I/O (mirrors the sync section) ---------------------------------------------

    async def _asend(
        self,
        request: httpx.Request,
        *,
        read_body: bool,
        follow_redirects: bool = False,
        check: _ReplyCheck | None = None,
        sink: list[bytes] | None = None,
        deadline: Deadline | None = None,
        max_bytes: int | None = None,
        limit_name: str = "max_response_bytes",
        hop: Target | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> httpx.Response:
        """Async :meth:`_send`."""
        client = client or self._async_client_for_loop()
        deadline = deadline or self._deadline()
        policy = self.retry_policy
        pick = self.download_policy.address_picker(hop, self._resolver) if hop else None
        # The rate limiter paces the key's requests to the gateway, not downloads elsewhere.
        gate = self._gate(request) if hop is None or hop.same_origin else None
        retries = 0
        while True:
            while gate is not None and (wait := gate.wait_time()) > 0:
                _check_wait(deadline, wait, request)
                await self._asleep(wait)
            where = self._arm(request, deadline)
            _log_attempt(request, retries)
            headers: Mapping[str, str] | None = None
            cause: BaseException | None = None
            started = False
            absorbed = False
            status_line: int | None = None
            try:
                with _netguard.guard(deadline, pick):
                    response = await client.send(
                        request, stream=True, follow_redirects=follow_redirects
                    )
                    status_line = response.status_code
                    absorbed = gate is not None and gate.record(response.status_code)
                    started = response.is_success or (hop is not None and _is_redirect(response))
                    read = (read_body and response.is_success) or not started
                    try:
                        _check_peer(response, hop)
                        if hop is not None and not started and not hop.same_origin:
                            content = b""  # a third party's error body is never read
                        elif read:
                            buffer = self._reply_buffer(
                                response, deadline, where, max_bytes, limit_name
                            )
                            content = await _aread_body(response, buffer)
                            if started:
                                _hand_over(content, sink)
                                content = b""
                        else:
                            content = b""
                    finally:
                        if read or not started:
                            await response.aclose()
                rejected = check(response, sink) if started and check is not None else None
                if rejected is not None:
                    scrub_error(rejected, self._secret())
                if started and rejected is None:
                    _log_response(request, response)
                    return response
            except httpx.RequestError as exc:
                secret = self._secret()
                error, retryable = _transport_error(
                    exc,
                    request,
                    policy,
                    response_started=started,
                    secret=secret,
                    deadline=deadline,
                    error_status=None if started else status_line,
                )
                reason, cause = type(exc).__name__, _safe_cause(exc, secret)
            else:
                headers = response.headers
                error = rejected or self._status_error(response, content, hop)
                retryable = policy.should_retry_status(error)
                reason, cause = f"status {error.status_code}", None
                if absorbed and retryable:
                    _log_paced(request)
                    continue  # the limiter paces the retry; not counted against max_retries
            delay = _next_delay(policy, retries, retryable, headers, request, reason, deadline)
            if delay is None:
                raise error from cause
            await self._asleep(delay)
            retries += 1

    async def arequest_json(
        self, method: str, path: str, body: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Async :meth:`request_json`."""
        client = self._async_client_for_loop()
        request = client.build_request(**self._request_args(method, path, body, _JSON))
        received: list[bytes] = []
        response = await self._asend(request, read_body=True, sink=received)
        try:
            return _parse_json_body(response.status_code, received, response.headers)
        except InvalidResponseError as exc:
            raise scrub_error(exc, self._secret()) from None

    async def arequest(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> JSONReply:
        """Async :meth:`request`."""
        client = self._async_client_for_loop()
        args = self._request_args(method, path, body, _JSON, headers=headers, params=params)
        parsed: list[dict[str, Any]] = []
        request = client.build_request(**args)
        response = await self._asend(
            request, read_body=True, check=_envelope_check(parsed), sink=[]
        )
        return JSONReply(response.status_code, response.headers, parsed[-1])

    async def afetch_to_file(
        self, url: str, dest_dir: str | os.PathLike[str], stem: str, *, max_bytes: int
    ) -> FetchedFile:
        """Async :meth:`fetch_to_file`."""
        _check_download_url(url)
        deadline = self._deadline()
        response = await self._afollow(url, deadline=deadline, read_body=False)
        try:
            writer = _FileWriter(
                DownloadSink(dest_dir, stem, max_bytes), _decoder(response), deadline, response
            )
            try:
                with _netguard.guard(deadline):
                    async for raw in _araw(response):
                        writer.feed(raw)
                return writer.finish()
            except httpx.RequestError as exc:
                raise _download_failure(exc, response.request, deadline) from exc
            finally:
                writer.discard()
        finally:
            await response.aclose()

    async def arequest_bytes(
        self, method: str, path: str, *, max_bytes: int | None = None, limit_name: str = ""
    ) -> tuple[bytes, str]:
        """Async :meth:`request_bytes`."""
        return await self.afetch_bytes(
            self.base_url + path, max_bytes=max_bytes, limit_name=limit_name, method=method
        )

    async def afetch_bytes(
        self,
        url: str,
        *,
        max_bytes: int | None = None,
        limit_name: str = "",
        method: str = "GET",
        http_client: httpx.AsyncClient | None = None,
    ) -> tuple[bytes, str]:
        """Async :meth:`fetch_bytes`."""
        received: list[bytes] = []
        response = await self._afollow(
            url,
            deadline=self._deadline(),
            read_body=True,
            sink=received,
            method=method,
            max_bytes=max_bytes,
            limit_name=limit_name or "max_response_bytes",
            http_client=http_client,
        )
        await response.aclose()
        return received[-1] if received else b"", response.headers.get("content-type", "")

    async def _afollow(
        self,
        url: str,
        *,
        deadline: Deadline,
        read_body: bool,
        sink: list[bytes] | None = None,
        method: str = "GET",
        max_bytes: int | None = None,
        limit_name: str = "max_response_bytes",
        http_client: httpx.AsyncClient | None = None,
    ) -> httpx.Response:
        """Async :meth:`_follow`."""
        flow = redirect_flow(self.download_policy, url, self.limits.max_redirects)
        target = next(flow)
        while True:
            if target.access == "public":  # the resolver blocks: keep it off the loop
                await asyncio.to_thread(self.download_policy.resolve, target, self._resolver)
            client = self._async_client_for_loop() if target.same_origin else http_client
            request = (client or self._async_client_for_loop()).build_request(
                **self._hop_args(method, target)
            )
            response = await self._asend(
                request,
                read_body=read_body,
                sink=sink,
                deadline=deadline,
                max_bytes=max_bytes,
                limit_name=limit_name,
                hop=target,
                client=client,
            )
            try:
                target = flow.send((response.status_code, response.headers))
            except StopIteration:
                return response
            except BaseException:
                await response.aclose()
                raise
            await response.aclose()
            method = "GET"

    async def astream_events(
        self, path: str, body: Mapping[str, Any]
    ) -> AsyncIterator[dict[str, Any]]:
        """Async :meth:`stream_events` (an async generator; ``aclose()`` it to stop early)."""
        client = self._async_client_for_loop()
        request = client.build_request(**self._request_args("POST", path, body, _EVENT_STREAM))
        deadline = self._deadline()
        response = await self._asend(request, read_body=False, deadline=deadline)
        secret = self._secret()
        budget = self._stream_budget(deadline, request)
        try:
            content: bytes | None = None
            if _is_json_reply(response):
                try:
                    with _netguard.guard(deadline):
                        content = await _aread_body(response, self._json_instead_buffer(deadline))
                except httpx.RequestError as exc:
                    raise _stream_failure(exc, deadline, secret) from exc
            _check_stream_response(response, content)
            events = _EventReader(
                _decoder(response), SSEDecoder(self.limits.max_event_bytes), budget=budget
            )
            chunks = _araw(response)
            while True:
                try:
                    with _netguard.guard(deadline):
                        raw = await anext(chunks, None)
                except httpx.RequestError as exc:
                    raise _stream_failure(exc, deadline, secret) from exc
                for event in events.feed(raw):
                    if event is _DONE:
                        with _netguard.guard(deadline):
                            await _adrain(chunks)
                        return
                    yield event
                if raw is None:
                    return
        except HiAPIError as exc:
            raise scrub_error(exc, secret) from exc.__cause__
        finally:
            # Also runs on aclose() when the consumer stops early.
            await response.aclose()
