"""Builds JSON values valid for a JSON schema, filled from the prompt's words and numbers."""

from __future__ import annotations

import re
from typing import Any

_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?![\w])")
# 'single' or "double" quoted phrases, not apostrophes inside words.
_QUOTED = re.compile(r"(?<!\w)'([^'\n]+)'(?!\w)|\"([^\"\n]+)\"")
_PROPER = re.compile(r"[A-Z][\w'-]*(?:(?:\s+|,\s*)[A-Z][\w'-]*)*")
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DEFAULT_NUMBER = 3
_FORMATS = {
    "date": "2025-01-01",
    "date-time": "2025-01-01T00:00:00Z",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


def _proper_phrases(text: str) -> list[str]:
    # Capitalised runs such as "San Francisco, CA", minus a sentence's first word.
    out: list[str] = []
    for match in _PROPER.finditer(text):
        phrase = match.group(0)
        if _SENTENCE_START.search(text[: match.start()]):
            phrase = phrase.partition(" ")[2].lstrip(", ")
        if phrase:
            out.append(phrase.rstrip(","))
    return out


def quoted(text: str) -> list[str]:
    """Returns the quoted phrases of `text`, in order."""
    return [a or b for a, b in _QUOTED.findall(text)]


def quoted_identifiers(text: str) -> list[str]:
    """Returns quoted words that look like JSON keys (`'setup'`), without repeats."""
    seen: list[str] = []
    for phrase in quoted(text):
        if _IDENTIFIER.match(phrase) and phrase not in seen:
            seen.append(phrase)
    return seen


def summary(text: str, words: int = 8) -> str:
    """First few words of `text` without trailing punctuation."""
    return " ".join(text.split()[:words]).rstrip(".,;:!?") or "example"


class PromptValues:
    """Hands out numbers and strings from a prompt, in order, then defaults.

    Args:
        text: The prompt.
    """

    def __init__(self, text: str) -> None:
        self._numbers = [float(n) for n in _NUMBER.findall(text)]
        self._strings = quoted(text)
        self._strings += [p for p in _proper_phrases(text) if p not in self._strings]
        self._fallback = summary(text)

    def number(self) -> float:
        """Next number of the prompt, else 3."""
        return self._numbers.pop(0) if self._numbers else float(_DEFAULT_NUMBER)

    def string(self) -> str:
        """Next quoted or capitalised phrase of the prompt, else its first words."""
        return self._strings.pop(0) if self._strings else self._fallback


def _resolve(schema: Any, root: dict[str, Any]) -> dict[str, Any]:
    # Local references only (`#/$defs/X`, `#/definitions/X`), as tool schemas use.
    seen = 0
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < 32:
        target: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, dict) and part else target
        schema = target
        seen += 1
    return schema if isinstance(schema, dict) else {}


def _clamp(value: float, schema: dict[str, Any], integer: bool) -> float:
    step = 1.0 if integer else 0.5
    if "minimum" in schema:
        value = max(value, float(schema["minimum"]))
    if "exclusiveMinimum" in schema and not isinstance(schema["exclusiveMinimum"], bool):
        value = max(value, float(schema["exclusiveMinimum"]) + step)
    if "maximum" in schema:
        value = min(value, float(schema["maximum"]))
    if "exclusiveMaximum" in schema and not isinstance(schema["exclusiveMaximum"], bool):
        value = min(value, float(schema["exclusiveMaximum"]) - step)
    return value


def _string(schema: dict[str, Any], values: PromptValues) -> str:
    fmt = schema.get("format")
    text = _FORMATS[fmt] if isinstance(fmt, str) and fmt in _FORMATS else values.string()
    max_len = schema.get("maxLength")
    if isinstance(max_len, int):
        text = text[:max_len]
    min_len = schema.get("minLength")
    if isinstance(min_len, int) and len(text) < min_len:
        text = text.ljust(min_len, "x")
    return text


def generate(schema: Any, values: PromptValues, root: dict[str, Any] | None = None) -> Any:
    """Builds a value valid for `schema`.

    Every property is filled (required ones always); `anyOf`/`oneOf` take the first
    non-null branch; enums their first value; arrays `minItems` items (at least one).

    Args:
        schema: A JSON schema.
        values: Where numbers and strings come from.
        root: The schema holding `$defs` (defaults to `schema`).

    Returns:
        A JSON-compatible value.
    """
    root = root if root is not None else (schema if isinstance(schema, dict) else {})
    node = _resolve(schema, root)
    if "const" in node:
        return node["const"]
    if isinstance(node.get("enum"), list) and node["enum"]:
        return node["enum"][0]
    for key in ("anyOf", "oneOf"):
        branches = node.get(key)
        if isinstance(branches, list) and branches:
            non_null = [b for b in branches if _resolve(b, root).get("type") != "null"]
            return generate((non_null or branches)[0], values, root)
    if isinstance(node.get("allOf"), list) and node["allOf"]:
        merged: dict[str, Any] = {}
        for part in node["allOf"]:
            merged.update(_resolve(part, root))
        return generate(merged, values, root)
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in node else "array" if "items" in node else "string"
    if kind == "object":
        props = node.get("properties") or {}
        return {name: generate(sub, values, root) for name, sub in props.items()}
    if kind == "array":
        count = max(1, int(node.get("minItems", 1)))
        items = node.get("items", {})
        if isinstance(items, list):  # tuple form
            return [generate(sub, values, root) for sub in items]
        return [generate(items, values, root) for _ in range(count)]
    if kind == "integer":
        return round(_clamp(round(values.number()), node, integer=True))
    if kind == "number":
        number = _clamp(values.number(), node, integer=False)
        return int(number) if number.is_integer() else number
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(node, values)
