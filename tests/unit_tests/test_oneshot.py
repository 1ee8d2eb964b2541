"""One-call plumbing: a flow on the caller's client or on one built (and closed) for the call."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import httpx
import pytest

from langchain_hiapi._client import HiAPIClient
from langchain_hiapi._flows import Call
from langchain_hiapi._oneshot import (
    CONNECTION_DEFAULTS,
    FetchBytes,
    arun_once,
    build_client,
    connection,
    run_once,
)

KEY = "sk-oneshot-unit-key"
BASE = "https://api.hiapi.ai/v1"


def answer(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/models"):
        return httpx.Response(200, json={"data": []})
    return httpx.Response(200, content=b"bytes!", headers={"Content-Type": "text/plain"})


def flow(client: HiAPIClient) -> Generator[Any, Any, tuple[Any, ...]]:
    listed = yield Call("GET", "/models")
    fetched = yield FetchBytes(f"{BASE}/files/a.txt", client.limits.max_response_bytes, "x")
    return listed.json, fetched


def settings(**overrides: Any) -> dict[str, Any]:
    return {**CONNECTION_DEFAULTS, "api_key": KEY, "base_url": BASE, **overrides}


def test_run_once_on_a_built_client_closes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[httpx.Client] = []
    real = httpx.Client

    def client(**kwargs: Any) -> httpx.Client:
        made.append(real(transport=httpx.MockTransport(answer), **kwargs))
        return made[-1]

    monkeypatch.setattr(httpx, "Client", client)
    assert run_once(flow, settings()) == ({"data": []}, (b"bytes!", "text/plain"))
    assert made and all(c.is_closed for c in made)


async def test_arun_once_leaves_the_callers_client_open() -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    client = HiAPIClient(base_url=BASE, api_key=None, http_async_client=http)
    assert await arun_once(flow, settings(client=client)) == (
        {"data": []},
        (b"bytes!", "text/plain"),
    )
    assert not http.is_closed
    await http.aclose()


def test_a_borrowed_client_is_never_closed() -> None:
    http = httpx.Client(transport=httpx.MockTransport(answer))
    client = HiAPIClient(base_url=BASE, api_key=None, http_client=http)
    with connection(settings(client=client)) as leased:
        assert leased is client
    assert not http.is_closed


def test_build_client_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIAPI_API_KEY", KEY)
    monkeypatch.setenv("HIAPI_BASE_URL", "https://gw.test/v1")
    client = build_client(api_key=None, base_url=None, timeout=1.0, max_retries=0)
    assert client.base_url == "https://gw.test/v1"
    with pytest.raises(TypeError, match="api_key must be a string or a SecretStr, got list"):
        build_client(api_key=[KEY], base_url=None, timeout=1.0, max_retries=0)  # type: ignore[arg-type]
