"""Multi-request workflows as I/O-free generators, run by a small sync or async driver.

A flow is a generator that yields *steps* (send a request, sleep, download a file, read a
clock, call a user callback) and receives each step's result; a failed step's exception is
thrown into the generator, so a flow handles errors with an ordinary ``try``. The drivers
below are the only place where sync and async differ (the pattern of httpx's auth flows).
Tests drive a flow by hand with scripted answers, without sockets.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from langchain_hiapi._client import JSONReply
from langchain_hiapi._files import FetchedFile

__all__ = [
    "AsyncRunner",
    "Call",
    "Fetch",
    "Flow",
    "Notify",
    "Now",
    "Sleep",
    "Step",
    "SyncRunner",
    "run_async",
    "run_sync",
]

T = TypeVar("T")


@dataclass(frozen=True)
class Call:
    """Send a JSON request (``HiAPIClient.request``); the result is a ``JSONReply``."""

    method: str
    path: str
    body: Mapping[str, Any] | None = None
    headers: Mapping[str, str] | None = None
    params: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Sleep:
    """Pause; the result is ``None``."""

    seconds: float


@dataclass(frozen=True)
class Fetch:
    """Download a URL to a file (``HiAPIClient.fetch_to_file``); result: ``FetchedFile``."""

    url: str
    dest_dir: str | os.PathLike[str]
    stem: str
    max_bytes: int


@dataclass(frozen=True)
class Now:
    """Read a clock: monotonic seconds for deadlines, or Unix time when ``wall``."""

    wall: bool = False


@dataclass(frozen=True)
class Notify:
    """Call a user callback with ``value``; an awaitable result is awaited (async driver)."""

    callback: Callable[[Any], Any]
    value: Any


Step = Call | Sleep | Fetch | Now | Notify
Flow = Generator[Step, Any, T]


class SyncRunner(Protocol):
    """What the sync driver needs from a client (``HiAPIClient`` has it)."""

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> JSONReply: ...

    def fetch_to_file(
        self, url: str, dest_dir: str | os.PathLike[str], stem: str, *, max_bytes: int
    ) -> FetchedFile: ...


class AsyncRunner(Protocol):
    """What the async driver needs from a client (``HiAPIClient`` has it)."""

    async def arequest(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> JSONReply: ...

    async def afetch_to_file(
        self, url: str, dest_dir: str | os.PathLike[str], stem: str, *, max_bytes: int
    ) -> FetchedFile: ...


def run_sync(
    flow: Flow[T],
    client: SyncRunner,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    wall_clock: Callable[[], float] = time.time,
) -> T:
    """Runs a flow to completion with blocking I/O.

    Args:
        flow: The generator.
        client: Sends requests and downloads files.
        sleep: The sleep function.
        clock: Monotonic clock (``Now()``).
        wall_clock: Unix time (``Now(wall=True)``).

    Returns:
        The flow's return value.

    Raises:
        Exception: Whatever the flow raises (a step's error it does not handle included).
    """
    result: Any = None
    error: Exception | None = None
    try:
        while True:
            try:
                step = flow.send(result) if error is None else flow.throw(error)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            result, error = None, None
            try:
                if isinstance(step, Call):
                    result = client.request(
                        step.method, step.path, step.body, headers=step.headers, params=step.params
                    )
                elif isinstance(step, Sleep):
                    sleep(step.seconds)
                elif isinstance(step, Fetch):
                    result = client.fetch_to_file(
                        step.url, step.dest_dir, step.stem, max_bytes=step.max_bytes
                    )
                elif isinstance(step, Now):
                    result = wall_clock() if step.wall else clock()
                else:
                    step.callback(step.value)
            except Exception as exc:  # handed to the flow, which re-raises what it can't handle
                error = exc
    finally:
        flow.close()


async def run_async(
    flow: Flow[T],
    client: AsyncRunner,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    wall_clock: Callable[[], float] = time.time,
) -> T:
    """Async :func:`run_sync` (a callback may return an awaitable, which is awaited)."""
    result: Any = None
    error: Exception | None = None
    try:
        while True:
            try:
                step = flow.send(result) if error is None else flow.throw(error)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            result, error = None, None
            try:
                if isinstance(step, Call):
                    result = await client.arequest(
                        step.method, step.path, step.body, headers=step.headers, params=step.params
                    )
                elif isinstance(step, Sleep):
                    await sleep(step.seconds)
                elif isinstance(step, Fetch):
                    result = await client.afetch_to_file(
                        step.url, step.dest_dir, step.stem, max_bytes=step.max_bytes
                    )
                elif isinstance(step, Now):
                    result = wall_clock() if step.wall else clock()
                else:
                    outcome = step.callback(step.value)
                    if inspect.isawaitable(outcome):
                        await outcome
            except Exception as exc:  # handed to the flow, which re-raises what it can't handle
                error = exc
    finally:
        flow.close()
