"""Run one method of a sync or async task client (`HiAPITasks` / `AsyncHiAPITasks`)."""

from __future__ import annotations

from typing import Any

from langchain_hiapi import AsyncHiAPITasks, HiAPITasks


async def call(tasks: HiAPITasks | AsyncHiAPITasks, method: str, *args: Any, **kw: Any) -> Any:
    """`tasks.<method>(...)`, awaited when `tasks` is async."""
    result = getattr(tasks, method)(*args, **kw)
    if isinstance(tasks, AsyncHiAPITasks):
        result = await result
    return result


async def close(tasks: HiAPITasks | AsyncHiAPITasks) -> None:
    """`close()` or `await aclose()`."""
    if isinstance(tasks, AsyncHiAPITasks):
        await tasks.aclose()
    else:
        tasks.close()
