"""Wire shapes of the contract: errors, `chat.completion` objects and stream chunks."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from langchain_hiapi.testing._table import status_table


@dataclass(eq=False)
class ApiError(Exception):
    """An error reply in the contract's JSON error shape.

    Attributes:
        status: HTTP status.
        message: Error message; the request-id suffix is added when sent.
        code: Error code (a string, or a number for some upstream errors).
        type_: Error type.
        with_request_id: Suffix the message with the request id, as new-api mostly does.
    """

    status: int
    message: str
    code: str | int = ""
    type_: str = "new_api_error"
    with_request_id: bool = field(default=True, kw_only=True)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def body(self, request_id: str) -> dict[str, Any]:
        """Returns the error JSON body, message suffixed like new-api's (when it does)."""
        message = (
            f"{self.message} (request id: {request_id})" if self.with_request_id else (self.message)
        )
        return error_body(message, self.code, self.type_)


def error_body(message: str, code: str | int = "", type_: str = "new_api_error") -> dict[str, Any]:
    """Builds `{"error": {"message", "type", "param", "code"}}`."""
    return {"error": {"message": message, "type": type_, "param": "", "code": code}}


# What a bare `Reply(status=N)` sends: the contract's error table (status, code, message).
_DEFAULT_ERRORS = status_table("""
400 invalid_request Request contains an invalid argument.
401 - Invalid token
402 insufficient_user_quota insufficient account balance
403 insufficient_user_quota user quota is not enough
404 not_found Not Found
409 upstream_busy upstream is busy, please retry later
429 - Too many requests, please try again later
500 empty_response upstream returned an empty response
502 bad_response_status_code bad response status code 502
503 model_not_found No available channel for model under group default
504 upstream_timeout upstream timed out
""")


def default_error(status: int) -> ApiError:
    """Returns the contract's error for a status (a generic one when not in the table)."""
    code, message = _DEFAULT_ERRORS.get(status, ("", f"upstream error (status {status})"))
    return ApiError(status, message, code)


@dataclass
class ToolCall:
    """One tool call of an answer."""

    id: str
    name: str
    arguments: str


@dataclass
class Answer:
    """A model's answer, independent of streaming.

    Attributes:
        model: Model name reported on the wire.
        pieces: Content split into stream deltas; their concatenation is the content.
            An image's Markdown is always one piece.
        reasoning: Thought text (`reasoning_content`), split like `pieces`.
        tool_calls: Tool calls, if any.
        finish_reason: `stop`, `length` or `tool_calls`.
        usage: The usage object.
    """

    model: str
    pieces: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str = "stop"
    usage: dict[str, Any] = field(default_factory=dict)

    @property
    def content(self) -> str | None:
        """Full content; None for a pure tool-call answer, like OpenAI."""
        if not self.pieces and self.tool_calls:
            return None
        return "".join(self.pieces)


def usage(
    prompt_text: int,
    prompt_images: int = 0,
    completion_text: int = 0,
    reasoning: int = 0,
    completion_images: int = 0,
) -> dict[str, Any]:
    """Builds a usage object with new-api's detail fields.

    Args:
        prompt_text: Text tokens of the prompt.
        prompt_images: Image tokens of the prompt.
        completion_text: Text tokens of the answer.
        reasoning: Thought tokens (counted in `completion_tokens`, as new-api does).
        completion_images: Image tokens of the answer.

    Returns:
        The `usage` dict.
    """
    prompt = prompt_text + prompt_images
    completion = completion_text + reasoning + completion_images
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {
            "cached_tokens": 0,
            "text_tokens": prompt_text,
            "audio_tokens": 0,
            "image_tokens": prompt_images,
        },
        "completion_tokens_details": {
            "text_tokens": completion_text,
            "audio_tokens": 0,
            "reasoning_tokens": reasoning,
            "image_tokens": completion_images,
        },
    }


def dumps(obj: Any) -> str:
    """Compact JSON, non-ASCII kept as is (like Go's encoder)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def completion_object(answer: Answer, completion_id: str, created: int) -> dict[str, Any]:
    """Builds the non-streaming `chat.completion` object."""
    message: dict[str, Any] = {"role": "assistant", "content": answer.content}
    if answer.reasoning:
        message["reasoning_content"] = "".join(answer.reasoning)
    if answer.tool_calls:
        message["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in answer.tool_calls
        ]
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": answer.model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": answer.finish_reason,
            }
        ],
        "usage": answer.usage,
    }


def _split_arguments(arguments: str) -> list[str]:
    # A few fragments, like a model streaming JSON.
    step = max(1, len(arguments) // 3 + 1)
    return [arguments[i : i + step] for i in range(0, len(arguments), step)] or [""]


def stream_payloads(
    answer: Answer,
    completion_id: str,
    created: int,
    *,
    include_usage: bool = True,
    finish: bool = True,
    blocked: bool = False,
) -> list[str]:
    """Builds the `data:` payloads of a stream, `[DONE]` included.

    Args:
        answer: The answer to stream.
        completion_id: The `id` of every chunk.
        created: The `created` of every chunk.
        include_usage: Send the usage chunk (`choices: []`) before `[DONE]`.
        finish: Send the finish chunk and the usage chunk; false imitates an upstream
            failure mid-stream (content, then `[DONE]` only).
        blocked: A prompt blocked mid-stream: the role chunk, a `choices: []` chunk, the
            usage chunk (if asked for) and `[DONE]`; no content and no finish chunk.

    Returns:
        JSON texts, then `[DONE]`.
    """

    def envelope(choices: list[dict[str, Any]], usage: dict[str, Any] | None) -> str:
        return dumps(
            {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": answer.model,
                "system_fingerprint": None,
                "choices": choices,
                "usage": usage,
            }
        )

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> str:
        choice = {"delta": delta, "logprobs": None, "finish_reason": finish_reason, "index": 0}
        return envelope([choice], None)

    def usage_chunk(usage: dict[str, Any] | None) -> str:
        return envelope([], usage)

    out = [chunk({"content": "", "role": "assistant"})]
    if blocked:
        out.append(usage_chunk(None))
        if include_usage:
            out.append(usage_chunk(answer.usage))
        out.append("[DONE]")
        return out
    out.extend(chunk({"reasoning_content": piece}) for piece in answer.reasoning)
    out.extend(chunk({"content": piece}) for piece in answer.pieces if piece)
    for index, call in enumerate(answer.tool_calls):
        head = {
            "index": index,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        out.append(chunk({"tool_calls": [head]}))
        out.extend(
            chunk({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]})
            for fragment in _split_arguments(call.arguments)
            if fragment
        )
    if finish:
        out.append(chunk({}, answer.finish_reason))
        if include_usage:
            out.append(usage_chunk(answer.usage))
    out.append("[DONE]")
    return out
