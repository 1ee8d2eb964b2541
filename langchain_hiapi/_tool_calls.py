"""OpenAI `tool_calls` of a reply as LangChain tool calls (pure, hostile-input safe).

Unusable arguments (not JSON, not an object, nested too deeply) become invalid tool calls
with the reason, the LangChain convention; a malformed `tool_calls` list is an error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from langchain_core.messages import InvalidToolCall, ToolCall
from langchain_core.messages.tool import invalid_tool_call, tool_call

from langchain_hiapi._preview import opt_str, preview
from langchain_hiapi.errors import InvalidResponseError

__all__ = ["MAX_TOOL_ARGS_DEPTH", "nested_too_deep", "parse_tool_calls"]

# Tool-call arguments nested deeper than this are refused: such objects break recursive
# code further down (deepcopy, serialization) with RecursionError.
MAX_TOOL_ARGS_DEPTH = 100


def nested_too_deep(value: Any, limit: int = MAX_TOOL_ARGS_DEPTH) -> bool:
    """Whether dicts/lists in `value` nest deeper than `limit` (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth >= limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _parse_arguments(arguments: Any) -> tuple[dict[str, Any] | None, str | None, str]:
    """Parses tool-call arguments into `(args, error, raw text)`."""
    if arguments is None or arguments == "":
        return {}, None, ""
    if isinstance(arguments, str):
        raw = arguments
        try:
            parsed = json.loads(arguments)
        except json.JSONDecodeError as exc:
            return None, str(exc), raw
        except (RecursionError, ValueError):
            return None, "tool call arguments are nested too deeply to parse", raw
    else:
        # Some gateways send the arguments already parsed.
        parsed = arguments
        raw = preview(arguments, limit=1 << 20)
    if nested_too_deep(parsed):
        return None, f"tool call arguments are nested deeper than {MAX_TOOL_ARGS_DEPTH} levels", raw
    if not isinstance(parsed, dict):
        return None, "tool call arguments are not a JSON object", raw
    return parsed, None, raw


def parse_tool_calls(
    raw_calls: Any,
) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    """Parses OpenAI `tool_calls`; unusable arguments become invalid tool calls.

    Arguments that are not JSON, not an object or nested deeper than
    `MAX_TOOL_ARGS_DEPTH` levels become `invalid_tool_calls` (the LangChain convention),
    with the raw argument text and the reason.

    Raises:
        InvalidResponseError: `tool_calls` is not a list of calls with a `function`.
    """
    if not isinstance(raw_calls, list):
        msg = f"HiAPI reply field 'tool_calls' must be a list, got {type(raw_calls).__name__}."
        raise InvalidResponseError(msg)
    calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for raw in raw_calls:
        function = raw.get("function") if isinstance(raw, Mapping) else None
        if not isinstance(function, Mapping):
            msg = f"HiAPI reply has a tool call without 'function': {preview(raw)}"
            raise InvalidResponseError(msg)
        name = opt_str(function.get("name"))
        call_id = opt_str(raw.get("id"))
        args, error, raw_args = _parse_arguments(function.get("arguments"))
        if args is None or name is None:
            error = error or f"tool call name is not a string: {preview(function.get('name'))}"
            invalid.append(invalid_tool_call(name=name, args=raw_args, id=call_id, error=error))
            continue
        calls.append(tool_call(name=name, args=args, id=call_id))
    return calls, invalid
