"""Validates a chat request the way the gateway does and reads its options."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_hiapi.testing._models import IMAGE_MODELS, TEXT_MODELS
from langchain_hiapi.testing._prompt import Conversation, read_messages
from langchain_hiapi.testing._wire import ApiError

_CAMEL = re.compile(r"[a-z0-9][A-Z]")
_MAX_STOP = 5


@dataclass
class ChatRequest:
    """A validated `POST /v1/chat/completions` request.

    Attributes:
        model: Model name as sent.
        conv: The messages, read.
        stream: Whether to stream.
        include_usage: Whether a stream ends with the usage chunk.
        stop: Stop strings.
        max_tokens: `max_completion_tokens` or `max_tokens`.
        tools: Function tools (`{"type": "function", "function": {...}}`).
        tool_choice: Raw `tool_choice`.
        parallel_tool_calls: Whether several tool calls may be returned.
        response_format: Raw `response_format`.
        google: `extra_body.google` (empty when absent).
        next_call_id: Hands out tool call ids.
    """

    model: str
    conv: Conversation
    stream: bool = False
    include_usage: bool = True
    stop: list[str] = field(default_factory=list)
    max_tokens: int | None = None
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: Any = None
    parallel_tool_calls: bool = True
    response_format: Any = None
    google: dict[str, Any] = field(default_factory=dict)
    next_call_id: Callable[[], str] = lambda: "call_0"

    @property
    def thinking_config(self) -> dict[str, Any]:
        """`extra_body.google.thinking_config`, or {}."""
        value = self.google.get("thinking_config")
        return value if isinstance(value, dict) else {}


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def _check_extra_body(value: Any, path: str = "extra_body") -> None:
    # new-api unmarshals extra_body into snake_case structs: camelCase fails conversion.
    if isinstance(value, dict):
        for key, sub in value.items():
            if _CAMEL.search(str(key)):
                raise ApiError(
                    500,
                    f"convert request failed: unknown field {path}.{key} "
                    f"(use snake_case: {_snake(str(key))})",
                    "convert_request_failed",
                )
            _check_extra_body(sub, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            _check_extra_body(item, path)


def _stop(value: Any) -> list[str]:
    if value is None:
        return []
    stops = [value] if isinstance(value, str) else value
    if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops):
        raise ApiError(400, "stop must be a string or a list of strings", "invalid_request")
    if len(stops) > _MAX_STOP:
        raise ApiError(400, f"stop may hold at most {_MAX_STOP} strings", "invalid_request")
    return [s for s in stops if s]


def _tools(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ApiError(400, "tools must be a list", "invalid_request")
    for tool in value:
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise ApiError(400, "each tool needs function.name", "invalid_request")
    return value


def parse_chat(body: Any, next_call_id: Callable[[], str]) -> ChatRequest:
    """Validates a chat request body, in the gateway's order.

    Args:
        body: The parsed JSON body.
        next_call_id: Hands out tool call ids.

    Returns:
        The request.

    Raises:
        ApiError: 400 for a malformed request, 503 `model_not_found` for an unknown
            model, 500 `convert_request_failed` for a bad `extra_body`.
    """
    if not isinstance(body, dict):
        raise ApiError(400, "invalid request body: expected a JSON object", "invalid_request")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ApiError(400, "model is required", "invalid_request")
    # The distributor picks a channel before the relay converts the request.
    if model not in IMAGE_MODELS and model not in TEXT_MODELS:
        raise ApiError(
            503,
            f"No available channel for model {model} under group default",
            "model_not_found",
        )
    extra = body.get("extra_body")
    if extra is not None and not isinstance(extra, dict):
        raise ApiError(
            500, "convert request failed: extra_body must be an object", "convert_request_failed"
        )
    _check_extra_body(extra)
    google = (extra or {}).get("google")
    if google is not None and not isinstance(google, dict):
        raise ApiError(
            500,
            "convert request failed: extra_body.google must be an object",
            "convert_request_failed",
        )
    stream_options = body.get("stream_options")
    # new-api sends the usage chunk when stream_options is absent or include_usage is true:
    # `{}` and `{"include_usage": false}` both turn it off.
    include_usage = (
        not isinstance(stream_options, dict) or stream_options.get("include_usage") is True
    )
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
        raise ApiError(400, "max_tokens must be a positive integer", "invalid_request")
    return ChatRequest(
        model=model,
        conv=read_messages(body.get("messages")),
        stream=body.get("stream") is True,
        include_usage=include_usage,
        stop=_stop(body.get("stop")),
        max_tokens=max_tokens,
        tools=_tools(body.get("tools")),
        tool_choice=body.get("tool_choice"),
        parallel_tool_calls=body.get("parallel_tool_calls") is not False,
        response_format=body.get("response_format"),
        google=google or {},
        next_call_id=next_call_id,
    )
