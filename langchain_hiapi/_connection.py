"""Connection settings shared by `ChatHiAPI`, the tools and the task clients: one home.

Pydantic classes declare their connection fields in their own order with the types and
defaults below (the validators travel inside the types), build their `HiAPIClient` with
`make_client`, and get `close`/`aclose` and the context-manager protocol from
`ConnectionOwner`; `PooledClient` adds the cached `client` property, copying and pickling
for a model that owns its `HiAPIClient` (`ChatHiAPI`). Plain classes use
`resolve_api_key`/`resolve_base_url` and `make_client`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import httpx
from langchain_core.utils import from_env, secret_from_env
from pydantic import BaseModel, BeforeValidator, Field, PlainSerializer, PrivateAttr, SecretStr

from langchain_hiapi._client import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    HiAPIClient,
    RetryPolicy,
)
from langchain_hiapi._closing import ContextManaged
from langchain_hiapi._ratelimit import shared_rate_limiter
from langchain_hiapi._secrets import (
    check_api_key_type,
    parse_headers_secret,
    strip_base_url_credentials,
)
from langchain_hiapi.limits import DEFAULT_LIMITS, Limits
from langchain_hiapi.timeouts import HiAPITimeout

if TYPE_CHECKING:
    from typing_extensions import Self

API_KEY_ENV = "HIAPI_API_KEY"
BASE_URL_ENVS = ("HIAPI_BASE_URL", "HIAPI_API_BASE")


def coerce_timeout(value: Any) -> Any:
    """Revives a timeout from its dict form (`serialize_timeout`); `total` marks a HiAPITimeout."""
    if isinstance(value, Mapping):
        return HiAPITimeout(**value) if "total" in value else httpx.Timeout(**value)
    return value


def serialize_timeout(value: float | httpx.Timeout | None) -> Any:
    """A JSON-serializable timeout: an `httpx.Timeout` becomes its dict form."""
    return value.as_dict() if isinstance(value, httpx.Timeout) else value


ApiKey = Annotated[SecretStr | None, BeforeValidator(check_api_key_type)]
"""An API key field: a `str`/`SecretStr` (anything else is refused, naming its type)."""
BaseUrl = Annotated[str, BeforeValidator(strip_base_url_credentials)]
"""A base URL field: credentials in the URL are removed (with a warning)."""
Timeout = Annotated[
    float | httpx.Timeout | None,
    BeforeValidator(coerce_timeout),
    PlainSerializer(serialize_timeout),
]
"""A timeout field: seconds, an `httpx.Timeout` or a `HiAPITimeout`; round-trips as JSON."""
DefaultHeaders = Annotated[dict[str, str] | None, BeforeValidator(parse_headers_secret)]
"""A headers field; also accepts the JSON object `HIAPI_DEFAULT_HEADERS` is loaded from."""


def api_key_field() -> Any:
    """The `api_key` default: read from `HIAPI_API_KEY` when not given."""
    return Field(default_factory=secret_from_env(API_KEY_ENV, default=None))


def base_url_field() -> Any:
    """The `base_url` default: `HIAPI_BASE_URL`, else `HIAPI_API_BASE`, else HiAPI's URL."""
    return Field(default_factory=from_env(list(BASE_URL_ENVS), default=DEFAULT_BASE_URL))


def max_retries_field() -> Any:
    """The `max_retries` default (`DEFAULT_MAX_RETRIES`, never negative)."""
    return Field(default=DEFAULT_MAX_RETRIES, ge=0)


def resolve_api_key(api_key: str | SecretStr | None) -> SecretStr | None:
    """The key given, else `HIAPI_API_KEY` (an empty variable counts as unset)."""
    if api_key is None:
        api_key = os.environ.get(API_KEY_ENV) or None
    return SecretStr(api_key) if isinstance(api_key, str) else api_key


def resolve_base_url(base_url: str | None) -> str:
    """The URL given, else `HIAPI_BASE_URL`, else `HIAPI_API_BASE`, else HiAPI's URL."""
    found = (os.environ.get(name) for name in BASE_URL_ENVS)
    return base_url or next((url for url in found if url), DEFAULT_BASE_URL)


def make_client(
    *,
    base_url: str,
    api_key: SecretStr | None,
    timeout: float | httpx.Timeout | None,
    max_retries: int,
    retry_read_timeouts: bool = False,
    adaptive_rate_limit: bool = False,
    limits: Limits | None = None,
    **options: Any,
) -> HiAPIClient:
    """Builds the `HiAPIClient` for a set of connection settings.

    Args:
        base_url: API base URL.
        api_key: The key (`None`: requests fail with an authentication error).
        timeout: Request timeout.
        max_retries: Retries after the first attempt.
        retry_read_timeouts: Also retry calls that may already have reached the gateway.
        adaptive_rate_limit: Pace requests with the limiter shared by this key and URL
            (unless `options` brings its own `rate_limiter`).
        limits: Byte limits (default `Limits()`).
        **options: Other `HiAPIClient` arguments (`default_headers`, `http_client`,
            `http_async_client`, `default_query`, `proxy`, `allowed_download_hosts`,
            `sleep`, `asleep`, `clock`, ...), passed on as they are.

    Returns:
        A client; clients with the same settings share one connection pool.
    """
    if adaptive_rate_limit and "rate_limiter" not in options:
        options["rate_limiter"] = shared_rate_limiter(api_key, base_url)
    return HiAPIClient(
        base_url=base_url,
        api_key=api_key,
        timeout=timeout,
        retry_policy=RetryPolicy(max_retries=max_retries, retry_read_timeouts=retry_read_timeouts),
        limits=limits or DEFAULT_LIMITS,
        **options,
    )


def download_hosts(hosts: Iterable[str] | None) -> tuple[str, ...]:
    """Extra download hosts as a hashable tuple (for settings snapshots)."""
    return tuple(hosts or ())


class Closeable(Protocol):
    """What `ConnectionOwner` closes: a `HiAPIClient`, or an object owning one."""

    def close(self) -> None: ...

    async def aclose(self) -> None: ...


class ConnectionOwner(ContextManaged):
    """`close`/`aclose` for an object that opened a client it must give back.

    Subclasses say what to close in `_release_connection` (and forget it there when the
    next request should open a fresh one). A client the caller passed in is theirs: return
    `None` for it.
    """

    def _release_connection(self) -> Closeable | None:
        raise NotImplementedError

    def close(self) -> None:
        """Ends this object's use of its shared connection pool.

        The pool closes when no other model, tool or client with the same settings uses
        it. A client you passed in (`http_client`, `llm`, `tasks`, ...) is never closed.
        The object stays usable afterwards.
        """
        owned = self._release_connection()
        if owned is not None:
            owned.close()

    async def aclose(self) -> None:
        """Async `close` (also closes the running event loop's connections)."""
        owned = self._release_connection()
        if owned is not None:
            await owned.aclose()


class PooledClient(BaseModel, ConnectionOwner):
    """A pydantic model whose `client` is built from its fields (`_client_options`).

    It holds settings, not sockets: copies and unpickled objects build their own client,
    and clients with the same settings share one connection pool across the process.
    """

    _client: HiAPIClient | None = PrivateAttr(default=None)
    _client_settings: tuple[tuple[str, Any], ...] | None = PrivateAttr(default=None)

    def _client_options(self) -> tuple[tuple[str, Any], ...]:
        """`make_client`'s arguments as `(name, value)` pairs, compared on every request."""
        raise NotImplementedError

    @property
    def client(self) -> HiAPIClient:
        """The HTTP client for the current connection settings.

        Derived from the fields on every call (cheaply: it is rebuilt only when a
        connection setting changed), so `model_copy(update=...)` and attribute assignment
        take effect on the next request. Clients with the same settings share one pooled
        connection set across the process.
        """
        settings = self._client_options()
        if self._client is None or self._client_settings != settings:
            self._client, self._client_settings = make_client(**dict(settings)), settings
        return self._client

    def _release_connection(self) -> HiAPIClient | None:
        # The next request leases the pool again (the object stays usable after close).
        client, self._client = self._client, None
        return client

    def _own_http_clients(self) -> list[Any]:
        """The caller's own httpx clients (`http_client`, `http_async_client`) if given."""
        found = (getattr(self, name, None) for name in ("http_client", "http_async_client"))
        return [client for client in found if client is not None]

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        # Your own httpx clients are shared by copies, never copied (they hold sockets).
        memo = {} if memo is None else memo
        for shared in self._own_http_clients():
            memo.setdefault(id(shared), shared)
        return super().__deepcopy__(memo)

    def __getstate__(self) -> dict[Any, Any]:
        if self._own_http_clients():
            msg = (
                f"a {type(self).__name__} with your own http_client / http_async_client cannot"
                " be pickled (an httpx client holds sockets and locks); pass connection"
                " settings instead"
            )
            raise TypeError(msg)
        return without_private(super().__getstate__(), "_client", "_client_settings")


def without_private(state: dict[Any, Any], *names: str) -> dict[Any, Any]:
    """A pickle state whose private attributes `names` are reset to `None`.

    Settings travel, sockets do not: the unpickled object builds its own client.
    """
    private = dict(state.get("__pydantic_private__") or {})
    private.update(dict.fromkeys(names))
    return {**state, "__pydantic_private__": private}
