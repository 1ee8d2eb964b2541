"""Retries and error mapping against the emulator's fault injection.

Each scenario counts the requests the emulator received and the retry pauses the client
asked for (recorded, never slept), so "retried", "not retried" and "how long" are exact.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx
import pytest

from langchain_hiapi.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    InsufficientQuotaError,
    InternalServerError,
    InvalidResponseError,
    ModelNotFoundError,
    PermissionDeniedError,
    PromptBlockedError,
    RateLimitError,
)
from langchain_hiapi.testing import HiAPIEmulator, Reply
from tests._support.harness import IMAGE_MODEL, call, closed_port, invoke

KINDS = ["invoke", "stream"]
# Default backoff before the first retry: 0.5 s minus up to 25 % jitter.
FIRST_BACKOFF = (0.375, 0.5)


def error_body(message: str, code: str | int = "", type_: str = "new_api_error") -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": "", "code": code}}


def assert_backoff(delay: float, retries_done: int = 0) -> None:
    low, high = FIRST_BACKOFF
    factor = 2**retries_done
    assert low * factor <= delay <= high * factor, delay


# ------------------------------------------------------------------------ rate limits


@pytest.mark.parametrize("kind", KINDS)
async def test_429_then_success(emu: HiAPIEmulator, make_llm: Any, mode: str, kind: str) -> None:
    emu.queue(Reply(status=429))
    llm, sleeps = make_llm()
    message = await call(llm, mode, kind, "hello there")
    assert "You said: hello there" in message.content
    assert len(emu.requests) == 2
    assert emu.requests[0].json == emu.requests[1].json  # the same request, re-sent
    (delay,) = sleeps.delays
    assert_backoff(delay)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": "2.5"}, 2.5),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"Retry-After": "3600"}, 60.0),  # capped at MAX_RETRY_AFTER
    ],
)
async def test_retry_after_seconds_honoured(
    emu: HiAPIEmulator, make_llm: Any, mode: str, headers: dict[str, str], expected: float
) -> None:
    emu.queue(Reply(status=429, headers=headers))
    llm, sleeps = make_llm()
    await invoke(llm, mode, "hi")
    assert sleeps.delays == [pytest.approx(expected)]
    assert len(emu.requests) == 2


async def test_retry_after_is_honoured_on_every_retry(
    emu: HiAPIEmulator, make_llm: Any, mode: str
) -> None:
    emu.queue(*[Reply(status=429, headers={"Retry-After": "1.5"})] * 3)
    llm, sleeps = make_llm(max_retries=2)
    with pytest.raises(RateLimitError):
        await invoke(llm, mode, "hi")
    assert sleeps.delays == [1.5, 1.5]
    assert len(emu.requests) == 3


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("kind", KINDS)
async def test_retry_after_http_date_honoured(
    emu: HiAPIEmulator, make_llm: Any, mode: str, kind: str, status: int
) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    # 503: an upstream hiccup (the emulator's default 503 is a model_not_found, not retried).
    body = error_body("busy", "upstream_error") if status == 503 else None
    emu.queue(Reply(status=status, body=body, headers={"Retry-After": when}))
    llm, sleeps = make_llm()
    await call(llm, mode, kind, "hi")
    (delay,) = sleeps.delays
    # HTTP dates have one-second resolution; the pause is what is left until that date.
    assert 28.0 <= delay <= 30.0
    assert len(emu.requests) == 2


async def test_retry_after_in_the_past_falls_back_to_backoff(
    emu: HiAPIEmulator, make_llm: Any, mode: str
) -> None:
    when = email.utils.formatdate(time.time() - 3600, usegmt=True)
    emu.queue(Reply(status=429, headers={"Retry-After": when}))
    llm, sleeps = make_llm()
    await invoke(llm, mode, "hi")
    (delay,) = sleeps.delays
    assert_backoff(delay)


async def test_retry_after_real_wait_is_bounded(emu: HiAPIEmulator, make_llm: Any) -> None:
    """The real sleep functions wait what the server asked for, not more."""
    emu.queue(Reply(status=429, headers={"Retry-After": "0.2"}))
    llm, _ = make_llm(real_sleep=True)
    start = time.monotonic()
    await invoke(llm, "sync", "hi")
    await_sync = time.monotonic() - start
    emu.queue(Reply(status=429, headers={"Retry-After": "0.2"}))
    start = time.monotonic()
    await invoke(llm, "async", "hi")
    await_async = time.monotonic() - start
    for elapsed in (await_sync, await_async):
        assert 0.2 <= elapsed < 2.0
    assert len(emu.requests) == 4


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("max_retries", [0, 1, 3])
async def test_429_storm_gives_rate_limit_error(
    emu: HiAPIEmulator, make_llm: Any, mode: str, kind: str, max_retries: int
) -> None:
    emu.queue(*[Reply(status=429)] * (max_retries + 5))
    llm, sleeps = make_llm(max_retries=max_retries)
    with pytest.raises(RateLimitError) as info:
        await call(llm, mode, kind, "hi")
    assert len(emu.requests) == max_retries + 1
    assert len(sleeps.delays) == max_retries
    for retries_done, delay in enumerate(sleeps.delays):
        assert_backoff(delay, retries_done)
    err = info.value
    assert err.status_code == 429
    assert err.request_id  # from the " (request id: X)" suffix
    assert "(request id:" not in err.message


# ------------------------------------------------------------------------ non-retryable


NON_RETRYABLE = {
    "401": (Reply(status=401), AuthenticationError, 401, None),
    "403-access-denied": (
        Reply(status=403, body=error_body("user is banned", "access_denied")),
        PermissionDeniedError,
        403,
        "access_denied",
    ),
    "403-quota": (Reply(status=403), InsufficientQuotaError, 403, "insufficient_user_quota"),
    "400-prompt-blocked": (
        Reply(status=400, body=error_body("prompt blocked by safety", "prompt_blocked")),
        PromptBlockedError,
        400,
        "prompt_blocked",
    ),
    "503-model-not-found": (Reply(status=503), ModelNotFoundError, 503, "model_not_found"),
    "500-convert-request-failed": (
        Reply(status=500, body=error_body("convert request failed", "convert_request_failed")),
        InternalServerError,
        500,
        "convert_request_failed",
    ),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", list(NON_RETRYABLE))
async def test_deterministic_errors_are_not_retried(
    emu: HiAPIEmulator, make_llm: Any, mode: str, kind: str, case: str
) -> None:
    reply, error_class, status, code = NON_RETRYABLE[case]
    emu.queue(reply, Reply(status=429), Reply(status=429))  # would show up if re-sent
    llm, sleeps = make_llm(max_retries=2)
    with pytest.raises(error_class) as info:
        await call(llm, mode, kind, "hi")
    assert type(info.value) is error_class
    assert len(emu.requests) == 1
    assert sleeps.delays == []
    assert info.value.status_code == status
    assert info.value.code == code
    assert str(status) in str(info.value)


async def test_real_401_for_a_wrong_key(emu: HiAPIEmulator, make_llm: Any, mode: str) -> None:
    llm, sleeps = make_llm(api_key="sk-not-the-right-key")
    with pytest.raises(AuthenticationError, match="Invalid token"):
        await invoke(llm, mode, "hi")
    assert len(emu.requests) == 1
    assert sleeps.delays == []


async def test_real_model_not_found(emu: HiAPIEmulator, make_llm: Any, mode: str) -> None:
    llm, sleeps = make_llm(model="no-such-model")
    with pytest.raises(ModelNotFoundError, match="no-such-model"):
        await invoke(llm, mode, "hi")
    assert len(emu.requests) == 1
    assert sleeps.delays == []


# ------------------------------------------------------------------------ transient 5xx

TRANSIENT_5XX = {
    500: error_body("do request failed: connection reset by peer", "do_request_failed"),
    502: error_body("bad response status code 502", "bad_response_status_code"),
    503: error_body("service temporarily unavailable", "upstream_error", "upstream_error"),
    504: error_body("upstream timed out", "upstream_timeout"),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("status", sorted(TRANSIENT_5XX))
async def test_5xx_is_retried(
    emu: HiAPIEmulator, make_llm: Any, mode: str, kind: str, status: int
) -> None:
    emu.queue(Reply(status=status, body=TRANSIENT_5XX[status]))
    llm, sleeps = make_llm()
    message = await call(llm, mode, kind, "still there")
    assert "You said: still there" in message.content
    assert len(emu.requests) == 2
    assert len(sleeps.delays) == 1


@pytest.mark.parametrize("status", sorted(TRANSIENT_5XX))
async def test_5xx_storm_gives_internal_server_error(
    emu: HiAPIEmulator, make_llm: Any, mode: str, status: int
) -> None:
    emu.queue(*[Reply(status=status, body=TRANSIENT_5XX[status])] * 4)
    llm, sleeps = make_llm(max_retries=2)
    with pytest.raises(InternalServerError) as info:
        await invoke(llm, mode, "hi")
    assert info.value.status_code == status
    assert len(emu.requests) == 3
    assert len(sleeps.delays) == 2


@pytest.mark.parametrize("kind", KINDS)
async def test_billed_empty_response_is_never_retried(
    emu: HiAPIEmulator, make_llm: Any, mode: str, kind: str
) -> None:
    """500 `empty_response`: the gateway billed the prompt, so a retry would bill it again."""
    emu.queue(Reply(status=500))  # the emulator's 500 is the contract's empty_response
    llm, sleeps = make_llm(max_retries=3)
    with pytest.raises(InternalServerError) as info:
        await call(llm, mode, kind, "hi")
    assert info.value.code == "empty_response"
    assert len(emu.requests) == 1
    assert sleeps.delays == []


HTML_PAGE = (
    "<!DOCTYPE html>\n<html>\n<head><title>502 Bad Gateway</title></head>\n"
    "<body>\n<center><h1>502 Bad Gateway</h1></center>\n<hr><center>nginx</center>\n"
    + "<!-- padding -->\n" * 200
    + "</body>\n</html>\n"
)


@pytest.mark.parametrize("kind", KINDS)
async def test_html_error_page(emu: HiAPIEmulator, make_llm: Any, mode: str, kind: str) -> None:
    emu.queue(*[Reply(status=502, body=HTML_PAGE, content_type="text/html")] * 3)
    llm, sleeps = make_llm(max_retries=2)
    with pytest.raises(InternalServerError) as info:
        await call(llm, mode, kind, "hi")
    text = str(info.value)
    assert text.startswith("HiAPI 502")
    assert "502 Bad Gateway" in text
    assert "\n" not in text and len(text) < 400  # a readable one-line preview
    assert info.value.body == HTML_PAGE  # the whole page is kept for debugging
    assert len(emu.requests) == 3  # 502 is transient: retried
    assert len(sleeps.delays) == 2


async def test_html_page_with_status_200(emu: HiAPIEmulator, make_llm: Any, mode: str) -> None:
    emu.queue(Reply(status=200, body="<html><body>Captive portal login</body></html>"))
    llm, sleeps = make_llm()
    with pytest.raises(InvalidResponseError, match="Captive portal login") as info:
        await invoke(llm, mode, "hi")
    assert info.value.status_code == 200
    assert len(emu.requests) == 1
    assert sleeps.delays == []


# ------------------------------------------------------------------------ transport


@pytest.mark.parametrize("kind", KINDS)
async def test_connection_refused(make_llm: Any, mode: str, kind: str) -> None:
    port = closed_port()
    llm, sleeps = make_llm(base_url=f"http://127.0.0.1:{port}/v1", max_retries=2)
    start = time.monotonic()
    with pytest.raises(APIConnectionError) as info:
        await call(llm, mode, kind, "hi")
    assert not isinstance(info.value, APITimeoutError)
    assert info.value.status_code is None
    assert f"127.0.0.1:{port}" in str(info.value)
    assert "ConnectError" in str(info.value)
    # Nothing was sent: connecting is always safe to retry.
    assert len(sleeps.delays) == 2
    assert time.monotonic() - start < 5.0


async def test_read_timeout_is_not_resent_by_default(
    emu: HiAPIEmulator, make_llm: Any, mode: str
) -> None:
    emu.queue(Reply(delay=1.0))
    llm, sleeps = make_llm(model=IMAGE_MODEL, timeout=0.3, max_retries=2)
    # The reply comes after 1 s: an APITimeoutError means the 0.3 s timeout ended the call.
    with pytest.raises(APITimeoutError, match="timed out"):
        await invoke(llm, mode, "draw a red square")
    # The gateway may already be generating (and billing) the image: not sent again.
    assert len(emu.requests) == 1
    assert sleeps.delays == []


async def test_read_timeout_of_a_stream_is_not_resent(
    emu: HiAPIEmulator, make_llm: Any, mode: str
) -> None:
    emu.queue(Reply(delay=1.0))
    llm, sleeps = make_llm(model=IMAGE_MODEL, timeout=0.3, max_retries=2)
    with pytest.raises(APITimeoutError):
        await call(llm, mode, "stream", "draw a red square")
    assert len(emu.requests) == 1
    assert sleeps.delays == []


async def test_read_timeout_is_resent_when_enabled(
    emu: HiAPIEmulator, make_llm: Any, mode: str
) -> None:
    emu.queue(Reply(delay=1.0))
    # Per-phase only (httpx.Timeout): a plain number is also the budget of the whole call
    # (issue 14), which would leave no time for the retry this test is about.
    llm, sleeps = make_llm(
        model=IMAGE_MODEL, timeout=httpx.Timeout(0.3), max_retries=1, retry_read_timeouts=True
    )
    message = await invoke(llm, mode, "draw a red square")
    assert any(isinstance(b, dict) and b.get("type") == "image" for b in message.content)
    assert len(emu.requests) == 2
    assert emu.requests[0].json == emu.requests[1].json
    assert len(sleeps.delays) == 1


async def test_read_timeouts_exhaust_retries_when_enabled(
    emu: HiAPIEmulator, make_llm: Any, mode: str
) -> None:
    emu.queue(Reply(delay=1.0), Reply(delay=1.0))
    llm, sleeps = make_llm(timeout=httpx.Timeout(0.3), max_retries=1, retry_read_timeouts=True)
    with pytest.raises(APITimeoutError):
        await invoke(llm, mode, "hi")
    assert len(emu.requests) == 2
    assert len(sleeps.delays) == 1


async def test_body_cut_after_200_is_not_resent(
    emu: HiAPIEmulator, make_llm: Any, mode: str
) -> None:
    """The gateway accepted the request (200) and hung up mid-body: never re-sent."""
    emu.queue(Reply(stream_cut_after=0))
    llm, sleeps = make_llm(model=IMAGE_MODEL, max_retries=2)
    with pytest.raises(APIConnectionError, match="connection lost while reading") as info:
        await invoke(llm, mode, "draw a red square")
    assert not isinstance(info.value, APIStatusError)
    assert len(emu.requests) == 1
    assert sleeps.delays == []


async def test_truncated_json_body(emu: HiAPIEmulator, make_llm: Any, mode: str) -> None:
    emu.queue(Reply(malformed_json=True))
    llm, sleeps = make_llm()
    with pytest.raises(InvalidResponseError, match="non-JSON body") as info:
        await invoke(llm, mode, "hi")
    assert info.value.status_code == 200
    assert len(emu.requests) == 1
    assert sleeps.delays == []


# ------------------------------------------------------------------------ blocked prompts, quota


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape", ["400", "legacy-200"])
async def test_blocked_prompt_is_prompt_blocked_error_in_every_shape(
    emu: HiAPIEmulator, make_llm: Any, mode: str, kind: str, shape: str
) -> None:
    """400 `prompt_blocked`, a 200 with `choices: []`, a stream ending on `choices: []`."""
    llm, sleeps = make_llm(max_retries=3)
    prompt = "draw [blocked] things" if shape == "400" else "draw things"
    if shape == "legacy-200":
        emu.queue(Reply(prompt_blocked=True))
    with pytest.raises(PromptBlockedError) as info:
        await call(llm, mode, kind, prompt)
    assert isinstance(info.value, BadRequestError)
    assert info.value.code == "prompt_blocked"
    assert len(emu.requests) == 1  # billed: never re-sent
    assert sleeps.delays == []


@pytest.mark.parametrize(
    "reply",
    [
        Reply(status=403, body=error_body("token quota too low", "pre_consume_token_quota_failed")),
        Reply(status=402),
    ],
    ids=["403-pre-consume", "402"],
)
async def test_quota_answers_are_insufficient_quota(
    emu: HiAPIEmulator, make_llm: Any, mode: str, reply: Reply
) -> None:
    emu.queue(reply)
    llm, _ = make_llm()
    with pytest.raises(InsufficientQuotaError):
        await invoke(llm, mode, "hi")
    assert len(emu.requests) == 1


async def test_401_mentions_exhausted_and_expired_keys(
    emu: HiAPIEmulator, make_llm: Any, mode: str
) -> None:
    llm, _ = make_llm(api_key="sk-used-up")
    with pytest.raises(AuthenticationError) as info:
        await invoke(llm, mode, "hi")
    assert "expired" in str(info.value) and "quota" in str(info.value)
