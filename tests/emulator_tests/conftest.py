"""Fixtures of the emulator suite; a module needing other emulator settings overrides `emu`."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from langchain_hiapi.testing import HiAPIEmulator
from tests._support.emulator import client_for


@pytest.fixture(scope="module")
def emu() -> Iterator[HiAPIEmulator]:
    """A default emulator, one per test module."""
    with HiAPIEmulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def http(emu: HiAPIEmulator) -> Iterator[httpx.Client]:
    """A plain-HTTP client of `emu` with its key, kept for the module."""
    with client_for(emu.base_url, emu.api_key) as c:
        yield c


@pytest.fixture
def client(emu: HiAPIEmulator) -> Iterator[httpx.Client]:
    """A fresh keyed client of `emu`, reset first (no scripted replies, tasks or counters)."""
    emu.reset()
    with client_for(emu.base_url, emu.api_key) as c:
        yield c
