"""Unit tests never touch the network: every socket is refused (asyncio's socketpair aside)."""

from collections.abc import Iterator

import pytest
from pytest_socket import disable_socket, enable_socket

PUBLIC_IP = "93.184.215.14"


@pytest.fixture(autouse=True)
def _fake_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Download hosts are resolved and must be public: every name is a public address here."""
    monkeypatch.setattr("langchain_hiapi._downloads.system_resolver", lambda host: [PUBLIC_IP])


@pytest.fixture(autouse=True)
def _no_sockets() -> Iterator[None]:
    disable_socket(allow_unix_socket=True)
    yield
    enable_socket()
