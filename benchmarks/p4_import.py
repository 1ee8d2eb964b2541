"""P4: import time in a cold process (a new interpreter per sample, warm OS file cache).

The package is measured as installed: a copy of `langchain_hiapi` with compiled bytecode
(`compileall`) first on `PYTHONPATH`. Running from this source tree with
`PYTHONDONTWRITEBYTECODE=1` (as this environment does) would also time compiling every
module from source, which no installed package does; that figure is reported separately.
"""

from __future__ import annotations

import compileall
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from _common import PYTHON, ROOT, clean_env, stats

FLOOR = (
    "from langchain_core.language_models.chat_models import BaseChatModel; "
    "from langchain_core.tools import BaseTool; import httpx, pydantic"
)
HIAPI = "from langchain_hiapi import ChatHiAPI"
OPENAI = "from langchain_openai import ChatOpenAI"


def _time_import(statement: str, env: dict[str, str]) -> float:
    code = (
        "import time, sys; t = time.perf_counter(); "
        f"{statement}; "
        "sys.stdout.write(repr(time.perf_counter() - t))"
    )
    done = subprocess.run(
        [PYTHON, "-c", code], capture_output=True, text=True, env=env, cwd="/", check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"import failed: {statement}: {done.stderr[-2000:]}")
    return float(done.stdout.strip())


def run(*, rounds: int, warmup: bool = True) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="hiapi-bench-") as tmp:
        site = Path(tmp)
        shutil.copytree(
            ROOT / "langchain_hiapi",
            site / "langchain_hiapi",
            ignore=shutil.ignore_patterns("__pycache__", "testing"),
        )
        if not compileall.compile_dir(site, quiet=1):
            raise RuntimeError("could not compile the package copy")
        installed = clean_env(PYTHONPATH=str(site), PYTHONDONTWRITEBYTECODE="1")
        source = clean_env(PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
        contenders = {
            "floor (core BaseChatModel+BaseTool, httpx, pydantic)": (FLOOR, installed),
            "langchain_hiapi (ChatHiAPI)": (HIAPI, installed),
            "langchain_openai (ChatOpenAI)": (OPENAI, installed),
            "langchain_hiapi from source, no bytecode": (HIAPI, source),
        }
        for statement, env in contenders.values() if warmup else ():  # OS file cache
            _time_import(statement, env)
        samples: dict[str, list[float]] = {name: [] for name in contenders}
        names = list(contenders)
        for r in range(rounds):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                statement, env = contenders[name]
                samples[name].append(_time_import(statement, env))
    results = {name: stats(values) for name, values in samples.items()}
    floor = results[names[0]]["median"]
    for entry in results.values():
        entry["ratio_vs_floor"] = entry["median"] / floor
    return {
        "description": (
            f"seconds to import in a fresh interpreter (time.perf_counter around the import "
            f"statement), {rounds} cold processes each, interleaved; package as installed "
            "(compiled bytecode)"
        ),
        "statements": {name: statement for name, (statement, _) in contenders.items()},
        "rounds": rounds,
        "contenders": results,
    }
