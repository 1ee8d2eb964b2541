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
from collections.abc import Awaitable, Callable, Generator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, cast

from langchain_hiapi._client import JSONReply
from langchain_hiapi._files import FetchedFile

__all__ = [
    "AsyncRunner",
    "Call",
    "Cursor",
    "Fetch",
    "Flow",
    "Handler",
    "Notify",
    "Now",
    "Sleep",
    "Step",
    "SyncRunner",
    "clock_handlers",
    "flow_handlers",
    "run_async",
    "run_sync",
    "settle",
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

    @property
    def request(self) -> Callable[..., JSONReply]: ...  # HiAPIClient.request

    @property
    def fetch_to_file(self) -> Callable[..., FetchedFile]: ...  # HiAPIClient.fetch_to_file


class AsyncRunner(Protocol):
    """What the async driver needs from a client (``HiAPIClient`` has it)."""

    @property
    def arequest(self) -> Callable[..., Awaitable[JSONReply]]: ...

    @property
    def afetch_to_file(self) -> Callable[..., Awaitable[FetchedFile]]: ...


Handler = Callable[[Any], Any]
"""Runs one step; the async drivers await a result that is awaitable."""


def clock_handlers(
    sleep: Callable[[float], Any], clock: Callable[[], float], wall_clock: Callable[[], float]
) -> dict[type, Handler]:
    """Handlers of the steps every driver runs the same way: `Sleep`, `Now`, `Notify`."""
    return {
        Sleep: lambda step: sleep(step.seconds),
        Now: lambda step: wall_clock() if step.wall else clock(),
        Notify: lambda step: step.callback(step.value),
    }


def flow_handlers(
    request: Callable[..., Any],
    fetch: Callable[..., Any],
    sleep: Callable[[float], Any],
    clock: Callable[[], float],
    wall_clock: Callable[[], float],
) -> dict[type, Handler]:
    """Handlers of every `Step`, sending requests with `request` and files with `fetch`."""
    return {
        Call: lambda s: request(s.method, s.path, s.body, headers=s.headers, params=s.params),
        Fetch: lambda s: fetch(s.url, s.dest_dir, s.stem, max_bytes=s.max_bytes),
        **clock_handlers(sleep, clock, wall_clock),
    }


async def settle(outcome: Any) -> Any:
    """An outcome, awaited if it is awaitable (what the async drivers do with a result)."""
    return await outcome if inspect.isawaitable(outcome) else outcome


class Cursor(Generic[T]):
    """Steps a flow: iterate it for the steps, set `result` or `error` for each one.

    A step's error is thrown into the flow, so the flow handles it with an ordinary
    ``try``. Used as a context manager it closes the flow on the way out.
    """

    def __init__(self, flow: Generator[Any, Any, T], handlers: Mapping[type, Handler]) -> None:
        self._flow = flow
        self._handlers = handlers
        self.result: Any = None
        self.error: Exception | None = None
        self._value: Any = None

    def __enter__(self) -> Cursor[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._flow.close()

    def __iter__(self) -> Iterator[Any]:
        while True:
            try:
                if self.error is None:
                    step = self._flow.send(self.result)
                else:
                    step = self._flow.throw(self.error)
            except StopIteration as stop:
                self._value = stop.value
                return
            self.result, self.error = None, None
            yield step

    def handle(self, step: Any) -> Any:
        """Starts the step with its handler (an awaitable for the async drivers)."""
        return self._handlers[type(step)](step)

    @contextmanager
    def outcome(self) -> Iterator[None]:
        """Keeps an error of the step run in this block, for the flow to handle."""
        try:
            yield
        except Exception as exc:  # handed to the flow, which re-raises what it can't handle
            self.error = exc

    @property
    def value(self) -> T:
        """The flow's return value (once the iteration ended)."""
        return cast(T, self._value)


def run_sync(
    flow: Generator[Any, Any, T],
    client: SyncRunner,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    wall_clock: Callable[[], float] = time.time,
    handlers: Mapping[type, Handler] | None = None,
) -> T:
    """Runs a flow to completion with blocking I/O.

    Args:
        flow: The generator (of `Step`s, or of steps `handlers` runs).
        client: Sends requests and downloads files.
        sleep: The sleep function.
        clock: Monotonic clock (``Now()``).
        wall_clock: Unix time (``Now(wall=True)``).
        handlers: Handlers of the caller's own step types (e.g. a download into memory).

    Returns:
        The flow's return value.

    Raises:
        Exception: Whatever the flow raises (a step's error it does not handle included).
    """
    steps = flow_handlers(client.request, client.fetch_to_file, sleep, clock, wall_clock)
    steps.update(handlers or {})
    with Cursor(flow, steps) as cursor:
        for step in cursor:
            with cursor.outcome():
                cursor.result = cursor.handle(step)
    return cursor.value


async def run_async(
    flow: Generator[Any, Any, T],
    client: AsyncRunner,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    wall_clock: Callable[[], float] = time.time,
    handlers: Mapping[type, Handler] | None = None,
) -> T:
    """Async :func:`run_sync` (a callback may return an awaitable, which is awaited)."""
    steps = flow_handlers(client.arequest, client.afetch_to_file, sleep, clock, wall_clock)
    steps.update(handlers or {})
    with Cursor(flow, steps) as cursor:
        for step in cursor:
            with cursor.outcome():
                cursor.result = await settle(cursor.handle(step))
    return cursor.value
