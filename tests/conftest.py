"""Fixtures for every suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from langchain_hiapi._image_route import ROUTE_MEMORY
from langchain_hiapi._pool import close_all_pools


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    """Run a test through the sync and the async API."""
    return str(request.param)


@pytest.fixture(autouse=True)
def _fresh_connection_pools() -> Iterator[None]:
    """Each test starts without pooled connections of earlier tests (pools are process-wide).

    A test that patches httpx (a mock transport) must not leave its clients to the next.
    """
    yield
    close_all_pools()


@pytest.fixture(autouse=True)
def _forget_learned_routes() -> Iterator[None]:
    """ChatHiAPI remembers chat->tasks fallbacks for the process: each test starts afresh."""
    ROUTE_MEMORY.clear()
    yield
    ROUTE_MEMORY.clear()
