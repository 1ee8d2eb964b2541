"""examples/webhook_receiver.py: offline, the emulator posts a signed callback it verifies."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable
from types import ModuleType
from urllib.parse import urlsplit

import httpx
import pytest

from langchain_hiapi.webhooks import sign_webhook

Loader = Callable[[str], ModuleType]
SECRET = "whsec_example_test_0123456789"
BODY = json.dumps({"taskId": "tk-hiapi-1", "model": "m", "status": "success"}).encode()


def test_demo_receives_and_verifies_the_callback(
    load_example: Loader, capsys: pytest.CaptureFixture[str]
) -> None:
    example = load_example("webhook_receiver")
    assert example.main(["--timeout", "30"]) == 0
    out = capsys.readouterr().out
    assert "offline HiAPI emulator" in out
    assert "[receiver] task tk-hiapi-" in out
    assert "succeeded: image" in out
    assert "Verified callback for tk-hiapi-" in out
    assert "400" not in out


def signed(body: bytes, ts: int) -> dict[str, str]:
    return {
        "X-HiAPI-Timestamp": str(ts),
        "X-HiAPI-Signature": sign_webhook(body, SECRET, ts),
        "Content-Type": "application/json",
    }


def post_declaring(url: str, length: int) -> int:
    """POSTs one byte while declaring `length` (httpx refuses to send such a request)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        connection.putrequest("POST", parts.path)
        connection.putheader("Content-Length", str(length))
        connection.endheaders(b"x")
        return connection.getresponse().status
    finally:
        connection.close()


def test_receiver_acks_once_per_task_and_rejects_forgeries(load_example: Loader) -> None:
    example = load_example("webhook_receiver")
    seen: list[str] = []
    with example.CallbackReceiver(SECRET, on_task=lambda t: seen.append(t.id)) as receiver:
        now = int(time.time())
        with httpx.Client(timeout=10) as client:

            def post(body: bytes, headers: dict[str, str]) -> int:
                return client.post(receiver.url, content=body, headers=headers).status_code

            assert post(BODY, signed(BODY, now)) == 204
            assert post(BODY, signed(BODY, now)) == 204  # a redelivery is acknowledged
            tampered = BODY.replace(b"success", b"fail!!!")
            assert post(tampered, signed(BODY, now)) == 400
            assert post(BODY, {"Content-Type": "application/json"}) == 400  # unsigned
            assert post(BODY, signed(BODY, now - 3600)) == 400  # stale: a replay
            other = sign_webhook(BODY, "whsec_wrong", now)
            assert post(BODY, {**signed(BODY, now), "X-HiAPI-Signature": other}) == 400
        assert post_declaring(receiver.url, 10**9) == 413
    assert seen == ["tk-hiapi-1"]  # acted on once
    assert receiver.duplicates == 1
    assert len(receiver.rejected) == 4
    assert any("stale" in reason for reason in receiver.rejected)


def test_real_key_needs_a_public_url(
    load_example: Loader, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HIAPI_API_KEY", "sk-not-used")  # nothing is sent: it stops first
    example = load_example("webhook_receiver")
    assert example.main([]) == 2
    assert "--public-url" in capsys.readouterr().out
