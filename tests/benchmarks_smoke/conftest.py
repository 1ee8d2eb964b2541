"""The smoke run talks to the emulator on loopback (in a subprocess, but allow it anyway)."""

from __future__ import annotations

import pytest

try:
    from pytest_socket import socket_allow_hosts
except ImportError:  # pytest-socket not installed: nothing to allow
    socket_allow_hosts = None


@pytest.fixture(autouse=True)
def _allow_loopback() -> None:
    if socket_allow_hosts is not None:
        socket_allow_hosts(["127.0.0.1", "localhost", "::1"], allow_unix_socket=True)
