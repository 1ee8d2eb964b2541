"""Reading reply bodies (`_bodies`): JSON parsing and handing the body to the caller."""

from __future__ import annotations

import json

import httpx
import pytest

from langchain_hiapi._exchange import send
from langchain_hiapi._steps import adrive, drive
from langchain_hiapi.errors import InvalidResponseError
from tests._support.client import (
    BASE,
    Chunks,
    Harness,
    Server,
    call,
)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"<html>not json</html>", "non-JSON body: <html>not json</html>"),
        (b"\xff\xfe\x00garbage", "non-JSON body"),
        (b"[1, 2, 3]", "expected a JSON object, got list"),
        (b"", "non-JSON body: <empty body>"),
    ],
)
async def test_invalid_2xx_body(mode: str, content: bytes, match: str) -> None:
    h = Harness(mode, Server(httpx.Response(200, content=content)))
    with pytest.raises(InvalidResponseError, match=match) as info:
        await h.json()
    assert info.value.status_code == 200
    assert h.calls == 1


async def test_read_body_goes_to_the_caller_not_the_response(mode: str) -> None:
    # Only httpx's public API: the body is handed over in a list the JSON parser empties,
    # never left on the Response (httpx's private `_content`), where it would outlive the
    # parse in a reference cycle (a 16 MB image reply held twice).
    payload = {"data": "x" * 100_000}
    encoded = json.dumps(payload).encode()

    def streamed(request: httpx.Request) -> httpx.Response:
        # Streamed like a real socket (an in-memory body is already read by httpx).
        chunks = [encoded[i : i + 4096] for i in range(0, len(encoded), 4096)]
        return httpx.Response(
            200, headers={"content-type": "application/json"}, stream=Chunks(chunks)
        )

    server = Server(streamed)
    h = Harness(mode, server)
    client = h.client
    sink: list[bytes] = []
    calls = client._calls()
    http = client._sync_client() if mode == "sync" else client._async_client_for_loop()
    request = http.build_request("GET", BASE + "tasks")
    flow = send(calls, http, request, calls.deadline(), read_body=True, sink=sink)
    response = drive(flow, client._io()) if mode == "sync" else await adrive(flow, client._aio())
    assert response.status_code == 200
    assert json.loads(sink.pop()) == payload
    with pytest.raises(httpx.ResponseNotRead):
        response.content  # noqa: B018
    assert await h.json("GET", "/tasks") == payload  # request_json parses from the sink


async def test_non_json_2xx_is_invalid_response(mode: str) -> None:
    h = Harness(mode, Server(httpx.Response(200, content=b"<html>hi</html>")))
    with pytest.raises(InvalidResponseError, match="non-JSON"):
        await call(h, "GET", "/tasks/x")
    assert h.calls == 1
