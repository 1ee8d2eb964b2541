"""Typed errors raised by langchain-hiapi.

Every error the package raises for a failed HiAPI call is a :class:`HiAPIError`. HTTP error
replies become an :class:`APIStatusError` subclass chosen by status and error code (see
:func:`error_from_response`); failures without a reply are :class:`APIConnectionError`;
a 2xx reply we cannot use is :class:`InvalidResponseError`; a broken event stream is
:class:`StreamError`.

Errors are built from the *response* only, never from the request, so they cannot contain the
API key.
"""

from __future__ import annotations

import http
import json
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "HiAPIError",
    "InsufficientQuotaError",
    "InternalServerError",
    "InvalidResponseError",
    "ModelNotFoundError",
    "NotFoundError",
    "PermissionDeniedError",
    "PromptBlockedError",
    "RateLimitError",
    "StreamError",
    "error_from_response",
]

# new-api appends " (request id: X)" to messages (common.MessageWithRequestId); a relayed error
# can carry several, the last one being HiAPI's own.
_REQUEST_ID_SUFFIX = re.compile(r"\s*\(request id: ([^()]*)\)\s*$")
_REQUEST_ID_HEADERS = ("x-oneapi-request-id", "x-request-id")
# How much of an unusable body goes into a message, and how much text we keep on `.body`.
_SNIPPET_CHARS = 200
_MAX_BODY_TEXT = 64 * 1024
# The gateway's generic error type says nothing, so `str(err)` prefers the code.
_GENERIC_TYPES = frozenset({"new_api_error"})
# new-api answers 401 "Invalid token" for a used-up key too, which users read as a typo.
_AUTH_HINT = (
    "HiAPI gives this answer for a wrong key and also for a key that has expired, been "
    "disabled or used up its quota; check the key's status and balance in the HiAPI console"
)
# 403 codes that mean "not enough quota" (key-level pre-charge, account balance).
_QUOTA_CODES = frozenset({"insufficient_user_quota", "pre_consume_token_quota_failed"})
PROMPT_BLOCKED = "prompt_blocked"
"""Error type and code of a prompt the upstream's safety filter blocked."""


def _restore(cls: type[HiAPIError], state: dict[str, Any]) -> HiAPIError:
    """Rebuild an error from its ``__dict__`` (pickle / copy support)."""
    err = cls.__new__(cls)
    Exception.__init__(err, state.get("message", ""))
    err.__dict__.update(state)
    return err


class HiAPIError(Exception):
    """Base class of every error raised by langchain-hiapi for a HiAPI call.

    Attributes:
        message: Human-readable message from the gateway (a trailing ``(request id: X)``
            is moved to ``request_id``). May be Chinese; kept as sent.
        status_code: HTTP status, or ``None`` when no response was received.
        type: Error ``type`` from the body (e.g. ``new_api_error``), ``None`` when absent/empty.
        code: Error ``code`` from the body; a string or a number, ``None`` when absent/empty.
        param: Error ``param`` from the body, ``None`` when absent/empty.
        request_id: Gateway request id, from the message suffix or a response header.
        body: Parsed JSON body, or the (possibly truncated) body text, or ``None``.
        headers: Response headers (never request headers).
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        type: str | None = None,  # shadows the builtin on purpose: mirrors the wire field
        code: str | int | None = None,
        param: str | None = None,
        request_id: str | None = None,
        body: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.type = type
        self.code = code
        self.param = param
        self.request_id = request_id
        self.body = body
        self.headers: dict[str, str] = dict(headers) if headers is not None else {}

    def __str__(self) -> str:
        head = "HiAPI"
        if self.status_code is not None:
            head += f" {self.status_code}"
        label = self.code
        if label is None and self.type and self.type not in _GENERIC_TYPES:
            label = self.type
        if label is not None and (label := " ".join(str(label).split())):
            head += f" {label}"
        # One line even when an upstream message spans several (``.message`` keeps them).
        message = " ".join(self.message.split())
        text = f"{head}: {message}" if message else head
        if self.request_id:
            text += f" (request id: {self.request_id})"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only __init__ breaks the default Exception pickling; rebuild from state.
        return (_restore, (type(self), dict(self.__dict__)))


class APIStatusError(HiAPIError):
    """The gateway answered with a non-2xx status not covered by a subclass."""

    status_code: int


class BadRequestError(APIStatusError):
    """HTTP 400: the request was rejected."""


class PromptBlockedError(BadRequestError):
    """The prompt was blocked by the upstream's safety filter (the prompt is billed).

    Raised for every shape the gateway uses: HTTP 400 with type and code
    ``prompt_blocked``, an HTTP 200 reply with ``"choices": []`` (gateways before
    2025-12-27), and a stream that sends a ``choices: []`` chunk and no finish reason.
    ``status_code`` is the HTTP status of the reply (400 or 200).
    """


class AuthenticationError(APIStatusError):
    """HTTP 401: invalid, expired, disabled or quota-exhausted API key.

    The gateway answers ``Invalid token`` for all of these alike, so the message says so.
    """

    def __str__(self) -> str:
        return f"{super().__str__()} ({_AUTH_HINT})"


class PermissionDeniedError(APIStatusError):
    """HTTP 403: access denied (banned user, forbidden group or model, IP not allowed)."""


class InsufficientQuotaError(PermissionDeniedError):
    """Not enough quota or balance for the request.

    HTTP 403 with code ``pre_consume_token_quota_failed`` (the key's remaining quota is below
    the pre-charge) or ``insufficient_user_quota`` (the account), or HTTP 402.
    """


class NotFoundError(APIStatusError):
    """HTTP 404."""


class ModelNotFoundError(NotFoundError):
    """Code ``model_not_found`` at any status (HiAPI sends it with 503): unknown model."""


class ConflictError(APIStatusError):
    """HTTP 409 (video tasks: ``upstream_busy``, ``upstream_unavailable``, ...)."""


class RateLimitError(APIStatusError):
    """HTTP 429: rate limited by the gateway or the upstream."""


class InternalServerError(APIStatusError):
    """HTTP 5xx."""


class APIConnectionError(HiAPIError):
    """No response was received: connection refused or reset, DNS failure, ..."""


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, write, read or waiting for a pooled connection)."""


class InvalidResponseError(HiAPIError):
    """A 2xx reply whose body is not the JSON we need (non-JSON, binary, wrong shape)."""


class StreamError(HiAPIError):
    """An event stream was malformed or ended early.

    Attributes:
        partial_text: Text received before the failure (filled in by the chat layer).
        partial_message: The partial message assembled so far, if any (chat layer).
    """

    def __init__(
        self,
        message: str,
        *,
        partial_text: str = "",
        partial_message: object | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.partial_text = partial_text
        self.partial_message = partial_message


def _get_header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """Case-insensitive header lookup that works for plain dicts and ``httpx.Headers``.

    Args:
        headers: Response headers, or ``None``.
        name: Lower-case header name.

    Returns:
        The header value, or ``None`` if absent.
    """
    if not headers:
        return None
    value = headers.get(name)
    if value is not None:
        return value
    for key, val in headers.items():
        if key.lower() == name:
            return val
    return None


def body_snippet(body: bytes, limit: int = _SNIPPET_CHARS) -> str:
    """Return a readable one-line preview of the start of a response body.

    Decodes as UTF-8 with replacement, collapses whitespace, replaces other control characters
    and truncates to ``limit`` characters, so HTML error pages and binary garbage both give a
    short printable string.

    Args:
        body: Raw body bytes (only the start is decoded).
        limit: Maximum number of characters.

    Returns:
        The preview, ending in ``…`` when truncated, or ``"<empty body>"``.
    """
    # Decode a bounded prefix: a 16 MB body must not be decoded to show 200 characters.
    text = bytes(body[: limit * 4 + 4]).decode("utf-8", errors="replace")
    text = " ".join(text.split())
    text = "".join(ch if ch.isprintable() else "\ufffd" for ch in text[: limit + 1])
    if not text:
        return "<empty body>"
    if len(text) > limit or len(body) > limit * 4 + 4:
        return text[:limit] + "…"
    return text


def _opt_str(value: object) -> str | None:
    """Normalise an optional string field: empty or missing → ``None``."""
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def _opt_code(value: object) -> str | int | None:
    """Normalise an error code, keeping numeric codes as ``int``."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, str) else str(value)


def split_request_id(message: str) -> tuple[str, str | None]:
    """Strip trailing ``(request id: X)`` suffixes from a gateway message.

    Args:
        message: The message as sent by the gateway.

    Returns:
        ``(message without the suffixes, last request id or None)``.
    """
    request_id: str | None = None
    while True:
        match = _REQUEST_ID_SUFFIX.search(message)
        if match is None:
            return message, request_id
        if request_id is None:
            request_id = match.group(1).strip() or None
        message = message[: match.start()]


def parse_error_object(obj: object) -> dict[str, Any]:
    """Extract error fields from a parsed error body of any shape the gateway uses.

    Accepts ``{"error": {"message", "type", "param", "code"}}``, ``{"error": "text"}`` and a
    top-level ``{"message": ..., "code": ...}``.

    Args:
        obj: Parsed JSON body.

    Returns:
        A dict with keys ``message`` (str or None), ``type``, ``code``, ``param``,
        ``request_id``; only fields found are non-``None``.
    """
    fields: dict[str, Any] = {
        "message": None,
        "type": None,
        "code": None,
        "param": None,
        "request_id": None,
    }
    if not isinstance(obj, dict):
        return fields
    source: Mapping[str, Any] = obj
    err = obj.get("error")
    if isinstance(err, dict):
        source = err
    elif isinstance(err, str) and err:
        fields["message"] = err
    message = source.get("message", fields["message"])
    if message is not None and not isinstance(message, str):
        message = json.dumps(message, ensure_ascii=False)
    if message:
        fields["message"], fields["request_id"] = split_request_id(message)
    fields["type"] = _opt_str(source.get("type"))
    fields["code"] = _opt_code(source.get("code"))
    fields["param"] = _opt_str(source.get("param"))
    return fields


def _status_class(
    status_code: int, code: str | int | None, type_: str | None
) -> type[APIStatusError]:
    """Pick the error class for a status and error code."""
    if code == "model_not_found" or type_ == "model_not_found":
        return ModelNotFoundError
    if (status_code == 403 and code in _QUOTA_CODES) or status_code == 402:
        return InsufficientQuotaError
    if status_code == 400 and PROMPT_BLOCKED in (code, type_):
        return PromptBlockedError
    by_status: dict[int, type[APIStatusError]] = {
        400: BadRequestError,
        401: AuthenticationError,
        403: PermissionDeniedError,
        404: NotFoundError,
        409: ConflictError,
        429: RateLimitError,
    }
    if status_code in by_status:
        return by_status[status_code]
    if status_code >= 500:
        return InternalServerError
    return APIStatusError


def _reason(status_code: int) -> str:
    """Return the standard reason phrase for a status, or a generic text."""
    try:
        return http.HTTPStatus(status_code).phrase
    except ValueError:
        return "HTTP error"


def _body_text(body: bytes) -> str:
    """Decode a non-JSON body for ``.body``, bounded in size."""
    return bytes(body[:_MAX_BODY_TEXT]).decode("utf-8", errors="replace")


def error_from_response(
    status_code: int, body: bytes, headers: Mapping[str, str]
) -> APIStatusError:
    """Map a non-2xx HiAPI response to a typed error.

    Handles every error shape of the wire contract: the OpenAI-style error object with a string
    or numeric code, ``{"error": "text"}``, a top-level ``{"message": ...}``, non-JSON bodies
    (HTML error pages) and undecodable bytes.

    Args:
        status_code: HTTP status of the response.
        body: Raw response body.
        headers: Response headers (used for the request id; kept on the error).

    Returns:
        The :class:`APIStatusError` subclass matching status and code.
    """
    parsed: object = None
    is_json = False
    if body:
        try:
            parsed = json.loads(body)
            is_json = True
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            parsed = None
    fields = parse_error_object(parsed) if is_json else parse_error_object(None)
    message = fields["message"]
    if not message:
        if not body:
            message = f"{_reason(status_code)} (empty body)"
        elif is_json:
            message = f"{_reason(status_code)}: {body_snippet(body)}"
        else:
            message = f"{_reason(status_code)}, non-JSON body: {body_snippet(body)}"
    request_id = (
        fields["request_id"]
        or _get_header(headers, _REQUEST_ID_HEADERS[0])
        or _get_header(headers, _REQUEST_ID_HEADERS[1])
    )
    cls = _status_class(status_code, fields["code"], fields["type"])
    return cls(
        message,
        status_code=status_code,
        type=fields["type"],
        code=fields["code"],
        param=fields["param"],
        request_id=request_id,
        body=parsed if is_json else (_body_text(body) if body else None),
        headers=headers,
    )
