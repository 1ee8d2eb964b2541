"""P1: per-call overhead of a sequential `invoke` with a short text reply.

Every contender keeps one connection alive and sends the same request body; overhead is
the per-call time minus raw httpx's per-call time.
"""

from __future__ import annotations

from typing import Any

import httpx
from _common import PROMPT, TEXT_MODEL, Emulator, time_rounds


def run(emu: Emulator, *, calls: int, rounds: int) -> dict[str, Any]:
    from langchain_openai import ChatOpenAI

    from langchain_hiapi import ChatHiAPI

    body = {"model": TEXT_MODEL, "messages": [{"role": "user", "content": PROMPT}]}
    raw = httpx.Client(headers=emu.auth)
    hiapi = ChatHiAPI(model=TEXT_MODEL, base_url=emu.base_url, api_key=emu.api_key)
    openai = ChatOpenAI(model=TEXT_MODEL, base_url=emu.base_url, api_key=emu.api_key)

    def raw_call() -> str:
        reply = raw.post(emu.chat_url, json=body)
        reply.raise_for_status()
        return str(reply.json()["choices"][0]["message"]["content"])

    def loop(fn: Any) -> Any:
        def go() -> None:
            for _ in range(calls):
                fn()

        return go

    single = {
        "raw httpx": raw_call,
        "ChatHiAPI": lambda: hiapi.invoke(PROMPT).content,
        "ChatOpenAI": lambda: openai.invoke(PROMPT).content,
    }
    expected = raw_call()
    for name, fn in single.items():
        for _ in range(max(5, calls // 20)):  # warm-up: connections, lazy imports, caches
            got = fn()
        if got != expected:
            raise RuntimeError(f"{name} returned {got!r}, expected {expected!r}")
    results = time_rounds({k: loop(v) for k, v in single.items()}, rounds, per=calls)
    raw.close()
    floor = results["raw httpx"]["median"]
    for entry in results.values():
        entry["overhead"] = entry["median"] - floor
    hiapi_over, openai_over = results["ChatHiAPI"]["overhead"], results["ChatOpenAI"]["overhead"]
    return {
        "description": (
            f"sequential invoke of a short text reply ({TEXT_MODEL}), {calls} calls x "
            f"{rounds} rounds; per-call seconds; overhead = per call - raw httpx per call"
        ),
        "calls": calls,
        "rounds": rounds,
        "contenders": results,
        "overhead_ratio_hiapi_vs_openai": hiapi_over / openai_over if openai_over > 0 else None,
    }
