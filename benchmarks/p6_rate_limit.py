"""P6: many generations through a rate-limited key: wall time, share of 429s, items failed.

The emulator (its own process, one fresh process per contender) allows `create_rate`
creates/s and `poll_rate` polls/s on the task API, `create_rate` chat completions/s on the
chat route, and answers 429 without `Retry-After` beyond (a bucket of `burst` requests:
a little slack for requests bunched on a busy machine). Tasks take `task_seconds`. The
ideal wall time is `items / create_rate`.
Contenders:

* the bulk job (`agenerate_many`, adaptive rate limiter on: the package's defaults);
* a naive `asyncio.gather` of `AsyncHiAPITasks.run` + `download` per item, with the default
  retry policy and no rate limiter (what a blind client does);
* `ChatOpenAI.abatch` on the chat route (the image model answered in one chat reply).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from typing import Any

from _common import Emulator, run_contenders

MODEL = "Nano-Banana"


def _prompts(n: int) -> list[str]:
    return [f"an illustration for page {i} of the catalogue" for i in range(n)]


async def bulk_job(emu: Emulator, n: int) -> int:
    """Returns the number of failed items."""
    from langchain_hiapi.bulk import agenerate_many

    with tempfile.TemporaryDirectory() as out:
        run = agenerate_many(
            _prompts(n),
            model=MODEL,
            save_dir=out,
            concurrency=64,
            api_key=emu.api_key,
            base_url=emu.base_url,
        )
        async with run:
            results = [r async for r in run]
    return sum(not r.ok for r in results)


async def naive_gather(emu: Emulator, n: int) -> int:
    from langchain_hiapi.tasks import AsyncHiAPITasks

    with tempfile.TemporaryDirectory() as out:
        async with AsyncHiAPITasks(
            api_key=emu.api_key, base_url=emu.base_url, adaptive_rate_limit=False
        ) as tasks:

            async def one(prompt: str) -> None:
                task = await tasks.run(MODEL, {"prompt": prompt})
                await tasks.download(task, out)

            outcomes = await asyncio.gather(*(one(p) for p in _prompts(n)), return_exceptions=True)
    return sum(isinstance(o, BaseException) for o in outcomes)


async def chat_openai(emu: Emulator, n: int) -> int:
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(model=MODEL, base_url=emu.base_url, api_key=emu.api_key, timeout=120)
    outcomes = await llm.abatch(_prompts(n), return_exceptions=True)
    return sum(isinstance(o, BaseException) for o in outcomes)


CONTENDERS: dict[str, Callable[[Emulator, int], Awaitable[int]]] = {
    "bulk job (agenerate_many)": bulk_job,
    "naive asyncio.gather (tasks.run)": naive_gather,
    "ChatOpenAI.abatch (chat route)": chat_openai,
}


def _requests(stats: dict[str, Any], name: str) -> tuple[int, int]:
    """(API requests, requests answered 429) for a contender, from the emulator's counters."""
    if name.startswith("ChatOpenAI"):
        chat = stats["chat"]
        return int(chat["chat_requests"]), int(chat["rate_limited_chats"])
    tasks = stats["tasks"]
    limited = int(tasks["rate_limited_creates"]) + int(tasks["rate_limited_polls"])
    passed = int(tasks["create_requests"]) + int(tasks["poll_requests"])
    return passed + limited, limited


def run(
    *, items: int, create_rate: float, poll_rate: float, burst: float, task_seconds: float
) -> dict[str, Any]:
    extra = ["--task-seconds", str(task_seconds), "--create-rate", str(create_rate)]
    extra += ["--poll-rate", str(poll_rate), "--chat-rate", str(create_rate)]
    extra += ["--burst", str(burst)]
    ideal = items / create_rate
    preload = ("langchain_hiapi.bulk", "langchain_hiapi.tasks", "langchain_openai")
    results: dict[str, Any] = {}
    runs = run_contenders(CONTENDERS, items, extra=extra, preload=preload)
    for name, (failed, wall, stats) in runs.items():
        requests, limited = _requests(stats, name)
        results[name] = {
            "wall_seconds": wall,
            "wall_over_ideal": wall / ideal,
            "requests": requests,
            "rate_limited": limited,
            "share_429": limited / requests if requests else 0.0,
            "failed_items": failed,
        }
    return {
        "description": (
            f"{items} generations, emulator allowing {create_rate:g} creates/s (and chat "
            f"completions/s) and {poll_rate:g} polls/s (bucket of {burst:g}), 429 beyond, no "
            f"Retry-After; tasks take {task_seconds:g} s; ideal wall {ideal:.1f} s"
        ),
        "items": items,
        "ideal_seconds": ideal,
        "contenders": results,
    }
