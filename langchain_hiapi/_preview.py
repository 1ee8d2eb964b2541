"""Short, safe previews of reply values for error messages (a hostile reply can be huge)."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["PREVIEW_CHARS", "opt_str", "preview"]

PREVIEW_CHARS = 80
"""Default length of a preview."""


def preview(value: Any, limit: int = PREVIEW_CHARS) -> str:
    """A short, never-failing preview of a reply value for error messages."""
    try:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    except (ValueError, TypeError, RecursionError):
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def opt_str(value: Any) -> str | None:
    """A reply field that must be a string (ids, names): anything else counts as absent."""
    return value if isinstance(value, str) else None
