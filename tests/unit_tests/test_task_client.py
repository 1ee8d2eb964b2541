"""What both task clients share: `connect` (settings -> client) and the flow builders."""

from __future__ import annotations

import time

import pytest

from langchain_hiapi._ratelimit import shared_rate_limiter
from langchain_hiapi._task_client import WAIT_MANY_OPTIONS, WAIT_OPTIONS, connect
from langchain_hiapi.tasks import HiAPITasks

# A key, an address nothing listens on, no retries: connect() only builds the client.
LOCAL = {"api_key": "sk-a", "base_url": "http://127.0.0.1:9/v1", "timeout": 5, "max_retries": 0}


def test_connect_reads_key_and_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIAPI_API_KEY", "sk-env")
    monkeypatch.delenv("HIAPI_BASE_URL", raising=False)
    monkeypatch.setenv("HIAPI_API_BASE", "https://base.test/v1")
    settings = {"timeout": 5, "max_retries": 1}
    client = connect(api_key=None, base_url=None, adaptive_rate_limit=True, **settings)
    assert client.base_url == "https://base.test/v1"  # the same fallback as ChatHiAPI's
    # The limiter is shared per key and URL: the key came from HIAPI_API_KEY.
    assert client.rate_limiter is shared_rate_limiter("sk-env", "https://base.test/v1")
    assert (
        connect(api_key=None, base_url=None, adaptive_rate_limit=False, **settings).rate_limiter
        is None
    )
    monkeypatch.setenv("HIAPI_BASE_URL", "https://first.test/v1")
    first = connect(api_key="k", base_url=None, adaptive_rate_limit=False, **settings)
    assert first.base_url == "https://first.test/v1"


def test_connect_paces_on_the_clock_given() -> None:
    def clock() -> float:
        return 1.0

    paced = connect(**LOCAL, adaptive_rate_limit=True, clock=clock)
    assert paced.rate_limiter is not None
    assert paced.rate_limiter.clock is clock
    real = connect(**LOCAL, adaptive_rate_limit=True)
    assert real.rate_limiter is not None and real.rate_limiter.clock is time.monotonic


def test_wait_defaults_differ_for_one_task_and_many() -> None:
    assert WAIT_OPTIONS.defaults["timeout"] == 600
    assert WAIT_MANY_OPTIONS.defaults["timeout"] == 900


def test_a_client_passed_in_stays_open_and_is_used() -> None:
    own = connect(**LOCAL, adaptive_rate_limit=False)
    with HiAPITasks(client=own) as tasks:
        assert tasks.client is own
    assert tasks._release_connection() is None
