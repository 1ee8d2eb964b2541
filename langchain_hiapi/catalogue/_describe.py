"""Pydantic validation errors of a task input, in the package's words (field + allowed values)."""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel

from langchain_hiapi.catalogue._schema import RULE_ERROR

__all__ = ["describe"]

_MAX_SHOWN_VALUE = 60
# pydantic's strict type errors, in JSON words.
_TYPE_NAMES = {
    "int_type": "a JSON integer",
    "string_type": "a string",
    "bool_type": "true or false",
    "list_type": "a list",
    "float_type": "a number",
    "dict_type": "an object",
}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN_VALUE else text[: _MAX_SHOWN_VALUE - 1] + "…"


def _literal_values(annotation: Any) -> list[Any]:
    """The values of every `Literal` inside an annotation (through `| None`, `list[...]`)."""
    if typing.get_origin(annotation) is Literal:
        return list(typing.get_args(annotation))
    values: list[Any] = []
    for arg in typing.get_args(annotation):
        values.extend(_literal_values(arg))
    return values


def _constraint(schema: type[BaseModel], name: str, low: str, high: str) -> tuple[Any, Any]:
    """`(low, high)` constraint values of a field (e.g. `ge`/`le`); either may be `None`."""
    lowest = highest = None
    info = schema.model_fields.get(name)
    for meta in info.metadata if info is not None else ():
        lowest = getattr(meta, low, lowest)
        highest = getattr(meta, high, highest)
    return lowest, highest


def _length_message(schema: type[BaseModel], name: str, value: Any, label: str) -> str:
    shortest, longest = _constraint(schema, name, "min_length", "max_length")
    unit = "characters" if isinstance(value, str) else "items"
    size = len(value) if isinstance(value, (str, list, tuple)) else "?"
    limits = " and ".join(
        part
        for part in (
            f"at least {shortest}" if shortest else "",
            f"at most {longest}" if longest is not None else "",
        )
        if part
    )
    return f"{size} {unit}; {label} accepts {limits}"


def describe(schema: type[BaseModel], error: Mapping[str, Any], label: str) -> tuple[str, str]:
    """`(field, message)` for one pydantic error of `schema`.

    Args:
        schema: The input model that refused the input.
        error: One entry of `ValidationError.errors()`.
        label: How to name the model (and route) in the message.

    Returns:
        The input field to blame (e.g. `input.duration`) and a message naming the field,
        the value and the allowed values.
    """
    loc = tuple(str(part) for part in error.get("loc", ()))
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    value = error.get("input")
    if kind == RULE_ERROR:
        return f"input.{ctx['field']}", str(ctx["message"])
    where = "input." + ".".join(loc) if loc else "input"
    name = loc[0] if loc else ""
    if kind == "extra_forbidden":
        allowed = ", ".join(schema.model_fields)
        return where, f"{where}: not accepted by {label} (allowed fields: {allowed})"
    if kind == "missing":
        return where, f"{where}: required by {label}"
    if kind == "literal_error" and name in schema.model_fields:
        allowed = ", ".join(repr(v) for v in _literal_values(schema.model_fields[name].annotation))
        return where, f"{where}: {_shown(value)} is not allowed for {label}; allowed: {allowed}"
    if kind in ("greater_than_equal", "less_than_equal") and len(loc) == 1:
        low, high = _constraint(schema, name, "ge", "le")
        allowed = f"{low} to {high}" if low is not None and high is not None else error["msg"]
        return where, f"{where}: {_shown(value)} is not allowed for {label}; allowed: {allowed}"
    if kind in ("string_too_long", "string_too_short", "too_long", "too_short"):
        return where, f"{where}: {_length_message(schema, name, value, label)}"
    if kind == "string_pattern_mismatch" and name in schema.model_fields:
        description = schema.model_fields[name].description or f"pattern {ctx.get('pattern')}"
        return where, f"{where}: {_shown(value)} is not allowed for {label}; expected {description}"
    if kind in _TYPE_NAMES:
        return where, f"{where}: expected {_TYPE_NAMES[kind]} for {label}, got {_shown(value)}"
    message = re.sub(r"^Value error, ", "", str(error.get("msg", "invalid")))
    return where, f"{where}: {message} for {label} (got {_shown(value)})"
