"""Errors an agent can act on, as tool-error text: one mapping for every generation tool.

A blocked prompt, a failed task with its code, an input the model's schema refuses, no
quota, a rate limit after the retries, a task still running at the deadline: each becomes a
`ToolException` whose text says what happened and what to do, so the agent can rephrase,
fix an argument, wait or tell the user. An invalid key or a denied account is returned
unchanged, to be raised: no agent can fix a deployment problem.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from langchain_core.tools import ToolException

try:  # langchain-core >= 1.7: an error handler may return content blocks, not only text
    from langchain_core.tools.base import ToolExceptionHandlerOutput
except ImportError:  # pragma: no cover - older langchain-core (the declared floor)
    ToolExceptionHandlerOutput = str  # type: ignore[misc, assignment]
from pydantic import ValidationError
from pydantic.v1 import ValidationError as ValidationErrorV1

from langchain_hiapi.errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    HiAPIError,
    InsufficientQuotaError,
    InvalidRequestError,
    ModelNotFoundError,
    ModelUnavailableError,
    OutputExpiredError,
    PermissionDeniedError,
    PromptBlockedError,
    RateLimitError,
    ResponseTooLargeError,
    TaskFailedError,
    TaskInputError,
    TaskWaitTimeout,
    UnsafeURLError,
)

__all__ = [
    "ToolExceptionHandlerOutput",
    "agent_errors",
    "image_validation_error_message",
    "input_error",
    "tool_error",
    "validation_error_message",
]

# Task failure codes HiAPI's SDK documents as transient.
_RETRYABLE_TASK_CODES = frozenset({"TASK_TIMEOUT", "STORAGE_UNAVAILABLE", "MODEL_UNAVAILABLE"})


def _problems(error: ValidationError | ValidationErrorV1) -> str:
    problems: list[str] = []
    for raw in error.errors():
        item: dict[str, Any] = dict(raw)  # pydantic v1 and v2 error dicts differ in keys
        where = ".".join(str(part) for part in item.get("loc", ())) or "arguments"
        problem = f"{where}: {item.get('msg', 'invalid value')}"
        if "input" in item and not isinstance(item["input"], dict):
            problem += f" (got {item['input']!r})"
        problems.append(problem)
    return "; ".join(problems)


def validation_error_message(error: ValidationError | ValidationErrorV1) -> str:
    """Turns an argument validation error into one line an LLM can act on."""
    return "Invalid arguments: " + _problems(error) + ". Fix them and call the tool again."


def image_validation_error_message(error: ValidationError | ValidationErrorV1) -> str:
    """`validation_error_message` in the image tool's words."""
    return (
        "Invalid arguments for the image tool: "
        + _problems(error)
        + ". Fix the arguments and call the tool again."
    )


@contextmanager
def agent_errors(
    to_tool_error: Callable[[HiAPIError], BaseException], *, refused_inputs: bool = False
) -> Iterator[None]:
    """Raises what an agent can act on as tool errors (see `tool_error`).

    Args:
        to_tool_error: Maps a HiAPI error (the tool's `tool_error` call).
        refused_inputs: Also turn a `ValueError` (input refused before sending) into
            `input_error`.
    """
    try:
        yield
    except HiAPIError as exc:
        raise to_tool_error(exc) from exc
    except ValueError as exc:
        if not refused_inputs:
            raise
        raise input_error(exc) from None


def input_error(exc: ValueError) -> ToolException:
    """A tool error for arguments refused before sending (names the field and values)."""
    what = "input" if isinstance(exc, TaskInputError) else "arguments"
    return ToolException(
        f"Invalid {what}: {exc}. Call the tool again with a supported value, or omit it."
    )


def _task_failed(exc: TaskFailedError, model: str) -> str:
    code = f" with code {exc.code}" if exc.code is not None else ""
    text = f"The HiAPI task {exc.task_id} ({model}) failed{code}: {exc.message}."
    if exc.code in _RETRYABLE_TASK_CODES:
        return text + " This is usually temporary: you may retry once."
    return text + (
        " Do not retry it unchanged; change the prompt or the inputs, or tell the user"
        " it could not be generated."
    )


# First match wins, so a subclass comes before its base (placeholders: see `tool_error`).
_ADVICE: tuple[tuple[type[HiAPIError] | str, str], ...] = (
    (
        InsufficientQuotaError,
        "The HiAPI account has run out of quota, so no {what} can be generated now."
        " Do not retry; tell the user the account needs to be topped up.",
    ),
    (
        PromptBlockedError,
        "HiAPI blocked this prompt for safety reasons. Do not retry it unchanged; rephrase"
        " it without the problematic content or tell the user the {what} cannot be made.",
    ),
    (OutputExpiredError, "The {what} was generated but expired before it could be downloaded."),
    (
        RateLimitError,
        "HiAPI is rate limiting requests (still after {max_retries} retries). Wait a while"
        " before calling the tool again, or carry on without the {what}.",
    ),
    (
        ModelUnavailableError,
        "The model {model!r} is temporarily unavailable on HiAPI (still after {max_retries}"
        " retries). Try again later, or tell the user.",
    ),
    (
        ModelNotFoundError,
        "The model {model!r} is not available on HiAPI. Retrying will not help; tell the"
        " user the {what} model is unavailable.",
    ),
    (
        InvalidRequestError,
        "HiAPI rejected the input. Fix the field its message names and call the tool again"
        " with corrected values.",
    ),
    (
        BadRequestError,
        "HiAPI rejected the request. Check {arguments} and call the tool again with"
        " corrected values.",
    ),
    (
        "empty_response",  # an error code, not a class
        "HiAPI's {what} model returned nothing for this prompt (the attempt was billed)."
        " Do not retry it unchanged; rephrase the prompt or tell the user.",
    ),
    (
        UnsafeURLError,
        "HiAPI returned a {what} URL the download policy refuses (an internal address or"
        " plain http). Retrying will not help; tell the user.",
    ),
    (
        ResponseTooLargeError,
        "The reply was larger than the configured limit ({limit}). Ask for a smaller"
        " {what}, or tell the user the limit needs raising.",
    ),
    (APITimeoutError, "The {what} request timed out. You may retry once."),
    (APIConnectionError, "HiAPI could not be reached. You may retry once later."),
)
_DEFAULT_ADVICE = "The {what} could not be generated. You may retry once."


def _matches(exc: HiAPIError, key: type[HiAPIError] | str) -> bool:
    return exc.code == key if isinstance(key, str) else isinstance(exc, key)


def tool_error(
    exc: HiAPIError,
    *,
    model: str,
    max_retries: int,
    what: str = "image",
    arguments: str = "the arguments",
) -> ToolException | HiAPIError:
    """Maps a HiAPI error to a `ToolException` with advice, or returns it to re-raise.

    Args:
        exc: The error.
        model: The model the call used (named in the advice).
        max_retries: The client's retries (a rate limit survived them).
        what: What was being made (`image`, `video`, `output`).
        arguments: The tool's arguments, for "check <arguments>".

    Returns:
        The tool error, or `exc` itself for an invalid key or a denied account. Its
        advice is the first `_ADVICE` entry `exc` is an instance of (or whose error code
        it has), with `{what}`, `{model}`, `{max_retries}`, `{arguments}` and `{limit}`
        (a byte limit's name) filled in.
    """
    denied = isinstance(exc, (AuthenticationError, PermissionDeniedError))
    if denied and not isinstance(exc, InsufficientQuotaError):
        return exc  # a deployment problem: fail loudly instead of letting the agent try
    if isinstance(exc, TaskFailedError):
        return ToolException(_task_failed(exc, model))
    if isinstance(exc, TaskWaitTimeout):
        return ToolException(
            f"The {what} is taking longer than this tool waits: {exc} Do not start the same"
            " task again right away; tell the user it is still being generated."
        )
    template = next((text for key, text in _ADVICE if _matches(exc, key)), _DEFAULT_ADVICE)
    advice = template.format(
        what=what,
        model=model,
        max_retries=max_retries,
        arguments=arguments,
        limit=getattr(exc, "limit_name", None),
    )
    return ToolException(f"{advice} ({exc})")
