"""The I/O steps of the HTTP client's flows, and the sync and async drivers that perform them.

A flow (see `_exchange`) is a generator that yields steps (open a client, send a request,
read a chunk, close a reply, sleep, resolve a host, hand an event to the consumer) and
receives each step's result; a failed step's exception is thrown into the flow, which
handles it with an ordinary ``try`` (the pattern of httpx's auth flows). Only the step
handlers below differ between sync and async, each in a line or two.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import Any, Generic, NamedTuple, TypeVar

import httpx

from langchain_hiapi import _netguard
from langchain_hiapi._downloads import DownloadPolicy, Resolver, Target
from langchain_hiapi.timeouts import Deadline

__all__ = [
    "AsyncIO",
    "Chunks",
    "Close",
    "Emit",
    "Flow",
    "NextChunk",
    "OpenClient",
    "Resolve",
    "Send",
    "Sleep",
    "SyncIO",
    "Turn",
    "adrive",
    "aiterate",
    "drive",
    "iterate",
]

T = TypeVar("T")


# The steps; a flow yields one and gets its result back (see each handler in `SyncIO.do`).
# The httpx client to use: the given one, else (None) the mode's pooled client.
class OpenClient(NamedTuple):
    client: Any


# `client.send(request, stream=True)` under `_netguard.guard(deadline, pick)`: the reply.
class Send(NamedTuple):
    client: Any
    request: httpx.Request
    deadline: Deadline
    pick: _netguard.AddressPicker | None


# An opaque iterator of a reply's raw (still encoded) body chunks.
class Chunks(NamedTuple):
    response: httpx.Response


# The next raw chunk of a `Chunks` iterator under the guard, None at the end.
class NextChunk(NamedTuple):
    chunks: Any
    deadline: Deadline | None


# Closes a reply (its connection goes back to the pool when it was fully read).
class Close(NamedTuple):
    response: httpx.Response


# Pauses with the client's (injectable) sleep function.
class Sleep(NamedTuple):
    seconds: float


# Resolves and checks a download target's host (blocking: off the event loop in async).
class Resolve(NamedTuple):
    policy: DownloadPolicy
    target: Target
    resolver: Resolver


# Hands a value to the consumer of a streaming flow (see `iterate`).
class Emit(NamedTuple):
    value: Any


Step = OpenClient | Send | Chunks | NextChunk | Close | Sleep | Resolve | Emit
Flow = Generator[Step, Any, T]


class _IO:
    """What both drivers share: the step that needs no I/O."""

    def __init__(self, pooled: Callable[[], Any]) -> None:
        self._pooled = pooled

    def open_client(self, step: OpenClient) -> Any:
        return step.client if step.client is not None else self._pooled()


class SyncIO(_IO):
    """Performs steps with blocking I/O (a method a step type; see `do`)."""

    def __init__(self, pooled: Callable[[], httpx.Client], sleep: Callable[[float], None]) -> None:
        super().__init__(pooled)
        self._sleep = sleep

    def do(self, step: Step) -> Any:
        """Performs one step and returns its result."""
        return _SYNC[type(step)](self, step)

    def send(self, step: Send) -> Any:
        with _netguard.guard(step.deadline, step.pick):
            return step.client.send(step.request, stream=True, follow_redirects=False)

    def next_chunk(self, step: NextChunk) -> bytes | None:
        with _netguard.guard(step.deadline):
            return next(step.chunks, None)

    def chunks(self, step: Chunks) -> Iterator[bytes]:
        response = step.response
        # Built in memory (a mock transport): httpx has read and decoded the body already.
        return iter((response.content,)) if response.is_stream_consumed else response.iter_raw()

    def close(self, step: Close) -> None:
        step.response.close()

    def sleep(self, step: Sleep) -> None:
        self._sleep(step.seconds)

    def resolve(self, step: Resolve) -> None:
        step.policy.resolve(step.target, step.resolver)


async def _in_memory(response: httpx.Response) -> AsyncIterator[bytes]:
    yield response.content


class AsyncIO(_IO):
    """Performs steps with async I/O."""

    def __init__(
        self, pooled: Callable[[], httpx.AsyncClient], sleep: Callable[[float], Awaitable[None]]
    ) -> None:
        super().__init__(pooled)
        self._asleep = sleep

    async def ado(self, step: Step) -> Any:
        """Async `SyncIO.do`."""
        handler = _ASYNC.get(type(step))
        if handler is None:  # no I/O: `OpenClient`
            return self.open_client(step)  # type: ignore[arg-type]
        return await handler(self, step)

    async def asend(self, step: Send) -> Any:
        with _netguard.guard(step.deadline, step.pick):
            return await step.client.send(step.request, stream=True, follow_redirects=False)

    async def anext_chunk(self, step: NextChunk) -> bytes | None:
        with _netguard.guard(step.deadline):
            return await anext(step.chunks, None)

    async def achunks(self, step: Chunks) -> AsyncIterator[bytes]:
        response = step.response
        return _in_memory(response) if response.is_stream_consumed else response.aiter_raw()

    async def aclose(self, step: Close) -> None:
        await step.response.aclose()

    async def asleep(self, step: Sleep) -> None:
        await self._asleep(step.seconds)

    async def aresolve(self, step: Resolve) -> None:
        if step.target.access == "public":  # the resolver blocks: keep it off the loop
            await asyncio.to_thread(step.policy.resolve, step.target, step.resolver)
        else:
            step.policy.resolve(step.target, step.resolver)


# Dispatch by step type (a dict lookup per step, not a chain of isinstance checks).
_SYNC: dict[type, Callable[[Any, Any], Any]] = {
    OpenClient: _IO.open_client,
    Send: SyncIO.send,
    NextChunk: SyncIO.next_chunk,
    Chunks: SyncIO.chunks,
    Close: SyncIO.close,
    Sleep: SyncIO.sleep,
    Resolve: SyncIO.resolve,
}
# The steps that do I/O in async (`OpenClient` has none: `_IO.open_client` serves it).
_ASYNC: dict[type, Callable[[Any, Any], Awaitable[Any]]] = {
    Send: AsyncIO.asend,
    NextChunk: AsyncIO.anext_chunk,
    Chunks: AsyncIO.achunks,
    Close: AsyncIO.aclose,
    Sleep: AsyncIO.asleep,
    Resolve: AsyncIO.aresolve,
}


class Turn(Generic[T]):
    """A flow being driven: its next step, or its return value once it has ended."""

    def __init__(self, flow: Flow[T]) -> None:
        self._flow = flow
        self.step: Step | None = None
        self.value: T | None = None

    def ok(self, result: Any) -> None:
        """Resumes the flow with a step's result."""
        try:
            self.step = self._flow.send(result)
        except StopIteration as stop:
            self.step, self.value = None, stop.value

    def fail(self, exc: BaseException) -> None:
        """Throws a step's exception into the flow (which re-raises what it can't handle)."""
        try:
            self.step = self._flow.throw(exc)
        except StopIteration as stop:
            self.step, self.value = None, stop.value


def iterate(turn: Turn[Any], io: SyncIO) -> Iterator[Any]:
    """Drives a flow, yielding the values it `Emit`s; closing this closes the flow cleanly."""
    turn.ok(None)
    while (step := turn.step) is not None:
        try:
            result = (yield step.value) if isinstance(step, Emit) else io.do(step)
        except BaseException as exc:  # GeneratorExit too: the flow closes its reply
            turn.fail(exc)
        else:
            turn.ok(result)


async def aiterate(turn: Turn[Any], io: AsyncIO) -> AsyncIterator[Any]:
    """Async `iterate`."""
    turn.ok(None)
    while (step := turn.step) is not None:
        try:
            result = (yield step.value) if isinstance(step, Emit) else await io.ado(step)
        except BaseException as exc:  # GeneratorExit and cancellation too
            turn.fail(exc)
        else:
            turn.ok(result)


def drive(flow: Flow[T], io: SyncIO) -> T:
    """Runs a flow that emits nothing to its end and returns its value."""
    turn = Turn(flow)
    for _ in iterate(turn, io):
        raise TypeError("this flow emits values: use iterate()")
    return turn.value  # type: ignore[return-value]


async def adrive(flow: Flow[T], io: AsyncIO) -> T:
    """Async `drive`."""
    turn = Turn(flow)
    async for _ in aiterate(turn, io):
        raise TypeError("this flow emits values: use aiterate()")
    return turn.value  # type: ignore[return-value]
