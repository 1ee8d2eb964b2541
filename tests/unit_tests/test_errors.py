"""Tests for error mapping."""

from __future__ import annotations

import copy
import json
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langchain_hiapi.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    HiAPIError,
    InsufficientQuotaError,
    InternalServerError,
    InvalidResponseError,
    ModelNotFoundError,
    NotFoundError,
    PermissionDeniedError,
    PromptBlockedError,
    RateLimitError,
    StreamError,
    error_from_response,
)


def wire(
    message: str, code: str | int = "", type_: str = "new_api_error", **extra: object
) -> bytes:
    err: dict[str, object] = {"message": message, "type": type_, "param": "", "code": code}
    err.update(extra)
    return json.dumps({"error": err}, ensure_ascii=False).encode()


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (400, wire("blocked", "prompt_blocked"), PromptBlockedError),
        (400, wire("blocked", "prompt_blocked", type_="prompt_blocked"), PromptBlockedError),
        (400, wire("bad", "invalid_request"), BadRequestError),
        (401, wire("Invalid token"), AuthenticationError),
        (403, wire("denied", "access_denied"), PermissionDeniedError),
        (403, wire("no money", "insufficient_user_quota"), InsufficientQuotaError),
        (403, wire("short", "pre_consume_token_quota_failed"), InsufficientQuotaError),
        (402, wire("insufficient balance"), InsufficientQuotaError),
        (403, wire("user banned"), PermissionDeniedError),
        (404, wire("nope"), NotFoundError),
        (503, wire("no channel", "model_not_found"), ModelNotFoundError),
        (404, wire("no channel", "model_not_found"), ModelNotFoundError),
        (409, wire("busy", "upstream_busy"), ConflictError),
        (429, wire("slow down"), RateLimitError),
        (500, wire("bad extra_body", "convert_request_failed"), InternalServerError),
        (502, wire("bad gateway"), InternalServerError),
        (503, wire("unavailable"), InternalServerError),
        (504, wire("timeout"), InternalServerError),
        (418, wire("teapot"), APIStatusError),
        (422, wire("unprocessable"), APIStatusError),
    ],
)
def test_status_to_class(status: int, body: bytes, cls: type[APIStatusError]) -> None:
    err = error_from_response(status, body, {})
    assert type(err) is cls
    assert err.status_code == status
    assert isinstance(err, HiAPIError)


def test_hierarchy() -> None:
    assert issubclass(InsufficientQuotaError, PermissionDeniedError)
    assert issubclass(ModelNotFoundError, NotFoundError)
    assert issubclass(APITimeoutError, APIConnectionError)
    for cls in (APIConnectionError, InvalidResponseError, StreamError, APIStatusError):
        assert issubclass(cls, HiAPIError)
    assert not issubclass(APIConnectionError, APIStatusError)


def test_fields_and_str() -> None:
    body = wire("余额不足 (request id: 2025120112345)", "insufficient_user_quota")
    err = error_from_response(403, body, {})
    assert isinstance(err, InsufficientQuotaError)
    assert err.message == "余额不足"
    assert err.request_id == "2025120112345"
    assert err.type == "new_api_error"
    assert err.code == "insufficient_user_quota"
    assert err.param is None  # empty string normalised
    assert isinstance(err.body, dict)
    assert str(err) == "HiAPI 403 insufficient_user_quota: 余额不足 (request id: 2025120112345)"
    assert "\n" not in str(err)
    assert "InsufficientQuotaError" in repr(err)


def test_numeric_code_kept_as_int() -> None:
    err = error_from_response(429, wire("upstream says no", 429, "upstream_error"), {})
    assert isinstance(err, RateLimitError)
    assert err.code == 429
    assert str(err) == "HiAPI 429 429: upstream says no"


def test_empty_code_and_generic_type_give_plain_message() -> None:
    err = error_from_response(429, wire("slow down"), {})
    assert err.code is None
    assert str(err) == "HiAPI 429: slow down"


def test_401_says_an_exhausted_or_expired_key_gives_it_too() -> None:
    err = error_from_response(401, wire("Invalid token"), {})
    assert isinstance(err, AuthenticationError)
    assert err.message == "Invalid token"  # the gateway's words stay as sent
    assert str(err).startswith("HiAPI 401: Invalid token (")
    assert "expired" in str(err) and "used up its quota" in str(err)


def test_type_used_when_no_code() -> None:
    err = error_from_response(400, wire("bad", type_="invalid_request_error"), {})
    assert str(err) == "HiAPI 400 invalid_request_error: bad"


def test_param_kept() -> None:
    err = error_from_response(400, wire("bad", "x", param="messages"), {})
    assert err.param == "messages"


def test_model_not_found_by_type() -> None:
    body = json.dumps({"error": {"message": "m", "type": "model_not_found"}}).encode()
    assert isinstance(error_from_response(503, body, {}), ModelNotFoundError)


def test_nested_request_ids_take_the_last() -> None:
    err = error_from_response(
        500, wire("upstream (request id: inner) (request id: outer)", "upstream_error"), {}
    )
    assert err.request_id == "outer"
    assert err.message == "upstream"


@pytest.mark.parametrize("name", ["X-Oneapi-Request-Id", "x-request-id"])
def test_request_id_from_header(name: str) -> None:
    err = error_from_response(500, wire("boom"), {name: "hdr-1"})
    assert err.request_id == "hdr-1"
    assert str(err).endswith("(request id: hdr-1)")
    assert err.headers[name] == "hdr-1"


def test_message_suffix_wins_over_header() -> None:
    err = error_from_response(500, wire("boom (request id: msg-1)"), {"X-Request-Id": "hdr"})
    assert err.request_id == "msg-1"


def test_error_as_plain_string() -> None:
    err = error_from_response(502, b'{"error": "upstream exploded"}', {})
    assert isinstance(err, InternalServerError)
    assert err.message == "upstream exploded"


def test_top_level_message() -> None:
    body = b'{"code": "upstream_busy", "message": "try later", "data": null}'
    err = error_from_response(409, body, {})
    assert isinstance(err, ConflictError)
    assert err.code == "upstream_busy"
    assert err.message == "try later"


def test_non_string_message_is_serialised() -> None:
    err = error_from_response(400, b'{"error": {"message": {"detail": "x"}}}', {})
    assert err.message == '{"detail": "x"}'


def test_html_error_page() -> None:
    page = b"<html>\n<head><title>502 Bad Gateway</title></head>\n<body>" + b"x" * 5000
    err = error_from_response(502, page, {"content-type": "text/html"})
    assert isinstance(err, InternalServerError)
    text = str(err)
    assert text.startswith("HiAPI 502: Bad Gateway, non-JSON body: <html> <head><title>502")
    assert "\n" not in text
    assert len(text) < 300
    assert text.endswith("…")
    assert isinstance(err.body, str)


def test_binary_garbage() -> None:
    garbage = bytes(range(256)) * 4
    err = error_from_response(500, garbage, {})
    assert isinstance(err, InternalServerError)
    text = str(err)
    assert text.isprintable()
    assert "non-JSON body" in text
    assert len(text) < 300


def test_empty_body() -> None:
    err = error_from_response(503, b"", {})
    assert isinstance(err, InternalServerError)
    assert str(err) == "HiAPI 503: Service Unavailable (empty body)"
    assert err.body is None


def test_json_without_message() -> None:
    err = error_from_response(500, b"[1, 2]", {})
    assert str(err) == "HiAPI 500: Internal Server Error: [1, 2]"
    assert err.body == [1, 2]


def test_unknown_status_reason() -> None:
    err = error_from_response(599, b"", {})
    assert type(err) is InternalServerError
    assert "HTTP error" in str(err)


def test_pickle_and_copy_roundtrip() -> None:
    err = error_from_response(403, wire("no money (request id: r)", "insufficient_user_quota"), {})
    for clone in (pickle.loads(pickle.dumps(err)), copy.deepcopy(err)):  # noqa: S301
        assert type(clone) is InsufficientQuotaError
        assert str(clone) == str(err)
        assert clone.request_id == "r"
    stream_err = StreamError("cut", partial_text="abc")
    clone = pickle.loads(pickle.dumps(stream_err))  # noqa: S301
    assert clone.partial_text == "abc"
    assert clone.partial_message is None


def test_stream_error_defaults() -> None:
    err = StreamError("stream ended early")
    assert err.partial_text == ""
    assert err.partial_message is None
    assert str(err) == "HiAPI: stream ended early"


def test_connection_error_str() -> None:
    assert str(APIConnectionError("refused")) == "HiAPI: refused"


@settings(max_examples=100, deadline=None)
@given(
    status=st.integers(min_value=300, max_value=599),
    body=st.one_of(
        st.binary(max_size=400),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.sampled_from(["error", "message", "code", "type"]), inner)
            ),
            max_leaves=8,
        ).map(lambda obj: json.dumps(obj).encode()),
    ),
)
def test_any_body_maps_to_a_one_line_error(status: int, body: bytes) -> None:
    err = error_from_response(status, body, {})
    assert isinstance(err, APIStatusError)
    assert err.status_code == status
    text = str(err)
    assert text.startswith(f"HiAPI {status}")
    assert "\n" not in text


def test_multiline_message_is_one_line_in_str() -> None:
    err = error_from_response(500, wire("line one\nline two"), {})
    assert err.message == "line one\nline two"
    assert str(err) == "HiAPI 500: line one line two"
