"""Item 4: `timeout` bounds the whole call, however the server trickles.

The clock is injected (`StepClock` advances a fixed step on every reading), so the probes
do not measure time: each hostile server would go on for far longer than the budget, and
would end *normally* if the client let it (a probe that passes shows the client stopped).
"""

from __future__ import annotations

import json
import socket
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from langchain_hiapi import ChatHiAPI
from langchain_hiapi._client import DEFAULT_TIMEOUT, HiAPIClient, RetryPolicy
from langchain_hiapi.errors import APITimeoutError, RateLimitError, StreamError
from langchain_hiapi.timeouts import DEFAULT_TOTAL_TIMEOUT, Deadline, HiAPITimeout, split_timeout
from tests._support.client_calls import get_json, stream
from tests._support.servers import (
    RawServer,
    StepClock,
    chunk,
    repeat,
    reply,
    response_head,
    trickle,
)

KEY = "sk-security-deadline-0123456789"
PAUSE = 0.002  # the hostile server's pace between pieces
PIECES = 3000  # ~6 s of trickling if nobody stops it


def client(server: RawServer, timeout: Any, **kwargs: Any) -> HiAPIClient:
    kwargs.setdefault("clock", StepClock(0.05))
    return HiAPIClient(base_url=server.base_url, api_key=SecretStr(KEY), timeout=timeout, **kwargs)


async def chat_stream(llm: ChatHiAPI, mode: str) -> list[Any]:
    if mode == "sync":
        return list(llm.stream("hi"))
    return [chunk async for chunk in llm.astream("hi")]


async def fetch(c: HiAPIClient, mode: str, url: str) -> tuple[bytes, str]:
    if mode == "sync":
        return c.fetch_bytes(url)
    return await c.afetch_bytes(url)


def body_trickler(conn: socket.socket, head: bytes) -> int:
    body = b" " * PIECES + b"{}"
    conn.sendall(response_head(200, {"Content-Length": str(len(body))}))
    return trickle(conn, repeat(b" ", PIECES), PAUSE, end=b"{}")


def header_trickler(conn: socket.socket, head: bytes) -> int:
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    return trickle(conn, repeat(b"X-Pad: 1\r\n", PIECES), PAUSE, end=b"Content-Length: 2\r\n\r\n{}")


def ping_forever(conn: socket.socket, head: bytes) -> int:
    conn.sendall(
        response_head(200, {"Content-Type": "text/event-stream", "Transfer-Encoding": "chunked"})
    )
    done = chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n"
    return trickle(conn, (chunk(b": PING\n\n") for _ in range(PIECES)), PAUSE, end=done)


@pytest.mark.parametrize("timeout", [5.0, HiAPITimeout(60.0, total=5.0)])
async def test_a_trickled_body_cannot_hold_the_call(mode: str, timeout: Any) -> None:
    with RawServer(body_trickler) as server:
        c = client(server, timeout)
        with pytest.raises(APITimeoutError, match="overall timeout of 5 s"):
            await get_json(c, mode)
        await c.aclose()
    (sent,) = server.results
    assert sent < PIECES


async def test_trickled_headers_cannot_hold_the_call(mode: str) -> None:
    # Needs the socket-level guard: no chunk of the body ever arrives to check between.
    with RawServer(header_trickler) as server:
        c = client(server, HiAPITimeout(60.0, total=5.0))
        with pytest.raises(APITimeoutError, match="overall timeout"):
            await get_json(c, mode)
        await c.aclose()
    (sent,) = server.results
    assert sent < PIECES


async def test_pings_forever_cannot_hold_a_stream(mode: str) -> None:
    with RawServer(ping_forever) as server:
        c = client(server, HiAPITimeout(60.0, total=5.0))
        with pytest.raises(StreamError, match="overall timeout of 5 s"):
            await stream(c, mode)
        await c.aclose()
    (sent,) = server.results
    assert sent < PIECES


async def test_chat_stream_is_bounded_too(mode: str) -> None:
    with RawServer(ping_forever) as server:
        llm = ChatHiAPI(
            model="gpt-4o-mini",
            base_url=server.base_url,
            api_key=KEY,
            timeout=HiAPITimeout(60.0, total=5.0),
        )
        llm.client._clock = StepClock(0.05)
        with pytest.raises(StreamError, match="overall timeout"):
            await chat_stream(llm, mode)
        await llm.client.aclose()


async def test_a_trickled_download_cannot_hold_the_call(mode: str) -> None:
    with RawServer(body_trickler) as server:
        c = client(server, HiAPITimeout(60.0, total=5.0))
        url = f"{server.base_url}/videos/v/content"
        with pytest.raises(APITimeoutError, match="overall timeout"):
            await fetch(c, mode, url)
        await c.aclose()


async def test_no_retry_whose_wait_outlasts_the_budget(mode: str) -> None:
    def limited(conn: socket.socket, head: bytes) -> None:
        reply(conn, 429, b'{"error": {"message": "slow down"}}', {"Retry-After": "30"})

    sleeps: list[float] = []

    async def asleep(delay: float) -> None:
        sleeps.append(delay)

    with RawServer(limited) as server:
        c = client(
            server,
            HiAPITimeout(5.0, total=10.0),
            clock=StepClock(0.0),
            sleep=sleeps.append,
            asleep=asleep,
            retry_policy=RetryPolicy(max_retries=3),
        )
        with pytest.raises(RateLimitError):
            await get_json(c, mode)
        await c.aclose()
        assert server.connections == 1
    assert sleeps == []

    # Without an overall budget the same reply is retried after the wait it asked for.
    with RawServer(limited) as server:
        c = client(server, httpx.Timeout(5.0), sleep=sleeps.append, asleep=asleep)
        with pytest.raises(RateLimitError):
            await get_json(c, mode)
        await c.aclose()
        assert server.connections == 3
    assert sleeps == [30.0, 30.0]


async def test_per_phase_timeouts_still_apply(mode: str) -> None:
    def silent(conn: socket.socket, head: bytes) -> None:
        conn.sendall(response_head(200, {"Content-Length": "2"}))
        conn.recv(1)  # waits for the client to give up

    with RawServer(silent) as server:
        c = client(server, httpx.Timeout(5.0, read=0.2), clock=StepClock(0.0))
        with pytest.raises(APITimeoutError, match="request timed out"):
            await get_json(c, mode)
        await c.aclose()


# ------------------------------------------------------------------------------ settings


def test_how_timeout_values_are_read() -> None:
    assert split_timeout(None) == (None, None)
    phases, total = split_timeout(30)
    assert (phases, total) == (httpx.Timeout(30.0), 30.0)
    assert split_timeout(httpx.Timeout(5.0, read=60.0)) == (httpx.Timeout(5.0, read=60.0), None)
    phases, total = split_timeout(HiAPITimeout(5.0, read=60.0, total=90.0))
    assert type(phases) is httpx.Timeout
    assert (phases, total) == (httpx.Timeout(5.0, read=60.0), 90.0)
    assert DEFAULT_TIMEOUT.total == DEFAULT_TOTAL_TIMEOUT


@pytest.mark.parametrize("bad", [0, -1.0, float("inf"), float("nan"), "5", True])
def test_total_is_validated(bad: Any) -> None:
    with pytest.raises(ValueError, match="total"):
        HiAPITimeout(5.0, total=bad)


def test_hiapi_timeout_round_trips_through_chat_model_serialisation() -> None:
    timeout = HiAPITimeout(5.0, read=60.0, total=90.0)
    llm = ChatHiAPI(api_key=KEY, timeout=timeout)
    dumped = llm.model_dump(mode="json")["timeout"]
    assert dumped == {"connect": 5.0, "read": 60.0, "write": 5.0, "pool": 5.0, "total": 90.0}
    assert ChatHiAPI(api_key=KEY, timeout=dumped).timeout == timeout
    assert HiAPITimeout(5.0, total=1.0) != HiAPITimeout(5.0, total=2.0)
    assert "total=90.0" in repr(timeout)


def test_clamp_never_gives_more_than_what_is_left() -> None:
    clock = StepClock(0.0)
    deadline = Deadline(10.0, clock)
    clock.now = 7.5
    assert deadline.clamp(httpx.Timeout(5.0, read=600.0)) == {
        "connect": 2.5,
        "read": 2.5,
        "write": 2.5,
        "pool": 2.5,
    }
    assert Deadline(None, clock).clamp(None) is None
    clock.now = 11.0
    assert deadline.expired()
    with pytest.raises(APITimeoutError):
        deadline.check("GET /x")


def test_events_json() -> None:
    # The keep-alive server ends with [DONE] when allowed to finish (the probes above rely
    # on it ending normally without the deadline).
    assert json.loads("{}") == {}
