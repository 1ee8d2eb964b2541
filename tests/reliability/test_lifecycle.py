"""Connection lifecycle over real loopback sockets: nothing leaks, pickles travel.

ResourceWarnings are what `-W error::ResourceWarning` turns into failures; they are recorded
here (a warning raised inside `__del__` would only be printed, never fail a test).
"""

from __future__ import annotations

import asyncio
import gc
import pickle
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.runnables import ConfigurableField

from langchain_hiapi import ChatHiAPI, HiAPIImageGenerationTool
from langchain_hiapi._pool import MAX_IDLE_POOLS, close_all_pools
from langchain_hiapi.testing import HiAPIEmulator
from tests._support.harness import TEXT_MODEL, pickled

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def resource_warnings() -> Iterator[Callable[[], list[str]]]:
    """Records every ResourceWarning; call it to collect garbage and get them."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)

        def collect() -> list[str]:
            gc.collect()
            return [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]

        yield collect


def model(emu: HiAPIEmulator, **kwargs: Any) -> ChatHiAPI:
    return ChatHiAPI(model=TEXT_MODEL, base_url=emu.base_url, api_key=emu.api_key, **kwargs)


def test_finished_event_loops_leave_no_unclosed_sockets(
    emu: HiAPIEmulator, resource_warnings: Callable[[], list[str]]
) -> None:
    llm = model(emu)
    for _ in range(3):
        assert asyncio.run(llm.ainvoke("hi")).content
    del llm
    assert resource_warnings() == []


def test_collected_models_leave_no_unclosed_sockets(
    emu: HiAPIEmulator, resource_warnings: Callable[[], list[str]]
) -> None:
    # More distinct settings than idle pools are kept: the oldest pools get closed.
    for index in range(MAX_IDLE_POOLS + 4):
        llm = model(emu, default_headers={"X-Tenant": str(index)})
        llm.invoke("hi")
        list(llm.stream("hi"))
        asyncio.run(llm.ainvoke("hi"))
        del llm
    assert resource_warnings() == []
    close_all_pools()
    assert resource_warnings() == []


def test_configurable_models_share_one_connection_pool(
    emu: HiAPIEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    created: list[httpx.Client] = []
    real_client = httpx.Client

    def counting_client(**kwargs: Any) -> httpx.Client:
        created.append(real_client(**kwargs))
        return created[-1]

    monkeypatch.setattr(httpx, "Client", counting_client)
    llm = model(emu).configurable_fields(temperature=ConfigurableField(id="temperature"))
    for step in range(5):
        llm.invoke("hi", config={"configurable": {"temperature": step / 10}})
        gc.collect()
    assert [r.json["temperature"] for r in emu.requests] == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert len(created) == 1


def test_a_model_used_from_threads_and_copied_meanwhile(emu: HiAPIEmulator) -> None:
    llm = model(emu)

    def work(index: int) -> str:
        if index % 3 == 0:
            pickled(llm).invoke("copy")
        return str(llm.invoke(f"thread {index}").content)

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(work, range(12)))
    assert all("You said: thread" in answer for answer in answers)


def test_a_pickled_used_model_works_in_another_process(emu: HiAPIEmulator, tmp_path: Path) -> None:
    llm = model(emu, temperature=0.2, max_retries=1)
    llm.invoke("first")
    asyncio.run(llm.ainvoke("second"))
    tool = HiAPIImageGenerationTool(base_url=emu.base_url, api_key=emu.api_key)
    (tmp_path / "model.pickle").write_bytes(pickle.dumps((llm, tool)))
    code = (
        "import pathlib, pickle, sys, warnings\n"
        "warnings.simplefilter('error', ResourceWarning)\n"
        "llm, tool = pickle.loads(pathlib.Path(sys.argv[1]).read_bytes())\n"
        "print(llm.invoke('from the other side').content)\n"
        "print(tool.chat_model.base_url == llm.base_url)\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter, our own code
        [sys.executable, "-X", "dev", "-c", code, str(tmp_path / "model.pickle")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["You said: from the other side", "True"]
    assert "ResourceWarning" not in result.stderr
