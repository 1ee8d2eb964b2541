"""The chat-completions request of one `ChatHiAPI` call, built and checked before sending.

Pure: reads the model's settings and the call's arguments, returns the JSON body or raises
a clear error naming the field. Also the checks `ChatHiAPI`'s validators share with it.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from langchain_core.messages import BaseMessage

from langchain_hiapi._convert import messages_to_wire
from langchain_hiapi.image_config import (
    ASPECT_RATIOS,
    ImageConfig,
    build_extra_body,
    check_image_size_for_model,
    coerce_image_config,
    is_image_model,
    merge_image_config,
)

if TYPE_CHECKING:
    from langchain_hiapi.chat_models import ChatHiAPI

__all__ = [
    "BODY_FIELDS",
    "CHAT_PATH",
    "INTERNAL_KWARGS",
    "MAX_STOP_SEQUENCES",
    "RESERVED_BODY_KEYS",
    "build_chat_body",
    "check_chat_aspect_ratio",
    "check_extra_body",
    "check_model_kwargs",
    "format_tool_choice",
    "merge_dicts",
    "move_unknown_kwargs",
    "stream_options",
    "validate_model",
    "validate_stop",
    "without_image_config",
]

CHAT_PATH = "/chat/completions"
# The gateway forwards at most this many stop sequences (new-api / OpenAI limit).
MAX_STOP_SEQUENCES = 5
# Keyword arguments LangChain passes to `_generate` for its own use; never sent.
INTERNAL_KWARGS = frozenset(
    {"ls_structured_output_format", "run_manager", "stream", "stream_usage"}
)
# Optional request fields sent as they are when set (the OpenAI parameters users expect).
BODY_FIELDS = (
    "temperature",
    "max_tokens",
    "max_completion_tokens",
    "top_p",
    "seed",
    "n",
    "presence_penalty",
    "frequency_penalty",
    "logprobs",
    "top_logprobs",
    "logit_bias",
    "reasoning_effort",
    "service_tier",
)
# Body keys the model builds itself; model_kwargs setting them would bypass validation.
RESERVED_BODY_KEYS = frozenset({"model", "messages", "stream", "image_config", "stop"})
_TOOL_CHOICE_KEYWORDS = frozenset({"auto", "none", "required"})


def validate_model(value: Any) -> str:
    """Checks a model id.

    Raises:
        ValueError: Not a non-empty string.
    """
    if not isinstance(value, str) or not value.strip():
        msg = f"model must be a non-empty HiAPI model id such as 'Nano-Banana'; got {value!r}."
        raise ValueError(msg)
    return value


def validate_stop(value: Any) -> list[str] | None:
    """Checks stop sequences (a string counts as one).

    Raises:
        TypeError: Not a string or a list of strings.
        ValueError: More than `MAX_STOP_SEQUENCES`.
    """
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        msg = f"stop must be a string or a list of strings, got {value!r}."
        raise TypeError(msg)
    if len(value) > MAX_STOP_SEQUENCES:
        msg = f"stop accepts at most {MAX_STOP_SEQUENCES} sequences; got {len(value)}."
        raise ValueError(msg)
    return value


def check_chat_aspect_ratio(config: ImageConfig | None) -> None:
    """Refuses `aspect_ratio="auto"` on the chat route, before anything is sent.

    Gemini (behind the chat route) has no `auto`; only the task API's model schemas do.

    Raises:
        ValueError: The aspect ratio is `"auto"`.
    """
    if config is not None and config.aspect_ratio == "auto":
        allowed = ", ".join(r for r in ASPECT_RATIOS if r != "auto")
        msg = (
            "image_config.aspect_ratio: 'auto' is only available on the task route"
            " (image_route='tasks', for models whose task schema allows it); the chat route"
            f" has no 'auto'. Omit aspect_ratio to let the model choose, or use one of: {allowed}"
        )
        raise ValueError(msg)


def check_extra_body(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """Refuses an `extra_body` with camelCase keys (the gateway rejects them).

    Raises:
        ValueError: A camelCase key (names it).
    """
    build_extra_body(None, value)
    return value


def check_model_kwargs(value: dict[str, Any]) -> dict[str, Any]:
    """Refuses `model_kwargs` that set a body key the model builds itself.

    Raises:
        ValueError: A reserved key is set.
    """
    reserved = sorted(RESERVED_BODY_KEYS & value.keys())
    if reserved:
        msg = (
            f"model_kwargs may not set {reserved}: use the dedicated parameters"
            " (model, image_config, stop, streaming) instead."
        )
        raise ValueError(msg)
    return value


def move_unknown_kwargs(values: dict[str, Any], known: Collection[str]) -> dict[str, Any]:
    """Constructor arguments with unknown names moved into `model_kwargs`, with a warning.

    A known field given inside `model_kwargs` is moved out to that field (the body keys
    the model builds itself stay put, to be refused by `check_model_kwargs`).

    Raises:
        ValueError: A name is given both as an argument and in `model_kwargs`.
    """
    extra = values.get("model_kwargs", {})
    if not isinstance(extra, Mapping):
        return values  # refused by the field's own validation
    extra, values = dict(extra), dict(values)
    for name in [name for name in values if name not in known]:
        if name in extra:
            msg = f"{name} is given both as an argument and in model_kwargs."
            raise ValueError(msg)
        warnings.warn(
            f"{name} is not a ChatHiAPI parameter: it was moved to model_kwargs and is"
            " sent as a top-level request field. Pass it in model_kwargs to silence this.",
            UserWarning,
            stacklevel=3,
        )
        extra[name] = values.pop(name)
    for name in sorted((set(known) & extra.keys()) - RESERVED_BODY_KEYS):
        warnings.warn(
            f"{name} is a ChatHiAPI parameter; pass it directly rather than in model_kwargs.",
            UserWarning,
            stacklevel=3,
        )
        values[name] = extra.pop(name)
    values["model_kwargs"] = extra
    return values


def merge_dicts(
    base: Mapping[str, Any] | None, override: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """Deep-merges two optional dicts (override wins) without mutating either."""
    if base is None and override is None:
        return None
    merged: dict[str, Any] = dict(base or {})
    for key, value in (override or {}).items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_dicts(merged[key], value)
        else:
            merged[key] = value
    return merged


def without_image_config(extra: dict[str, Any] | None) -> dict[str, Any] | None:
    """A copy of `extra` without `google.image_config` (image options of the model)."""
    google = extra.get("google") if extra else None
    if extra is None or not isinstance(google, Mapping) or "image_config" not in google:
        return extra
    rest = {key: value for key, value in google.items() if key != "image_config"}
    without = {key: value for key, value in extra.items() if key != "google"}
    return {**without, "google": rest} if rest else without


def format_tool_choice(
    tool_choice: dict[str, Any] | str | bool, tools: list[dict[str, Any]]
) -> dict[str, Any] | str:
    """The OpenAI `tool_choice` for LangChain's forms (`"any"`, a tool name, `True`, ...).

    Raises:
        ValueError: An unknown tool name, or `True` with other than one tool.
        TypeError: Not a str, bool or dict.
    """
    if isinstance(tool_choice, dict):
        return tool_choice
    if tool_choice is True:
        if len(tools) != 1:
            msg = f"tool_choice=True needs exactly one tool; got {len(tools)}."
            raise ValueError(msg)
        return {"type": "function", "function": {"name": tools[0]["function"]["name"]}}
    if isinstance(tool_choice, str):
        if tool_choice == "any":
            return "required"
        if tool_choice in _TOOL_CHOICE_KEYWORDS:
            return tool_choice
        names = [t.get("function", {}).get("name") for t in tools if isinstance(t, Mapping)]
        if tool_choice not in names:
            msg = (
                f"tool_choice {tool_choice!r} is not one of the bound tools {names} nor one of"
                " 'auto', 'none', 'required', 'any'."
            )
            raise ValueError(msg)
        return {"type": "function", "function": {"name": tool_choice}}
    msg = f"tool_choice must be a str, bool or dict; got {type(tool_choice).__name__}."
    raise TypeError(msg)


def stream_options(stream_usage: bool | None, given: Any, default: bool) -> dict[str, Any]:
    """`stream_options` with `include_usage` decided like `ChatOpenAI` does.

    Precedence: the call's `stream_usage`, then `include_usage` in a `stream_options`
    given per call or in `model_kwargs`, then the model's `stream_usage` (`default`).
    `False` is sent explicitly: the gateway sends the usage chunk unless told not to.
    """
    options = dict(given) if isinstance(given, Mapping) else {}
    include = options.get("include_usage")
    if isinstance(stream_usage, bool):
        include = stream_usage
    elif not isinstance(include, bool):
        include = default
    options["include_usage"] = include
    return options


def _extra_parts(
    llm: ChatHiAPI, call: dict[str, Any], model: str
) -> tuple[ImageConfig | None, dict[str, Any] | None]:
    """The call's image options and user `extra_body` (the model's and the call's), checked."""
    override = coerce_image_config(call.pop("image_config", None))
    # The model's image defaults belong to image models: a per-call text model must
    # not receive them (the typed config nor an image_config in the model's extra_body).
    defaults_apply = model == llm.model_name or is_image_model(model)
    image_config = merge_image_config(llm.image_config if defaults_apply else None, override)
    check_image_size_for_model(image_config, model)
    check_chat_aspect_ratio(image_config)
    call_extra = call.pop("extra_body", None)
    if call_extra is not None and not isinstance(call_extra, Mapping):
        msg = f"extra_body must be a dict, got {type(call_extra).__name__}."
        raise TypeError(msg)
    # An extra_body in model_kwargs (a ChatOpenAI habit) is merged and checked too.
    model_extra = merge_dicts(llm.model_kwargs.get("extra_body"), llm.extra_body)
    if not defaults_apply:
        model_extra = without_image_config(model_extra)
    return image_config, merge_dicts(model_extra, call_extra)


def build_chat_body(
    llm: ChatHiAPI,
    messages: list[BaseMessage],
    stop: list[str] | None,
    kwargs: Mapping[str, Any],
    *,
    stream: bool,
    stream_usage: bool | None = None,
) -> dict[str, Any]:
    """Builds the JSON body; validates everything before any request is sent.

    Raises:
        ValueError: An option breaks its rules (names the field and the allowed values).
        TypeError: An option has the wrong type.
    """
    call = {k: v for k, v in kwargs.items() if k not in INTERNAL_KWARGS}
    model = validate_model(call.pop("model", None) or llm.model_name)
    image_config, user_extra = _extra_parts(llm, call, model)
    if "tool_choice" in call:
        call["tool_choice"] = format_tool_choice(call["tool_choice"], call.get("tools") or [])
    body: dict[str, Any] = {"model": model, "messages": messages_to_wire(messages)}
    body.update(
        {name: getattr(llm, name) for name in BODY_FIELDS if getattr(llm, name) is not None}
    )
    stop_sequences = validate_stop(stop if stop is not None else llm.stop)
    if stop_sequences:
        body["stop"] = stop_sequences
    body.update({k: v for k, v in llm.model_kwargs.items() if k != "extra_body"})
    body.update(call)
    extra_body = build_extra_body(image_config, user_extra)
    if extra_body:
        body["extra_body"] = extra_body
    body["stream"] = stream
    if stream:
        if (body.get("n") or 1) != 1:
            msg = f"n must be 1 when streaming; got n={body['n']}."
            raise ValueError(msg)
        given = body.get("stream_options")
        body["stream_options"] = stream_options(stream_usage, given, llm.stream_usage)
    return body
