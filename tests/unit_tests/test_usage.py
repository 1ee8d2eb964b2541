"""`_usage`: token usage into LangChain's `UsageMetadata`, unusable counts left out."""

from __future__ import annotations

from typing import Any

import pytest

from langchain_hiapi._usage import MAX_TOKEN_COUNT, usage_to_metadata


def test_counts_and_details() -> None:
    usage = {
        "prompt_tokens": 10,
        "completion_tokens": 5.0,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0, "image_tokens": 4},
        "completion_tokens_details": {"reasoning_tokens": 2, "image_tokens": 0},
    }
    assert usage_to_metadata(usage) == {
        "input_tokens": 10,
        "output_tokens": 5,
        "total_tokens": 15,
        "input_token_details": {"cache_read": 0, "image": 4},
        "output_token_details": {"reasoning": 2},
    }


def test_not_an_object_is_no_usage() -> None:
    assert usage_to_metadata(None) is None
    assert usage_to_metadata([1]) is None


@pytest.mark.parametrize(
    ("usage", "named"),
    [
        ({"prompt_tokens": -1}, "usage.prompt_tokens=-1"),
        ({"prompt_tokens": 1, "total_tokens": MAX_TOKEN_COUNT + 1}, "usage.total_tokens="),
        (
            {"prompt_tokens": 1, "completion_tokens_details": {"image_tokens": "3"}},
            "usage.completion_tokens_details.image_tokens=3",
        ),
    ],
)
def test_an_unusable_count_drops_the_usage_with_a_warning(usage: Any, named: str) -> None:
    with pytest.warns(UserWarning, match="unusable token count") as caught:
        assert usage_to_metadata(usage) is None
    assert named in str(caught[0].message)


def test_the_first_unusable_count_is_named() -> None:
    usage = {"prompt_tokens": "x", "completion_tokens": -2}
    with pytest.warns(UserWarning, match="unusable token count") as caught:
        assert usage_to_metadata(usage) is None
    assert len(caught) == 1
    assert "usage.prompt_tokens=x" in str(caught[0].message)
