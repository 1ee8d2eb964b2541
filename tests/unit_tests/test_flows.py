"""The flow drivers: steps executed in order, errors thrown into the flow, one flow for both.

Issue 11, behaviour 7: the same generator runs under the sync and the async driver.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from langchain_hiapi._client import JSONReply
from langchain_hiapi._files import FetchedFile
from langchain_hiapi._flows import Call, Fetch, Flow, Notify, Now, Sleep, run_async, run_sync
from langchain_hiapi.errors import NotFoundError, RateLimitError
from tests._support.task_world import ok


class FakeClient:
    """Records calls; answers from a queue (an exception is raised)."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[Any, ...]] = []

    def _next(self) -> Any:
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> JSONReply:
        self.calls.append(("request", method, path, body, headers, params))
        return self._next()  # type: ignore[no-any-return]

    def fetch_to_file(
        self, url: str, dest_dir: str | os.PathLike[str], stem: str, *, max_bytes: int
    ) -> FetchedFile:
        self.calls.append(("fetch", url, dest_dir, stem, max_bytes))
        return self._next()  # type: ignore[no-any-return]

    async def arequest(self, *args: Any, **kwargs: Any) -> JSONReply:
        return self.request(*args, **kwargs)

    async def afetch_to_file(self, *args: Any, **kwargs: Any) -> FetchedFile:
        return self.fetch_to_file(*args, **kwargs)


def every_step(seen: list[Any]) -> Flow[str]:
    started = yield Now()
    wall = yield Now(wall=True)
    first = yield Call("GET", "/tasks/a", params={"x": 1})
    yield Sleep(1.5)
    try:
        yield Call("GET", "/tasks/b")
    except RateLimitError as exc:
        seen.append(("handled", exc.status_code))
    yield Notify(seen.append, "note")
    fetched = yield Fetch("https://cdn/x.png", "out", "stem", 10)
    return f"{started}-{wall}-{first.json['data']}-{fetched.size}"


def answers() -> FakeClient:
    return FakeClient(
        ok("A"),
        RateLimitError("slow", status_code=429),
        FetchedFile(Path("out/stem.png"), "image/png", 7),
    )


def test_sync_driver_runs_every_step() -> None:
    seen: list[Any] = []
    client = answers()
    sleeps: list[float] = []
    result = run_sync(
        every_step(seen), client, sleep=sleeps.append, clock=lambda: 5.0, wall_clock=lambda: 9.0
    )
    assert result == "5.0-9.0-A-7"
    assert sleeps == [1.5]
    assert seen == [("handled", 429), "note"]
    assert [c[0:3] for c in client.calls] == [
        ("request", "GET", "/tasks/a"),
        ("request", "GET", "/tasks/b"),
        ("fetch", "https://cdn/x.png", "out"),
    ]
    assert client.calls[0][5] == {"x": 1}


async def test_async_driver_runs_the_same_flow() -> None:
    seen: list[Any] = []
    client = answers()
    sleeps: list[float] = []

    async def asleep(seconds: float) -> None:
        sleeps.append(seconds)

    result = await run_async(
        every_step(seen), client, sleep=asleep, clock=lambda: 5.0, wall_clock=lambda: 9.0
    )
    assert result == "5.0-9.0-A-7"
    assert sleeps == [1.5]
    assert seen == [("handled", 429), "note"]


async def test_async_driver_awaits_async_callbacks() -> None:
    seen: list[str] = []

    async def callback(value: str) -> None:
        seen.append(value)

    def flow() -> Flow[None]:
        yield Notify(callback, "a")
        yield Notify(seen.append, "b")

    await run_async(flow(), FakeClient())
    assert seen == ["a", "b"]


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_unhandled_error_propagates_and_closes_the_flow(mode: str) -> None:
    closed: list[bool] = []

    def flow() -> Flow[None]:
        try:
            yield Call("GET", "/tasks/x")
        finally:
            closed.append(True)

    async def go() -> None:
        client = FakeClient(NotFoundError("gone", status_code=404))
        if mode == "sync":
            run_sync(flow(), client)
        else:
            await run_async(flow(), client)

    with pytest.raises(NotFoundError):
        await go()
    assert closed == [True]


def test_callback_error_reaches_the_caller() -> None:
    def boom(_: Any) -> None:
        raise KeyError("user code")

    def flow() -> Flow[None]:
        yield Notify(boom, 1)

    with pytest.raises(KeyError, match="user code"):
        run_sync(flow(), FakeClient())
