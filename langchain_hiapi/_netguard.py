"""Socket-level guards for the connection pools the package creates itself.

httpx applies a read timeout to each socket read, so a server that trickles bytes, or
answers and then goes silent, is never cut off by it. The pools built here use an httpcore
network backend that clamps every connect, TLS handshake, read and write to the deadline
of the call in progress, and, for downloads from hosts that must be public, resolves the
name itself, checks every address and connects to a checked one (so a DNS answer cannot
change between the check and the connection).

The call in progress is found through a context variable set by `_steps` around each I/O step
(`guard`), so one pool serves many concurrent calls, each with its own deadline.

Clients passed in by the caller keep their own transport; for them the flows still check
the deadline between chunks and the address before sending.
"""

from __future__ import annotations

import contextvars
import ssl
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from langchain_hiapi.timeouts import Deadline

__all__ = ["AddressPicker", "guard", "install"]

AddressPicker = Callable[[str, int], str]
"""`(host, port) -> address to connect to`; raises to refuse the host."""


class guard:  # noqa: N801  (used like a function: `with guard(deadline):`)
    """Applies a deadline (and an address check) to the socket work done inside.

    A plain class rather than `contextlib.contextmanager`: it wraps every chunk read.

    Args:
        deadline: The call's deadline, or `None`.
        pick_address: Resolves and checks the host of a new connection, or `None` to
            connect as usual.
    """

    __slots__ = ("_token", "deadline", "pick_address")

    def __init__(
        self, deadline: Deadline | None, pick_address: AddressPicker | None = None
    ) -> None:
        self.deadline = deadline
        self.pick_address = pick_address

    def __enter__(self) -> None:
        self._token = _SCOPE.set(self)

    def __exit__(self, *exc_info: object) -> None:
        _SCOPE.reset(self._token)


_SCOPE: contextvars.ContextVar[guard | None] = contextvars.ContextVar(
    "langchain_hiapi_net_scope", default=None
)


def _clamp(timeout: float | None, error: str) -> float | None:
    """`timeout` shortened to what is left of the current deadline.

    Raises:
        httpcore.ConnectTimeout, ReadTimeout or WriteTimeout (named by ``error``): The
            deadline has passed.
    """
    scope = _SCOPE.get()
    if scope is None or scope.deadline is None:
        return timeout
    left = scope.deadline.remaining()
    if left is None:
        return timeout
    if left <= 0:
        import httpcore  # imported late, like httpx does, to keep the import light

        raise getattr(httpcore, error)("the overall timeout of the call has passed")
    return left if timeout is None else min(timeout, left)


def _pick(host: str, port: int) -> str:
    scope = _SCOPE.get()
    if scope is None or scope.pick_address is None:
        return host
    return scope.pick_address(host, port)


class _Stream:
    """An httpcore network stream whose reads, writes and TLS handshake obey `guard`.

    Written once for both modes: a method returns what the inner stream's does (a value,
    or a coroutine the async caller awaits); only `_wrap` differs (`_AsyncStream`).
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> Any:
        return self._inner.read(max_bytes, _clamp(timeout, "ReadTimeout"))

    def write(self, buffer: bytes, timeout: float | None = None) -> Any:
        return self._inner.write(buffer, _clamp(timeout, "WriteTimeout"))

    def close(self) -> Any:
        return self._inner.close()

    def aclose(self) -> Any:
        return self._inner.aclose()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> Any:
        timeout = _clamp(timeout, "ConnectTimeout")
        return self._wrap(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)

    def _wrap(self, stream: Any) -> Any:
        return _Stream(stream)


class _AsyncStream(_Stream):
    async def _wrap(self, stream: Any) -> Any:
        return _AsyncStream(await stream)


class _Backend:
    """An httpcore network backend whose connections obey `guard` (see `_Stream`)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> Any:
        timeout = _clamp(timeout, "ConnectTimeout")
        return self._connect(host, port, timeout, local_address, socket_options)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> Any:
        timeout = _clamp(timeout, "ConnectTimeout")
        return self._wrap(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> Any:
        return self._inner.sleep(seconds)

    def _connect(self, host: str, port: int, *rest: Any) -> Any:
        return _Stream(self._inner.connect_tcp(_pick(host, port), port, *rest))

    def _wrap(self, stream: Any) -> Any:
        return _Stream(stream)


class _AsyncBackend(_Backend):
    async def _connect(self, host: str, port: int, *rest: Any) -> Any:
        # The resolver is blocking: run it off the event loop when one is needed.
        scope = _SCOPE.get()
        if scope is not None and scope.pick_address is not None:
            import anyio.to_thread

            host = await anyio.to_thread.run_sync(scope.pick_address, host, port)
        return _AsyncStream(await self._inner.connect_tcp(host, port, *rest))

    async def _wrap(self, stream: Any) -> Any:
        return _AsyncStream(await stream)


def _install(transport: object, wrap: Callable[[Any], Any]) -> None:
    # httpx takes no backend argument; if its internals change, the flows' chunk checks remain.
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if pool is not None and backend is not None:
        pool._network_backend = wrap(backend)


def install(client: httpx.Client | httpx.AsyncClient, *, is_async: bool) -> None:
    """Makes the sockets of a client the package created itself obey `guard`.

    Only the client's own transport is changed (proxy mounts keep theirs: there the
    proxy, not this process, connects to the host).
    """
    _install(getattr(client, "_transport", None), _AsyncBackend if is_async else _Backend)
