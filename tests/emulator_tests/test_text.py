"""Text models: deterministic answers, tool calls, structured output, stop and limits."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from langchain_hiapi.testing._schema import PromptValues, generate

CHAT = "/chat/completions"

ADDER = {
    "type": "function",
    "function": {
        "name": "my_adder_tool",
        "description": "Adds a and b.",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "required": ["a", "b"],
        },
    },
}
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["location"],
        },
    },
}


def _ask(client: httpx.Client, text: str, **extra: Any) -> dict[str, Any]:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}], **extra}
    response = client.post(CHAT, json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _stream(client: httpx.Client, body: dict[str, Any]) -> list[dict[str, Any]]:
    with client.stream("POST", CHAT, json={**body, "stream": True}) as response:
        events = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    return [json.loads(e) for e in events[:-1]]


def test_echo_is_deterministic(client: httpx.Client) -> None:
    first = _ask(client, "Tell me about otters")
    second = _ask(client, "Tell me about otters")
    content = first["choices"][0]["message"]["content"]
    assert "Tell me about otters" in content
    assert content == second["choices"][0]["message"]["content"]
    assert first["model"] == "gpt-4o-mini"


def test_tool_call_args_valid(client: httpx.Client) -> None:
    body = _ask(client, "What is 1 + 2", tools=[ADDER])
    choice = body["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    (call,) = choice["message"]["tool_calls"]
    assert call["id"].startswith("call_")
    assert call["type"] == "function"
    assert call["function"]["name"] == "my_adder_tool"
    assert json.loads(call["function"]["arguments"]) == {"a": 1, "b": 2}


def test_tool_call_picks_matching_tool_and_fills_strings(client: httpx.Client) -> None:
    body = _ask(client, "What is the weather in San Francisco, CA?", tools=[ADDER, WEATHER])
    (call,) = body["choices"][0]["message"]["tool_calls"]
    assert call["function"]["name"] == "get_weather"
    args = json.loads(call["function"]["arguments"])
    assert args == {"location": "San Francisco, CA", "unit": "celsius"}


def test_magic_function_default_number(client: httpx.Client) -> None:
    magic = {
        "type": "function",
        "function": {
            "name": "magic_function",
            "parameters": {
                "type": "object",
                "properties": {"input": {"type": "integer", "exclusiveMinimum": -1000}},
                "required": ["input"],
            },
        },
    }
    forced = {"type": "function", "function": {"name": "magic_function"}}
    body = _ask(client, "Hello!", tools=[ADDER, magic], tool_choice=forced)
    (call,) = body["choices"][0]["message"]["tool_calls"]
    assert json.loads(call["function"]["arguments"]) == {"input": 3}


def test_unicode_quoted_string(client: httpx.Client) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "unicode_customer",
            "parameters": {
                "type": "object",
                "properties": {"customer_name": {"type": "string"}},
                "required": ["customer_name"],
            },
        },
    }
    body = _ask(client, "Create a customer named '你好啊集团' (Hello Group)", tools=[tool])
    arguments = body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
    assert "你好啊集团" in arguments  # not \u-escaped
    assert json.loads(arguments) == {"customer_name": "你好啊集团"}


def test_tool_choice_none_and_parallel(client: httpx.Client) -> None:
    none = _ask(client, "What is 1 + 2", tools=[ADDER], tool_choice="none")
    assert "tool_calls" not in none["choices"][0]["message"]
    prompt = "Call my_adder_tool with 1 and 2 and get_weather for 'Paris'"
    both = _ask(client, prompt, tools=[ADDER, WEATHER])
    names = [c["function"]["name"] for c in both["choices"][0]["message"]["tool_calls"]]
    assert names == ["my_adder_tool", "get_weather"]
    ids = [c["id"] for c in both["choices"][0]["message"]["tool_calls"]]
    assert len(set(ids)) == 2
    one = _ask(client, prompt, tools=[ADDER, WEATHER], parallel_tool_calls=False)
    assert len(one["choices"][0]["message"]["tool_calls"]) == 1


def test_forced_unknown_tool_400(client: httpx.Client) -> None:
    body = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [ADDER],
        "tool_choice": {"type": "function", "function": {"name": "nope"}},
    }
    assert client.post(CHAT, json=body).status_code == 400


def test_tool_result_answer(client: httpx.Client) -> None:
    messages = [
        {"role": "user", "content": "What is 1 + 2"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "abc",
                    "type": "function",
                    "function": {"name": "my_adder_tool", "arguments": '{"a":1,"b":2}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "abc", "content": '{"result": 3}'},
    ]
    body = client.post(
        CHAT, json={"model": "gpt-4o", "messages": messages, "tools": [ADDER]}
    ).json()
    assert body["choices"][0]["message"]["content"] == "The result is 3."
    assert body["choices"][0]["finish_reason"] == "stop"


def test_streamed_tool_calls(client: httpx.Client) -> None:
    chunks = _stream(
        client,
        {
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": "What is 1 + 2"}],
            "tools": [ADDER],
        },
    )
    calls = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in chunks
        if c["choices"] and "tool_calls" in c["choices"][0]["delta"]
    ]
    head, *rest = calls
    assert head["index"] == 0
    assert head["id"].startswith("call_")
    assert head["type"] == "function"
    assert head["function"] == {"name": "my_adder_tool", "arguments": ""}
    assert rest
    assert all(
        set(r) == {"index", "function"} and set(r["function"]) == {"arguments"} for r in rest
    )
    assert json.loads("".join(r["function"]["arguments"] for r in rest)) == {"a": 1, "b": 2}
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


JOKE = {
    "type": "object",
    "properties": {
        "setup": {"type": "string"},
        "punchline": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "rating": {"type": "integer", "minimum": 1, "maximum": 2},
        "tags": {"type": "array", "items": {"$ref": "#/$defs/Tag"}, "minItems": 2},
    },
    "required": ["setup", "punchline", "rating", "tags"],
    "additionalProperties": False,
    "$defs": {"Tag": {"type": "object", "properties": {"name": {"enum": ["a", "b"]}}}},
}


def test_json_schema_reply_valid(client: httpx.Client) -> None:
    fmt = {"type": "json_schema", "json_schema": {"name": "joke", "strict": True, "schema": JOKE}}
    body = _ask(client, "Tell me a joke about cats with 5 stars.", response_format=fmt)
    value = json.loads(body["choices"][0]["message"]["content"])
    assert set(value) == {"setup", "punchline", "rating", "tags"}
    assert isinstance(value["setup"], str)
    assert isinstance(value["punchline"], str)
    assert value["rating"] == 2  # 5 from the prompt, clamped to the maximum
    assert value["tags"] == [{"name": "a"}, {"name": "a"}]


def test_json_object_uses_quoted_keys(client: httpx.Client) -> None:
    prompt = "Tell me a joke. Return a JSON with 'setup' and 'punchline' keys."
    body = _ask(client, prompt, response_format={"type": "json_object"})
    assert set(json.loads(body["choices"][0]["message"]["content"])) == {"setup", "punchline"}


def test_schema_generator_edge_cases() -> None:
    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "number"},
            "when": {"type": "string", "format": "date"},
            "short": {"type": "string", "maxLength": 3},
            "flag": {"type": "boolean"},
            "either": {"type": ["null", "integer"]},
            "nested": {"allOf": [{"properties": {"x": {"const": 7}}}]},
        },
    }
    value = generate(schema, PromptValues("Use 2.5 and 'Zebra crossing'"))
    assert value == {
        "n": 2.5,
        "when": "2025-01-01",
        "short": "Zeb",
        "flag": True,
        "either": 3,
        "nested": {"x": 7},
    }


def test_stop_sequence(client: httpx.Client) -> None:
    body = _ask(client, "one two three four", stop=["three"])
    content = body["choices"][0]["message"]["content"]
    assert "three" not in content
    assert content.endswith("one two ")
    assert body["choices"][0]["finish_reason"] == "stop"
    too_many = {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "x"}],
        "stop": list("abcdef"),
    }
    assert client.post(CHAT, json=too_many).status_code == 400


@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens"])
def test_max_tokens(client: httpx.Client, field: str) -> None:
    body = _ask(client, "one two three four five", **{field: 3})
    assert body["choices"][0]["message"]["content"] == "You said: one"
    assert body["choices"][0]["finish_reason"] == "length"
    chunks = _stream(
        client, {"model": "gpt-4o", "messages": [{"role": "user", "content": "a b c d"}], field: 2}
    )
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "You said:"
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"


def test_text_stream_order_and_usage(client: httpx.Client) -> None:
    chunks = _stream(
        client,
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi there friend"}]},
    )
    assert chunks[0]["choices"][0]["delta"] == {"content": "", "role": "assistant"}
    deltas = chunks[1:-2]
    assert len(deltas) > 1
    text = "".join(d["choices"][0]["delta"]["content"] for d in deltas)
    assert text == "You said: Hi there friend"
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    usage = chunks[-1]["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert all(c["usage"] is None for c in chunks[:-1])


def test_stream_without_usage(client: httpx.Client) -> None:
    body = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Hi"}],
        "stream_options": {"include_usage": False},
    }
    chunks = _stream(client, body)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert all(c["choices"] for c in chunks)


def test_reasoning_models(client: httpx.Client) -> None:
    r1 = client.post(
        CHAT, json={"model": "deepseek-r1", "messages": [{"role": "user", "content": "Why?"}]}
    ).json()
    assert r1["choices"][0]["message"]["reasoning_content"]
    assert r1["usage"]["completion_tokens_details"]["reasoning_tokens"] > 0
    gemini = {"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "Why?"}]}
    plain = client.post(CHAT, json=gemini).json()
    assert "reasoning_content" not in plain["choices"][0]["message"]
    thoughts = {"google": {"thinking_config": {"include_thoughts": True}}}
    chunks = _stream(client, {**gemini, "extra_body": thoughts})
    kinds = [next(iter(c["choices"][0]["delta"])) for c in chunks[1:-2]]
    # Reasoning deltas come before content deltas.
    assert kinds == sorted(kinds, key=lambda k: k != "reasoning_content")
    assert kinds[0] == "reasoning_content"
    assert kinds[-1] == "content"
