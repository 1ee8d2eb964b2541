"""`HiAPIClient` end to end over ``httpx.MockTransport`` (no sockets, no real sleeping).

Secrets kept out of errors and logs, and the lifecycle of the connection pools.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from langchain_hiapi._client import HiAPIClient
from langchain_hiapi.errors import HiAPIError
from tests._support.client import (
    BASE,
    CHUNK,
    KEY,
    Harness,
    Server,
    error_reply,
    ok,
    sse,
    sse_reply,
)


async def test_key_never_in_errors_or_logs(mode: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    scenarios: list[tuple[Server, Callable[[Harness], Any]]] = [
        (Server(error_reply(429, headers={"Retry-After": "1"})), Harness.json),
        (Server(error_reply(401, "Invalid token")), Harness.json),
        (Server(httpx.ConnectError("refused")), Harness.json),
        (Server(httpx.ReadTimeout("slow")), Harness.json),
        (Server(httpx.Response(200, content=b"<html>")), Harness.json),
        (Server(sse_reply(sse(CHUNK, done=False), httpx.ReadError("reset"))[0]), Harness.stream),
    ]
    for server, call in scenarios:
        h = Harness(mode, server)
        with pytest.raises(HiAPIError) as info:
            await call(h)
        errors.append(info.value)
        assert KEY not in repr(h.client)
    for err in errors:
        assert KEY not in str(err)
        assert KEY not in repr(err)
        assert KEY not in repr(vars(err))
    messages = [record.getMessage() for record in caplog.records]
    assert messages
    assert all(KEY not in m for m in messages)
    assert all("authorization" not in m.lower() for m in messages)
    joined = "\n".join(messages)
    assert "POST https://api.test/v1/chat/completions (attempt 1)" in joined
    assert "status 429; retry 1 of 2 in 1.00 s" in joined
    assert "ConnectError; retry 2 of 2" in joined


@pytest.fixture
def owned_transport(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Make the clients HiAPIClient creates itself use a MockTransport."""
    state: dict[str, Any] = {"server": Server(ok()), "sync": [], "async": []}
    transport = httpx.MockTransport(state["server"])
    real_client, real_async = httpx.Client, httpx.AsyncClient

    def make_client(**kwargs: Any) -> httpx.Client:
        client = real_client(transport=transport, **kwargs)
        state["sync"].append(client)
        return client

    def make_async(**kwargs: Any) -> httpx.AsyncClient:
        client = real_async(transport=transport, **kwargs)
        state["async"].append(client)
        return client

    monkeypatch.setattr(httpx, "Client", make_client)
    monkeypatch.setattr(httpx, "AsyncClient", make_async)
    return state


def test_sync_client_created_lazily_and_reused(owned_transport: dict[str, Any]) -> None:
    client = HiAPIClient(base_url=BASE, api_key=SecretStr(KEY), timeout=3.0)
    assert owned_transport["sync"] == []
    client.request_json("GET", "/models")
    client.request_json("GET", "/models")
    (created,) = owned_transport["sync"]
    assert created.timeout.read == 3.0
    client.close()
    assert created.is_closed
    client.request_json("GET", "/models")  # a closed pool is replaced on next use
    assert len(owned_transport["sync"]) == 2
    client.close()


async def test_async_client_created_lazily_and_reused(owned_transport: dict[str, Any]) -> None:
    async with HiAPIClient(base_url=BASE, api_key=SecretStr(KEY)) as client:
        await client.arequest_json("GET", "/models")
        await client.arequest_json("GET", "/models")
        (created,) = owned_transport["async"]
    assert created.is_closed


def test_async_client_per_event_loop(owned_transport: dict[str, Any]) -> None:
    client = HiAPIClient(base_url=BASE, api_key=SecretStr(KEY))
    asyncio.run(client.arequest_json("GET", "/models"))
    asyncio.run(client.arequest_json("GET", "/models"))
    assert len(owned_transport["async"]) == 2  # pooled connections cannot cross loops


def test_user_clients_never_closed() -> None:
    transport = httpx.MockTransport(Server(ok()))
    sync_client = httpx.Client(transport=transport)
    async_client = httpx.AsyncClient(transport=transport)
    client = HiAPIClient(
        base_url=BASE, api_key=None, http_client=sync_client, http_async_client=async_client
    )

    async def use_async() -> None:
        await client.arequest_json("GET", "/models")
        await client.aclose()
        async with client:
            pass

    client.request_json("GET", "/models")
    client.close()
    with client:
        pass
    asyncio.run(use_async())
    assert not sync_client.is_closed
    assert not async_client.is_closed
    sync_client.close()
    asyncio.run(async_client.aclose())
