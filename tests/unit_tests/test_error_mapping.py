"""Error replies mapped to the `HiAPIError` tree (`_error_mapping`), through the client."""

from __future__ import annotations

import httpx
import pytest

from langchain_hiapi._retry import RetryPolicy
from langchain_hiapi.errors import (
    APIStatusError,
    AuthenticationError,
    InsufficientQuotaError,
    InternalServerError,
    InvalidRequestError,
    ModelNotFoundError,
    NotFoundError,
    PermissionDeniedError,
    PromptBlockedError,
    RateLimitError,
    error_from_response,
)
from tests._support.client import (
    CREATED,
    KEYED,
    Harness,
    Server,
    call,
    err_body,
    error_reply,
)


@pytest.mark.parametrize(
    ("reply", "cls", "code"),
    [
        (error_reply(400, "blocked", "prompt_blocked"), PromptBlockedError, "prompt_blocked"),
        (error_reply(500, "empty", "empty_response"), InternalServerError, "empty_response"),
        (error_reply(401, "Invalid token"), AuthenticationError, None),
        (error_reply(403, "banned", "access_denied"), PermissionDeniedError, "access_denied"),
        (
            error_reply(403, "余额不足", "insufficient_user_quota"),
            InsufficientQuotaError,
            "insufficient_user_quota",
        ),
        (error_reply(404, "no route"), NotFoundError, None),
        (error_reply(503, "no channel", "model_not_found"), ModelNotFoundError, "model_not_found"),
        (
            error_reply(500, "bad extra_body", "convert_request_failed"),
            InternalServerError,
            "convert_request_failed",
        ),
    ],
)
async def test_non_retryable_errors_sent_once(
    mode: str, reply: httpx.Response, cls: type[APIStatusError], code: str | None
) -> None:
    h = Harness(mode, Server(reply))
    with pytest.raises(cls) as info:
        await h.json()
    assert type(info.value) is cls
    assert info.value.code == code
    assert h.calls == 1
    assert h.sleeps == []


async def test_numeric_code_and_chinese_message(mode: str) -> None:
    reply = error_reply(429, "上游负载已饱和 请稍后再试 (request id: 20251201abc)", 429)
    h = Harness(mode, Server(reply), retry_policy=RetryPolicy(max_retries=0))
    with pytest.raises(RateLimitError) as info:
        await h.json()
    err = info.value
    assert err.code == 429
    assert err.request_id == "20251201abc"
    assert str(err) == "HiAPI 429 429: 上游负载已饱和 请稍后再试 (request id: 20251201abc)"


async def test_binary_garbage_error(mode: str) -> None:
    reply = httpx.Response(500, content=bytes(range(256)))
    h = Harness(mode, Server(reply), retry_policy=RetryPolicy(max_retries=0))
    with pytest.raises(InternalServerError) as info:
        await h.json()
    assert str(info.value).isprintable()


def test_error_from_response_never_sees_request() -> None:
    err = error_from_response(401, err_body("Invalid token"), {"content-type": "application/json"})
    assert err.headers == {"content-type": "application/json"}


async def test_error_envelope_in_a_200_is_an_error_and_retried(mode: str) -> None:
    busy = httpx.Response(200, json={"code": 503, "message": "busy", "data": None})
    server = Server(busy, httpx.Response(200, json=CREATED))
    h = Harness(mode, server)
    assert (await call(h, headers=KEYED)).json == CREATED
    assert h.calls == 2
    bad = httpx.Response(
        200, json={"code": 400, "message": "bad", "data": None, "error_code": "INVALID_REQUEST"}
    )
    h2 = Harness(mode, Server(bad))
    with pytest.raises(InvalidRequestError, match="bad"):
        await call(h2, headers=KEYED)
    h3 = Harness(mode, Server(busy))
    with pytest.raises(InternalServerError):
        await call(h3, "GET", "/tasks/x")
    assert h3.calls == 3
