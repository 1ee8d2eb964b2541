"""The sync pool never closes a connection already handed to a request (encode/httpcore#1110).

The race itself needs threads and timing; its cause is deterministic: one assignment pass of
the httpcore pool, with more than 20 connections open, closes every idle connection, including
one just assigned to a request whose thread has not started it yet. The pass is driven here
directly on the pool behind the package's sync client.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpcore
import httpx
import pytest
from httpcore._sync.connection_pool import PoolRequest

from langchain_hiapi._pool import Pool, PoolKey

OPEN_CONNECTIONS = 64  # P3's max_concurrency: the benchmark that hit EBADF


class IdleConnection:
    """A keep-alive connection between two requests (what `HTTPConnection` reports then)."""

    def __init__(self) -> None:
        self.closed = False

    def is_closed(self) -> bool:
        return self.closed

    def has_expired(self) -> bool:
        return False

    def is_idle(self) -> bool:
        return True

    def is_available(self) -> bool:
        return True

    def can_handle_request(self, origin: httpcore.Origin) -> bool:
        return True

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def pool() -> Iterator[httpcore.ConnectionPool]:
    """The httpcore pool behind the package's sync client (no socket is ever opened)."""
    key = PoolKey.of(
        base_url="http://127.0.0.1:9/v1", api_key=None, timeout=None, proxy=None, headers={}
    )
    owner = Pool(key)
    transport = owner.sync_client()._transport
    assert isinstance(transport, httpx.HTTPTransport)
    yield transport._pool
    transport._pool._connections = []  # the fakes hold no socket to close
    owner.close()


def test_assignment_pass_keeps_a_connection_assigned_to_a_waiting_request(
    pool: httpcore.ConnectionPool,
) -> None:
    connections = [IdleConnection() for _ in range(OPEN_CONNECTIONS)]
    pool._connections = list(connections)  # type: ignore[arg-type]
    waiting = PoolRequest(httpcore.Request("POST", "http://127.0.0.1:9/v1/chat/completions"))
    waiting.assign_to_connection(connections[0])  # type: ignore[arg-type]
    pool._requests = [waiting]

    closing = pool._assign_requests_to_connections()

    assert connections[0] not in closing  # its thread is about to send on that socket
    assert closing == []
    assert pool.connections == connections
