"""The concurrent-flow drivers: spawn, wait for the next, emit, errors, timeouts, stopping."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from langchain_hiapi._client import JSONReply
from langchain_hiapi._concurrent import (
    Emit,
    Finished,
    Next,
    Scheduler,
    Spawn,
    iterate_async,
    iterate_sync,
)
from langchain_hiapi._flows import Call, Flow, Notify, Now


class Runner:
    """Answers every Call with its path; a path starting with 'boom' fails; 'gate' blocks."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.gate = threading.Event()

    def _answer(self, path: str) -> JSONReply:
        self.calls.append(path)
        if path.startswith("boom"):
            raise ValueError(f"failed {path}")
        return JSONReply(200, {}, {"path": path})

    def request(self, method: str, path: str, body: Any = None, **_: Any) -> JSONReply:
        if path == "gate":
            assert self.gate.wait(10)
        return self._answer(path)

    async def arequest(self, method: str, path: str, body: Any = None, **_: Any) -> JSONReply:
        if path == "gate":
            await asyncio.sleep(3600)  # cancelled when the driver stops
        return self._answer(path)

    def fetch_to_file(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("not used")

    async def afetch_to_file(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("not used")


def call(path: str) -> Flow[str]:
    reply: JSONReply = yield Call("GET", path)
    return str(reply.json["path"])


def gather_all(paths: list[str]) -> Scheduler:
    """Spawns one flow per path, emits each outcome as it finishes."""
    for path in paths:
        yield Spawn(path, call(path))
    for _ in paths:
        done: Finished = yield Next()
        yield Emit((done.tag, done.value, type(done.error).__name__ if done.error else None))


def run_both(scheduler_factory: Any, mode: str, runner: Runner | None = None) -> list[Any]:
    runner = runner or Runner()
    if mode == "sync":
        return list(iterate_sync(scheduler_factory(), runner, max_workers=4))

    async def collect() -> list[Any]:
        return [x async for x in iterate_async(scheduler_factory(), runner)]

    return asyncio.run(collect())


def test_spawned_flows_finish_and_are_emitted(mode: str) -> None:
    out = run_both(lambda: gather_all(["a", "b", "boom-c"]), mode)
    assert sorted(out) == [("a", "a", None), ("b", "b", None), ("boom-c", None, "ValueError")]


def test_next_with_timeout_returns_none_while_nothing_finishes(mode: str) -> None:
    runner = Runner()

    def scheduler() -> Scheduler:
        yield Spawn("slow", call("gate"))
        first = yield Next(0.01)
        yield Emit(first)
        runner.gate.set()
        if mode == "async":
            return  # the async 'gate' never opens: stopping cancels it
        second: Finished = yield Next()
        yield Emit(second.value)

    out = run_both(scheduler, mode, runner)
    assert out[0] is None
    if mode == "sync":
        assert out[1] == "gate"


def test_next_without_work_and_without_timeout_is_an_error(mode: str) -> None:
    def scheduler() -> Scheduler:
        try:
            yield Next()
        except RuntimeError as exc:
            yield Emit(str(exc))

    (message,) = run_both(scheduler, mode)
    assert "never end" in message


def test_next_without_work_but_with_a_timeout_is_a_timer(mode: str) -> None:
    def scheduler() -> Scheduler:
        start = yield Now()
        result = yield Next(0.01)
        end = yield Now()
        yield Emit((result, end >= start))

    assert run_both(scheduler, mode) == [(None, True)]


def test_notify_and_now_steps(mode: str) -> None:
    seen: list[Any] = []

    def scheduler() -> Scheduler:
        yield Notify(seen.append, "recorded")
        wall = yield Now(wall=True)
        yield Emit(wall > 1e9)

    assert run_both(scheduler, mode) == [True]
    assert seen == ["recorded"]


def test_an_error_in_the_scheduler_reaches_the_caller(mode: str) -> None:
    def scheduler() -> Scheduler:
        yield Emit(1)
        raise KeyError("bad state")

    with pytest.raises(KeyError, match="bad state"):
        run_both(scheduler, mode)


def test_stopping_early_closes_the_scheduler_and_its_flows(mode: str) -> None:
    closed: list[bool] = []
    runner = Runner()

    def scheduler() -> Iterator[Any]:
        try:
            yield Spawn("slow", call("gate"))
            yield Emit("first")
            yield Emit("second")
        finally:
            closed.append(True)

    if mode == "sync":
        results = iterate_sync(scheduler(), runner, max_workers=2)  # type: ignore[arg-type]
        assert next(results) == "first"
        results.close()
        runner.gate.set()
    else:

        async def stop_early() -> None:
            results = iterate_async(scheduler(), runner)  # type: ignore[arg-type]
            assert await anext(results) == "first"
            await results.aclose()

        asyncio.run(stop_early())
    assert closed == [True]
