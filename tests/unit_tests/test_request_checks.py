"""Request building and checks (`_request_checks`): headers, URL, body, key, timeout, params."""

from __future__ import annotations

import json

import httpx
import pytest
from pydantic import SecretStr

from langchain_hiapi.timeouts import DEFAULT_TIMEOUT
from tests._support.client import (
    CREATED,
    KEY,
    KEYED,
    Harness,
    Server,
    call,
    ok,
)


async def test_headers_url_and_body(mode: str) -> None:
    h = Harness(mode, Server(ok()), default_headers={"X-Extra": "1", "User-Agent": "custom/1"})
    body = {"model": "Nano-Banana", "messages": [{"role": "user", "content": "画一只猫"}]}
    assert await h.json("POST", "/chat/completions", body) == {"ok": True}
    (req,) = h.server.requests
    assert str(req.url) == "https://api.test/v1/chat/completions"
    assert req.method == "POST"
    assert req.headers["authorization"] == f"Bearer {KEY}"
    assert req.headers["content-type"] == "application/json"
    assert req.headers["accept"] == "application/json"
    assert req.headers["x-extra"] == "1"
    assert req.headers["user-agent"] == "custom/1"  # default_headers are applied last
    expected = '{"model":"Nano-Banana","messages":[{"role":"user","content":"画一只猫"}]}'
    assert req.content == expected.encode()


async def test_default_user_agent_and_get_without_body(mode: str) -> None:
    h = Harness(mode, Server(ok()))
    await h.json("GET", "/models")
    (req,) = h.server.requests
    assert req.headers["user-agent"].startswith("langchain-hiapi/")
    assert "content-type" not in req.headers
    assert req.content == b""


@pytest.mark.parametrize("key", [None, SecretStr("")])
async def test_no_authorization_without_key(mode: str, key: SecretStr | None) -> None:
    h = Harness(mode, Server(ok()), api_key=key)
    await h.json()
    assert "authorization" not in h.server.requests[0].headers


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [
        (DEFAULT_TIMEOUT, {"connect": 10.0, "read": 600.0, "write": 120.0, "pool": 30.0}),
        (5.0, {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}),
        (None, {"connect": None, "read": None, "write": None, "pool": None}),
    ],
)
async def test_timeout_applied_per_request(
    mode: str, timeout: httpx.Timeout | float | None, expected: dict[str, float | None]
) -> None:
    # A frozen clock: a number is also the overall budget, which would otherwise shave
    # a few microseconds off every phase by the time the request is sent.
    h = Harness(mode, Server(ok()), timeout=timeout, clock=lambda: 0.0)
    await h.json()
    assert h.server.requests[0].extensions["timeout"] == expected


async def test_request_params_and_header_validation(mode: str) -> None:
    server = Server(httpx.Response(200, json={"code": 200, "data": {"tasks": []}}))
    h = Harness(mode, server)
    await call(h, "GET", "/tasks", params={"page": 2, "size": 100})
    assert str(server.requests[0].url) == "https://api.test/v1/tasks?page=2&size=100"
    with pytest.raises(ValueError, match=r"headers: the value of 'Idempotency-Key'"):
        await call(h, headers={"Idempotency-Key": "a\nb"})
    assert len(server.requests) == 1


async def test_request_returns_status_headers_json(mode: str) -> None:
    server = Server(httpx.Response(200, json=CREATED, headers={"Idempotent-Replay": "true"}))
    h = Harness(mode, server)
    reply = await call(h, headers=KEYED)
    assert reply.status_code == 200
    assert reply.json == CREATED
    assert reply.header("idempotent-replay") == "true"
    assert reply.header("IDEMPOTENT-REPLAY") == "true"
    assert reply.header("missing") is None
    (req,) = server.requests
    assert req.headers["idempotency-key"] == "k-1"
    assert req.headers["authorization"] == f"Bearer {KEY}"
    assert json.loads(req.content) == {"model": "m", "input": {}}
