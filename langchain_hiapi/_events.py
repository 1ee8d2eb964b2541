"""Task status changes as LangChain custom events (`on_custom_event`, `astream_events`).

ChatHiAPI's task route and the generation tools report every status a task goes through
(`queued`, `handling`, `archiving`, `success`, ...) to the callback handlers of the run
that waits for it, so an application can show progress while a video renders.

LangChain hands a chat model's `_stream` no run manager (its `stream()` reports the chunks
itself); there the events go to the runnable that is running the model (a graph node, a
chain step), as `dispatch_custom_event` does, and are dropped when there is none.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManager,
    CallbackManager,
    adispatch_custom_event,
    dispatch_custom_event,
)
from langchain_core.callbacks.manager import AsyncRunManager, RunManager

from langchain_hiapi._task_records import Task

__all__ = ["TASK_STATUS_EVENT", "async_task_reporter", "task_event", "task_reporter"]

TASK_STATUS_EVENT = "hiapi_task_status"
"""Name of the custom event sent on every status change of a task."""


def task_event(task: Task) -> dict[str, Any]:
    """The event data: `{"task_id", "status", "model"}`."""
    return {"task_id": task.id, "status": task.status, "model": task.model}


# What a child callback manager inherits from the run that waits for the task.
_INHERITED = (
    "handlers",
    "inheritable_handlers",
    "parent_run_id",
    "tags",
    "inheritable_tags",
    "metadata",
    "inheritable_metadata",
)


def _inherited(run_manager: RunManager | AsyncRunManager) -> dict[str, Any]:
    return {name: getattr(run_manager, name) for name in _INHERITED}


def task_reporter(
    run_manager: RunManager | None,
    name: str = TASK_STATUS_EVENT,
    also: Callable[[Task], Any] | None = None,
) -> Callable[[Task], None]:
    """An `on_update` callback sending `name` events for the run (and calling `also`).

    Without a run manager the event goes to the runnable currently running, if any.
    """

    def report(task: Task) -> None:
        data = task_event(task)
        if run_manager is None:
            with contextlib.suppress(RuntimeError):  # not inside a run: nobody to report to
                dispatch_custom_event(name, data)
        else:
            manager = CallbackManager(**_inherited(run_manager))
            manager.on_custom_event(name, data, run_id=run_manager.run_id)
        if also is not None:
            also(task)

    return report


def async_task_reporter(
    run_manager: AsyncRunManager | None,
    name: str = TASK_STATUS_EVENT,
    also: Callable[[Task], Any] | None = None,
) -> Callable[[Task], Awaitable[None]]:
    """Async `task_reporter` (`also` may return an awaitable)."""

    async def report(task: Task) -> None:
        data = task_event(task)
        if run_manager is not None:
            manager = AsyncCallbackManager(**_inherited(run_manager))
            await manager.on_custom_event(name, data, run_id=run_manager.run_id)
        else:
            with contextlib.suppress(RuntimeError):  # not inside a run: nobody to tell
                await adispatch_custom_event(name, data)
        result = also(task) if also is not None else None
        if isinstance(result, Awaitable):
            await result

    return report
