"""Shared pieces of the benchmark harness: the emulator process, timing statistics, tables."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PYTHON = sys.executable
ROOT = Path(__file__).resolve().parent.parent
TEXT_MODEL = "gpt-4o-mini"
IMAGE_MODEL = "Nano-Banana-Pro"
PROMPT = "Say hello in five words"
IMAGE_PROMPT = "Draw a blue square"


@dataclass(frozen=True)
class Emulator:
    """A running emulator process: where it listens and which key it takes."""

    base_url: str
    api_key: str

    @property
    def chat_url(self) -> str:
        return self.base_url + "/chat/completions"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def stats(self) -> dict[str, Any]:
        """The emulator's counters (`GET /_emulator/stats`)."""
        import httpx

        url = self.base_url.removesuffix("/v1") + "/_emulator/stats"
        reply = httpx.get(url, headers=self.auth, timeout=30)
        reply.raise_for_status()
        return dict(reply.json())


@contextlib.contextmanager
def emulator_process(
    *, latency: float = 0.0, full_size: bool = False, extra: Sequence[str] = ()
) -> Iterator[Emulator]:
    """Run the emulator CLI in its own process (never in-process: a threaded server that
    shares the GIL with the client measures the GIL, not the client). `extra` are more CLI
    flags (task timing, rate limits)."""
    args = [PYTHON, "-m", "langchain_hiapi.testing", "--port", "0", "--latency", str(latency)]
    if full_size:
        args += ["--full-size", "--noise"]
    args += list(extra)
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert proc.stdout is not None
        values: dict[str, str] = {}
        deadline = time.monotonic() + 60
        while len(values) < 2:
            line = proc.stdout.readline()
            if not line:
                err = proc.stderr.read() if proc.stderr else ""
                raise RuntimeError(f"emulator exited early ({proc.wait()}): {err[-2000:]}")
            key, sep, value = line.strip().partition("=")
            if sep and key in ("HIAPI_BASE_URL", "HIAPI_API_KEY"):
                values[key] = value
            if time.monotonic() > deadline:
                raise RuntimeError("emulator did not start within 60 s")
        yield Emulator(values["HIAPI_BASE_URL"], values["HIAPI_API_KEY"])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_contenders(
    contenders: Mapping[str, Callable[[Emulator, int], Awaitable[Any]]],
    count: int,
    *,
    extra: Sequence[str],
    preload: Sequence[str],
) -> dict[str, tuple[Any, float, dict[str, Any]]]:
    """Each contender against a fresh emulator process: name -> (its result, wall s, stats).

    `preload` modules are imported first, so the timed part does not pay for them.
    """
    for module in preload:
        importlib.import_module(module)
    runs: dict[str, tuple[Any, float, dict[str, Any]]] = {}
    for name, contender in contenders.items():
        with emulator_process(extra=extra) as emu:
            start = time.perf_counter()
            value = asyncio.run(contender(emu, count))
            runs[name] = (value, time.perf_counter() - start, emu.stats())
    return runs


def percentile(values: list[float], share: float) -> float:
    """The `share` (0..1) percentile, nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))
    return ordered[rank]


def stats(values: list[float]) -> dict[str, Any]:
    """Median, min, max and the raw samples."""
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
        "samples": values,
    }


def time_rounds(
    contenders: dict[str, Callable[[], Any]], rounds: int, *, per: int = 1
) -> dict[str, dict[str, Any]]:
    """Time each contender `rounds` times, interleaved (round-robin, rotating the start) so
    that slow drifts of the machine hit every contender alike. `per` divides each sample
    (calls per round), giving a per-call time."""
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            fn = contenders[name]
            start = time.perf_counter()
            fn()
            samples[name].append((time.perf_counter() - start) / per)
    return {name: stats(values) for name, values in samples.items()}


def fmt_seconds(value: float) -> str:
    if value >= 1:
        return f"{value:.3f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.2f} ms"
    return f"{value * 1e6:.0f} µs"


def table(title: str, header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [title]
    lines.append("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        lines.append(
            "| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        )
    return "\n".join(lines)


def clean_env(**extra: str) -> dict[str, str]:
    """Environment for child processes: no tracing, no proxies, the emulator's key only."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LANGSMITH_", "LANGCHAIN_", "HIAPI_", "OPENAI_"))
        and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
    }
    env.update(extra)
    return env
