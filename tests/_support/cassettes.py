"""Cassette constants and the task-API cassette config shared by the integration tests.

`tests/integration_tests/conftest.py` builds `vcr_config` from these; test modules import
them from here (never from the conftest).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

CASSETTES_DIR = Path(__file__).resolve().parents[2] / "cassettes"
CANONICAL_BASE_URL = "https://api.hiapi.ai/v1"
REPLAY_API_KEY = "hiapi-replay-key"
RECORDING = os.environ.get("HIAPI_RECORD", "") not in ("", "0")
RECORDING_REAL = RECORDING and bool(os.environ.get("HIAPI_API_KEY"))


# Task outputs come from the emulator's own origin and expire 7 days after recording.
_EMULATOR_ORIGIN = re.compile(rb"http://127\.0\.0\.1:\d+")
_CANONICAL_ORIGIN = CANONICAL_BASE_URL.rsplit("/v1", 1)[0].encode()
_EXPIRE_AT = re.compile(rb'"expireAt":\s*\d+')
# 2100-01-01: a replay years later must not see the recorded outputs as expired.
_FAR_EXPIRE_AT = b'"expireAt":4102444800'


def task_cassette_config(vcr_config: dict[str, Any]) -> dict[str, Any]:
    """`vcr_config` for task-API cassettes whose outputs are downloaded or sent back.

    On top of the canonical URL of every recorded request, output URLs inside bodies are
    rewritten to the canonical origin (an edit sends an output URL back in its request),
    and `expireAt` to a far-future time, so a replay months after the recording neither
    sees a dead port nor an expired output. Polls of one URL replay in recorded order.
    """
    scrub: Callable[[dict[str, Any]], dict[str, Any]] = vcr_config["before_record_response"]
    canonical_request: Callable[[Any], Any] = vcr_config["before_record_request"]

    def request_filter(request: Any) -> Any:
        request = canonical_request(request)
        if isinstance(request.body, bytes):
            request.body = _EMULATOR_ORIGIN.sub(_CANONICAL_ORIGIN, request.body)
        return request

    def response_filter(response: dict[str, Any]) -> dict[str, Any]:
        response = scrub(dict(response))
        body = response.get("body") or {}
        data = body.get("string")
        if isinstance(data, bytes):
            data = _EMULATOR_ORIGIN.sub(_CANONICAL_ORIGIN, data)
            response["body"] = {**body, "string": _EXPIRE_AT.sub(_FAR_EXPIRE_AT, data)}
        return response

    return {
        **vcr_config,
        "allow_playback_repeats": False,
        "before_record_request": request_filter,
        "before_record_response": response_filter,
    }
