"""P5: polling many tasks: requests per finished task and how late each end is noticed.

`tasks` tasks are created together; the emulator (its own process, wall-clock task timing)
ends them `base` to `base + spread` seconds after their creation, evenly spread. Polling
requests (detail and list GETs; creates not counted) and detection delays (from a task's
end to the first poll that showed it) are counted by the emulator. Contenders, each against
a fresh emulator:

* the bulk job (`agenerate_many`: list rounds, every task in progress at once);
* polling each task's detail every 3 s (the official SDK's default);
* `AsyncHiAPITasks.wait_many` (list rounds on its default growing interval).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from _common import Emulator, percentile, run_contenders

MODEL = "Nano-Banana"
SDK_POLL_INTERVAL = 3.0


def _prompts(n: int) -> list[str]:
    return [f"a lantern festival, picture {i}" for i in range(n)]


async def _create_raw(emu: Emulator, n: int) -> list[str]:
    """Creates `n` tasks with plain httpx (the contenders below only poll)."""
    gate = asyncio.Semaphore(32)
    async with httpx.AsyncClient(headers=emu.auth, timeout=60) as client:

        async def one(prompt: str) -> str:
            async with gate:
                body = {"model": MODEL, "input": {"prompt": prompt}}
                reply = await client.post(emu.base_url + "/tasks", json=body)
                reply.raise_for_status()
                return str(reply.json()["data"]["taskId"])

        return list(await asyncio.gather(*(one(p) for p in _prompts(n))))


async def bulk_job(emu: Emulator, n: int) -> int:
    from langchain_hiapi.bulk import agenerate_many

    with tempfile.TemporaryDirectory() as out:
        run = agenerate_many(
            _prompts(n),
            model=MODEL,
            save_dir=out,
            concurrency=n,
            api_key=emu.api_key,
            base_url=emu.base_url,
        )
        async with run:
            results = [r async for r in run]
    if not all(r.ok for r in results):
        raise RuntimeError(f"bulk job: {sum(not r.ok for r in results)} items failed")
    return len(results)


async def sdk_polling(emu: Emulator, n: int) -> int:
    ids = await _create_raw(emu, n)
    async with httpx.AsyncClient(headers=emu.auth, timeout=60) as client:

        async def wait(task_id: str) -> None:
            while True:
                await asyncio.sleep(SDK_POLL_INTERVAL)
                reply = await client.get(f"{emu.base_url}/tasks/{task_id}")
                reply.raise_for_status()
                if reply.json()["data"]["status"] in ("success", "fail"):
                    return

        await asyncio.gather(*(wait(i) for i in ids))
    return len(ids)


async def wait_many(emu: Emulator, n: int) -> int:
    from langchain_hiapi.tasks import AsyncHiAPITasks

    ids = await _create_raw(emu, n)
    async with AsyncHiAPITasks(api_key=emu.api_key, base_url=emu.base_url) as tasks:
        done = await tasks.wait_many(ids)
    return len(done)


CONTENDERS: dict[str, Callable[[Emulator, int], Awaitable[int]]] = {
    "bulk job (list rounds)": bulk_job,
    "detail every 3 s (SDK default)": sdk_polling,
    "AsyncHiAPITasks.wait_many": wait_many,
}


def run(*, tasks: int, base: float, spread: float) -> dict[str, Any]:
    extra = ["--task-seconds", str(base), "--task-spread", str(spread)]
    preload = ("langchain_hiapi.bulk", "langchain_hiapi.tasks")
    results: dict[str, Any] = {}
    runs = run_contenders(CONTENDERS, tasks, extra=extra, preload=preload)
    for name, (finished, wall, stats) in runs.items():
        counters = stats["tasks"]
        delays = [float(d) for d in counters["detection_delays"]]
        polls = int(counters["poll_requests"])
        results[name] = {
            "tasks": finished,
            "wall_seconds": wall,
            "poll_requests": polls,
            "list_requests": counters["list_requests"],
            "detail_requests": counters["detail_requests"],
            "polls_per_task": polls / finished if finished else float("nan"),
            "delay_median": statistics.median(delays) if delays else float("nan"),
            "delay_p95": percentile(delays, 0.95),
            "delay_max": max(delays) if delays else float("nan"),
            "delays_seen": len(delays),
        }
    return {
        "description": (
            f"{tasks} tasks created together, ending {base:g} to {base + spread:g} s after "
            "creation (evenly spread); polling GETs per finished task and seconds from a "
            "task's end to the first poll that showed it"
        ),
        "tasks": tasks,
        "contenders": results,
    }
