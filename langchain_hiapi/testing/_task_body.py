"""Checks of a `POST /v1/tasks` request: the body's top-level fields, the callback, the key."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from langchain_hiapi.testing._task_wire import invalid

MAX_IDEMPOTENCY_KEY_BYTES = 255
BODY_FIELDS = ("model", "input", "callback", "route", "storage")
STORAGES = ("temp", "persistent")


def valid_idempotency_key(key: str) -> bool:
    # http.server decodes header bytes as Latin-1: undo that to count the bytes sent.
    raw = key.encode("latin-1", errors="replace")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return 0 < len(raw) <= MAX_IDEMPOTENCY_KEY_BYTES and text.isprintable()


def parse_body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        raise invalid("invalid request body: not JSON") from None
    if not isinstance(body, dict):
        raise invalid("invalid request body: expected a JSON object")
    extra = [name for name in body if name not in BODY_FIELDS]
    if extra:
        raise invalid(
            "additional properties "
            + ", ".join(f"'{name}'" for name in extra)
            + " not allowed (allowed: "
            + ", ".join(BODY_FIELDS)
            + ")"
        )
    missing = [name for name in ("model", "input") if name not in body]
    if missing:
        raise invalid("missing properties: " + ", ".join(f"'{name}'" for name in missing))
    if not isinstance(body["model"], str) or not body["model"]:
        raise invalid(f"model: expected a non-empty string, got {json.dumps(body['model'])}")
    route = body.get("route")
    if route is not None and not isinstance(route, str):
        raise invalid(f"route: expected string, got {json.dumps(route)}")
    storage = body.get("storage")
    if storage is not None and storage not in STORAGES:
        raise invalid(
            f'storage: value must be one of "temp", "persistent", got {json.dumps(storage)}'
        )
    check_callback(body.get("callback"))
    return body


def check_callback(callback: Any) -> None:
    if callback is None:
        return
    if not isinstance(callback, dict):
        raise invalid(f"callback: expected object, got {json.dumps(callback)}")
    extra = [name for name in callback if name not in ("url", "when")]
    if extra:
        raise invalid(
            "callback: additional properties "
            + ", ".join(f"'{name}'" for name in extra)
            + " not allowed (allowed: url, when)"
        )
    url = callback.get("url")
    if not isinstance(url, str):
        raise invalid("callback.url: missing or not a string; must be a valid http(s) URL")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid(f"callback.url: must be a valid http(s) URL, got {json.dumps(url)}")
    when = callback.get("when", "final")
    if when != "final":
        raise invalid(f'callback.when: value must be one of "final", got {json.dumps(when)}')


def query_int(values: dict[str, list[str]], name: str, low: int, high: int, default: int) -> int:
    """An int query parameter; out-of-range or unparseable values give the default (the docs)."""
    try:
        value = int(values.get(name, [""])[-1])
    except ValueError:
        return default
    return value if low <= value <= high else default
