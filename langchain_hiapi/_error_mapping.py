"""Reading HiAPI error replies: status, body and headers to a typed :mod:`errors` class.

Every error shape of the wire contract (the OpenAI-style error object, ``{"error": "text"}``,
a top-level ``{"message": ...}``, the task API's envelope, HTML pages, undecodable bytes) is
read here; the classes themselves live in :mod:`langchain_hiapi.errors`. Errors are built from
the *response* only, never from the request, so they cannot contain the API key.
"""

from __future__ import annotations

import http
import json
import re
from collections.abc import Mapping
from typing import Any

from langchain_hiapi.errors import (
    PROMPT_BLOCKED,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    IdempotencyKeyMismatchError,
    InsufficientQuotaError,
    InternalServerError,
    InvalidRequestError,
    ModelNotFoundError,
    ModelUnavailableError,
    NotFoundError,
    PermissionDeniedError,
    PromptBlockedError,
    RateLimitError,
)

__all__ = [
    "body_snippet",
    "envelope_error",
    "error_from_response",
    "get_header",
    "parse_error_object",
    "split_request_id",
]

# new-api appends " (request id: X)" to messages (common.MessageWithRequestId); a relayed error
# can carry several, the last one being HiAPI's own.
_REQUEST_ID_SUFFIX = re.compile(r"\s*\(request id: ([^()]*)\)\s*$")
_REQUEST_ID_HEADERS = ("x-oneapi-request-id", "x-request-id")
# How much of an unusable body goes into a message, and how much text we keep on `.body`.
_SNIPPET_CHARS = 200
_MAX_BODY_TEXT = 64 * 1024
# Codes that mean "not enough quota" at any status: new-api's key-level pre-charge and account
# balance, the task API's, and spellings seen in HiAPI's skills (compared in lower case).
_QUOTA_CODES = frozenset(
    {
        "insufficient_user_quota",
        "pre_consume_token_quota_failed",
        "insufficient_quota",
        "insufficient_balance",
        "balance_insufficient",
    }
)


def get_header(headers: Mapping[str, str] | None, name: str) -> str | None:
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

    Accepts ``{"error": {"message", "type", "param", "code"}}`` (new-api; HiAPI's own variant
    adds ``request_id``), ``{"error": "text"}``, a top-level ``{"message": ..., "code": ...}``
    and the task API's ``{"code": 400, "message": ..., "data": null, "error_code": ...}``, whose
    ``error_code`` is the code (its numeric ``code`` is just the HTTP status).

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
    code = source.get("error_code") or source.get("code")
    if source is obj and "data" in obj and isinstance(code, int):
        code = None  # the task envelope's numeric `code` only repeats the HTTP status
    fields["code"] = _opt_code(code)
    fields["param"] = _opt_str(source.get("param"))
    if fields["request_id"] is None:
        fields["request_id"] = _opt_str(source.get("request_id") or obj.get("request_id"))
    return fields


# The task API's business codes (upper case, as HiAPI sends them; new-api's lower-case
# `invalid_request` stays a plain BadRequestError): they choose the class at any status.
_CODE_CLASSES: dict[str, type[APIStatusError]] = {
    "INVALID_REQUEST": InvalidRequestError,
    "MODEL_UNAVAILABLE": ModelUnavailableError,
    "IDEMPOTENCY_KEY_MISMATCH": IdempotencyKeyMismatchError,
}
_QUOTA_WORDS = re.compile(
    r"insufficient.*(balance|quota)|(balance|quota).*insufficient|余额不足", re.IGNORECASE
)


def _status_class(
    status_code: int, code: str | int | None, type_: str | None, message: str | None = None
) -> type[APIStatusError]:
    """Pick the error class for a status, an error code and (for 403) the message."""
    if code == "model_not_found" or type_ == "model_not_found":
        return ModelNotFoundError
    if isinstance(code, str) and code in _CODE_CLASSES:
        return _CODE_CLASSES[code]
    if status_code == 402 or (isinstance(code, str) and code.lower() in _QUOTA_CODES):
        return InsufficientQuotaError
    if status_code == 403 and message and _QUOTA_WORDS.search(message):
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
        elif fields["code"] is not None or fields["type"] is not None:
            message = _reason(status_code)  # the code says it; the JSON would only repeat it
        elif is_json:
            message = f"{_reason(status_code)}: {body_snippet(body)}"
        else:
            message = f"{_reason(status_code)}, non-JSON body: {body_snippet(body)}"
    request_id = (
        fields["request_id"]
        or get_header(headers, _REQUEST_ID_HEADERS[0])
        or get_header(headers, _REQUEST_ID_HEADERS[1])
    )
    cls = _status_class(status_code, fields["code"], fields["type"], fields["message"])
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


def envelope_error(
    status_code: int, body: Mapping[str, Any], headers: Mapping[str, str]
) -> APIStatusError | None:
    """The error carried by a 2xx task-API envelope whose ``code`` is not a success.

    HiAPI's envelope repeats the HTTP status in ``code``; a gateway that answers 200 with
    ``{"code": 429, ...}`` still means 429. A body without an integer ``code`` (any other API)
    is not an envelope and gives ``None``.

    Args:
        status_code: The (2xx) HTTP status of the reply.
        body: The parsed reply.
        headers: The reply's headers.

    Returns:
        The mapped error (status taken from ``code`` when it is an HTTP error status), or
        ``None`` when the envelope reports success.
    """
    code = body.get("code")
    if isinstance(code, bool) or not isinstance(code, int) or 200 <= code < 300:
        return None
    if not ("message" in body or "data" in body or "error_code" in body):
        return None
    status = code if 400 <= code < 600 else status_code
    raw = json.dumps(body, ensure_ascii=False).encode()
    error = error_from_response(status, raw, headers)
    if status != code and error.code is None:
        error.code = code  # an envelope code that is no HTTP status still says something
    return error
