"""`ChatHiAPIFields`: the field order `ChatHiAPI` serializes its kwargs in stays put."""

from __future__ import annotations

import pytest

from langchain_hiapi._chat_fields import ChatHiAPIFields
from langchain_hiapi.chat_models import ChatHiAPI

# The order before the fields moved out of chat_models.py; dumps/repr/snapshots follow it.
FIELD_ORDER = [
    "name",
    "cache",
    "verbose",
    "callbacks",
    "tags",
    "metadata",
    "custom_get_token_ids",
    "rate_limiter",
    "disable_streaming",
    "output_version",
    "profile",
    "model_name",
    "api_key",
    "base_url",
    "image_config",
    "image_route",
    "task_input",
    "download_images",
    "task_timeout",
    "task_poll_interval",
    "timeout",
    "max_retries",
    "retry_read_timeouts",
    "adaptive_rate_limit",
    "streaming",
    "stream_usage",
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
    "default_query",
    "stop",
    "model_kwargs",
    "extra_body",
    "default_headers",
    "limits",
    "allowed_download_hosts",
    "http_client",
    "http_async_client",
    "proxy",
]


def test_field_order_is_pinned() -> None:
    assert list(ChatHiAPI.model_fields) == FIELD_ORDER


def test_serialized_kwargs_follow_the_field_order() -> None:
    model = ChatHiAPI(
        api_key="sk-test",
        base_url="http://127.0.0.1:1/v1",
        proxy="http://127.0.0.1:2",
        temperature=0.5,
        model="gpt-4o-mini",
    )
    kwargs = list(model.to_json()["kwargs"])  # type: ignore[typeddict-item]
    assert kwargs == [name for name in FIELD_ORDER if name in kwargs]
    assert kwargs.index("model_name") < kwargs.index("temperature") < kwargs.index("proxy")


def test_the_fields_base_is_abstract() -> None:
    with pytest.raises(TypeError, match="abstract"):
        ChatHiAPIFields(api_key="sk-test")  # type: ignore[abstract]
