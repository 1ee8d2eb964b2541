"""Tests of `_connection`: the connection settings every client-owning class shares."""

from __future__ import annotations

import asyncio
import pickle
import warnings
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from langchain_hiapi._client import DEFAULT_BASE_URL, DEFAULT_MAX_RETRIES
from langchain_hiapi._closing import ContextManaged
from langchain_hiapi._connection import (
    ApiKey,
    BaseUrl,
    ConnectionOwner,
    DefaultHeaders,
    PooledClient,
    Timeout,
    api_key_field,
    base_url_field,
    download_hosts,
    make_client,
    max_retries_field,
    resolve_api_key,
    resolve_base_url,
    without_private,
)
from langchain_hiapi.limits import DEFAULT_LIMITS, Limits
from langchain_hiapi.timeouts import HiAPITimeout


class Settings(BaseModel):
    """A minimal pydantic user of the shared field types."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    api_key: ApiKey = api_key_field()
    base_url: BaseUrl = base_url_field()
    timeout: Timeout = 30.0
    max_retries: int = max_retries_field()
    default_headers: DefaultHeaders = None


def test_fields_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIAPI_API_KEY", "env-key")
    monkeypatch.delenv("HIAPI_BASE_URL", raising=False)
    monkeypatch.setenv("HIAPI_API_BASE", "http://127.0.0.1:9/v1")
    settings = Settings()
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == "env-key"
    assert settings.base_url == "http://127.0.0.1:9/v1"
    assert settings.max_retries == DEFAULT_MAX_RETRIES


def test_fields_default_without_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HIAPI_API_KEY", "HIAPI_BASE_URL", "HIAPI_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.api_key is None
    assert settings.base_url == DEFAULT_BASE_URL


def test_api_key_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(TypeError, match="api_key must be a string"):
        Settings(api_key=123)  # type: ignore[arg-type]


def test_base_url_loses_its_credentials() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        settings = Settings(base_url="http://user:pw@127.0.0.1:9/v1", api_key="k")
    assert "pw" not in settings.base_url
    assert settings.base_url.startswith("http://127.0.0.1:9")


def test_max_retries_is_never_negative() -> None:
    with pytest.raises(ValidationError, match="max_retries"):
        Settings(max_retries=-1)


@pytest.mark.parametrize(
    "timeout", [httpx.Timeout(3.0, connect=1.0), HiAPITimeout(5.0, total=20.0), 7.0, None]
)
def test_timeout_round_trips_through_json(timeout: float | httpx.Timeout | None) -> None:
    settings = Settings(api_key="k", timeout=timeout)
    dumped = settings.model_dump(mode="json")["timeout"]
    revived = Settings(api_key="k", timeout=dumped).timeout
    assert type(revived) is type(timeout)
    assert revived == timeout


def test_default_headers_revive_from_their_json_form() -> None:
    settings = Settings(api_key="k", default_headers='{"X-Team": "a"}')  # type: ignore[arg-type]
    assert settings.default_headers == {"X-Team": "a"}


def test_resolve_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIAPI_API_KEY", "env-key")
    given = resolve_api_key("given")
    assert isinstance(given, SecretStr)
    assert given.get_secret_value() == "given"
    from_env = resolve_api_key(None)
    assert from_env is not None
    assert from_env.get_secret_value() == "env-key"
    monkeypatch.setenv("HIAPI_API_KEY", "")
    assert resolve_api_key(None) is None


def test_resolve_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HIAPI_BASE_URL", raising=False)
    monkeypatch.delenv("HIAPI_API_BASE", raising=False)
    assert resolve_base_url(None) == DEFAULT_BASE_URL
    monkeypatch.setenv("HIAPI_API_BASE", "http://127.0.0.1:8/v1")
    assert resolve_base_url(None) == "http://127.0.0.1:8/v1"
    monkeypatch.setenv("HIAPI_BASE_URL", "http://127.0.0.1:9/v1")
    assert resolve_base_url(None) == "http://127.0.0.1:9/v1"
    assert resolve_base_url("http://127.0.0.1:7/v1") == "http://127.0.0.1:7/v1"


def test_make_client_applies_the_settings() -> None:
    limits = Limits(max_response_bytes=1234)
    client = make_client(
        base_url="http://127.0.0.1:9/v1",
        api_key=SecretStr("k"),
        timeout=5.0,
        max_retries=4,
        retry_read_timeouts=True,
        limits=limits,
    )
    assert client.base_url == "http://127.0.0.1:9/v1"
    assert client.retry_policy.max_retries == 4
    assert client.retry_policy.retry_read_timeouts is True
    assert client.limits is limits
    assert client.rate_limiter is None


def test_make_client_defaults_and_adaptive_limiter() -> None:
    settings = {"base_url": "http://127.0.0.1:9/v1", "api_key": SecretStr("k")}
    plain = make_client(**settings, timeout=5.0, max_retries=0)
    assert plain.limits is DEFAULT_LIMITS
    assert plain.retry_policy.retry_read_timeouts is False
    paced = make_client(**settings, timeout=5.0, max_retries=0, adaptive_rate_limit=True)
    again = make_client(**settings, timeout=5.0, max_retries=0, adaptive_rate_limit=True)
    assert paced.rate_limiter is not None
    # One limiter per key and base URL, shared by every client of that key.
    assert paced.rate_limiter is again.rate_limiter


def test_download_hosts_is_a_hashable_tuple() -> None:
    assert download_hosts(None) == ()
    assert download_hosts(["a.example", "b.example:8443"]) == ("a.example", "b.example:8443")


class _Resource:
    def __init__(self) -> None:
        self.closed: list[str] = []

    def close(self) -> None:
        self.closed.append("sync")

    async def aclose(self) -> None:
        self.closed.append("async")


class _Owner(ConnectionOwner):
    def __init__(self, resource: _Resource | None) -> None:
        self.resource = resource

    def _release_connection(self) -> _Resource | None:
        resource, self.resource = self.resource, None
        return resource


def test_connection_owner_closes_what_it_releases() -> None:
    resource = _Resource()
    with _Owner(resource) as owner:
        assert isinstance(owner, _Owner)
    assert resource.closed == ["sync"]
    owner.close()  # nothing left to close: no error, nothing closed twice
    assert resource.closed == ["sync"]


def test_connection_owner_async() -> None:
    resource = _Resource()

    async def use() -> None:
        async with _Owner(resource) as owner:
            assert owner.resource is resource

    asyncio.run(use())
    assert resource.closed == ["async"]


def test_connection_owner_without_a_connection() -> None:
    _Owner(None).close()
    asyncio.run(_Owner(None).aclose())


def test_context_managed_needs_close() -> None:
    with pytest.raises(NotImplementedError), ContextManaged():
        pass


def test_without_private_resets_only_the_named_attributes() -> None:
    state = {"__dict__": {"a": 1}, "__pydantic_private__": {"_client": object(), "_x": 2}}
    cleared = without_private(state, "_client", "_settings")
    assert cleared["__pydantic_private__"] == {"_client": None, "_x": 2, "_settings": None}
    assert cleared["__dict__"] == {"a": 1}
    assert state["__pydantic_private__"]["_client"] is not None  # the original is untouched


class _Pooled(PooledClient):
    """A minimal `PooledClient`: its settings are its fields."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    base_url: str = "http://127.0.0.1:9/v1"
    max_retries: int = 1

    def _client_options(self) -> tuple[tuple[str, Any], ...]:
        return (
            ("base_url", self.base_url),
            ("api_key", SecretStr("k")),
            ("timeout", 5.0),
            ("max_retries", self.max_retries),
        )


def test_pooled_client_is_rebuilt_only_when_a_setting_changes() -> None:
    owner = _Pooled()
    first = owner.client
    assert owner.client is first
    owner.max_retries = 3
    rebuilt = owner.client
    assert rebuilt is not first
    assert rebuilt.retry_policy.max_retries == 3


def test_pooled_client_close_forgets_the_client_and_pickles_without_it() -> None:
    owner = _Pooled()
    client = owner.client
    revived = pickle.loads(pickle.dumps(owner))  # noqa: S301 - our own object
    assert revived.max_retries == owner.max_retries
    assert revived.client is not client
    with owner:
        pass
    assert owner.client is not client  # closed, then a fresh lease
