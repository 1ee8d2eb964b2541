"""The examples run offline against the emulator: loopback sockets only."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from pytest_socket import socket_allow_hosts

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(autouse=True)
def _loopback_only() -> None:
    socket_allow_hosts(["127.0.0.1", "localhost", "::1"], allow_unix_socket=True)


@pytest.fixture(autouse=True)
def _no_hiapi_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without a key the examples must start the emulator; a developer's key must not leak in.
    monkeypatch.delenv("HIAPI_API_KEY", raising=False)
    monkeypatch.delenv("HIAPI_BASE_URL", raising=False)


@pytest.fixture
def load_example() -> Callable[[str], ModuleType]:
    """Imports `examples/<name>.py` as a module (examples are scripts, not a package)."""

    def load(name: str) -> ModuleType:
        module_name = f"_example_{name}"
        spec = importlib.util.spec_from_file_location(module_name, EXAMPLES_DIR / f"{name}.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module  # dataclasses and pydantic look modules up
        spec.loader.exec_module(module)
        return module

    return load
