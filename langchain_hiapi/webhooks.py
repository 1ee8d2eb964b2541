"""Verifying HiAPI's task callbacks (webhooks).

With a "Webhook signing key" set in the HiAPI console, every callback carries
`X-HiAPI-Timestamp` (Unix seconds) and `X-HiAPI-Signature`:
`hex(HMAC_SHA256(secret, timestamp + "." + raw body))`. `verify_webhook` recomputes it over
the **raw** body (never re-serialised JSON), compares in constant time, refuses a timestamp
further than `tolerance` seconds from now, and returns the task.

Callbacks are delivered at least once and may arrive concurrently or again later: act on a
task id once (a redelivery within the tolerance verifies like the first delivery).

Example:
    ```python
    from langchain_hiapi import WebhookVerificationError, verify_webhook

    try:
        task = verify_webhook(raw_body, request.headers, secret)
    except WebhookVerificationError:
        ...  # answer 400 and ignore it
    ```
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import time
from collections.abc import Iterable, Mapping
from typing import Any

from langchain_hiapi._task_records import Task
from langchain_hiapi.errors import WebhookVerificationError

__all__ = [
    "DEFAULT_TOLERANCE",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "sign_webhook",
    "verify_webhook",
]

TIMESTAMP_HEADER = "X-HiAPI-Timestamp"
SIGNATURE_HEADER = "X-HiAPI-Signature"
DEFAULT_TOLERANCE = 300
"""Seconds a callback's timestamp may differ from now (replay window)."""
_MAX_HEADER_CHARS = 256


def _header(headers: Mapping[str, Any] | Iterable[tuple[str, Any]], name: str) -> str | None:
    """Case-insensitive header lookup over a mapping, a framework header object or pairs."""
    wanted = name.lower()
    items = headers.items() if hasattr(headers, "items") else headers
    for key, value in items:
        if isinstance(key, bytes):
            key = key.decode("latin-1")
        if str(key).lower() == wanted:
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            return None if value is None else str(value).strip()
    return None


def sign_webhook(raw_body: bytes | str, secret: str, timestamp: int | str) -> str:
    """The `X-HiAPI-Signature` value HiAPI sends for a body and timestamp (for tests).

    Args:
        raw_body: The exact body bytes.
        secret: The signing key.
        timestamp: The `X-HiAPI-Timestamp` value.

    Returns:
        The lowercase hex HMAC-SHA256 of `timestamp + "." + body`.
    """
    body = raw_body.encode("utf-8") if isinstance(raw_body, str) else bytes(raw_body)
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def verify_webhook(
    raw_body: bytes | str,
    headers: Mapping[str, Any] | Iterable[tuple[str, Any]],
    secret: str | None,
    *,
    tolerance: float | None = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> Task:
    """Verifies a task callback and returns the task it reports.

    Args:
        raw_body: The request body exactly as received (bytes preferred; a `str` is
            encoded as UTF-8).
        headers: The request headers (any mapping or `(name, value)` pairs; looked up
            case-insensitively).
        secret: The webhook signing key from the HiAPI console. `None` only when signing
            is off on the account: an unsigned callback is then accepted (anyone can send
            one), and a signed one is refused because it cannot be checked.
        tolerance: Largest difference in seconds between the callback's timestamp and now;
            `None` turns the replay check off.
        now: The current Unix time (default: `time.time()`).

    Returns:
        The task (`status` `success` or `fail`).

    Raises:
        WebhookVerificationError: A signature or timestamp header is missing, malformed,
            stale or wrong, or the body is not a task object.
        ValueError: `secret` is an empty string, or `tolerance` is negative.
    """
    if secret is not None and (not isinstance(secret, str) or not secret):
        raise ValueError("secret must be the non-empty signing key (or None if signing is off)")
    if tolerance is not None and not (tolerance >= 0 and math.isfinite(tolerance)):
        raise ValueError(f"tolerance must be a number of seconds >= 0 or None, got {tolerance!r}")
    body = raw_body.encode("utf-8") if isinstance(raw_body, str) else bytes(raw_body)
    signature = _header(headers, SIGNATURE_HEADER)
    stamp = _header(headers, TIMESTAMP_HEADER)
    if secret is None:
        if signature is not None or stamp is not None:
            raise WebhookVerificationError(
                "the callback is signed but no secret was given to check it"
            )
    else:
        _check_signature(body, signature, stamp, secret, tolerance, now)
    return _task_from(body)


def _check_signature(
    body: bytes,
    signature: str | None,
    stamp: str | None,
    secret: str,
    tolerance: float | None,
    now: float | None,
) -> None:
    if not signature or not stamp:
        missing = SIGNATURE_HEADER if not signature else TIMESTAMP_HEADER
        raise WebhookVerificationError(f"unsigned callback: no {missing} header")
    if len(stamp) > _MAX_HEADER_CHARS or not stamp.isascii() or not stamp.isdigit():
        raise WebhookVerificationError(f"{TIMESTAMP_HEADER} is not Unix seconds")
    if tolerance is not None:
        current = time.time() if now is None else now
        age = current - int(stamp)
        if abs(age) > tolerance:
            when = "old" if age > 0 else "in the future"
            raise WebhookVerificationError(
                f"stale callback: its timestamp is {abs(age):.0f} s {when} "
                f"(tolerance {tolerance:g} s); possible replay"
            )
    expected = sign_webhook(body, secret, stamp)
    given = signature.lower() if len(signature) <= _MAX_HEADER_CHARS else ""
    # compare_digest: the time taken does not reveal how much of the signature matched.
    if not hmac.compare_digest(expected.encode("ascii"), given.encode("ascii", "replace")):
        raise WebhookVerificationError("signature mismatch: the body or timestamp was altered")


def _task_from(body: bytes) -> Task:
    try:
        data: Any = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise WebhookVerificationError(f"the body is not JSON: {exc}") from None
    # The documented body is the bare task; accept the `{code, message, data}` envelope too.
    if isinstance(data, dict) and isinstance(data.get("data"), dict) and "code" in data:
        data = data["data"]
    if not isinstance(data, dict):
        raise WebhookVerificationError("the body is not a task object")
    task = Task.from_dict(data)
    if not task.id:
        raise WebhookVerificationError("the body is not a task object (no taskId)")
    return task
