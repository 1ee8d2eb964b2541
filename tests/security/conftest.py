"""Fixtures for the security probes: loopback only, sync and async, no real DNS.

Every probe runs against a hand-made server on 127.0.0.1 (`tests/_support/servers.py`),
the emulator, or an in-process transport; "internal address" probes use DNS-free literal
IPs or an injected resolver and assert that nothing was connected to.
"""

from __future__ import annotations

import pytest
from pytest_socket import socket_allow_hosts


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sockets may reach 127.0.0.1 only; a name lookup is a test bug (resolvers are injected)."""
    socket_allow_hosts(["127.0.0.1"], allow_unix_socket=True)

    def no_dns(host: str) -> list[str]:
        raise AssertionError(f"unexpected DNS lookup of {host!r}")

    monkeypatch.setattr("langchain_hiapi._downloads.system_resolver", no_dns)
