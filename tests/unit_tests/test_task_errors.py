"""Error mapping for the task API's envelopes and the task errors (issue 11, behaviour 1)."""

from __future__ import annotations

import copy
import json
import pickle
from types import SimpleNamespace

import pytest

from langchain_hiapi.errors import (
    APIStatusError,
    BadRequestError,
    ConflictError,
    HiAPIError,
    IdempotencyKeyMismatchError,
    InsufficientQuotaError,
    InternalServerError,
    InvalidRequestError,
    ModelUnavailableError,
    OutputExpiredError,
    PermissionDeniedError,
    RateLimitError,
    TaskFailedError,
    TaskInputError,
    TaskWaitTimeout,
    WebhookVerificationError,
    envelope_error,
    error_from_response,
)


def envelope(code: int, error_code: str | None, message: str = "m") -> bytes:
    body: dict[str, object] = {"code": code, "message": message, "data": None}
    if error_code is not None:
        body["error_code"] = error_code
    return json.dumps(body).encode()


# The three error shapes of the contract (§2.2): task envelope, HiAPI blog, new-api.
@pytest.mark.parametrize(
    ("status", "body", "cls", "code"),
    [
        (400, envelope(400, "INVALID_REQUEST", "invalid request"), InvalidRequestError, None),
        (400, envelope(400, "MODEL_UNAVAILABLE"), ModelUnavailableError, None),
        (503, envelope(503, "MODEL_UNAVAILABLE"), ModelUnavailableError, None),
        (422, envelope(422, "IDEMPOTENCY_KEY_MISMATCH"), IdempotencyKeyMismatchError, None),
        (409, envelope(409, "IDEMPOTENCY_KEY_PROCESSING"), ConflictError, None),
        (402, envelope(402, None, "insufficient balance"), InsufficientQuotaError, None),
        (402, envelope(402, "INSUFFICIENT_QUOTA"), InsufficientQuotaError, None),
        (400, envelope(400, "insufficient_balance"), InsufficientQuotaError, None),
        (
            429,
            b'{"error":{"code":"rate_limit_exceeded","type":"hiapi_error","request_id":"req_1"}}',
            RateLimitError,
            "req_1",
        ),
        (
            401,
            b'{"error":{"code":"permission_denied","type":"hiapi_error","request_id":"req_2"}}',
            APIStatusError,
            "req_2",
        ),
        (
            401,
            b'{"error": {"message": "Invalid token", "type": "new_api_error", "code": ""}}',
            APIStatusError,
            None,
        ),
        (402, b"", InsufficientQuotaError, None),
        (402, b"<html><body>Payment Required</body></html>", InsufficientQuotaError, None),
    ],
)
def test_every_envelope_maps(
    status: int, body: bytes, cls: type[APIStatusError], code: str | None
) -> None:
    err = error_from_response(status, body, {})
    assert isinstance(err, cls)
    assert err.status_code == status
    if code is not None:
        assert err.request_id == code
    text = str(err)
    assert text.startswith(f"HiAPI {status}")
    assert "\n" not in text


def test_invalid_request_is_a_bad_request_naming_the_server_message() -> None:
    body = envelope(400, "INVALID_REQUEST", "additional properties 'seed' not allowed")
    err = error_from_response(400, body, {})
    assert isinstance(err, BadRequestError)
    assert err.code == "INVALID_REQUEST"
    assert err.message == "additional properties 'seed' not allowed"
    assert str(err) == "HiAPI 400 INVALID_REQUEST: additional properties 'seed' not allowed"


def test_envelope_numeric_code_is_not_taken_for_the_error_code() -> None:
    err = error_from_response(404, envelope(404, None, "task not found"), {})
    assert err.code is None
    assert str(err) == "HiAPI 404: task not found"


def test_blog_shape_without_message_reads_well() -> None:
    body = b'{"error":{"type":"hiapi_error","code":"rate_limit_exceeded","request_id":"req_9"}}'
    err = error_from_response(429, body, {})
    assert str(err) == "HiAPI 429 rate_limit_exceeded: Too Many Requests (request id: req_9)"


def test_quota_by_message_only_at_403() -> None:
    body = b'{"error": {"message": "Insufficient account balance", "code": "x"}}'
    assert isinstance(error_from_response(403, body, {}), InsufficientQuotaError)
    assert type(error_from_response(403, b'{"message": "forbidden"}', {})) is PermissionDeniedError
    assert isinstance(error_from_response(429, body, {}), RateLimitError)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"code": 200, "message": "success", "data": {"taskId": "t"}}, None),
        ({"id": "chatcmpl-1", "choices": []}, None),
        ({"code": "upstream_busy", "message": "x"}, None),
        ({"code": True, "message": "x"}, None),
        ({"code": 201, "message": "created", "data": {}}, None),
        ({"code": 7, "choices": []}, None),
    ],
)
def test_envelope_error_success_shapes(body: dict[str, object], expected: None) -> None:
    assert envelope_error(200, body, {}) is expected


def test_envelope_error_in_a_2xx_reply() -> None:
    err = envelope_error(200, {"code": 503, "message": "busy", "data": None}, {"Retry-After": "2"})
    assert isinstance(err, InternalServerError)
    assert err.status_code == 503
    assert err.headers == {"Retry-After": "2"}
    err = envelope_error(200, {"code": 400, "message": "no", "error_code": "INVALID_REQUEST"}, {})
    assert isinstance(err, InvalidRequestError)
    odd = envelope_error(200, {"code": 1001, "message": "weird", "data": None}, {})
    assert odd is not None
    assert odd.status_code == 200
    assert odd.code == 1001
    assert "weird" in str(odd)


def failed_task() -> SimpleNamespace:
    return SimpleNamespace(
        id="tk-hiapi-1", status="fail", error_code="TASK_FAILED", error_message="upstream no"
    )


def test_task_failed_error() -> None:
    err = TaskFailedError(failed_task())
    assert err.task.id == "tk-hiapi-1"
    assert err.code == "TASK_FAILED"
    assert err.message == "upstream no"
    assert str(err) == "task tk-hiapi-1 ended 'fail': TASK_FAILED: upstream no"
    assert isinstance(err, HiAPIError)


def test_task_wait_timeout_says_how_to_resume() -> None:
    err = TaskWaitTimeout("tk-hiapi-9", task=SimpleNamespace(status="handling"), waited=600.4)
    assert err.task_id == "tk-hiapi-9"
    assert err.task.status == "handling"
    text = str(err)
    assert "still 'handling' after 600 s" in text
    assert "not cancelled" in text
    assert 'tasks.wait("tk-hiapi-9")' in text
    many = TaskWaitTimeout("a", task_ids=("a", "b"), waited=5)
    assert many.task_ids == ("a", "b")
    assert 'tasks.wait_many(["a", "b"])' in str(many)


def test_output_expired_names_expire_at() -> None:
    err = OutputExpiredError("tk-1", "video", 1777886899, now=1777886999)
    assert err.expire_at == 1777886899
    assert "expire_at=1777886899" in str(err)
    assert "2026-05-04 09:28:19 UTC" in str(err)
    assert "100 s ago" in str(err)


def test_task_input_error_is_a_value_error() -> None:
    err = TaskInputError("input.x: bad", model="m", field="input.x")
    assert isinstance(err, ValueError)
    assert not isinstance(err, HiAPIError)
    assert err.problems == ("input.x: bad",)


@pytest.mark.parametrize(
    "err",
    [
        error_from_response(400, envelope(400, "INVALID_REQUEST"), {}),
        error_from_response(422, envelope(422, "IDEMPOTENCY_KEY_MISMATCH"), {}),
        error_from_response(400, envelope(400, "MODEL_UNAVAILABLE"), {}),
        TaskWaitTimeout("t", waited=3),
        OutputExpiredError("t", "image", 1, now=2),
        WebhookVerificationError("bad signature"),
    ],
)
def test_new_errors_pickle_and_copy(err: Exception) -> None:
    for clone in (pickle.loads(pickle.dumps(err)), copy.deepcopy(err)):  # noqa: S301
        assert type(clone) is type(err)
        assert str(clone) == str(err)


def test_task_errors_pickle_with_their_fields() -> None:
    failed = pickle.loads(pickle.dumps(TaskFailedError(failed_task())))  # noqa: S301
    assert failed.task.id == "tk-hiapi-1"
    assert failed.code == "TASK_FAILED"
    bad = pickle.loads(pickle.dumps(TaskInputError("input.x: bad", field="input.x")))  # noqa: S301
    assert bad.field == "input.x"
    assert str(bad) == "input.x: bad"
