"""The task API's `input` checker and the compact notation its schemas are written in.

A schema is a line of field tokens, `name[!]:type[(low..high)][~pattern][=default]`:

* `!` after the name: the field is required.
* `type`: `str`, `int`, `num`, `bool`, `list` (an array of strings), or an enum of
  strings, written `a|b|c` or `@set` (a named value set).
* `(low..high)`: bounds, either side optional: the length of a `str`, the value of an
  `int`/`num`, the item count of a `list`.
* `~pattern`: a named regular expression a `str` (or every `list` item) must match.
* `=default`: the value the server assumes when the field is absent; the cross-field
  rules see it (it is never checked or echoed).

Messages follow the Go JSON-schema validator wording the contract quotes ("additional
properties 'audio' not allowed") and always name the field and the allowed values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

JsonType = Literal["string", "integer", "number", "boolean", "array"]
# A cross-field rule: the input with defaults filled in -> a message, or None when satisfied.
Rule = Callable[[Mapping[str, Any]], "str | None"]

_TYPES: dict[str, JsonType] = {
    "str": "string",
    "int": "integer",
    "num": "number",
    "bool": "boolean",
    "list": "array",
}
_TOKEN = re.compile(
    r"(?P<name>\w+)(?P<required>!)?:(?P<type>[^=~(\s]+)"
    r"(?:\((?P<low>\d*)\.\.(?P<high>\d*)\))?(?:~(?P<pattern>\w+))?(?:=(?P<default>\S+))?"
)
_TYPE_NAMES = {bool: "boolean", int: "integer", float: "number", str: "string"}


class InputError(ValueError):
    """A request the schema refuses; the message is the server's `message`."""


@dataclass(frozen=True)
class Prop:
    """One `input` property.

    Attributes:
        type: JSON type; `array` means an array of strings.
        required: Whether the property must be present.
        enum: Allowed values, if restricted.
        low: Lower bound: string length, number value or item count (by `type`).
        high: Upper bound, likewise.
        pattern: Regular expression a string (or each item) must match (`re.fullmatch`).
    """

    type: JsonType
    required: bool = False
    enum: tuple[str, ...] | None = None
    low: int | None = None
    high: int | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class Schema:
    """An `input` schema.

    Attributes:
        props: Known properties, in the contract's order (messages list them so).
        strict: Refuse properties not in `props` (`additionalProperties: false`).
        rules: Cross-field rules, checked when every property is valid.
        defaults: Values assumed for absent properties, as the rules see them.
    """

    props: Mapping[str, Prop]
    strict: bool = True
    rules: tuple[Rule, ...] = ()
    defaults: Mapping[str, str] = field(default_factory=dict)


def parse_schema(
    tokens: list[str],
    sets: Mapping[str, str],
    patterns: Mapping[str, str],
    *,
    strict: bool = True,
    rules: tuple[Rule, ...] = (),
) -> Schema:
    """Builds a schema from field tokens (see the module docstring).

    Args:
        tokens: One token per field.
        sets: Named enum value sets (space-separated values), for `@name`.
        patterns: Named regular expressions, for `~name`.
        strict: Refuse unknown properties.
        rules: Cross-field rules.

    Raises:
        ValueError: A token the notation does not allow (a typo in a table).
    """
    props: dict[str, Prop] = {}
    defaults: dict[str, str] = {}
    for token in tokens:
        match = _TOKEN.fullmatch(token)
        if match is None:
            raise ValueError(f"bad field token {token!r}")
        kind, enum = match["type"], None
        if kind.startswith("@"):
            enum, kind = tuple(sets[kind[1:]].split()), "str"
        elif "|" in kind:
            enum, kind = tuple(kind.split("|")), "str"
        low, high = (int(bound) if bound else None for bound in (match["low"], match["high"]))
        pattern = patterns[match["pattern"]] if match["pattern"] else None
        required = match["required"] is not None
        props[match["name"]] = Prop(_TYPES[kind], required, enum, low, high, pattern)
        if match["default"] is not None:
            defaults[match["name"]] = match["default"]
    return Schema(props, strict, rules, defaults)


def json_type(value: Any) -> str:
    """The JSON type name of a decoded value, as the validator reports it."""
    if value is None:
        return "null"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _is(value: Any, kind: JsonType) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if kind == "number":
        return isinstance(value, (int, float))
    return isinstance(value, list)


def _bounds(path: str, value: Any, prop: Prop) -> Iterator[str]:
    low, high = prop.low, prop.high
    if prop.type in ("integer", "number"):
        if low is not None and value < low:
            yield f"{path}: must be >= {low:g} but found {value}"
        if high is not None and value > high:
            yield f"{path}: must be <= {high:g} but found {value}"
    elif prop.type == "string":
        if low is not None and len(value) < low:
            yield f"{path}: length must be >= {low}, but got {len(value)}"
        if high is not None and len(value) > high:
            yield f"{path}: length must be <= {high}, but got {len(value)}"
    elif prop.type == "array":
        if low is not None and len(value) < low:
            yield f"{path}: minimum {low} items required, but found {len(value)} items"
        if high is not None and len(value) > high:
            yield f"{path}: maximum {high} items allowed, but found {len(value)} items"


def _strings(path: str, value: Any, prop: Prop) -> Iterator[str]:
    # A string, or each item of an array of strings, against the pattern.
    items = enumerate(value) if isinstance(value, list) else [(None, value)]
    for index, item in items:
        where = path if index is None else f"{path}[{index}]"
        if not isinstance(item, str):
            yield f"{where}: expected string, but got {json_type(item)}"
        elif prop.pattern is not None and not re.fullmatch(prop.pattern, item):
            yield f"{where}: {item!r} does not match pattern '^({prop.pattern})$'"


def check_prop(path: str, value: Any, prop: Prop) -> list[str]:
    """Every problem of one property's value (empty when it is valid)."""
    if not _is(value, prop.type):
        return [f"{path}: expected {prop.type}, but got {json_type(value)}"]
    problems: list[str] = []
    if prop.enum is not None and value not in prop.enum:
        allowed = ", ".join(json.dumps(v) for v in prop.enum)
        problems.append(f"{path}: value must be one of {allowed}, got {json.dumps(value)}")
    problems.extend(_bounds(path, value, prop))
    if prop.type in ("string", "array"):
        problems.extend(_strings(path, value, prop))
    return problems


def schema_problems(schema: Schema, data: dict[str, Any]) -> list[str]:
    """Every problem of an `input` object under `schema`, in the validator's order."""
    problems: list[str] = []
    missing = [name for name, prop in schema.props.items() if prop.required and name not in data]
    if missing:
        problems.append("input: missing properties: " + ", ".join(f"'{m}'" for m in missing))
    extra = [name for name in data if name not in schema.props]
    if schema.strict and extra:
        problems.append(
            "input: additional properties "
            + ", ".join(f"'{e}'" for e in extra)
            + " not allowed (allowed: "
            + ", ".join(schema.props)
            + ")"
        )
    for name, value in data.items():
        prop = schema.props.get(name)
        if prop is not None:
            problems.extend(check_prop(f"input.{name}", value, prop))
    if not problems:
        seen = {**schema.defaults, **data}
        problems.extend(message for rule in schema.rules if (message := rule(seen)) is not None)
    return problems
