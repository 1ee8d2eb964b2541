"""Cassette set-up for the integration tests.

CI replays the cassettes in the top-level `cassettes/` folder and never reaches the
network: a missing cassette fails the test. To re-record, run

    HIAPI_RECORD=1 python -m pytest tests/integration_tests

which records against the real HiAPI when `HIAPI_API_KEY` is set, and otherwise against
the bundled emulator (`langchain_hiapi.testing`), started here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from langchain_tests.conftest import CustomPersister, CustomSerializer, base_vcr_config
from pytest_socket import socket_allow_hosts
from vcr import VCR

CASSETTES_DIR = Path(__file__).resolve().parents[2] / "cassettes"
CANONICAL_BASE_URL = "https://api.hiapi.ai/v1"
REPLAY_API_KEY = "hiapi-replay-key"
RECORDING = os.environ.get("HIAPI_RECORD", "") not in ("", "0")
RECORDING_REAL = RECORDING and bool(os.environ.get("HIAPI_API_KEY"))

# Request and response headers that could identify a user or an account.
_REDACTED_HEADERS = ["authorization", "x-api-key", "api-key", "cookie", "user-agent"]
_DROPPED_RESPONSE_HEADERS = {"set-cookie", "cf-ray", "x-oneapi-request-id", "x-request-id", "date"}


def _canonical_request(request: Any) -> Any:
    # Emulator ports differ per run: every cassette names the real service's URL.
    parts = urlsplit(request.uri)
    canonical = urlsplit(CANONICAL_BASE_URL)
    request.uri = urlunsplit((canonical.scheme, canonical.netloc, parts.path, parts.query, ""))
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers") or {}
    response["headers"] = {
        k: v for k, v in headers.items() if k.lower() not in _DROPPED_RESPONSE_HEADERS
    }
    return response


@pytest.fixture(scope="session")
def vcr_config() -> dict[str, Any]:
    """Extends langchain-tests' base config: gzip YAML, top-level folder, no network."""
    config = base_vcr_config()
    config["filter_headers"] = [(name, "PLACEHOLDER") for name in _REDACTED_HEADERS]
    config["before_record_request"] = _canonical_request
    config["before_record_response"] = _scrub_response
    config["serializer"] = "yaml.gz"
    config["path_transformer"] = VCR.ensure_suffix(".yaml.gz")
    config["cassette_library_dir"] = str(CASSETTES_DIR)
    # base_vcr_config() says "once", which would go to the network for a missing
    # cassette and silently override --record-mode: replay strictly unless recording.
    config["record_mode"] = "all" if RECORDING else "none"
    return config


def pytest_recording_configure(config: dict[str, Any], vcr: VCR) -> None:
    """Registers langchain-tests' gzip YAML serializer and persister."""
    vcr.register_persister(CustomPersister())
    vcr.register_serializer("yaml.gz", CustomSerializer())


@pytest.fixture(scope="session", autouse=True)
def hiapi_endpoint() -> Iterator[tuple[str, str]]:
    """Points `HIAPI_BASE_URL`/`HIAPI_API_KEY` at what this run talks to."""
    saved = {k: os.environ.get(k) for k in ("HIAPI_BASE_URL", "HIAPI_API_KEY")}
    if RECORDING_REAL:
        endpoint = (
            os.environ.get("HIAPI_BASE_URL", CANONICAL_BASE_URL),
            os.environ["HIAPI_API_KEY"],
        )
        yield endpoint
        return
    if RECORDING:
        from langchain_hiapi.testing import HiAPIEmulator

        with HiAPIEmulator() as emulator:
            os.environ["HIAPI_BASE_URL"] = emulator.base_url
            os.environ["HIAPI_API_KEY"] = emulator.api_key
            yield emulator.base_url, emulator.api_key
    else:
        os.environ["HIAPI_BASE_URL"] = CANONICAL_BASE_URL
        os.environ["HIAPI_API_KEY"] = REPLAY_API_KEY
        yield CANONICAL_BASE_URL, REPLAY_API_KEY
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(autouse=True)
def _loopback_only() -> None:
    """Replays may not reach any host; recording may reach only the emulator or HiAPI."""
    if not RECORDING_REAL:
        socket_allow_hosts(["127.0.0.1", "localhost", "::1"], allow_unix_socket=True)
