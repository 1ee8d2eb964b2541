"""One-call functions (`list_models`, `generate_images`): a flow on a client for one call.

The caller may pass a `client` to reuse (left open); otherwise one is built from keyword
settings the way `ChatHiAPI` builds its own (key and URL from the environment by default)
and closed when the call ends. Each public sync/async pair is then one line each: resolve
the keywords, run the flow with `run_once` or `arun_once`.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict, TypeVar

import httpx
from pydantic import SecretStr

from langchain_hiapi._client import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, HiAPIClient
from langchain_hiapi._connection import make_client, resolve_api_key, resolve_base_url
from langchain_hiapi._flows import Handler, run_async, run_sync
from langchain_hiapi._secrets import check_api_key_type

__all__ = [
    "CONNECTION_DEFAULTS",
    "ConnectionOptions",
    "FetchBytes",
    "arun_once",
    "build_client",
    "connection",
    "run_once",
]

T = TypeVar("T")
FlowFactory = Callable[[HiAPIClient], Generator[Any, Any, T]]
"""Builds a call's flow (of `Step`s and `FetchBytes`) once its client is known."""


class ConnectionOptions(TypedDict, total=False):
    """The connection keywords every one-call function takes."""

    client: HiAPIClient | None
    api_key: str | SecretStr | None
    base_url: str | None
    timeout: httpx.Timeout | float | None
    max_retries: int


CONNECTION_DEFAULTS: ConnectionOptions = {
    "client": None,
    "api_key": None,
    "base_url": None,
    "timeout": DEFAULT_TIMEOUT,
    "max_retries": DEFAULT_MAX_RETRIES,
}


@dataclass(frozen=True)
class FetchBytes:
    """A flow step: download a URL into memory (``HiAPIClient.fetch_bytes``).

    The result is ``(content, content_type)``.
    """

    url: str
    max_bytes: int
    limit_name: str
    http_client: Any = None  # the caller's httpx client for hosts other than the gateway


def _fetch_bytes(fetch: Callable[..., Any]) -> dict[type, Handler]:
    """The handler of `FetchBytes` steps, downloading with `fetch` (sync or async)."""
    return {
        FetchBytes: lambda s: fetch(
            s.url, max_bytes=s.max_bytes, limit_name=s.limit_name, http_client=s.http_client
        )
    }


def build_client(
    *, api_key: str | SecretStr | None, base_url: str | None, **settings: Any
) -> HiAPIClient:
    """A client from keyword settings: key and base URL from the environment by default.

    Args:
        api_key: The key; `HIAPI_API_KEY` when `None` (another type is a `TypeError`).
        base_url: The API base URL; `HIAPI_BASE_URL`, else `HIAPI_API_BASE`, else HiAPI's.
        **settings: `timeout`, `max_retries` and other `make_client` arguments
            (`http_client`, `http_async_client`, `limits`, `allowed_download_hosts`).

    Returns:
        The client (the caller closes it).
    """
    key = resolve_api_key(check_api_key_type(api_key))
    return make_client(api_key=key, base_url=resolve_base_url(base_url), **settings)


class _Lease:
    """The client of one call; closed on the way out when it was built for the call."""

    def __init__(self, client: HiAPIClient, owned: bool) -> None:
        self.client = client
        self.owned = owned

    def __enter__(self) -> HiAPIClient:
        return self.client

    def __exit__(self, *exc_info: object) -> None:
        if self.owned:
            self.client.close()

    async def __aenter__(self) -> HiAPIClient:
        return self.client

    async def __aexit__(self, *exc_info: object) -> None:
        if self.owned:
            await self.client.aclose()


def connection(settings: Mapping[str, Any]) -> _Lease:
    """The caller's `client` (left open), or one built from the other settings.

    Use it with `with` or `async with`.
    """
    options = dict(settings)
    client = options.pop("client", None)
    if client is not None:
        return _Lease(client, owned=False)
    return _Lease(build_client(**options), owned=True)


def run_once(make_flow: FlowFactory[T], settings: Mapping[str, Any]) -> T:
    """Runs a call's flow with blocking I/O on the client `settings` describe."""
    with connection(settings) as client:
        return run_sync(make_flow(client), client, handlers=_fetch_bytes(client.fetch_bytes))


async def arun_once(make_flow: FlowFactory[T], settings: Mapping[str, Any]) -> T:
    """Async `run_once`."""
    async with connection(settings) as client:
        handlers = _fetch_bytes(client.afetch_bytes)
        return await run_async(make_flow(client), client, handlers=handlers)
