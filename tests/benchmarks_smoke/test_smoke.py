"""CI smoke run of the benchmark harness: it runs, covers every case, writes valid JSON.

No timing is asserted (benchmarks are never timed unit tests).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "benchmarks" / "run.py"


def test_harness_smoke_run_writes_every_case(tmp_path: Path) -> None:
    out = tmp_path / "latest.json"
    done = subprocess.run(  # noqa: S603
        [sys.executable, str(RUN), "--smoke", "--out", str(out)],
        capture_output=True,
        text=True,
        # Generous: the machine may be shared and busy; nothing here is a timing.
        timeout=900,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert str(out) in done.stdout
    result = json.loads(out.read_text())
    assert result["meta"]["smoke"] is True
    assert set(result["cases"]) == {"P1", "P2", "P3", "P4", "P5", "P6"}
    expected = {
        "P1": {"raw httpx", "ChatHiAPI", "ChatOpenAI"},
        "P2": {
            f"{who} {mode}"
            for who in ("raw httpx", "ChatHiAPI", "ChatOpenAI")
            for mode in ("stream", "invoke")
        },
        "P3": {
            "raw httpx.AsyncClient",
            "ChatHiAPI.abatch",
            "ChatHiAPI.batch",
            "ChatOpenAI.abatch",
            "ChatOpenAI.batch",
        },
    }
    for case, names in expected.items():
        assert set(result["cases"][case]["contenders"]) == names, case
    assert "langchain_hiapi (ChatHiAPI)" in result["cases"]["P4"]["contenders"]
    for name in ("P1", "P2", "P3", "P4"):
        for entry in result["cases"][name]["contenders"].values():
            assert {"median", "min", "max", "samples"} <= set(entry)
    p5 = result["cases"]["P5"]["contenders"]
    assert set(p5) == {
        "bulk job (list rounds)",
        "detail every 3 s (SDK default)",
        "AsyncHiAPITasks.wait_many",
    }
    for entry in p5.values():
        # Every task ended and was seen ending; the emulator measured each delay.
        assert entry["tasks"] == result["cases"]["P5"]["tasks"]
        assert entry["delays_seen"] == entry["tasks"]
        assert entry["poll_requests"] > 0
    p6 = result["cases"]["P6"]["contenders"]
    assert set(p6) == {
        "bulk job (agenerate_many)",
        "naive asyncio.gather (tasks.run)",
        "ChatOpenAI.abatch (chat route)",
    }
    for entry in p6.values():
        assert {"wall_seconds", "share_429", "failed_items", "requests"} <= set(entry)
        assert entry["requests"] >= result["cases"]["P6"]["items"]
    for entry in result["cases"]["P2"]["contenders"].values():
        assert entry["memory"]["peak_bytes"] > 0
    assert {t["case"] for t in result["targets"]} == {"P1", "P2", "P3", "P4", "P5", "P6"}
