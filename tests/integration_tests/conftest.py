"""Cassette set-up for the integration tests.

CI replays the cassettes in the top-level `cassettes/` folder and never reaches the
network: a missing cassette fails the test. To re-record, run

    HIAPI_RECORD=1 python -m pytest tests/integration_tests

which records against the real HiAPI when `HIAPI_API_KEY` is set, and otherwise against
the bundled emulator (`langchain_hiapi.testing`), started here.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from langchain_tests.conftest import CustomPersister, CustomSerializer, base_vcr_config
from pytest_recording.plugin import get_default_cassette_name
from pytest_socket import socket_allow_hosts
from vcr import VCR

from tests._support.cassettes import (
    CANONICAL_BASE_URL,
    CASSETTES_DIR,
    RECORDING,
    RECORDING_REAL,
    REPLAY_API_KEY,
)
from tests._support.wire import png_bytes

# Request and response headers that could identify a user or an account.
_REDACTED_HEADERS = ["authorization", "x-api-key", "api-key", "cookie", "user-agent"]
_DROPPED_RESPONSE_HEADERS = {"set-cookie", "cf-ray", "x-oneapi-request-id", "x-request-id", "date"}


def _canonical_request(request: Any) -> Any:
    # Emulator ports differ per run: every cassette names the real service's URL.
    parts = urlsplit(request.uri)
    canonical = urlsplit(CANONICAL_BASE_URL)
    request.uri = urlunsplit((canonical.scheme, canonical.netloc, parts.path, parts.query, ""))
    for name in list(request.headers):
        if name.lower() == "host":
            request.headers[name] = canonical.netloc
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers") or {}
    response["headers"] = {
        k: v for k, v in headers.items() if k.lower() not in _DROPPED_RESPONSE_HEADERS
    }
    _canonical_urls_in_body(response)
    return response


def _canonical_urls_in_body(response: dict[str, Any]) -> None:
    """URLs the emulator puts in a reply (image and task outputs) name the real service too.

    The replayed client talks to the canonical base URL, and the package downloads only
    from the gateway's own origin or public https hosts: a recorded emulator address
    (`http://127.0.0.1:<port>/...`) would rightly be refused on replay. The emulator's
    origin becomes the canonical one (`https://api.hiapi.ai`), whatever the path.
    """
    base = os.environ.get("HIAPI_BASE_URL", "")
    body = response.get("body") or {}
    text = body.get("string") if isinstance(body, dict) else None
    if not (RECORDING and not RECORDING_REAL and base and isinstance(text, bytes)):
        return
    emulator = urlsplit(base)
    canonical = urlsplit(CANONICAL_BASE_URL)
    origin = f"{emulator.scheme}://{emulator.netloc}".encode()
    if origin in text:
        body["string"] = text.replace(origin, f"{canonical.scheme}://{canonical.netloc}".encode())


@pytest.fixture(scope="session")
def vcr_config() -> dict[str, Any]:
    """Extends langchain-tests' base config: gzip YAML, top-level folder, no network."""
    config = base_vcr_config()
    config["filter_headers"] = [(name, "PLACEHOLDER") for name in _REDACTED_HEADERS]
    config["before_record_request"] = _canonical_request
    config["before_record_response"] = _scrub_response
    config["serializer"] = "yaml.gz"
    config["path_transformer"] = VCR.ensure_suffix(".yaml.gz")
    # The folder comes from `vcr_cassette_dir` below (one sub-folder per test module).
    config.pop("cassette_library_dir", None)
    # base_vcr_config() says "once", which would go to the network for a missing
    # cassette and silently override --record-mode: replay strictly unless recording.
    config["record_mode"] = "all" if RECORDING else "none"
    config["match_on"] = ["method", "uri", "json_body"]
    return config


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _normalized_body(body: Any) -> Any:
    """The JSON body with random UUID tool-call ids numbered by first appearance.

    Some standard tests build example histories with fresh `uuid4()` tool-call ids on
    every run; everything else in a request body must match byte for byte.
    """
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    if not body:
        return body
    try:
        data = json.loads(body)
    except ValueError:
        return body
    names: dict[str, str] = {}

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str) and _UUID.match(value):
            return names.setdefault(value, f"uuid-{len(names)}")
        return value

    return walk(data)


def _json_body_matcher(first: Any, second: Any) -> None:
    assert _normalized_body(first.body) == _normalized_body(second.body)


@pytest.fixture
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    """`cassettes/<test module>/`: top level, found from any working directory."""
    return str(CASSETTES_DIR / Path(str(request.node.fspath)).stem)


def pytest_recording_configure(config: dict[str, Any], vcr: VCR) -> None:
    """Registers langchain-tests' gzip YAML serializer, its persister and a body matcher."""
    vcr.register_persister(CustomPersister())
    vcr.register_serializer("yaml.gz", CustomSerializer())
    vcr.register_matcher("json_body", _json_body_matcher)


@pytest.fixture(scope="session", autouse=True)
def _fresh_cassettes_when_recording(request: pytest.FixtureRequest) -> None:
    """Re-recording starts each selected test's cassette from scratch.

    vcrpy's "all" mode appends to an existing cassette, so stale interactions from an
    earlier recording would otherwise stay in the file (and be replayed first).
    """
    if not RECORDING:
        return
    for item in request.session.items:
        if item.get_closest_marker("vcr") is None:
            continue
        module = Path(str(item.fspath)).stem
        cls = getattr(item, "cls", None)
        name = get_default_cassette_name(cls, item.name)
        (CASSETTES_DIR / module / f"{name}.yaml.gz").unlink(missing_ok=True)


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


# The standard suite downloads a sample image and a sample PDF; no run here may reach the
# internet, and recorded request bodies must be identical between record and replay, so
# every mode gets the same locally made files for those URLs.
_SAMPLE_IMAGE_URL_PREFIX = "https://raw.githubusercontent.com/langchain-ai/docs/"
_SAMPLE_PDF_URL = "https://www.w3.org/WAI/ER/tests/xhtml/testfiles/resources/pdf/dummy.pdf"
_SAMPLE_PDF = (
    b"%PDF-1.1\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture(autouse=True)
def _local_sample_image(monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    real_get = httpx.get

    def fake_get(url: Any, *args: Any, **kwargs: Any) -> httpx.Response:
        if str(url).startswith(_SAMPLE_IMAGE_URL_PREFIX):
            return httpx.Response(200, content=png_bytes(32, 24), request=httpx.Request("GET", url))
        if str(url) == _SAMPLE_PDF_URL:
            return httpx.Response(200, content=_SAMPLE_PDF, request=httpx.Request("GET", url))
        return real_get(url, *args, **kwargs)

    monkeypatch.setattr(httpx, "get", fake_get)
