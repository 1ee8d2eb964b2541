"""The advice the generation tools give an agent for each HiAPI error (tools/_errors.py)."""

# ruff: noqa: E501  (the pinned advice texts are compared whole, one line each)

from __future__ import annotations

import pytest
from langchain_core.tools import ToolException

from langchain_hiapi import errors as e
from langchain_hiapi.tools._errors import agent_errors, input_error, tool_error

ERRORS: dict[str, e.HiAPIError] = {
    "quota": e.InsufficientQuotaError("no money", status_code=403),
    "blocked": e.PromptBlockedError("blocked", status_code=400),
    "expired": e.OutputExpiredError("tk-1", "video", 1700000000, 1700000100.0),
    "rate": e.RateLimitError("slow down", status_code=429),
    "unavailable": e.ModelUnavailableError("busy", status_code=503),
    "not_found": e.ModelNotFoundError("no model", status_code=404),
    "invalid": e.InvalidRequestError("bad field", status_code=400),
    "bad": e.BadRequestError("bad", status_code=400),
    "empty": e.InvalidResponseError("nothing", code="empty_response"),
    "unsafe": e.UnsafeURLError("internal", url="https://10.0.0.1/x"),
    "too_large": e.ResponseTooLargeError("big", limit_name="max_response_bytes", limit=10),
    "timeout": e.APITimeoutError("timed out"),
    "connection": e.APIConnectionError("refused"),
    "other": e.InternalServerError("boom", status_code=500),
}

# The texts as the if-chain before the advice table wrote them, word for word.
EXPECTED = {
    "quota": "The HiAPI account has run out of quota, so no video can be generated now. Do not retry; tell the user the account needs to be topped up. (HiAPI 403: no money)",
    "blocked": "HiAPI blocked this prompt for safety reasons. Do not retry it unchanged; rephrase it without the problematic content or tell the user the video cannot be made. (HiAPI 400: blocked)",
    "expired": 'The video was generated but expired before it could be downloaded. (the video of task tk-1 expired at expire_at=1700000000 (2023-11-14 22:13:20 UTC, 100 s ago); outputs are kept about 7 days - download earlier, or create the task with storage="persistent")',
    "rate": "HiAPI is rate limiting requests (still after 3 retries). Wait a while before calling the tool again, or carry on without the video. (HiAPI 429: slow down)",
    "unavailable": "The model 'm-1' is temporarily unavailable on HiAPI (still after 3 retries). Try again later, or tell the user. (HiAPI 503: busy)",
    "not_found": "The model 'm-1' is not available on HiAPI. Retrying will not help; tell the user the video model is unavailable. (HiAPI 404: no model)",
    "invalid": "HiAPI rejected the input. Fix the field its message names and call the tool again with corrected values. (HiAPI 400: bad field)",
    "bad": "HiAPI rejected the request. Check the arguments (x) and call the tool again with corrected values. (HiAPI 400: bad)",
    "empty": "HiAPI's video model returned nothing for this prompt (the attempt was billed). Do not retry it unchanged; rephrase the prompt or tell the user. (HiAPI empty_response: nothing)",
    "unsafe": "HiAPI returned a video URL the download policy refuses (an internal address or plain http). Retrying will not help; tell the user. (HiAPI: internal)",
    "too_large": "The reply was larger than the configured limit (max_response_bytes). Ask for a smaller video, or tell the user the limit needs raising. (HiAPI: big)",
    "timeout": "The video request timed out. You may retry once. (HiAPI: timed out)",
    "connection": "HiAPI could not be reached. You may retry once later. (HiAPI: refused)",
    "other": "The video could not be generated. You may retry once. (HiAPI 500: boom)",
}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_every_error_kind_gets_its_advice(kind: str) -> None:
    error = tool_error(
        ERRORS[kind], model="m-1", max_retries=3, what="video", arguments="the arguments (x)"
    )
    assert isinstance(error, ToolException)
    assert str(error) == EXPECTED[kind]


@pytest.mark.parametrize(
    "error",
    [
        e.AuthenticationError("bad key", status_code=401),
        e.PermissionDeniedError("no", status_code=403),
    ],
)
def test_deployment_problems_are_returned_to_be_raised(error: e.HiAPIError) -> None:
    assert tool_error(error, model="m", max_retries=0) is error


def test_agent_errors_maps_hiapi_errors_and_optionally_refused_inputs() -> None:
    def to_tool_error(exc: e.HiAPIError) -> BaseException:
        return ToolException(f"advice: {exc.message}")

    with pytest.raises(ToolException, match="advice: slow"), agent_errors(to_tool_error):
        raise e.RateLimitError("slow", status_code=429)
    with pytest.raises(ValueError, match="plain"), agent_errors(to_tool_error):
        raise ValueError("plain")
    with (
        pytest.raises(ToolException, match="Invalid arguments: size"),
        agent_errors(to_tool_error, refused_inputs=True),
    ):
        raise ValueError("size")
    assert "Invalid input" in str(input_error(e.TaskInputError("bad")))
