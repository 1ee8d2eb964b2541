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
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import SecretStr

from langchain_hiapi._files import DownloadSink, FetchedFile
from langchain_hiapi._pool import Pool, PoolKey, lease_pool, release_pool
from langchain_hiapi._ratelimit import KeyRateLimiter, RequestGate, shared_rate_limiter
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
    StreamError,
    _get_header,
    body_snippet,
    envelope_error,
    error_from_response,
    parse_error_object,
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
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=600.0, write=120.0, pool=30.0)
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
        return _get_header(self.headers, name.lower())


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before retrying a failed request.

    Attributes:
        max_retries: Retries after the first attempt (so at most ``max_retries + 1`` requests).
        initial_delay: Backoff before the first retry, in seconds.
        max_delay: Upper bound of the exponential backoff, in seconds.
        max_retry_after: Upper bound for a server-requested ``Retry-After`` pause, in seconds.
        retry_read_timeouts: Also retry read/write timeouts. Off by default: the gateway may
            already be generating (and billing) an image when the read times out.
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
    value = _get_header(headers, "retry-after-ms")
    if value is not None:
        try:
            ms = float(value)
        except ValueError:
            pass
        else:
            if math.isfinite(ms):
                return ms / 1000.0
    value = _get_header(headers, "retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) else None
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return float(email.utils.mktime_tz(parsed)) - now


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
_REDACTED = "[redacted]"


def _check_api_key(api_key: SecretStr | None) -> None:
    """Reject a key that cannot be sent as a header, without ever quoting it.

    Raises:
        ValueError: The key has control characters (e.g. a trailing newline from a key
            file), surrounding spaces or non-ASCII characters.
    """
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


def _check_base_url(base_url: object) -> str:
    """Normalise and check the base URL.

    Raises:
        TypeError: Not a string.
        ValueError: Not an absolute ``http(s)://host/...`` URL.
    """
    if not isinstance(base_url, str):
        raise TypeError(f"base_url must be a string, got {type(base_url).__name__}")
    problem = None
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, ValueError) as exc:
        problem = str(exc)
    else:
        if url.scheme not in ("http", "https") or not url.host:
            problem = "expected an http:// or https:// URL with a host"
    if problem is not None:
        # User info and query string are not echoed: a URL may embed credentials.
        shown = base_url.split("@")[-1].split("?")[0][:80]
        raise ValueError(f"base_url must look like {DEFAULT_BASE_URL!r}; got {shown!r} ({problem})")
    return base_url.rstrip("/")


def _check_timeout(timeout: object) -> httpx.Timeout | None:
    """Turn the ``timeout`` argument into an ``httpx.Timeout``, rejecting unusable values.

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
    return httpx.Timeout(float(timeout))


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
    return text.replace(secret, _REDACTED) if secret and secret in text else text


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
) -> tuple[HiAPIError, bool]:
    """Map an httpx failure to our error and decide whether a retry is safe.

    Args:
        exc: The httpx exception.
        request: The request that failed.
        policy: The retry policy (for ``retry_read_timeouts``).
        response_started: Whether a 2xx status line had already arrived (the gateway accepted
            the request and may be billing it).
        secret: The API key, replaced in the message should httpx ever quote it.

    Returns:
        ``(error to raise, retryable)``.
    """
    where = f"{request.method} {_safe_url(request.url)}"
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
        retryable = not response_started or _replay_safe(request)
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
) -> float | None:
    """Seconds to sleep before retrying, or ``None`` to give up (and log the decision)."""
    if not retryable or retries_done >= policy.max_retries:
        return None
    delay = policy.delay(retries_done, headers)
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


def _take_body(response: httpx.Response) -> list[bytes]:
    """Moves the read body out of the response, into a one-item list.

    httpx keeps the body on the Response, which lives in a reference cycle until a garbage
    collection; taking it out (and handing it over in a list the parser empties) lets the
    multi-MB bytes of an image reply go before JSON parsing makes its own copies.
    """
    content = response.content
    response._content = b""
    return [content]


def _parse_json_body(
    status_code: int, body: list[bytes], headers: Mapping[str, str]
) -> dict[str, Any]:
    """Parse a 2xx body that must be a JSON object; empties ``body`` (see `_take_body`)."""
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


def _stream_failure(exc: httpx.RequestError) -> StreamError:
    """Map a transport failure after the stream started. Never retried: output was sent."""
    if isinstance(exc, httpx.TimeoutException):
        # A StreamError rather than APITimeoutError: a partial answer may already exist.
        return StreamError(f"stream ended early: read timed out ({exc or 'no data'})")
    return StreamError(f"stream ended early: {type(exc).__name__}: {exc}")


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


_ReplyCheck = Callable[[httpx.Response], "APIStatusError | None"]


def _envelope_check(parsed: list[dict[str, Any]]) -> _ReplyCheck:
    """A ``check`` for `_send` that parses a 2xx JSON reply into ``parsed`` (parsed once).

    Returns the error of a task-API envelope whose ``code`` is not a success (see
    `envelope_error`), so that it is retried like the same status would be.
    """

    def check(response: httpx.Response) -> APIStatusError | None:
        body = _parse_json_body(response.status_code, _take_body(response), response.headers)
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


def _download_failure(exc: httpx.RequestError, request: httpx.Request) -> APIConnectionError:
    """Map a transport failure while a download body streams in (not retried)."""
    detail = str(exc) or type(exc).__name__
    where = f"GET {_safe_url(request.url)}"
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"download timed out ({where}): {detail}")
    return APIConnectionError(f"download failed ({where}): {type(exc).__name__}: {detail}")


def _too_large(request: httpx.Request, max_bytes: int, size: int | None) -> InvalidResponseError:
    what = f"{size} bytes" if size is not None else "more"
    return InvalidResponseError(
        f"download of {_safe_url(request.url)} refused: {what} exceeds max_bytes={max_bytes}"
    )


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
    ``None`` disables timeouts.

    Args:
        base_url: API root, e.g. ``https://api.hiapi.ai/v1``.
        api_key: Bearer token; read from the ``SecretStr`` at request time only.
        timeout: ``httpx.Timeout``, a number of seconds for every phase, or ``None``.
        retry_policy: When and how long to retry.
        default_headers: Extra headers for every request (applied last).
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
        self._api_key = api_key
        self._timeout = _check_timeout(timeout)
        self.retry_policy = retry_policy
        self._default_headers = _check_headers(default_headers or {})
        self._sleep = sleep
        self._asleep = asleep
        self._user_client = http_client
        self._user_async_client = http_async_client
        self._pool_key = PoolKey.of(
            base_url=self.base_url,
            api_key=api_key,
            timeout=self._timeout,
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
        headers["User-Agent"] = _user_agent()
        headers.update(self._default_headers)
        headers.update(extra)
        args: dict[str, Any] = {
            "method": method,
            "url": self.base_url + path,
            "params": self._default_query or None,
            "content": content,
            "headers": headers,
            "timeout": self._timeout,
        }
        if params:
            # Per-request parameters (e.g. a list page) win over default_query.
            args["params"] = {**self._default_query, **params}
        return args

    def _fetch_args(self, url: str) -> dict[str, Any]:
        """Arguments for ``build_request`` of a download from an absolute URL.

        The key and the default headers go only to the API's own origin (scheme, host and
        port of ``base_url``); httpx drops ``Authorization`` on a redirect to another origin.

        Raises:
            ValueError: ``url`` is not an absolute http(s) URL.
        """
        target = _check_download_url(url)
        headers = {"Accept": "*/*", "User-Agent": _user_agent()}
        if _origin(target) == _origin(httpx.URL(self.base_url)):
            if self._api_key is not None and self._api_key.get_secret_value():
                headers["Authorization"] = f"Bearer {self._api_key.get_secret_value()}"
            headers.update(self._default_headers)
        return {"method": "GET", "url": target, "headers": headers, "timeout": self._timeout}

    # -- sync I/O -------------------------------------------------------------------------

    def _send(
        self,
        request: httpx.Request,
        *,
        read_body: bool,
        follow_redirects: bool = False,
        check: _ReplyCheck | None = None,
    ) -> httpx.Response:
        """Send with retries until a 2xx reply (with its body read if ``read_body``).

        ``check`` (with ``read_body``) inspects a read 2xx reply and may turn it into an
        error, which is then retried like any error reply.

        Raises:
            APIStatusError: A non-2xx reply (or a 2xx one ``check`` rejects), after retries.
            APIConnectionError: No usable reply, after retries.
        """
        client = self._sync_client()
        policy = self.retry_policy
        gate = self._gate(request)
        retries = 0
        while True:
            while gate is not None and (wait := gate.wait_time()) > 0:
                self._sleep(wait)
            _log_attempt(request, retries)
            headers: Mapping[str, str] | None = None
            cause: BaseException | None = None
            started = False
            absorbed = False
            try:
                response = client.send(request, stream=True, follow_redirects=follow_redirects)
                absorbed = gate is not None and gate.record(response.status_code)
                started = response.is_success
                try:
                    content = response.read() if read_body or not started else b""
                finally:
                    if read_body or not started:
                        response.close()
                rejected = check(response) if started and check is not None else None
                if started and rejected is None:
                    _log_response(request, response)
                    return response
            except httpx.RequestError as exc:
                secret = self._secret()
                error, retryable = _transport_error(
                    exc, request, policy, response_started=started, secret=secret
                )
                reason, cause = type(exc).__name__, _safe_cause(exc, secret)
            else:
                headers = response.headers
                error = rejected or error_from_response(response.status_code, content, headers)
                retryable = policy.should_retry_status(error)
                reason, cause = f"status {error.status_code}", None
                if absorbed and retryable:
                    _log_paced(request)
                    continue  # the limiter paces the retry; not counted against max_retries
            delay = _next_delay(policy, retries, retryable, headers, request, reason)
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
            APIConnectionError: No reply, after retries.
            InvalidResponseError: The 2xx body is not a JSON object.
        """
        client = self._sync_client()
        request = client.build_request(**self._request_args(method, path, body, _JSON))
        response = self._send(request, read_body=True)
        return _parse_json_body(response.status_code, _take_body(response), response.headers)

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
        response = self._send(request, read_body=True, check=_envelope_check(parsed))
        return JSONReply(response.status_code, response.headers, parsed[-1])

    def fetch_to_file(
        self, url: str, dest_dir: str | os.PathLike[str], stem: str, *, max_bytes: int
    ) -> FetchedFile:
        """Download an absolute URL (a task output) into ``dest_dir``, atomically.

        The body streams into a hidden temporary file that is renamed to
        ``<stem><ext>`` (``-2``, ``-3``, ... when taken) once complete; the extension comes
        from the content type, else the URL. The key is sent only to ``base_url``'s origin.
        Retries (before the body starts) follow the retry policy; redirects are followed.

        Args:
            url: The absolute http(s) URL.
            dest_dir: The directory; created if missing.
            stem: The file name without extension (unsafe characters are replaced).
            max_bytes: Largest accepted download; a bigger one leaves no file.

        Returns:
            The file written.

        Raises:
            ValueError: ``url`` is not an absolute http(s) URL.
            APIStatusError: Non-2xx reply, after retries.
            APIConnectionError: No reply, or the body was cut.
            InvalidResponseError: The body exceeds ``max_bytes``.
        """
        client = self._sync_client()
        request = client.build_request(**self._fetch_args(url))
        response = self._send(request, read_body=False, follow_redirects=True)
        try:
            size = _declared_size(response)
            if size is not None and size > max_bytes:
                raise _too_large(request, max_bytes, size)
            sink = DownloadSink(dest_dir, stem, max_bytes)
            try:
                for chunk in response.iter_bytes():
                    sink.write(chunk)
                return sink.publish(response.headers.get("content-type", ""), str(response.url))
            except ValueError:
                raise _too_large(request, max_bytes, None) from None
            except httpx.RequestError as exc:
                raise _download_failure(exc, request) from exc
            finally:
                sink.discard()
        finally:
            response.close()

    def request_bytes(self, method: str, path: str) -> tuple[bytes, str]:
        """Fetch a binary resource (e.g. a video download), following redirects.

        Args:
            method: HTTP method.
            path: Path below the base URL.

        Returns:
            ``(content, content type)``.

        Raises:
            APIStatusError: Non-2xx reply, after retries.
            APIConnectionError: No reply, after retries.
        """
        client = self._sync_client()
        request = client.build_request(**self._request_args(method, path, None, "*/*"))
        response = self._send(request, read_body=True, follow_redirects=True)
        return response.content, response.headers.get("content-type", "")

    def stream_events(self, path: str, body: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """POST a streaming request and yield its events as dicts until ``[DONE]``.

        Retries happen only before the 2xx status line; never once events flow. The response is
        closed when the stream ends, fails, or the consumer stops iterating (generator close).
        A stream that ends without ``[DONE]`` just ends.

        Args:
            path: Path below the base URL.
            body: JSON body (should contain ``"stream": true``).

        Yields:
            Each event's JSON object.

        Raises:
            APIStatusError: Non-2xx reply, after retries.
            APIConnectionError: No reply, after retries.
            StreamError: Malformed event, error event, or connection lost mid-stream.
        """
        client = self._sync_client()
        request = client.build_request(**self._request_args("POST", path, body, _EVENT_STREAM))
        response = self._send(request, read_body=False)
        try:
            content: bytes | None = None
            if _is_json_reply(response):
                try:
                    content = response.read()
                except httpx.RequestError as exc:
                    raise _stream_failure(exc) from exc
            _check_stream_response(response, content)
            decoder = SSEDecoder()
            chunks = response.iter_bytes()
            while True:
                try:
                    chunk = next(chunks, None)
                except httpx.RequestError as exc:
                    raise _stream_failure(exc) from exc
                # No local name for the payloads: a multi-MB payload is freed before the
                # consumer gets its (already parsed) event.
                for event in _events(decoder.feed(chunk) if chunk is not None else decoder.close()):
                    if event is _DONE:
                        _drain(chunks)
                        return
                    yield event
                if chunk is None:
                    return
        finally:
            # Also runs on generator close() when the consumer stops early.
            response.close()

    # -- async I/O (mirrors the sync section) ---------------------------------------------

    async def _asend(
        self,
        request: httpx.Request,
        *,
        read_body: bool,
        follow_redirects: bool = False,
        check: _ReplyCheck | None = None,
    ) -> httpx.Response:
        """Async :meth:`_send`."""
        client = self._async_client_for_loop()
        policy = self.retry_policy
        gate = self._gate(request)
        retries = 0
        while True:
            while gate is not None and (wait := gate.wait_time()) > 0:
                await self._asleep(wait)
            _log_attempt(request, retries)
            headers: Mapping[str, str] | None = None
            cause: BaseException | None = None
            started = False
            absorbed = False
            try:
                response = await client.send(
                    request, stream=True, follow_redirects=follow_redirects
                )
                absorbed = gate is not None and gate.record(response.status_code)
                started = response.is_success
                try:
                    content = await response.aread() if read_body or not started else b""
                finally:
                    if read_body or not started:
                        await response.aclose()
                rejected = check(response) if started and check is not None else None
                if started and rejected is None:
                    _log_response(request, response)
                    return response
            except httpx.RequestError as exc:
                secret = self._secret()
                error, retryable = _transport_error(
                    exc, request, policy, response_started=started, secret=secret
                )
                reason, cause = type(exc).__name__, _safe_cause(exc, secret)
            else:
                headers = response.headers
                error = rejected or error_from_response(response.status_code, content, headers)
                retryable = policy.should_retry_status(error)
                reason, cause = f"status {error.status_code}", None
                if absorbed and retryable:
                    _log_paced(request)
                    continue  # the limiter paces the retry; not counted against max_retries
            delay = _next_delay(policy, retries, retryable, headers, request, reason)
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
        response = await self._asend(request, read_body=True)
        return _parse_json_body(response.status_code, _take_body(response), response.headers)

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
        response = await self._asend(request, read_body=True, check=_envelope_check(parsed))
        return JSONReply(response.status_code, response.headers, parsed[-1])

    async def afetch_to_file(
        self, url: str, dest_dir: str | os.PathLike[str], stem: str, *, max_bytes: int
    ) -> FetchedFile:
        """Async :meth:`fetch_to_file`."""
        client = self._async_client_for_loop()
        request = client.build_request(**self._fetch_args(url))
        response = await self._asend(request, read_body=False, follow_redirects=True)
        try:
            size = _declared_size(response)
            if size is not None and size > max_bytes:
                raise _too_large(request, max_bytes, size)
            sink = DownloadSink(dest_dir, stem, max_bytes)
            try:
                async for chunk in response.aiter_bytes():
                    sink.write(chunk)
                return sink.publish(response.headers.get("content-type", ""), str(response.url))
            except ValueError:
                raise _too_large(request, max_bytes, None) from None
            except httpx.RequestError as exc:
                raise _download_failure(exc, request) from exc
            finally:
                sink.discard()
        finally:
            await response.aclose()

    async def arequest_bytes(self, method: str, path: str) -> tuple[bytes, str]:
        """Async :meth:`request_bytes`."""
        client = self._async_client_for_loop()
        request = client.build_request(**self._request_args(method, path, None, "*/*"))
        response = await self._asend(request, read_body=True, follow_redirects=True)
        return response.content, response.headers.get("content-type", "")

    async def astream_events(
        self, path: str, body: Mapping[str, Any]
    ) -> AsyncIterator[dict[str, Any]]:
        """Async :meth:`stream_events` (an async generator; ``aclose()`` it to stop early)."""
        client = self._async_client_for_loop()
        request = client.build_request(**self._request_args("POST", path, body, _EVENT_STREAM))
        response = await self._asend(request, read_body=False)
        try:
            content: bytes | None = None
            if _is_json_reply(response):
                try:
                    content = await response.aread()
                except httpx.RequestError as exc:
                    raise _stream_failure(exc) from exc
            _check_stream_response(response, content)
            decoder = SSEDecoder()
            chunks = response.aiter_bytes()
            while True:
                try:
                    chunk = await anext(chunks, None)
                except httpx.RequestError as exc:
                    raise _stream_failure(exc) from exc
                # No local name for the payloads: a multi-MB payload is freed before the
                # consumer gets its (already parsed) event.
                for event in _events(decoder.feed(chunk) if chunk is not None else decoder.close()):
                    if event is _DONE:
                        await _adrain(chunks)
                        return
                    yield event
                if chunk is None:
                    return
        finally:
            # Also runs on aclose() when the consumer stops early.
            await response.aclose()
