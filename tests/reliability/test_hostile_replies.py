"""Whatever JSON a gateway sends, the chat layer answers with a message or a typed error.

Issue 14 item 8: no RecursionError, OverflowError, ValueError, TypeError, KeyError or
pydantic ValidationError may escape from inside the package for a hostile reply.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from langchain_hiapi._reply import reply_to_result
from langchain_hiapi._stream import StreamAssembler
from langchain_hiapi.errors import HiAPIError

HOSTILE = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NUMBERS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, 1e308, 10**4000, -1, 0, True]),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=12))
ANY_JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
KEYS = [
    "id",
    "model",
    "choices",
    "usage",
    "message",
    "delta",
    "content",
    "tool_calls",
    "function",
    "name",
    "arguments",
    "index",
    "finish_reason",
    "images",
    "image_url",
    "url",
    "type",
    "text",
    "reasoning_content",
    "logprobs",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "prompt_tokens_details",
    "completion_tokens_details",
    "image_tokens",
    "cached_tokens",
    "error",
]


def shaped(depth: int = 3) -> st.SearchStrategy[Any]:
    """JSON built from the keys the parser looks at, so it gets deep into the code."""
    if depth == 0:
        return SCALARS
    inner = shaped(depth - 1)
    return st.one_of(
        SCALARS,
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=5),
    )


def deep_arguments(depth: int) -> str:
    return '{"a":' + "[" * depth + "]" * depth + "}"


@st.composite
def replies(draw: st.DrawFn) -> Any:
    reply = draw(shaped())
    if draw(st.booleans()) and isinstance(reply, dict):
        call = {"function": {"name": "f", "arguments": deep_arguments(draw(st.integers(0, 3000)))}}
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
        reply["choices"] = [{"index": 0, "finish_reason": "tool_calls", "message": message}]
    return reply


def only_typed_errors(run: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unusable usage numbers warn, by design
        with contextlib.suppress(HiAPIError):
            run()


@HOSTILE
@given(replies())
def test_any_non_streamed_reply_gives_a_result_or_a_typed_error(reply: Any) -> None:
    only_typed_errors(lambda: reply_to_result(reply))


@st.composite
def stream_events(draw: st.DrawFn) -> Any:
    """Chunk-shaped events whose every field may be hostile."""
    if draw(st.booleans()):
        return draw(shaped())
    delta = draw(st.one_of(shaped(2), st.fixed_dictionaries({"tool_calls": shaped(3)})))
    choice = {"index": draw(SCALARS), "delta": delta, "finish_reason": draw(SCALARS)}
    return {
        "id": draw(SCALARS),
        "model": draw(SCALARS),
        "choices": draw(st.one_of(st.just([choice]), st.just([]), shaped(1))),
        "usage": draw(shaped(2)),
    }


@HOSTILE
@given(st.lists(stream_events(), max_size=5))
def test_any_stream_gives_chunks_or_a_typed_error(events: list[Any]) -> None:
    def run() -> None:
        assembler = StreamAssembler()
        for event in events:
            if isinstance(event, dict):  # the client hands over JSON objects only
                assembler.feed(event)
        assembler.finish()

    only_typed_errors(run)
