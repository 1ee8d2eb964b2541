"""P3: many concurrent short requests against an emulator that waits before each reply.

`abatch` and `batch` with `max_concurrency` against raw `httpx.AsyncClient` requests
gated by a semaphore of the same width. Raw httpx and ChatHiAPI both use httpx's default
pool limits (100 connections, 20 kept alive); ChatOpenAI uses the OpenAI SDK's own pool.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from _common import PROMPT, TEXT_MODEL, Emulator, stats


def run(
    emu: Emulator, *, requests: int, concurrency: int, rounds: int, latency: float
) -> dict[str, Any]:
    from langchain_openai import ChatOpenAI

    from langchain_hiapi import ChatHiAPI

    body = {"model": TEXT_MODEL, "messages": [{"role": "user", "content": PROMPT}]}
    inputs = [PROMPT] * requests
    config = {"max_concurrency": concurrency}
    hiapi = ChatHiAPI(model=TEXT_MODEL, base_url=emu.base_url, api_key=emu.api_key)
    openai = ChatOpenAI(model=TEXT_MODEL, base_url=emu.base_url, api_key=emu.api_key)
    samples: dict[str, list[float]] = {}

    def check(name: str, replies: list[Any]) -> None:
        if len(replies) != requests or any(not r for r in replies):
            raise RuntimeError(f"{name}: {len(replies)} replies, some empty")

    async def main() -> None:
        raw = httpx.AsyncClient(headers=emu.auth)  # httpx's default limits, like ChatHiAPI
        gate = asyncio.Semaphore(concurrency)

        async def raw_one() -> str:
            async with gate:
                reply = await raw.post(emu.chat_url, json=body)
                reply.raise_for_status()
                return str(reply.json()["choices"][0]["message"]["content"])

        async def raw_all() -> list[Any]:
            return list(await asyncio.gather(*(raw_one() for _ in range(requests))))

        def in_thread(fn: Callable[[], list[Any]]) -> Callable[[], Awaitable[list[Any]]]:
            return lambda: asyncio.to_thread(fn)

        contenders: dict[str, Callable[[], Awaitable[list[Any]]]] = {
            "raw httpx.AsyncClient": raw_all,
            "ChatHiAPI.abatch": lambda: hiapi.abatch(inputs, config=config),
            "ChatHiAPI.batch": in_thread(lambda: hiapi.batch(inputs, config=config)),
            "ChatOpenAI.abatch": lambda: openai.abatch(inputs, config=config),
            "ChatOpenAI.batch": in_thread(lambda: openai.batch(inputs, config=config)),
        }
        for name, fn in contenders.items():  # warm-up: open pooled connections, imports
            check(name, await fn())
        names = list(contenders)
        for r in range(rounds):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                start = time.perf_counter()
                check(name, await contenders[name]())
                samples.setdefault(name, []).append(time.perf_counter() - start)
        await raw.aclose()

    asyncio.run(main())
    results = {name: stats(values) for name, values in samples.items()}
    floor = results["raw httpx.AsyncClient"]["median"]
    for entry in results.values():
        entry["ratio_vs_raw"] = entry["median"] / floor
    ideal = -(-requests // concurrency) * latency
    return {
        "description": (
            f"{requests} requests, emulator latency {latency * 1e3:.0f} ms each, "
            f"max_concurrency {concurrency} (ideal {ideal:.2f} s); wall seconds, {rounds} rounds"
        ),
        "requests": requests,
        "concurrency": concurrency,
        "latency": latency,
        "ideal_seconds": ideal,
        "rounds": rounds,
        "contenders": results,
    }
