"""`_tool_calls`: OpenAI tool calls into LangChain tool calls and invalid tool calls."""

from __future__ import annotations

import pytest

from langchain_hiapi._tool_calls import MAX_TOOL_ARGS_DEPTH, nested_too_deep, parse_tool_calls
from langchain_hiapi.errors import InvalidResponseError


def _call(arguments: object, name: object = "f", call_id: object = "c1") -> dict[str, object]:
    return {"id": call_id, "function": {"name": name, "arguments": arguments}}


def test_valid_calls_and_parsed_arguments() -> None:
    calls, invalid = parse_tool_calls([_call('{"a": 1}'), _call({"b": 2}, "g", "c2"), _call("")])
    assert [(c["name"], c["args"], c["id"]) for c in calls] == [
        ("f", {"a": 1}, "c1"),
        ("g", {"b": 2}, "c2"),
        ("f", {}, "c1"),
    ]
    assert invalid == []


@pytest.mark.parametrize(
    ("arguments", "name", "error"),
    [
        ("{not json", "f", "Expecting property name"),
        ("[1, 2]", "f", "not a JSON object"),
        ("{}", 7, "tool call name is not a string"),
    ],
)
def test_unusable_arguments_become_invalid_calls(
    arguments: object, name: object, error: str
) -> None:
    calls, invalid = parse_tool_calls([_call(arguments, name)])
    assert calls == []
    assert len(invalid) == 1
    assert error in (invalid[0]["error"] or "")


def test_deep_arguments_are_invalid() -> None:
    deep = "[" * (MAX_TOOL_ARGS_DEPTH + 1) + "]" * (MAX_TOOL_ARGS_DEPTH + 1)
    _, invalid = parse_tool_calls([_call('{"a": ' + deep + "}")])
    assert f"nested deeper than {MAX_TOOL_ARGS_DEPTH}" in (invalid[0]["error"] or "")
    assert nested_too_deep({"a": [[1]]}, limit=2)
    assert not nested_too_deep({"a": [1]}, limit=2)


def test_malformed_tool_calls_are_errors() -> None:
    with pytest.raises(InvalidResponseError, match="must be a list"):
        parse_tool_calls({"id": 1})
    with pytest.raises(InvalidResponseError, match="without 'function'"):
        parse_tool_calls([{"id": "x"}])
