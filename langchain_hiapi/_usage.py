"""OpenAI/new-api token usage as LangChain `UsageMetadata` (pure, hostile-input safe)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any, cast

from langchain_core.messages.ai import UsageMetadata

from langchain_hiapi._preview import preview

__all__ = ["MAX_TOKEN_COUNT", "usage_to_metadata"]

# No real reply counts this many tokens; larger numbers (and NaN, infinities, strings) come
# from a broken or hostile gateway and must not reach usage tracking.
MAX_TOKEN_COUNT = 2**53
# usage detail object -> (UsageMetadata key, ((count key, LangChain key, keep a zero), ...)).
# "image" is not among the TypedDicts' keys; LangChain allows provider-specific ones.
_DETAILS = (
    (
        "prompt_tokens_details",
        "input_token_details",
        (("cached_tokens", "cache_read", True), ("audio_tokens", "audio", False)),
    ),
    (
        "completion_tokens_details",
        "output_token_details",
        (("reasoning_tokens", "reasoning", True), ("audio_tokens", "audio", False)),
    ),
)


def _count(details: Mapping[str, Any], key: str, where: str, problems: list[str]) -> int | None:
    """Reads one token count: a non-negative integer (or integral float), else `None`.

    A count that is present but not a plausible number is added to `problems`.
    """
    value = details.get(key)
    if value is None:
        return None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_TOKEN_COUNT:
        return value
    problems.append(f"{where}.{key}={preview(value)}")
    return None


def _details(usage: Mapping[str, Any], problems: list[str]) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for field, target, keys in _DETAILS:
        details = usage.get(field)
        if not isinstance(details, Mapping):
            continue
        counts: dict[str, int] = {}
        for key, name, keep_zero in (*keys, ("image_tokens", "image", False)):
            count = _count(details, key, f"usage.{field}", problems)
            if count is not None and (keep_zero or count):
                counts[name] = count
        if counts:
            found[target] = counts
    return found


def usage_to_metadata(usage: Any) -> UsageMetadata | None:
    """Maps OpenAI/new-api token usage into LangChain's `UsageMetadata`.

    Image tokens (`prompt_tokens_details.image_tokens`, `completion_tokens_details.
    image_tokens`) go to `input_token_details["image"]` / `output_token_details["image"]`.

    Returns:
        The usage, or `None` (with a warning) when `usage` is not an object or holds a
        count that is not a plausible number (negative, NaN, huge, a string or a list):
        a reply is still usable without its usage, as in other LangChain integrations.
    """
    if not isinstance(usage, Mapping):
        return None
    problems: list[str] = []
    input_tokens = _count(usage, "prompt_tokens", "usage", problems) or 0
    output_tokens = _count(usage, "completion_tokens", "usage", problems) or 0
    total = _count(usage, "total_tokens", "usage", problems)
    details = _details(usage, problems)
    if problems:
        warnings.warn(
            f"HiAPI reply has an unusable token count ({problems[0]}); usage_metadata is left out.",
            UserWarning,
            stacklevel=2,
        )
        return None
    # The detail keys are optional at run time; mypy on Python 3.10 sees them as required.
    return cast(
        "UsageMetadata",
        {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "total_tokens": total if total is not None else input_tokens + output_tokens,
            **details,
        },
    )
