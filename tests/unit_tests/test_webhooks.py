"""verify_webhook: HMAC over timestamp + "." + raw body, staleness, tampering (behaviour 5)."""

from __future__ import annotations

import email.message
import hashlib
import hmac
import json
from typing import Any

import pytest

from langchain_hiapi.errors import WebhookVerificationError
from langchain_hiapi.webhooks import DEFAULT_TOLERANCE, sign_webhook, verify_webhook

SECRET = "whsec_test_0123456789abcdef"
NOW = 1_777_282_100
BODY = json.dumps(
    {
        "taskId": "tk-hiapi-01HZTQ8BX2N3GM3YFK4Z9D7VQR",
        "model": "happyhorse-1-0",
        "status": "success",
        "created": 1777282033,
        "completed": 1777282099,
        "output": [{"url": "https://cdn.hiapi.ai/v.mp4", "type": "video", "expireAt": 1777886899}],
    },
    separators=(",", ":"),
).encode()


def signed(body: bytes = BODY, ts: int = NOW, secret: str = SECRET) -> dict[str, str]:
    return {"X-HiAPI-Timestamp": str(ts), "X-HiAPI-Signature": sign_webhook(body, secret, ts)}


def test_signature_is_the_documented_hmac() -> None:
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign_webhook(BODY, SECRET, NOW) == expected


def test_valid_callback_returns_the_task() -> None:
    task = verify_webhook(BODY, signed(), SECRET, now=NOW)
    assert task.id == "tk-hiapi-01HZTQ8BX2N3GM3YFK4Z9D7VQR"
    assert task.succeeded
    assert task.outputs[0].expire_at == 1777886899


def flip_last(signature: str) -> str:
    return signature[:-1] + ("1" if signature[-1] == "0" else "0")


def header_styles() -> list[Any]:
    headers = signed()
    message = email.message.Message()  # what http.server hands a handler
    for name, value in headers.items():
        message[name] = value
    return [
        {k.lower(): v for k, v in headers.items()},
        {k.upper(): v for k, v in headers.items()},
        list(headers.items()),
        [(k.lower().encode(), v.encode()) for k, v in headers.items()],  # ASGI scope headers
        message,
    ]


@pytest.mark.parametrize("headers", header_styles())
def test_headers_found_case_insensitively(headers: Any) -> None:
    assert verify_webhook(BODY, headers, SECRET, now=NOW).succeeded


def test_uppercase_hex_and_str_body() -> None:
    headers = signed()
    headers["X-HiAPI-Signature"] = headers["X-HiAPI-Signature"].upper()
    assert verify_webhook(BODY.decode(), headers, SECRET, now=NOW).id


@pytest.mark.parametrize(
    "tamper",
    [
        lambda b, h: (b.replace(b"success", b"fail!!!"), h),
        lambda b, h: (b + b" ", h),
        lambda b, h: (json.dumps(json.loads(b)).encode(), h),  # re-serialised JSON differs
        lambda b, h: (b, {**h, "X-HiAPI-Timestamp": str(NOW - 1)}),
        lambda b, h: (b, {**h, "X-HiAPI-Signature": flip_last(h["X-HiAPI-Signature"])}),
        lambda b, h: (b, {**h, "X-HiAPI-Signature": "sha256=" + h["X-HiAPI-Signature"]}),
        lambda b, h: (b, {**h, "X-HiAPI-Signature": "é" * 64}),
    ],
)
def test_tampering_is_detected(tamper: Any) -> None:
    body, headers = tamper(BODY, signed())
    if body == BODY and headers == signed():
        pytest.fail("the tamper did not change anything")
    with pytest.raises(WebhookVerificationError, match="signature mismatch"):
        verify_webhook(body, headers, SECRET, now=NOW)


def test_wrong_secret() -> None:
    with pytest.raises(WebhookVerificationError, match="signature mismatch"):
        verify_webhook(BODY, signed(secret="whsec_other"), SECRET, now=NOW)


@pytest.mark.parametrize(
    ("age", "words"),
    [(DEFAULT_TOLERANCE + 1, "301 s old"), (-(DEFAULT_TOLERANCE + 60), "360 s in the future")],
)
def test_stale_timestamps_are_refused(age: int, words: str) -> None:
    headers = signed(ts=NOW - age)  # correctly signed, just too old or too new
    with pytest.raises(WebhookVerificationError, match=f"stale callback.*{words}"):
        verify_webhook(BODY, headers, SECRET, now=NOW)


def test_tolerance_edges_and_replays() -> None:
    headers = signed(ts=NOW - DEFAULT_TOLERANCE)
    # A redelivery inside the window verifies again (HiAPI delivers at least once).
    assert verify_webhook(BODY, headers, SECRET, now=NOW).id
    assert verify_webhook(BODY, headers, SECRET, now=NOW).id
    # The same bytes replayed later are refused.
    with pytest.raises(WebhookVerificationError, match="stale"):
        verify_webhook(BODY, headers, SECRET, now=NOW + 1)
    with pytest.raises(WebhookVerificationError, match="stale"):
        verify_webhook(BODY, headers, SECRET, tolerance=10, now=NOW)
    assert verify_webhook(BODY, signed(ts=1), SECRET, tolerance=None, now=NOW).id


def test_clock_defaults_to_now() -> None:
    with pytest.raises(WebhookVerificationError, match="stale"):
        verify_webhook(BODY, signed(ts=1), SECRET)


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        ({}, "unsigned callback: no X-HiAPI-Signature"),
        ({"X-HiAPI-Timestamp": str(NOW)}, "no X-HiAPI-Signature"),
        ({"X-HiAPI-Signature": "ab"}, "no X-HiAPI-Timestamp"),
        ({"X-HiAPI-Timestamp": "12.5", "X-HiAPI-Signature": "ab"}, "not Unix seconds"),
        ({"X-HiAPI-Timestamp": "-5", "X-HiAPI-Signature": "ab"}, "not Unix seconds"),
        ({"X-HiAPI-Timestamp": "9" * 400, "X-HiAPI-Signature": "ab"}, "not Unix seconds"),
    ],
)
def test_missing_or_malformed_headers(headers: dict[str, str], words: str) -> None:
    with pytest.raises(WebhookVerificationError, match=words):
        verify_webhook(BODY, headers, SECRET, now=NOW)


def test_without_secret_unsigned_is_accepted_and_signed_is_refused() -> None:
    assert verify_webhook(BODY, {}, None).succeeded
    with pytest.raises(WebhookVerificationError, match="no secret was given"):
        verify_webhook(BODY, signed(), None)


@pytest.mark.parametrize("secret", ["", b"bytes"])
def test_bad_secret_argument(secret: Any) -> None:
    with pytest.raises(ValueError, match="secret"):
        verify_webhook(BODY, signed(), secret)


def test_bad_tolerance_argument() -> None:
    with pytest.raises(ValueError, match="tolerance"):
        verify_webhook(BODY, signed(), SECRET, tolerance=-1)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "not a task object"),
        (b'{"status": "success"}', "no taskId"),
    ],
)
def test_verified_body_must_be_a_task(body: bytes, words: str) -> None:
    with pytest.raises(WebhookVerificationError, match=words):
        verify_webhook(body, signed(body), SECRET, now=NOW)


def test_enveloped_body_is_unwrapped() -> None:
    body = json.dumps({"code": 200, "message": "success", "data": json.loads(BODY)}).encode()
    assert verify_webhook(body, signed(body), SECRET, now=NOW).succeeded


def test_message_never_contains_the_secret() -> None:
    with pytest.raises(WebhookVerificationError) as info:
        verify_webhook(BODY, signed(secret="other"), SECRET, now=NOW)
    assert SECRET not in str(info.value)
    assert SECRET not in repr(info.value)
