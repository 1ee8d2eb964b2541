"""`_chat_request`: the chat body's pure checks and builders, without a model call."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from langchain_hiapi._chat_request import (
    MAX_STOP_SEQUENCES,
    check_chat_aspect_ratio,
    check_extra_body,
    check_model_kwargs,
    format_tool_choice,
    merge_dicts,
    move_unknown_kwargs,
    stream_options,
    validate_model,
    validate_stop,
    without_image_config,
)
from langchain_hiapi.image_config import ImageConfig

TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {}}}


def test_validate_model() -> None:
    assert validate_model("gpt-4o-mini") == "gpt-4o-mini"
    for bad in ("", "  ", None, 3):
        with pytest.raises(ValueError, match="model must be a non-empty HiAPI model id"):
            validate_model(bad)


def test_validate_stop() -> None:
    assert validate_stop(None) is None
    assert validate_stop("END") == ["END"]
    with pytest.raises(TypeError, match="stop must be a string or a list of strings"):
        validate_stop([1])
    with pytest.raises(ValueError, match=f"at most {MAX_STOP_SEQUENCES}"):
        validate_stop(["a"] * (MAX_STOP_SEQUENCES + 1))


def test_check_chat_aspect_ratio_refuses_auto_only() -> None:
    check_chat_aspect_ratio(None)
    check_chat_aspect_ratio(ImageConfig(aspect_ratio="16:9"))
    with pytest.raises(ValueError, match="only available on the task route") as caught:
        check_chat_aspect_ratio(ImageConfig(aspect_ratio="auto"))
    assert "16:9" in str(caught.value)


def test_check_model_kwargs_and_extra_body() -> None:
    assert check_model_kwargs({"top_k": 3}) == {"top_k": 3}
    with pytest.raises(ValueError, match=r"model_kwargs may not set \['messages', 'model'\]"):
        check_model_kwargs({"model": "x", "messages": []})
    assert check_extra_body({"google": {"thinking_config": {}}}) is not None
    with pytest.raises(ValueError, match="thinkingConfig"):
        check_extra_body({"google": {"thinkingConfig": {}}})


def test_move_unknown_kwargs() -> None:
    known = {"temperature", "model_kwargs", "model"}
    with pytest.warns(UserWarning, match="top_k is not a ChatHiAPI parameter"):
        moved = move_unknown_kwargs({"top_k": 40}, known)
    assert moved == {"model_kwargs": {"top_k": 40}}
    with pytest.warns(UserWarning, match="temperature is a ChatHiAPI parameter"):
        lifted = move_unknown_kwargs({"model_kwargs": {"temperature": 0.1, "model": "m"}}, known)
    # A reserved body key stays in model_kwargs, to be refused by check_model_kwargs.
    assert lifted == {"temperature": 0.1, "model_kwargs": {"model": "m"}}
    with pytest.raises(ValueError, match="given both as an argument and in model_kwargs"):
        move_unknown_kwargs({"top_k": 1, "model_kwargs": {"top_k": 2}}, known)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert move_unknown_kwargs({"model_kwargs": "bad"}, known) == {"model_kwargs": "bad"}


def test_merge_dicts_is_deep_and_copies() -> None:
    base = {"google": {"a": 1, "b": {"x": 1}}}
    merged = merge_dicts(base, {"google": {"b": {"y": 2}}, "other": 1})
    assert merged == {"google": {"a": 1, "b": {"x": 1, "y": 2}}, "other": 1}
    assert base == {"google": {"a": 1, "b": {"x": 1}}}
    assert merge_dicts(None, None) is None


def test_without_image_config() -> None:
    extra: dict[str, Any] = {"google": {"image_config": {}, "thinking_config": {}}, "k": 1}
    assert without_image_config(extra) == {"google": {"thinking_config": {}}, "k": 1}
    assert without_image_config({"google": {"image_config": {}}}) == {}
    assert without_image_config(None) is None


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("any", "required"),
        ("auto", "auto"),
        ("none", "none"),
        ("get_weather", {"type": "function", "function": {"name": "get_weather"}}),
        (True, {"type": "function", "function": {"name": "get_weather"}}),
        (
            {"type": "function", "function": {"name": "x"}},
            {"type": "function", "function": {"name": "x"}},
        ),
    ],
)
def test_format_tool_choice(choice: Any, expected: Any) -> None:
    assert format_tool_choice(choice, [TOOL]) == expected


def test_format_tool_choice_errors() -> None:
    with pytest.raises(ValueError, match="is not one of the bound tools"):
        format_tool_choice("nope", [TOOL])
    with pytest.raises(ValueError, match="needs exactly one tool"):
        format_tool_choice(True, [TOOL, TOOL])
    with pytest.raises(TypeError, match="must be a str, bool or dict"):
        format_tool_choice(3, [TOOL])  # type: ignore[arg-type]


def test_stream_options_precedence() -> None:
    assert stream_options(None, None, True) == {"include_usage": True}
    assert stream_options(None, {"include_usage": False}, True) == {"include_usage": False}
    assert stream_options(True, {"include_usage": False, "x": 1}, False) == {
        "include_usage": True,
        "x": 1,
    }
