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
import functools
import time
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from langchain_hiapi._flows import (
    AsyncRunner,
    Cursor,
    Flow,
    Handler,
    Notify,
    Now,
    Sleep,
    SyncRunner,
    clock_handlers,
    run_async,
    run_sync,
    settle,
)

__all__ = [
    "Emit",
    "Finished",
    "Next",
    "Outcomes",
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


class Outcomes:
    """The spawned flows still running (future or task -> tag) and those finished, in order."""

    def __init__(self) -> None:
        self.running: dict[Any, Any] = {}
        self.ready: deque[Finished] = deque()

    def waiting(self, step: Next) -> bool:
        """Whether `Next` must wait: nothing has finished yet.

        Raises:
            RuntimeError: Nothing runs and there is no timeout: it would never end.
        """
        if not self.ready and not self.running and step.timeout is None:
            raise RuntimeError("Next() without a timeout while nothing is running would never end")
        return not self.ready

    def collect(self, done: Iterable[Any]) -> None:
        """Records the outcomes of finished futures or tasks."""
        for job in done:
            tag = self.running.pop(job)
            error = job.exception()
            if error is not None and not isinstance(error, Exception):
                raise error  # KeyboardInterrupt and friends are not outcomes
            self.ready.append(Finished(tag, None if error else job.result(), error))

    def pop(self) -> Finished | None:
        """The next finished flow, if any."""
        return self.ready.popleft() if self.ready else None


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
    jobs = Outcomes()

    def start(step: Spawn) -> None:
        run = functools.partial(run_sync, sleep=sleep, clock=clock, wall_clock=wall_clock)
        jobs.running[pool.submit(run, step.flow, client)] = step.tag

    def next_finished(step: Next) -> Finished | None:
        if jobs.waiting(step) and jobs.running:
            first = concurrent.futures.FIRST_COMPLETED
            jobs.collect(concurrent.futures.wait(jobs.running, step.timeout, first)[0])
        elif jobs.waiting(step):
            sleep(step.timeout or 0.0)
        return jobs.pop()

    handlers: dict[type, Handler] = {Spawn: start, Next: next_finished}
    try:
        with Cursor(scheduler, {**handlers, **clock_handlers(sleep, clock, wall_clock)}) as cursor:
            for step in cursor:
                with cursor.outcome():
                    cursor.result = yield from _emit_or_start(cursor, step)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _emit_or_start(cursor: Cursor[None], step: Any) -> Generator[Any, None, Any]:
    """Hands an `Emit` step's value out of the sync driver; starts any other step."""
    if isinstance(step, Emit):
        yield step.value
        return None
    return cursor.handle(step)


async def iterate_async(
    scheduler: Scheduler,
    client: AsyncRunner,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    wall_clock: Callable[[], float] = time.time,
) -> AsyncGenerator[Any, None]:
    """Async `iterate_sync`: sub-flows run as asyncio tasks, cancelled when it stops."""
    jobs = Outcomes()

    def start(step: Spawn) -> None:
        flow = run_async(step.flow, client, sleep=sleep, clock=clock, wall_clock=wall_clock)
        jobs.running[asyncio.ensure_future(flow)] = step.tag

    async def next_finished(step: Next) -> Finished | None:
        if jobs.waiting(step) and jobs.running:
            first = asyncio.FIRST_COMPLETED
            jobs.collect(
                (await asyncio.wait(jobs.running, timeout=step.timeout, return_when=first))[0]
            )
        elif jobs.waiting(step):
            await sleep(step.timeout or 0.0)
        return jobs.pop()

    handlers: dict[type, Handler] = {Spawn: start, Next: next_finished}
    try:
        with Cursor(scheduler, {**handlers, **clock_handlers(sleep, clock, wall_clock)}) as cursor:
            for step in cursor:
                if isinstance(step, Emit):
                    yield step.value
                    continue
                with cursor.outcome():
                    cursor.result = await settle(cursor.handle(step))
    finally:
        for task in jobs.running:
            task.cancel()
        if jobs.running:
            await asyncio.gather(*jobs.running, return_exceptions=True)
