"""Fixtures for the reliability suite: loopback-only sockets, emulators, recorded sleeps.

Every scenario runs against a real `HiAPIEmulator` on 127.0.0.1 (or an in-process
`httpx.MockTransport`), never the network, and never really sleeps for retries: the
model's client gets recording `sleep`/`asleep` functions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from pytest_socket import socket_allow_hosts

from langchain_hiapi import ChatHiAPI
from langchain_hiapi.testing import HiAPIEmulator
from tests._support.harness import TEXT_MODEL, SleepRecorder


@pytest.fixture(autouse=True)
def _loopback_only() -> None:
    """The suite may reach the emulators on loopback and nothing else."""
    socket_allow_hosts(["127.0.0.1", "localhost", "::1"], allow_unix_socket=True)


@pytest.fixture(scope="module")
def _module_emulator() -> Iterator[HiAPIEmulator]:
    with HiAPIEmulator() as emulator:
        yield emulator


@pytest.fixture
def emu(_module_emulator: HiAPIEmulator) -> HiAPIEmulator:
    """The module's emulator with no scripted replies and no recorded requests."""
    _module_emulator.reset()
    return _module_emulator


ModelFactory = Callable[..., tuple[ChatHiAPI, SleepRecorder]]


@pytest.fixture
async def make_llm(emu: HiAPIEmulator) -> AsyncIterator[ModelFactory]:
    """Builds `ChatHiAPI` models pointed at `emu` with recorded retry sleeps.

    Keyword arguments override the defaults (`base_url`, `api_key`, `model`); pass
    `real_sleep=True` to keep the real sleep functions. Every client is closed afterwards.
    """
    made: list[ChatHiAPI] = []

    def factory(*, real_sleep: bool = False, **kwargs: Any) -> tuple[ChatHiAPI, SleepRecorder]:
        kwargs.setdefault("base_url", emu.base_url)
        kwargs.setdefault("api_key", emu.api_key)
        kwargs.setdefault("model", TEXT_MODEL)
        llm = ChatHiAPI(**kwargs)
        recorder = SleepRecorder()
        if not real_sleep:
            # The client is created on first use; set its injectable sleep functions.
            llm.client._sleep = recorder
            llm.client._asleep = recorder.asleep
        made.append(llm)
        return llm, recorder

    yield factory
    for llm in made:
        if llm._client is not None:
            await llm._client.aclose()
