"""HTTP client for HiAPI: `HiAPIClient`, the package's door to httpx.

Every call is an I/O-free flow (`_exchange`, `_fetch`) run by the sync or the async driver of
`_steps`, so both paths share all their logic.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import SecretStr

from langchain_hiapi._closing import ContextManaged
from langchain_hiapi._downloads import DownloadPolicy, Resolver, resolve_with_system
from langchain_hiapi._exchange import (
    Body,
    CallSettings,
    JSONReply,
    RequestOptions,
    json_call,
    reply_call,
    stream_call,
)
from langchain_hiapi._fetch import (
    AsyncFetchOptions,
    BytesOptions,
    SyncFetchOptions,
    fetch_bytes_call,
    fetch_to_file_call,
)
from langchain_hiapi._files import FetchedFile
from langchain_hiapi._pool import Lease, PoolKey
from langchain_hiapi._ratelimit import KeyRateLimiter, shared_rate_limiter
from langchain_hiapi._request_checks import (
    DEFAULT_BASE_URL,
    check_api_key,
    check_base_url,
    check_headers,
    check_query,
    check_timeout,
    warn_clear_text_key,
)
from langchain_hiapi._retry import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_RETRY_POLICY,
    IDEMPOTENCY_KEY_HEADER,
    INITIAL_RETRY_DELAY,
    MAX_RETRY_AFTER,
    MAX_RETRY_DELAY,
    RETRYABLE_STATUS_CODES,
    RetryPolicy,
)
from langchain_hiapi._steps import AsyncIO, SyncIO, Turn, adrive, aiterate, drive, iterate
from langchain_hiapi.limits import DEFAULT_LIMITS, Limits
from langchain_hiapi.timeouts import DEFAULT_TIMEOUT, split_timeout

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_RETRY_POLICY",
    "DEFAULT_TIMEOUT",
    "IDEMPOTENCY_KEY_HEADER",
    "INITIAL_RETRY_DELAY",
    "MAX_RETRY_AFTER",
    "MAX_RETRY_DELAY",
    "RETRYABLE_STATUS_CODES",
    "FetchedFile",
    "HiAPIClient",
    "JSONReply",
    "RetryPolicy",
    "check_base_url",
]

_SHARED_LIMITER = "shared"  # pickled in place of the process-wide limiter of the key


def _restore_client(settings: dict[str, Any]) -> HiAPIClient:
    """Rebuild a pickled `HiAPIClient` from its settings (in any process)."""
    if settings.get("rate_limiter") == _SHARED_LIMITER:
        settings["rate_limiter"] = shared_rate_limiter(settings["api_key"], settings["base_url"])
    return HiAPIClient(**settings)


class HiAPIClient(ContextManaged):
    """Minimal HiAPI HTTP client with retries, typed errors and SSE streaming.

    Holds settings, not sockets: on first use it leases the process-wide connection pool of its
    settings (see :mod:`langchain_hiapi._pool`: one ``httpx.Client`` and one ``httpx.AsyncClient``
    per event loop, httpx's default pool limits, since benchmarks showed larger keep-alive pools
    slow the async path down), so it can be copied and pickled at any time. ``close()`` ends the
    lease. Clients passed in by the caller are used as given and never closed.

    The timeout is applied to every request, including those sent through a caller's client.
    A number, or an ``HiAPITimeout`` with ``total``, also bounds each call as a whole (see
    :mod:`langchain_hiapi.timeouts`). ``None`` disables timeouts.

    Every byte count is bounded by ``limits``; URLs from replies are downloaded only under
    the origin policy of :mod:`langchain_hiapi._downloads`.

    Args:
        base_url: API root, e.g. ``https://api.hiapi.ai/v1`` (user info is removed).
        api_key: Bearer token; read from the ``SecretStr`` at request time only.
        timeout: A number of seconds (every phase and the whole call), an
            ``httpx.Timeout`` / ``HiAPITimeout``, or ``None``.
        retry_policy: When and how long to retry.
        default_headers: Extra headers for every request to the gateway (applied last);
            never sent to another host (downloads from a CDN get none).
        http_client: A sync client to use instead of creating one.
        http_async_client: An async client to use instead of creating one.
        sleep: Sleep function for retries (injectable for tests).
        asleep: Async sleep function for retries (injectable for tests).
        rate_limiter: Adaptive pacing shared by every client of the key (see
            :func:`langchain_hiapi._ratelimit.shared_rate_limiter`); ``None`` sends at once.
            429s it absorbs are retried at its pace without counting against
            ``max_retries`` while the key makes progress.
        default_query: Query parameters added to every request URL.
        proxy: Proxy URL for the connections (part of the shared pool's settings).
        limits: Byte limits for replies, streams and downloads.
        allowed_download_hosts: Hosts (``host`` or ``host:port``) downloads may come from
            in addition to the gateway's origin and public https hosts.
        resolver: Host name to addresses, for the download policy (default: the system
            resolver; injectable for tests).
        clock: Monotonic clock for the overall deadline (injectable for tests).

    Raises:
        TypeError: ``base_url``, ``timeout`` or ``default_headers`` has the wrong type.
        ValueError: ``base_url`` is not an http(s) URL, ``timeout`` is not positive, or the
            key or a default header cannot be sent as an HTTP header. Raised here, so a bad
            setting fails before any request is sent.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: SecretStr | None,
        timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
        retry_policy: RetryPolicy = DEFAULT_RETRY_POLICY,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], None] = time.sleep,
        asleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rate_limiter: KeyRateLimiter | None = None,
        default_query: Mapping[str, Any] | None = None,
        proxy: str | None = None,
        limits: Limits = DEFAULT_LIMITS,
        allowed_download_hosts: Iterable[str] = (),
        resolver: Resolver | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self.rate_limiter = rate_limiter
        if default_query is not None and not isinstance(default_query, Mapping):
            raise TypeError(f"default_query must be a dict, got {type(default_query).__name__}")
        self._default_query = check_query(default_query or {})
        if proxy is not None and not isinstance(proxy, str):
            raise TypeError(f"proxy must be a URL string, got {type(proxy).__name__}")
        self._proxy = proxy
        check_api_key(api_key)
        warn_clear_text_key(self.base_url, api_key)
        self._api_key = api_key
        self._timeout = check_timeout(timeout)
        self._phases, self._total = split_timeout(self._timeout)
        self.retry_policy = retry_policy
        self._default_headers = check_headers(default_headers or {})
        self.limits = limits
        self.download_policy = DownloadPolicy(self.base_url, allowed_download_hosts)
        self._resolver_setting, self._resolver = resolver, resolver or resolve_with_system
        self._clock, self._sleep, self._asleep = clock, sleep, asleep
        # A caller's own httpx clients: used as given, never closed.
        self._user_client, self._user_async_client = http_client, http_async_client
        self._lease = Lease(
            PoolKey.of(
                base_url=self.base_url,
                api_key=api_key,
                timeout=self._phases,
                proxy=proxy,
                headers=self._default_headers,
            )
        )

    def __repr__(self) -> str:
        return f"HiAPIClient(base_url={self.base_url!r})"

    # -- copies and pickles: settings only, never sockets or locks ---------------------------

    def _settings(self) -> dict[str, Any]:
        """The constructor arguments this client was built from."""
        return {
            "base_url": self.base_url,
            "api_key": self._api_key,
            "timeout": self._timeout,
            "retry_policy": self.retry_policy,
            "default_headers": dict(self._default_headers),
            "http_client": self._user_client,
            "http_async_client": self._user_async_client,
            "sleep": self._sleep,
            "asleep": self._asleep,
            "rate_limiter": self.rate_limiter,
            "default_query": dict(self._default_query),
            "proxy": self._proxy,
            "limits": self.limits,
            "allowed_download_hosts": tuple(sorted(self.download_policy.allowed_hosts)),
            "resolver": self._resolver_setting,
            "clock": self._clock,
        }

    def __copy__(self) -> HiAPIClient:
        return HiAPIClient(**self._settings())

    def __deepcopy__(self, memo: dict[int, Any]) -> HiAPIClient:
        # A copy shares what is meant to be shared (a caller's httpx clients, the key's
        # rate limiter, the pool of its settings) and owns nothing else.
        return HiAPIClient(**self._settings())

    def __reduce__(self) -> tuple[Any, ...]:
        settings = self._settings()
        if settings.pop("http_client") is not None or settings.pop("http_async_client"):
            raise TypeError(
                "a HiAPIClient that uses your own http_client / http_async_client cannot be "
                "pickled (an httpx client holds sockets and locks); pass connection settings "
                "instead"
            )
        if self.rate_limiter is not None and self.rate_limiter is shared_rate_limiter(
            self._api_key, self.base_url
        ):
            settings["rate_limiter"] = _SHARED_LIMITER  # the other process has its own
        return (_restore_client, (settings,))

    # -- pooled clients ---------------------------------------------------------------------

    def _sync_client(self) -> httpx.Client:
        if self._user_client is not None:
            return self._user_client
        return self._lease.pool(self).sync_client()

    def _async_client_for_loop(self) -> httpx.AsyncClient:
        if self._user_async_client is not None:
            return self._user_async_client
        # Pooled connections belong to the loop that opened them: one client per loop,
        # closed when that loop shuts down.
        return self._lease.pool(self).async_client()

    def close(self) -> None:
        """Ends this client's use of its shared pool, closing it if nobody else uses it.

        A caller's own httpx clients are never closed. The client stays usable: the next
        request leases a pool again.
        """
        for pool in self._lease.end():
            pool.close()

    async def aclose(self) -> None:
        """Async `close`: also awaits the closing of the running loop's connections."""
        for pool in self._lease.end():
            await pool.aclose()

    # -- one call: its settings and the driver of its flow ----------------------------------

    def _calls(self) -> CallSettings:
        """The settings a call starts with (read now, so later changes affect later calls)."""
        return CallSettings(
            base_url=self.base_url, api_key=self._api_key, phases=self._phases,
            total=self._total, clock=self._clock, default_headers=self._default_headers,
            default_query=self._default_query, retry_policy=self.retry_policy,
            limits=self.limits, download_policy=self.download_policy,
            resolver=self._resolver, rate_limiter=self.rate_limiter,
        )  # fmt: skip

    def _io(self) -> SyncIO:
        return SyncIO(self._sync_client, self._sleep)

    def _aio(self) -> AsyncIO:
        return AsyncIO(self._async_client_for_loop, self._asleep)

    # -- requests -----------------------------------------------------------------------------

    def request_json(self, method: str, path: str, body: Body = None) -> dict[str, Any]:
        """Send a request and return the JSON object of the 2xx reply.

        Args:
            method: HTTP method.
            path: Path below the base URL, starting with ``/``.
            body: JSON body, if any.

        Returns:
            The parsed reply.

        Raises:
            APIStatusError: Non-2xx reply (typed by status/code), after retries.
            APIConnectionError: No reply, after retries (``APITimeoutError`` when the
                overall timeout passed).
            InvalidResponseError: The 2xx body is not a JSON object.
            ResponseTooLargeError: The body is larger than ``limits.max_response_bytes``.
        """
        return drive(json_call(self._calls(), method, path, body), self._io())

    async def arequest_json(self, method: str, path: str, body: Body = None) -> dict[str, Any]:
        """Async `request_json`; same arguments."""
        return await adrive(json_call(self._calls(), method, path, body), self._aio())

    def request(
        self, method: str, path: str, body: Body = None, **options: Unpack[RequestOptions]
    ) -> JSONReply:
        """Send a request to a JSON API and return the 2xx reply with status and headers.

        Like `request_json`, plus: per-request ``headers`` and query ``params``; a 2xx
        task-API envelope whose ``code`` is not a success is an error (retried like its
        status); and a POST with an ``Idempotency-Key`` header is retried like a GET, after
        connection errors and read timeouts too (the server deduplicates it).

        Args:
            method: HTTP method.
            path: Path below the base URL, starting with ``/``.
            body: JSON body, if any.
            **options: ``headers``: extra headers for this request (applied last);
                ``params``: query parameters.

        Returns:
            The reply.

        Raises:
            APIStatusError: Non-2xx reply or error envelope (typed by status/code), after
                retries.
            APIConnectionError: No reply, after retries.
            InvalidResponseError: The 2xx body is not a JSON object.
        """
        return drive(reply_call(self._calls(), method, path, body, options), self._io())

    async def arequest(
        self, method: str, path: str, body: Body = None, **options: Unpack[RequestOptions]
    ) -> JSONReply:
        """Async `request`; same arguments."""
        return await adrive(reply_call(self._calls(), method, path, body, options), self._aio())

    # -- downloads ----------------------------------------------------------------------------

    def fetch_to_file(
        self, url: str, dest_dir: str | os.PathLike[str], stem: str, *, max_bytes: int
    ) -> FetchedFile:
        """Download an absolute URL (a task output) into ``dest_dir``, atomically.

        The URL and every redirect are checked by the download policy (see
        :meth:`fetch_bytes`); the key goes only to ``base_url``'s origin. The body is
        inflated in bounded steps and streams into a hidden temporary file that is renamed
        to ``<stem><ext>`` (``-2``, ``-3``, ... when taken) once complete; the extension
        comes from the content type, else the URL, and an image keeps a raster extension
        only when its bytes are of that type (anything else is ``.bin``). Retries (before
        the body starts) follow the retry policy; the whole download is one call for the
        overall timeout.

        Args:
            url: The absolute http(s) URL.
            dest_dir: The directory; created if missing.
            stem: The file name without extension (unsafe characters are replaced).
            max_bytes: Largest accepted download; a bigger one leaves no file.

        Returns:
            The file written.

        Raises:
            ValueError: ``url`` is not an absolute http(s) URL.
            UnsafeURLError: The URL or a redirect is refused (before connecting to it).
            APIStatusError: Non-2xx reply, after retries (a foreign host's body is dropped).
            APIConnectionError: No reply, or the body was cut (``APITimeoutError`` when the
                overall timeout passed).
            ResponseTooLargeError: The body exceeds ``max_bytes`` (an
                ``InvalidResponseError``).
        """
        return drive(fetch_to_file_call(self._calls(), url, dest_dir, stem, max_bytes), self._io())

    async def afetch_to_file(
        self, url: str, dest_dir: str | os.PathLike[str], stem: str, *, max_bytes: int
    ) -> FetchedFile:
        """Async `fetch_to_file`; same arguments."""
        flow = fetch_to_file_call(self._calls(), url, dest_dir, stem, max_bytes)
        return await adrive(flow, self._aio())

    def request_bytes(
        self, method: str, path: str, **options: Unpack[BytesOptions]
    ) -> tuple[bytes, str]:
        """Fetch a binary resource of the gateway (e.g. a video download).

        Redirects are followed under the download policy (see :meth:`fetch_bytes`).

        Args:
            method: HTTP method of the first request.
            path: Path below the base URL.
            **options: ``max_bytes``: size limit (default ``limits.max_response_bytes``);
                ``limit_name``: the `Limits` field ``max_bytes`` comes from, for the error.

        Returns:
            ``(content, content type)``.

        Raises:
            APIStatusError: Non-2xx reply, after retries.
            APIConnectionError: No reply, after retries.
            UnsafeURLError: A redirect leads where downloads are refused.
            ResponseTooLargeError: The body passed the limit.
        """
        return self.fetch_bytes(self.base_url + path, method=method, **options)

    async def arequest_bytes(
        self, method: str, path: str, **options: Unpack[BytesOptions]
    ) -> tuple[bytes, str]:
        """Async `request_bytes`; same arguments."""
        return await self.afetch_bytes(self.base_url + path, method=method, **options)

    def fetch_bytes(self, url: str, **options: Unpack[SyncFetchOptions]) -> tuple[bytes, str]:
        """Download a URL a reply pointed to, under the download policy.

        Only the gateway's origin, ``allowed_download_hosts`` and https hosts with public
        addresses are fetched; redirects are followed by hand (``limits.max_redirects``)
        and each hop is checked again; the key goes to the gateway's origin only. The
        whole download is one call for the overall timeout.

        Args:
            url: The absolute URL.
            **options: ``max_bytes``: size limit (default ``limits.max_response_bytes``);
                ``limit_name``: the `Limits` field ``max_bytes`` comes from, for the error;
                ``method``: HTTP method of the first request (``GET``); ``http_client``:
                client for hosts other than the gateway (default: the pooled one).

        Returns:
            ``(content, content type)``.

        Raises:
            UnsafeURLError: The URL or a redirect is refused (before connecting to it).
            APIStatusError: Non-2xx reply (a foreign host's body is not kept).
            APIConnectionError: No reply, after retries.
            ResponseTooLargeError: The body passed the limit.
        """
        return drive(fetch_bytes_call(self._calls(), url, options), self._io())

    async def afetch_bytes(
        self, url: str, **options: Unpack[AsyncFetchOptions]
    ) -> tuple[bytes, str]:
        """Async `fetch_bytes`; same arguments (``http_client`` is an ``httpx.AsyncClient``)."""
        return await adrive(fetch_bytes_call(self._calls(), url, options), self._aio())

    # -- streams ------------------------------------------------------------------------------

    def stream_events(self, path: str, body: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """POST a streaming request and yield its events as dicts until ``[DONE]``.

        Retries happen only before the 2xx status line; never once events flow. The response is
        closed when the stream ends, fails, or the consumer stops iterating (generator close).
        A stream that ends without ``[DONE]`` just ends. The overall timeout covers the
        whole stream, and ``limits`` bound each event and the stream as a whole.

        Args:
            path: Path below the base URL.
            body: JSON body (should contain ``"stream": true``).

        Yields:
            Each event's JSON object.

        Raises:
            APIStatusError: Non-2xx reply, after retries.
            APIConnectionError: No reply, after retries.
            StreamError: Malformed event, error event, connection lost mid-stream, or the
                overall timeout passed mid-stream.
            ResponseTooLargeError: An event or the stream passed its limit.
        """
        return iterate(Turn(stream_call(self._calls(), path, body)), self._io())

    def astream_events(self, path: str, body: Mapping[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """Async `stream_events` (an async generator; ``aclose()`` it to stop early)."""
        return aiterate(Turn(stream_call(self._calls(), path, body)), self._aio())
