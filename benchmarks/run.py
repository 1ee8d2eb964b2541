"""Benchmarks for langchain-hiapi: `python benchmarks/run.py` (about 6 minutes).

Cases (each against the emulator running in its own process, on loopback):
  P1  per-call overhead of a sequential invoke (raw httpx, ChatHiAPI, ChatOpenAI)
  P2  a 2K noise image (~16 MB of base64 in one SSE line): time to decoded bytes, memory
  P3  256 requests, 100 ms server latency, max_concurrency 64: abatch / batch
  P4  cold import time
  P5  bulk polling: 500 tasks ending over ~30 s: polls per task, detection delay
  P6  300 generations through a rate-limited key: wall vs ideal, 429 share, failed items

Prints one table per case and the target verdicts, and writes everything as JSON to
benchmarks/results/latest.json (or --out). `--smoke` runs tiny counts (CI; no timings
are meaningful then). Needs the `bench` extra: pip install -e ".[bench]".
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emulator_process, fmt_seconds, table

CASES = ("P1", "P2", "P3", "P4", "P5", "P6")
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "latest.json"

FULL = {
    "P1": {"calls": 300, "rounds": 5},
    "P2": {"rounds": 5, "full_size": True},
    "P3": {"requests": 256, "concurrency": 64, "rounds": 5, "latency": 0.1},
    "P4": {"rounds": 5, "warmup": True},
    "P5": {"tasks": 500, "base": 1.0, "spread": 29.0},
    "P6": {"items": 300, "create_rate": 10.0, "poll_rate": 5.0, "burst": 3, "task_seconds": 0.5},
}
SMOKE = {
    "P1": {"calls": 10, "rounds": 2},
    "P2": {"rounds": 1, "full_size": False},
    "P3": {"requests": 16, "concurrency": 4, "rounds": 1, "latency": 0.01},
    "P4": {"rounds": 1, "warmup": False},
    "P5": {"tasks": 6, "base": 0.2, "spread": 0.4},
    "P6": {"items": 6, "create_rate": 50.0, "poll_rate": 50.0, "burst": 3, "task_seconds": 0.1},
}


def _versions() -> dict[str, str]:
    out = {}
    for dist in ("langchain-hiapi", "langchain-core", "langchain-openai", "openai", "httpx"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def run_p1(cfg: dict[str, Any]) -> dict[str, Any]:
    import p1_overhead

    with emulator_process() as emu:
        return p1_overhead.run(emu, calls=cfg["calls"], rounds=cfg["rounds"])


def run_p2(cfg: dict[str, Any]) -> dict[str, Any]:
    import p2_big_image

    with emulator_process(full_size=cfg["full_size"]) as emu:
        return p2_big_image.run(emu, rounds=cfg["rounds"])


def run_p3(cfg: dict[str, Any]) -> dict[str, Any]:
    import p3_concurrency

    with emulator_process(latency=cfg["latency"]) as emu:
        return p3_concurrency.run(
            emu,
            requests=cfg["requests"],
            concurrency=cfg["concurrency"],
            rounds=cfg["rounds"],
            latency=cfg["latency"],
        )


def run_p4(cfg: dict[str, Any]) -> dict[str, Any]:
    import p4_import

    return p4_import.run(rounds=cfg["rounds"], warmup=cfg["warmup"])


def run_p5(cfg: dict[str, Any]) -> dict[str, Any]:
    import p5_bulk_polling

    return p5_bulk_polling.run(tasks=cfg["tasks"], base=cfg["base"], spread=cfg["spread"])


def run_p6(cfg: dict[str, Any]) -> dict[str, Any]:
    import p6_rate_limit

    return p6_rate_limit.run(
        items=cfg["items"],
        create_rate=cfg["create_rate"],
        poll_rate=cfg["poll_rate"],
        burst=cfg["burst"],
        task_seconds=cfg["task_seconds"],
    )


RUNNERS = {"P1": run_p1, "P2": run_p2, "P3": run_p3, "P4": run_p4, "P5": run_p5, "P6": run_p6}


def _check(case: str, metric: str, value: float | None, limit: float) -> dict[str, Any]:
    return {
        "case": case,
        "metric": metric,
        "value": value,
        "limit": limit,
        "met": value is not None and value <= limit,
    }


def targets(cases: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    if "P1" in cases:
        ratio = cases["P1"]["overhead_ratio_hiapi_vs_openai"]
        out.append(_check("P1", "ChatHiAPI overhead / ChatOpenAI overhead", ratio, 0.35))
    if "P2" in cases:
        c = cases["P2"]["contenders"]
        for mode in ("stream", "invoke"):
            entry = c[f"ChatHiAPI {mode}"]
            out.append(_check("P2", f"ChatHiAPI {mode} time / raw", entry["ratio_vs_raw"], 1.3))
            if "memory" in entry:
                peak = entry["memory"]["peak_over_base64"]
                out.append(_check("P2", f"ChatHiAPI {mode} peak memory / base64 size", peak, 3.0))
    if "P3" in cases:
        c = cases["P3"]["contenders"]
        for name in ("ChatHiAPI.abatch", "ChatHiAPI.batch"):
            out.append(_check("P3", f"{name} wall / raw", c[name]["ratio_vs_raw"], 1.25))
    if "P4" in cases:
        entry = cases["P4"]["contenders"]["langchain_hiapi (ChatHiAPI)"]
        out.append(_check("P4", "import time / floor", entry["ratio_vs_floor"], 1.1))
    if "P5" in cases:
        entry = cases["P5"]["contenders"]["bulk job (list rounds)"]
        out.append(
            _check("P5", "bulk job polling requests / finished task", entry["polls_per_task"], 1.0)
        )
        out.append(_check("P5", "bulk job detection delay p95 (s)", entry["delay_p95"], 2.0))
    if "P6" in cases:
        entry = cases["P6"]["contenders"]["bulk job (agenerate_many)"]
        out.append(_check("P6", "bulk job wall / ideal", entry["wall_over_ideal"], 1.15))
        out.append(
            _check("P6", "bulk job share of requests answered 429", entry["share_429"], 0.05)
        )
        out.append(_check("P6", "bulk job items failed", entry["failed_items"], 0))
    return out


def _rows(contenders: dict[str, Any], ratio_key: str | None, extra: Any = None) -> list[list[str]]:
    rows = []
    for name, e in contenders.items():
        row = [name, fmt_seconds(e["median"]), fmt_seconds(e["min"]), fmt_seconds(e["max"])]
        if ratio_key:
            row.append(f"{e[ratio_key]:.2f}x")
        if extra:
            row.extend(extra(e))
        rows.append(row)
    return rows


def report(cases: dict[str, Any], verdicts: list[dict[str, Any]]) -> str:
    parts = []
    head = ["contender", "median", "min", "max"]
    if "P1" in cases:
        p1 = cases["P1"]
        rows = _rows(p1["contenders"], None, lambda e: [fmt_seconds(e["overhead"])])
        parts.append(table(f"P1 {p1['description']}", [*head, "overhead"], rows))
    if "P2" in cases:
        p2 = cases["P2"]

        def mem(e: dict[str, Any]) -> list[str]:
            m = e.get("memory")
            return [f"{m['peak_over_base64']:.2f}x" if m else "-"]

        rows = _rows(p2["contenders"], "ratio_vs_raw", mem)
        header = [*head, "vs raw", "peak mem / base64"]
        parts.append(table(f"P2 {p2['description']}", header, rows))
    if "P3" in cases:
        p3 = cases["P3"]
        rows = _rows(p3["contenders"], "ratio_vs_raw")
        parts.append(table(f"P3 {p3['description']}", [*head, "vs raw"], rows))
    if "P4" in cases:
        p4 = cases["P4"]
        rows = _rows(p4["contenders"], "ratio_vs_floor")
        parts.append(table(f"P4 {p4['description']}", [*head, "vs floor"], rows))
    if "P5" in cases:
        p5 = cases["P5"]
        rows = [
            [
                name,
                f"{e['polls_per_task']:.2f}",
                f"{e['delay_median']:.2f} s",
                f"{e['delay_p95']:.2f} s",
                f"{e['delay_max']:.2f} s",
                f"{e['wall_seconds']:.1f} s",
            ]
            for name, e in p5["contenders"].items()
        ]
        header = ["contender", "polls / task", "delay median", "delay p95", "delay max", "wall"]
        parts.append(table(f"P5 {p5['description']}", header, rows))
    if "P6" in cases:
        p6 = cases["P6"]
        rows = [
            [
                name,
                f"{e['wall_seconds']:.1f} s",
                f"{e['wall_over_ideal']:.2f}x",
                f"{e['share_429']:.1%} ({e['rate_limited']}/{e['requests']})",
                str(e["failed_items"]),
            ]
            for name, e in p6["contenders"].items()
        ]
        header = ["contender", "wall", "vs ideal", "429s / requests", "items failed"]
        parts.append(table(f"P6 {p6['description']}", header, rows))
    rows = [
        [
            v["case"],
            v["metric"],
            "-" if v["value"] is None else f"{v['value']:.2f}",
            f"<= {v['limit']}",
            "met" if v["met"] else "NOT met",
        ]
        for v in verdicts
    ]
    parts.append(table("Targets", ["case", "metric", "value", "target", "verdict"], rows))
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny counts, for CI")
    parser.add_argument("--cases", default=",".join(CASES), help="e.g. P1,P3")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    selected = [c.strip().upper() for c in args.cases.split(",") if c.strip()]
    unknown = set(selected) - set(CASES)
    if unknown:
        parser.error(f"unknown cases: {sorted(unknown)}")
    for key in [k for k in os.environ if k.startswith(("LANGSMITH_", "LANGCHAIN_"))]:
        del os.environ[key]  # no tracing callbacks in the timed process
    config = SMOKE if args.smoke else FULL
    started = time.perf_counter()
    cases: dict[str, Any] = {}
    for case in selected:
        t0 = time.perf_counter()
        cases[case] = RUNNERS[case](config[case])
        cases[case]["seconds"] = time.perf_counter() - t0
        print(f"{case} done in {cases[case]['seconds']:.1f} s", file=sys.stderr)
    verdicts = targets(cases)
    result = {
        "meta": {
            "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "smoke": args.smoke,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "versions": _versions(),
            "config": {case: config[case] for case in selected},
            "seconds": time.perf_counter() - started,
        },
        "cases": cases,
        "targets": verdicts,
    }
    print(report(cases, verdicts))
    if args.smoke:
        print("\nSmoke run: tiny counts and small images; timings and verdicts mean nothing.")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nResults written to {args.out} ({result['meta']['seconds']:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
