"""Concurrent flows: a scheduler flow that runs many `_flows` sub-flows at once.

A scheduler is an I/O-free generator like any flow, with three more steps: `Spawn` starts a
sub-flow (a create, a poll round, a download) without waiting for it, `Next` waits until one
spawned sub-flow finishes (or a timeout passes) and returns its `Finished` outcome, and `Emit`
hands a value to whoever iterates the driver. The drivers below run sub-flows with the
ordinary `run_sync` (in worker threads) or `run_async` (as asyncio tasks): they are the only
place where sync and async differ. Tests drive a scheduler by hand with scripted outcomes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import time
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

from langchain_hiapi._flows import (
    AsyncRunner,
    Flow,
    Notify,
    Now,
    Sleep,
    SyncRunner,
    run_async,
    run_sync,
)

__all__ = [
    "Emit",
    "Finished",
    "Next",
    "Scheduler",
    "SchedulerStep",
    "Spawn",
    "iterate_async",
    "iterate_sync",
]

T = TypeVar("T")


@dataclass(frozen=True)
class Spawn:
    """Start `flow` concurrently; its outcome comes back from a later `Next`, with `tag`."""

    tag: Any
    flow: Flow[Any]


@dataclass(frozen=True)
class Next:
    """Wait for the next spawned flow to finish.

    The result is a `Finished`, or `None` when `timeout` seconds passed first.
    """

    timeout: float | None = None


@dataclass(frozen=True)
class Finished:
    """The outcome of a spawned flow: its return value, or the exception it raised."""

    tag: Any
    value: Any = None
    error: Exception | None = None


@dataclass(frozen=True)
class Emit:
    """Hand `value` to the caller iterating the driver; the result is `None`."""

    value: Any


SchedulerStep = Spawn | Next | Emit | Now | Notify | Sleep
Scheduler = Generator[SchedulerStep, Any, None]


def _no_work(step: Next) -> None:
    if step.timeout is None:
        raise RuntimeError("Next() without a timeout while nothing is running would never end")


def iterate_sync(
    scheduler: Scheduler,
    client: SyncRunner,
    *,
    max_workers: int,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    wall_clock: Callable[[], float] = time.time,
) -> Generator[Any, None, None]:
    """Runs a scheduler with a thread pool, yielding what it emits.

    Closing the iterator early (or an error) closes the scheduler and cancels sub-flows
    that have not started; running ones finish their current request in their thread.

    Args:
        scheduler: The scheduler generator.
        client: Runs the sub-flows' requests (shared by the worker threads).
        max_workers: Worker threads (sub-flows running at once).
        sleep: Sleep function (for `Sleep` steps of the scheduler and the sub-flows).
        clock: Monotonic clock (`Now()`).
        wall_clock: Unix time (`Now(wall=True)`).

    Yields:
        Each emitted value.
    """
    pool = concurrent.futures.ThreadPoolExecutor(max_workers, thread_name_prefix="hiapi-bulk")
    running: dict[concurrent.futures.Future[Any], Any] = {}
    ready: deque[Finished] = deque()

    def start(step: Spawn) -> None:
        future = pool.submit(
            run_sync, step.flow, client, sleep=sleep, clock=clock, wall_clock=wall_clock
        )
        running[future] = step.tag

    def collect(done: set[concurrent.futures.Future[Any]]) -> None:
        for future in done:
            tag = running.pop(future)
            error = future.exception()
            if error is not None and not isinstance(error, Exception):
                raise error  # KeyboardInterrupt and friends are not outcomes
            ready.append(Finished(tag, None if error else future.result(), error))

    def next_finished(step: Next) -> Finished | None:
        if not ready:
            if not running:
                _no_work(step)
                sleep(step.timeout or 0.0)
                return None
            done, _ = concurrent.futures.wait(
                running, timeout=step.timeout, return_when=concurrent.futures.FIRST_COMPLETED
            )
            collect(done)
        return ready.popleft() if ready else None

    result: Any = None
    error: Exception | None = None
    try:
        while True:
            try:
                step = scheduler.send(result) if error is None else scheduler.throw(error)
            except StopIteration:
                return
            result, error = None, None
            try:
                if isinstance(step, Spawn):
                    start(step)
                elif isinstance(step, Next):
                    result = next_finished(step)
                elif isinstance(step, Emit):
                    yield step.value
                elif isinstance(step, Now):
                    result = wall_clock() if step.wall else clock()
                elif isinstance(step, Sleep):
                    sleep(step.seconds)
                else:
                    step.callback(step.value)
            except Exception as exc:  # handed to the scheduler, which re-raises what it can't
                error = exc
    finally:
        scheduler.close()
        pool.shutdown(wait=False, cancel_futures=True)


async def iterate_async(
    scheduler: Scheduler,
    client: AsyncRunner,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    wall_clock: Callable[[], float] = time.time,
) -> AsyncGenerator[Any, None]:
    """Async `iterate_sync`: sub-flows run as asyncio tasks, cancelled when it stops."""
    running: dict[asyncio.Task[Any], Any] = {}
    ready: deque[Finished] = deque()

    def collect(done: set[asyncio.Task[Any]]) -> None:
        for task in done:
            tag = running.pop(task)
            error = task.exception()
            if error is not None and not isinstance(error, Exception):
                raise error
            ready.append(Finished(tag, None if error else task.result(), error))

    async def next_finished(step: Next) -> Finished | None:
        if not ready:
            if not running:
                _no_work(step)
                await sleep(step.timeout or 0.0)
                return None
            done, _ = await asyncio.wait(
                running, timeout=step.timeout, return_when=asyncio.FIRST_COMPLETED
            )
            collect(done)
        return ready.popleft() if ready else None

    result: Any = None
    error: Exception | None = None
    try:
        while True:
            try:
                step = scheduler.send(result) if error is None else scheduler.throw(error)
            except StopIteration:
                return
            result, error = None, None
            try:
                if isinstance(step, Spawn):
                    flow = run_async(
                        step.flow, client, sleep=sleep, clock=clock, wall_clock=wall_clock
                    )
                    running[asyncio.ensure_future(flow)] = step.tag
                elif isinstance(step, Next):
                    result = await next_finished(step)
                elif isinstance(step, Emit):
                    yield step.value
                elif isinstance(step, Now):
                    result = wall_clock() if step.wall else clock()
                elif isinstance(step, Sleep):
                    await sleep(step.seconds)
                else:
                    outcome = step.callback(step.value)
                    if inspect.isawaitable(outcome):
                        await outcome
            except Exception as exc:  # handed to the scheduler, which re-raises what it can't
                error = exc
    finally:
        scheduler.close()
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
