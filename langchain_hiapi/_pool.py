"""Process-wide httpx connection pools, one per connection settings (part of the HTTP edge).

`HiAPIClient` objects are cheap settings holders; the sockets live here. Every client with the
same base URL, key, timeout, proxy and headers leases the same `Pool`, so models built per call
(`configurable_fields`, `model_copy`, tools) reuse warm connections instead of opening a pool
each. A lease ends with `HiAPIClient.close()` or when the client is garbage-collected:

* an explicit close of the last lease closes the pool's sockets at once;
* a collected last lease parks the pool as idle; at most `MAX_IDLE_POOLS` idle pools are kept
  (the oldest is closed), and an idle pool is taken up again by the next client with the same
  settings. Whatever is still open when the interpreter exits is closed then.

An `httpx.AsyncClient` belongs to the event loop that first used it, so a pool holds one per
loop. Each is tied to its loop through an async generator that the loop finalizes when it shuts
down (`asyncio.run` and `asyncio.Runner` do), and that generator closes the client while the
loop still runs: a finished loop leaves no unclosed sockets behind.

Kept out of `_client.py` so that the request flows and the pooling stay apart.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import threading
import weakref
from collections import OrderedDict, deque
from collections.abc import AsyncGenerator, Iterable
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

from langchain_hiapi import _netguard

__all__ = [
    "MAX_IDLE_POOLS",
    "SYNC_LIMITS",
    "Lease",
    "Pool",
    "PoolKey",
    "close_all_pools",
    "lease_pool",
    "release_pool",
]

MAX_IDLE_POOLS = 8
"""Pools kept open without any client using them, ready for the next client (LRU)."""

SYNC_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100)
"""The sync client's pool limits: httpx's 100 connections, every one of them kept alive.

httpcore 1.0.9 counts all connections, not the idle ones, against
`max_keepalive_connections`, so with httpx's default of 20 every idle connection is closed
while more than 20 are open. A thread can be handed an idle connection and start its request
on it while another thread's pass still sees it idle and closes its socket: the request fails
with `[Errno 9] Bad file descriptor` or waits out its read timeout (encode/httpcore#1110).
With the keep-alive limit equal to the connection limit that pass never closes a connection.
The async clients keep httpx's defaults (one loop, and larger keep-alive pools measured slower).
"""


@dataclass(frozen=True)
class PoolKey:
    """The connection settings one pool serves (the key is kept only as a digest).

    Attributes:
        base_url: API root.
        key_digest: SHA-256 of the API key (`""` without a key).
        timeout: `(connect, read, write, pool)` seconds, or `None` for no timeout.
        proxy: Proxy URL, if any.
        headers: Default headers, sorted.
    """

    base_url: str
    key_digest: str
    timeout: tuple[float | None, ...] | None
    proxy: str | None
    headers: tuple[tuple[str, str], ...]

    def __repr__(self) -> str:
        # Headers may carry credentials: only their names are shown.
        names = [name for name, _ in self.headers]
        return (
            f"PoolKey(base_url={self.base_url!r}, proxy={self.proxy is not None}, headers={names})"
        )

    @classmethod
    def of(
        cls,
        *,
        base_url: str,
        api_key: SecretStr | None,
        timeout: httpx.Timeout | None,
        proxy: str | None,
        headers: dict[str, str],
    ) -> PoolKey:
        """Builds the key of a client's settings."""
        secret = api_key.get_secret_value() if api_key is not None else ""
        digest = hashlib.sha256(secret.encode()).hexdigest() if secret else ""
        phases = (
            None
            if timeout is None
            else (timeout.connect, timeout.read, timeout.write, timeout.pool)
        )
        return cls(base_url, digest, phases, proxy, tuple(sorted(headers.items())))

    def httpx_timeout(self) -> httpx.Timeout | None:
        """The timeout for the pool's httpx clients."""
        if self.timeout is None:
            return None
        connect, read, write, pool = self.timeout
        return httpx.Timeout(connect=connect, read=read, write=write, pool=pool)


class _LoopClient:
    """An `httpx.AsyncClient` bound to one event loop, closed when that loop shuts down."""

    def __init__(self, pool: Pool, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.client = pool.new_async_client()
        self.closed = False
        self._guard = self._shutdown_guard(pool)
        # Start the guard up to its `yield` right away (nothing in it awaits before): the
        # running loop now tracks it and finalizes it in `shutdown_asyncgens()`.
        step = self._guard.asend(None)
        with contextlib.suppress(StopIteration):
            step.send(None)

    async def _shutdown_guard(self, pool: Pool) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            pool.forget_loop(self)
            await self.aclose()

    async def aclose(self) -> None:
        """Closes the client (on its own loop)."""
        if not self.closed:
            self.closed = True
            await self.client.aclose()

    async def finish(self) -> None:
        """Closes the client through its guard, so the loop no longer tracks it."""
        await self._guard.aclose()

    def close_soon(self) -> None:
        """Asks the client's loop to close it (from any thread); dropped if the loop is gone."""
        loop = self.loop
        if loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(_start_finish, loop, self)


def _start_finish(loop: asyncio.AbstractEventLoop, loop_client: _LoopClient) -> None:
    task = loop.create_task(loop_client.finish())
    _PENDING_TASKS.add(task)  # tasks are weakly referenced by the loop
    task.add_done_callback(_PENDING_TASKS.discard)


_PENDING_TASKS: set[asyncio.Task[None]] = set()


class Pool:
    """The httpx clients of one `PoolKey`: one sync client, one async client per loop."""

    def __init__(self, key: PoolKey) -> None:
        self.key = key
        self.users = 0
        self.closed = False
        self._lock = threading.Lock()
        self._sync: httpx.Client | None = None
        self._loops: dict[int, _LoopClient] = {}

    def __repr__(self) -> str:
        return f"Pool({self.key!r}, users={self.users}, closed={self.closed})"

    def _client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"timeout": self.key.httpx_timeout()}
        if self.key.proxy is not None:
            kwargs["proxy"] = self.key.proxy
        return kwargs

    def new_async_client(self) -> httpx.AsyncClient:
        """A new async client with this pool's settings (sockets guarded, see `_netguard`)."""
        client = httpx.AsyncClient(**self._client_kwargs())
        _netguard.install(client, is_async=True)
        return client

    def sync_client(self) -> httpx.Client:
        """The pool's sync client, created on first use."""
        client = self._sync
        if client is None:
            with self._lock:  # two threads must not each create (and leak) a client
                client = self._sync
                if client is None:
                    client = self._sync = httpx.Client(**self._client_kwargs(), limits=SYNC_LIMITS)
                    # Deadlines and connect-time address checks reach the sockets.
                    _netguard.install(client, is_async=False)
        return client

    def async_client(self) -> httpx.AsyncClient:
        """The pool's async client for the running event loop, created on first use.

        Raises:
            RuntimeError: Not called from a running asyncio event loop.
        """
        loop = asyncio.get_running_loop()
        entry = self._loops.get(id(loop))
        if entry is not None and entry.loop is loop and not entry.closed:
            return entry.client
        with self._lock:
            # Loops closed without shutting down their async generators leave entries.
            for stale in [e for e in self._loops.values() if e.loop.is_closed()]:
                self._loops.pop(id(stale.loop), None)
            entry = self._loops.get(id(loop))
            if entry is None or entry.loop is not loop or entry.closed:
                entry = self._loops[id(loop)] = _LoopClient(self, loop)
        return entry.client

    def forget_loop(self, entry: _LoopClient) -> None:
        """Drops a loop's client from the pool (its loop is shutting down)."""
        with self._lock:
            if self._loops.get(id(entry.loop)) is entry:
                del self._loops[id(entry.loop)]

    def _detach(self) -> tuple[httpx.Client | None, list[_LoopClient]]:
        with self._lock:
            self.closed = True
            sync, self._sync = self._sync, None
            loops = list(self._loops.values())
            self._loops.clear()
        return sync, loops

    def close(self) -> None:
        """Closes the sync client now and asks each loop to close its async client."""
        sync, loops = self._detach()
        if sync is not None:
            sync.close()
        for entry in loops:
            entry.close_soon()

    async def aclose(self) -> None:
        """`close`, awaiting the running loop's async client."""
        sync, loops = self._detach()
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover - aclose is awaited on a loop
            running = None
        for entry in loops:
            if entry.loop is running:
                await entry.finish()
            else:
                entry.close_soon()
        if sync is not None:
            sync.close()


class _Registry:
    """Pools by key, with lease counts and the idle LRU.

    Releases from garbage collection may run at any point of any thread, even while this
    thread holds the lock: they are queued and handled by whoever holds the lock next.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pools: dict[PoolKey, Pool] = {}
        self._idle: OrderedDict[PoolKey, None] = OrderedDict()
        self._deferred: deque[Pool] = deque()

    def acquire(self, key: PoolKey) -> Pool:
        with self._lock:
            to_close = self._drain()
            pool = self._pools.get(key)
            if pool is None or pool.closed:
                pool = self._pools[key] = Pool(key)
            pool.users += 1
            self._idle.pop(key, None)
        _close_all(to_close)
        return pool

    def release(self, pool: Pool, *, close_now: bool) -> list[Pool]:
        """Ends a lease; returns the pools the caller must close (outside any lock)."""
        with self._lock:
            to_close = self._release(pool, close_now=close_now)
            to_close += self._drain()
        return to_close

    def release_from_gc(self, pool: Pool) -> None:
        self._deferred.append(pool)
        if not self._lock.acquire(blocking=False):
            return  # whoever holds the lock (maybe this very thread) handles it
        try:
            to_close = self._drain()
        finally:
            self._lock.release()
        _close_all(to_close)

    def close_all(self) -> None:
        with self._lock:
            pools = list(self._pools.values())
            self._pools.clear()
            self._idle.clear()
            self._deferred.clear()
        _close_all(pools)

    def _drain(self) -> list[Pool]:
        to_close: list[Pool] = []
        while self._deferred:
            to_close += self._release(self._deferred.popleft(), close_now=False)
        return to_close

    def _release(self, pool: Pool, *, close_now: bool) -> list[Pool]:
        if self._pools.get(pool.key) is not pool:
            return [pool] if close_now and not pool.closed else []  # closed by close_all
        pool.users -= 1
        if pool.users > 0:
            return []
        if close_now:
            del self._pools[pool.key]
            self._idle.pop(pool.key, None)
            return [pool]
        self._idle[pool.key] = None
        self._idle.move_to_end(pool.key)
        evicted: list[Pool] = []
        while len(self._idle) > MAX_IDLE_POOLS:
            oldest, _ = self._idle.popitem(last=False)
            evicted.append(self._pools.pop(oldest))
        return evicted


def _close_all(pools: Iterable[Pool]) -> None:
    for pool in pools:
        with contextlib.suppress(Exception):  # closing must never mask the caller's work
            pool.close()


_REGISTRY = _Registry()


def lease_pool(key: PoolKey, owner: object) -> tuple[Pool, weakref.finalize[Any, Any]]:
    """Leases the pool of `key` for `owner` until `release_pool` or `owner`'s collection.

    Args:
        key: The connection settings.
        owner: The object whose lifetime bounds the lease (a `HiAPIClient`).

    Returns:
        The pool and the finalizer that ends the lease when `owner` is collected.
    """
    pool = _REGISTRY.acquire(key)
    return pool, weakref.finalize(owner, _REGISTRY.release_from_gc, pool)


def release_pool(
    pool: Pool, finalizer: weakref.finalize[Any, Any], *, close_now: bool = True
) -> list[Pool]:
    """Ends a lease now; returns the pools to close (the caller closes them).

    Args:
        pool: The leased pool.
        finalizer: The lease's finalizer (detached so the lease ends only once).
        close_now: Close the pool if this was its last lease (else keep it idle).
    """
    if finalizer.detach() is None:
        return []  # already released
    return _REGISTRY.release(pool, close_now=close_now)


class Lease:
    """A client's lease of the pool of its settings: taken on first use, ended by `end`."""

    def __init__(self, key: PoolKey) -> None:
        self._key = key
        self._held: tuple[Pool, weakref.finalize[Any, Any]] | None = None
        self._lock = threading.Lock()

    def pool(self, owner: object) -> Pool:
        """The pool, leased for `owner` (whose collection ends the lease) if not yet held."""
        held = self._held
        if held is None or held[0].closed:
            with self._lock:
                held = self._held
                if held is None or held[0].closed:
                    if held is not None:
                        release_pool(*held, close_now=False)
                    held = self._held = lease_pool(self._key, owner)
        return held[0]

    def end(self) -> list[Pool]:
        """Ends the lease; returns the pools to close (the caller closes them)."""
        with self._lock:
            held, self._held = self._held, None
        return release_pool(*held) if held is not None else []


def close_all_pools() -> None:
    """Closes every pool of the process (clients reopen one on their next request).

    Called at interpreter exit; tests use it to start from a clean slate.
    """
    _REGISTRY.close_all()


atexit.register(close_all_pools)
