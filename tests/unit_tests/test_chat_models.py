"""ChatHiAPI over httpx.MockTransport: requests sent, replies read, config validated."""

from __future__ import annotations

import json
import warnings
from typing import Any

import httpx
import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from langchain_core.rate_limiters import BaseRateLimiter
from pydantic import BaseModel, SecretStr

from langchain_hiapi import ChatHiAPI, ImageConfig, RateLimitError, StreamError
from langchain_hiapi._ratelimit import shared_rate_limiter
from tests._support.transports import Recorder, mock_chat
from tests._support.wire import chat_reply, markdown_image, png_b64, sse_bytes, stream_events

KEY = "sk-unit-test-secret-key-123"
PNG = png_b64(16, 9)


def json_answer(body: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json=body)


def sse_answer(events: list[dict[str, Any]], **kwargs: Any) -> httpx.Response:
    return httpx.Response(
        200, content=sse_bytes(events, **kwargs), headers={"content-type": "text/event-stream"}
    )


def make_llm(recorder: Recorder, **kwargs: Any) -> ChatHiAPI:
    kwargs.setdefault("api_key", SecretStr(KEY))
    return mock_chat(httpx.MockTransport(recorder), **kwargs)


IMAGE_REPLY = chat_reply(f"Here is your cat\n{markdown_image(PNG)}")


# ------------------------------------------------------------------------ requests


def test_image_config_is_sent_as_literal_extra_body() -> None:
    rec = Recorder(json_answer(IMAGE_REPLY))
    llm = make_llm(
        rec, model="Nano-Banana-Pro", image_config={"aspect_ratio": "16:9", "image_size": "2K"}
    )
    llm.invoke("Draw a cute cat")
    body = rec.bodies[0]
    assert body == {
        "model": "Nano-Banana-Pro",
        "messages": [{"role": "user", "content": "Draw a cute cat"}],
        "extra_body": {"google": {"image_config": {"aspect_ratio": "16:9", "image_size": "2K"}}},
        "stream": False,
    }
    request = rec.requests[0]
    assert request.url == "https://api.hiapi.ai/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"


def test_per_call_override_merges_with_default_and_user_extra_body() -> None:
    rec = Recorder(json_answer(IMAGE_REPLY))
    llm = make_llm(
        rec,
        model="Nano-Banana-Pro",
        image_config=ImageConfig(aspect_ratio="16:9", image_size="2K"),
        extra_body={
            "google": {"thinking_config": {"thinking_budget": 512, "include_thoughts": True}}
        },
    )
    llm.invoke("Draw", image_config={"aspect_ratio": "9:16"})
    assert rec.bodies[0]["extra_body"] == {
        "google": {
            "thinking_config": {"thinking_budget": 512, "include_thoughts": True},
            "image_config": {"aspect_ratio": "9:16", "image_size": "2K"},
        }
    }
    # the default is not changed by the override
    assert llm.image_config == ImageConfig(aspect_ratio="16:9", image_size="2K")


def test_no_extra_body_when_nothing_configured() -> None:
    rec = Recorder(json_answer(chat_reply("hi")))
    make_llm(rec, model="gpt-4o-mini", temperature=0.2, max_tokens=50).invoke("hi", stop=["x"])
    assert rec.bodies[0] == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "hi"}],
        "temperature": 0.2,
        "max_tokens": 50,
        "stop": ["x"],
        "stream": False,
    }


@pytest.mark.parametrize(
    ("kwargs", "call", "match"),
    [
        ({"image_config": {"aspect_ratio": "7:3"}}, {}, "aspect_ratio"),
        ({"model": "Nano-Banana", "image_config": {"image_size": "2K"}}, {}, "Nano-Banana"),
        ({}, {"image_config": {"image_size": "8K"}}, "image_size"),
        ({"model": "Nano-Banana"}, {"image_config": {"image_size": "4K"}}, "Nano-Banana"),
        ({}, {"image_config": {"aspectRatio": "1:1"}}, "aspect_ratio"),
        ({}, {"extra_body": {"google": {"thinkingConfig": {}}}}, "thinking_config"),
        ({}, {"stop": ["a", "b", "c", "d", "e", "f"]}, "stop"),
    ],
)
def test_bad_input_raises_before_any_request(kwargs: dict, call: dict, match: str) -> None:
    rec = Recorder(json_answer(IMAGE_REPLY))
    with pytest.raises((ValueError, TypeError), match=match):
        make_llm(rec, **kwargs).invoke("x", **call)
    assert rec.requests == []


def test_construction_errors_name_field_and_allowed_values() -> None:
    with pytest.raises(ValueError, match=r"aspect_ratio.*7:3.*1:1.*16:9"):
        ChatHiAPI(api_key="k", image_config={"aspect_ratio": "7:3"})
    with pytest.raises(ValueError, match=r"4K.*Nano-Banana.*1K"):
        ChatHiAPI(api_key="k", model="Nano-Banana", image_config={"image_size": "4K"})
    with pytest.raises(ValueError, match="max_tokens"):
        ChatHiAPI(api_key="k", max_tokens=0)
    with pytest.raises(ValueError, match="max_retries"):
        ChatHiAPI(api_key="k", max_retries=-1)


def test_unknown_model_accepts_any_listed_size() -> None:
    rec = Recorder(json_answer(IMAGE_REPLY))
    make_llm(rec, model="some-future-image-model").invoke("x", image_config={"image_size": "4K"})
    assert rec.bodies[0]["extra_body"]["google"]["image_config"] == {"image_size": "4K"}


def test_internal_kwargs_are_not_sent_and_model_override() -> None:
    class Joke(BaseModel):
        setup: str

    rec = Recorder(json_answer(chat_reply('{"setup": "why"}', model="gpt-4o")))
    llm = make_llm(rec, model="gpt-4o-mini")
    assert llm.with_structured_output(Joke).invoke("joke") == Joke(setup="why")
    body = rec.bodies[0]
    assert "ls_structured_output_format" not in body
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["properties"] == {
        "setup": {"type": "string"}
    }
    llm.invoke("x", model="gpt-4o")
    assert rec.bodies[1]["model"] == "gpt-4o"


def test_stream_asks_for_usage() -> None:
    rec = Recorder(sse_answer(stream_events([{"content": "hi"}])))
    list(make_llm(rec, model="gpt-4o-mini").stream("x"))
    assert rec.bodies[0]["stream"] is True
    assert rec.bodies[0]["stream_options"] == {"include_usage": True}
    assert rec.requests[0].headers["accept"] == "text/event-stream"


# ------------------------------------------------------------------------ tools / structured


def test_bind_tools_choices() -> None:
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    def mul(a: int, b: int) -> int:
        """Multiply two numbers."""
        return a * b

    rec = Recorder(json_answer(chat_reply("ok", model="gpt-4o-mini")))
    llm = make_llm(rec, model="gpt-4o-mini")
    cases: list[tuple[Any, Any]] = [
        ("auto", "auto"),
        ("any", "required"),
        ("required", "required"),
        ("add", {"type": "function", "function": {"name": "add"}}),
    ]
    for choice, expected in cases:
        llm.bind_tools([add, mul], tool_choice=choice, parallel_tool_calls=False).invoke("x")
        body = rec.bodies[-1]
        assert body["tool_choice"] == expected
        assert body["parallel_tool_calls"] is False
        assert [t["function"]["name"] for t in body["tools"]] == ["add", "mul"]
    llm.bind_tools([add], tool_choice=True, strict=True).invoke("x")
    assert rec.bodies[-1]["tool_choice"] == {"type": "function", "function": {"name": "add"}}
    assert rec.bodies[-1]["tools"][0]["function"]["strict"] is True
    with pytest.raises(ValueError, match="exactly one tool"):
        llm.bind_tools([add, mul], tool_choice=True)
    with pytest.raises(ValueError, match="'nope'"):
        llm.bind_tools([add], tool_choice="nope")


def test_structured_output_methods() -> None:
    class Answer(BaseModel):
        value: int

    tool_reply = chat_reply(
        None,
        model="gpt-4o-mini",
        finish_reason="tool_calls",
        tool_calls=[
            {
                "id": "c",
                "type": "function",
                "function": {"name": "Answer", "arguments": '{"value": 4}'},
            }
        ],
    )
    rec = Recorder(json_answer(tool_reply))
    llm = make_llm(rec, model="gpt-4o-mini")
    assert llm.with_structured_output(Answer, method="function_calling").invoke("2+2") == Answer(
        value=4
    )
    assert rec.bodies[-1]["tool_choice"] == {"type": "function", "function": {"name": "Answer"}}

    rec.answers = [json_answer(chat_reply('{"value": 5}', model="gpt-4o-mini"))]
    assert llm.with_structured_output(Answer, method="json_mode").invoke("2+3") == Answer(value=5)
    assert rec.bodies[-1]["response_format"] == {"type": "json_object"}
    assert llm.with_structured_output(None, method="json_mode").invoke("2+3") == {"value": 5}

    rec.answers = [json_answer(chat_reply("not json", model="gpt-4o-mini"))]
    raw = llm.with_structured_output(Answer, include_raw=True).invoke("x")
    assert isinstance(raw, dict)
    assert raw["parsed"] is None and raw["parsing_error"] is not None
    assert isinstance(raw["raw"], AIMessage)
    with pytest.raises(ValueError, match="method"):
        llm.with_structured_output(Answer, method="xml")  # type: ignore[arg-type]


# ------------------------------------------------------------------------ replies


def test_invoke_image_reply_blocks() -> None:
    rec = Recorder(json_answer(IMAGE_REPLY))
    message = make_llm(rec, model="Nano-Banana-Pro").invoke("cat")
    assert message.text == "Here is your cat\n"
    assert [b["type"] for b in message.content_blocks] == ["text", "image"]
    assert message.response_metadata["model_provider"] == "hiapi"
    assert message.response_metadata["model_name"] == "gemini-3-pro-image-preview"


async def test_ainvoke_and_astream_match() -> None:
    rec = Recorder(
        json_answer(IMAGE_REPLY),
        sse_answer(
            stream_events([{"content": "Here is your cat\n"}, {"content": markdown_image(PNG)}]),
            pings=True,
        ),
    )
    llm = make_llm(rec, model="Nano-Banana-Pro")
    invoked = await llm.ainvoke("cat")
    chunks = [c async for c in llm.astream("cat")]
    streamed = chunks[0]
    for c in chunks[1:]:
        streamed += c
    assert isinstance(streamed, AIMessageChunk)
    assert streamed.text == invoked.text
    assert [b["base64"] for b in streamed.content_blocks if b["type"] == "image"] == [PNG]
    assert streamed.usage_metadata == invoked.usage_metadata


def test_streaming_flag_routes_invoke_through_stream() -> None:
    rec = Recorder(
        sse_answer(stream_events([{"content": "Hel"}, {"content": "lo"}], model="gpt-4o-mini"))
    )
    message = make_llm(rec, model="gpt-4o-mini", streaming=True).invoke("x")
    assert message.content == "Hello"
    assert rec.bodies[0]["stream"] is True


def test_callbacks_fire_per_delta_with_chunk() -> None:
    class Tokens(BaseCallbackHandler):
        def __init__(self) -> None:
            self.chunks: list[Any] = []

        def on_llm_new_token(self, token: str, *, chunk: Any = None, **kwargs: Any) -> None:
            self.chunks.append(chunk)

    handler = Tokens()
    rec = Recorder(
        sse_answer(
            stream_events([{"content": "a"}, {"content": "b"}, {"content": markdown_image(PNG)}])
        )
    )
    list(make_llm(rec).stream("x", config={"callbacks": [handler]}))
    assert all(c is not None for c in handler.chunks)
    texts = [c.message.content for c in handler.chunks]
    assert texts[:3] == ["", "a", "b"]
    assert texts[3][0]["type"] == "image"


@pytest.mark.parametrize("done", [True, False])
def test_stream_without_finish_raises(done: bool) -> None:
    events = stream_events([{"content": "partial answer"}], finish_reason=None, usage=None)
    rec = Recorder(sse_answer(events, done=done))
    with pytest.raises(StreamError) as info:
        list(make_llm(rec).stream("x"))
    assert info.value.partial_text == "partial answer"


def test_malformed_stream_json_raises_with_partial_text() -> None:
    good = sse_bytes(
        stream_events([{"content": "so far"}], finish_reason=None, usage=None), done=False
    )
    rec = Recorder(
        httpx.Response(
            200, content=good + b"data: {broken\n\n", headers={"content-type": "text/event-stream"}
        )
    )
    with pytest.raises(StreamError) as info:
        list(make_llm(rec).stream("x"))
    assert info.value.partial_text == "so far"


def test_output_version_v1_content_is_standard_blocks() -> None:
    rec = Recorder(json_answer(IMAGE_REPLY))
    message = make_llm(rec, model="Nano-Banana-Pro", output_version="v1").invoke("cat")
    assert isinstance(message.content, list)
    assert [b["type"] for b in message.content] == ["text", "image"]  # type: ignore[index]


# ------------------------------------------------------------------------ lifecycle / secrets


def test_http_client_is_lazy_and_shared_by_bindings() -> None:
    llm = ChatHiAPI(api_key="k")
    assert llm._client is None
    client = llm.client
    assert llm.client is client
    bound = llm.bind(temperature=0.1).with_config(tags=["x"])
    assert bound.bound.client is client  # type: ignore[attr-defined]


def test_key_never_in_repr_str_or_dump() -> None:
    llm = ChatHiAPI(api_key=KEY)
    for text in (
        repr(llm),
        str(llm),
        json.dumps(llm.model_dump(), default=str),
        str(llm.to_json()),
    ):
        assert KEY not in text
    assert isinstance(llm.api_key, SecretStr)


def test_env_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIAPI_API_KEY", "env-key")
    monkeypatch.setenv("HIAPI_BASE_URL", "http://127.0.0.1:9/v1")
    llm = ChatHiAPI()
    assert llm.api_key is not None and llm.api_key.get_secret_value() == "env-key"
    assert llm.base_url == "http://127.0.0.1:9/v1"


def test_ls_params_and_profile() -> None:
    llm = ChatHiAPI(api_key="k", model="Nano-Banana-Pro", temperature=0.5)
    params = llm._get_ls_params(stop=["x"])
    assert params == {
        "ls_provider": "hiapi",
        "ls_model_name": "Nano-Banana-Pro",
        "ls_model_type": "chat",
        "ls_temperature": 0.5,
        "ls_stop": ["x"],
    }
    assert llm._get_ls_params(model="gpt-4o")["ls_model_name"] == "gpt-4o"
    assert llm.profile is not None
    assert llm.profile["image_outputs"] is True and llm.profile["tool_calling"] is False
    assert ChatHiAPI(api_key="k", model="gpt-4o-mini").profile is None


def test_multi_turn_edit_sends_image_back() -> None:
    rec = Recorder(json_answer(IMAGE_REPLY))
    llm = make_llm(rec, model="Nano-Banana-Pro")
    first = llm.invoke("Draw a cat")
    llm.invoke([HumanMessage("Draw a cat"), first, HumanMessage("make it blue")])
    sent = rec.bodies[1]["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": f"Here is your cat\n{markdown_image(PNG)}"}],
    }
    assert sent[2] == {"role": "user", "content": "make it blue"}


# ------------------------------------------------------------------------ rate limiting


class CountingRateLimiter(BaseRateLimiter):
    """LangChain's rate limiter interface; lets every request through and counts them."""

    def __init__(self) -> None:
        self.acquired = 0

    def acquire(self, *, blocking: bool = True) -> bool:
        self.acquired += 1
        return True

    async def aacquire(self, *, blocking: bool = True) -> bool:
        self.acquired += 1
        return True


def test_adaptive_rate_limit_is_opt_in_and_shared_per_key() -> None:
    assert make_llm(Recorder(json_answer(IMAGE_REPLY))).client.rate_limiter is None
    key = "sk-unit-adaptive-shared"
    one = make_llm(Recorder(json_answer(IMAGE_REPLY)), adaptive_rate_limit=True, api_key=key)
    two = make_llm(Recorder(json_answer(IMAGE_REPLY)), adaptive_rate_limit=True, api_key=key)
    assert one.client.rate_limiter is not None
    assert one.client.rate_limiter is two.client.rate_limiter
    assert one.client.rate_limiter is shared_rate_limiter(key, one.base_url)


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_adaptive_rate_limit_absorbs_429_and_keeps_langchain_rate_limiter(
    mode: str,
) -> None:
    too_many = httpx.Response(429, json={"error": {"message": "slow down", "code": "429"}})
    counting = CountingRateLimiter()
    key = f"sk-unit-adaptive-{mode}"  # a fresh shared limiter for this test
    rec = Recorder(too_many, json_answer(IMAGE_REPLY))
    llm = make_llm(rec, adaptive_rate_limit=True, api_key=key, rate_limiter=counting)
    # max_retries=0 (make_llm): only the limiter can have retried the 429.
    reply = llm.invoke("Draw a cat") if mode == "sync" else await llm.ainvoke("Draw a cat")
    assert "cat" in str(reply.content)
    assert len(rec.requests) == 2
    assert counting.acquired == 1
    assert llm.client.rate_limiter is not None
    assert llm.client.rate_limiter.rates["chat"].rate_limited == 1
    # Without the opt-in, the same 429 fails the call.
    plain = make_llm(Recorder(too_many, json_answer(IMAGE_REPLY)), api_key=key)
    with pytest.raises(RateLimitError):
        plain.invoke("Draw a cat")


# ------------------------------------------------------------------------ ChatOpenAI conventions


def test_unknown_arguments_warn_and_are_sent_from_model_kwargs() -> None:
    rec = Recorder(json_answer(chat_reply("hi")))
    with pytest.warns(UserWarning, match="top_k is not a ChatHiAPI parameter"):
        llm = make_llm(rec, model="gpt-4o-mini", top_k=40)
    assert llm.model_kwargs == {"top_k": 40}
    llm.invoke("hi")
    assert rec.bodies[0]["top_k"] == 40


def test_a_field_given_in_model_kwargs_moves_to_the_field() -> None:
    rec = Recorder(json_answer(chat_reply("hi")))
    with pytest.warns(UserWarning, match="temperature is a ChatHiAPI parameter"):
        llm = make_llm(rec, model="gpt-4o-mini", model_kwargs={"temperature": 0.3})
    assert llm.temperature == 0.3
    assert llm.model_kwargs == {}


def test_openai_parameters_are_fields_and_sent() -> None:
    rec = Recorder(json_answer(chat_reply("hi")))
    fields: dict[str, Any] = {
        "n": 2,
        "presence_penalty": 0.1,
        "frequency_penalty": 0.5,
        "logprobs": True,
        "top_logprobs": 3,
        "logit_bias": {50256: -100},
        "reasoning_effort": "low",
        "max_completion_tokens": 64,
        "service_tier": "flex",
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # none of them is an "unknown argument"
        llm = make_llm(rec, model="gpt-4o-mini", **fields)
    llm.invoke("hi")
    sent = rec.bodies[0]
    assert {k: sent[k] for k in fields} == {**fields, "logit_bias": {"50256": -100}}


def test_request_timeout_is_an_alias_of_timeout() -> None:
    llm = ChatHiAPI(api_key="k", request_timeout=12.0)
    assert llm.timeout == 12.0
    assert llm.request_timeout == 12.0


def test_default_query_is_added_to_every_request() -> None:
    rec = Recorder(json_answer(chat_reply("hi")))
    make_llm(rec, model="gpt-4o-mini", default_query={"api-version": "2"}).invoke("hi")
    assert rec.requests[0].url.params["api-version"] == "2"


def test_hiapi_api_base_is_read_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HIAPI_BASE_URL", raising=False)
    monkeypatch.setenv("HIAPI_API_BASE", "https://base.test/v1")
    assert ChatHiAPI(api_key="k").base_url == "https://base.test/v1"
    monkeypatch.setenv("HIAPI_BASE_URL", "https://url.test/v1")  # the documented name wins
    assert ChatHiAPI(api_key="k").base_url == "https://url.test/v1"


def test_n_must_be_one_when_streaming() -> None:
    with pytest.raises(ValueError, match="n must be 1"):
        ChatHiAPI(api_key="k", n=2, streaming=True)
    rec = Recorder(sse_answer(stream_events([{"content": "x"}])))
    with pytest.raises(ValueError, match="n must be 1"):
        list(make_llm(rec, model="gpt-4o-mini").stream("hi", n=3))
    assert rec.requests == []


def test_n_choices_become_generations() -> None:
    reply = chat_reply("one")
    reply["choices"].append(
        {"index": 1, "finish_reason": "stop", "message": {"role": "assistant", "content": "two"}}
    )
    llm = make_llm(Recorder(json_answer(reply)), model="gpt-4o-mini", n=2)
    result = llm.generate([[HumanMessage("hi")]])
    assert [g.text for g in result.generations[0]] == ["one", "two"]


@pytest.mark.parametrize(
    ("field", "call", "expected"),
    [
        (True, {}, {"include_usage": True}),
        (True, {"stream_usage": False}, {"include_usage": False}),
        (False, {}, {"include_usage": False}),
        (False, {"stream_usage": True}, {"include_usage": True}),
        (True, {"stream_options": {"include_usage": False}}, {"include_usage": False}),
        (False, {"stream_options": {"x": 1}}, {"x": 1, "include_usage": False}),
    ],
)
def test_stream_usage_per_call(field: bool, call: dict[str, Any], expected: Any) -> None:
    rec = Recorder(sse_answer(stream_events([{"content": "x"}])))
    llm = make_llm(rec, model="gpt-4o-mini", stream_usage=field)
    list(llm.stream("hi", **call))
    body = rec.bodies[0]
    assert body["stream_options"] == expected
    assert "stream_usage" not in body


def test_stream_usage_is_never_sent_by_invoke() -> None:
    rec = Recorder(json_answer(chat_reply("hi")))
    make_llm(rec, model="gpt-4o-mini").invoke("hi", stream_usage=True)
    assert "stream_usage" not in rec.bodies[0] and "stream_options" not in rec.bodies[0]


def test_package_version_is_in_run_metadata() -> None:
    from langchain_hiapi import __version__

    llm = ChatHiAPI(api_key="k")
    assert llm.metadata is not None
    assert llm.metadata["lc_versions"]["langchain-hiapi"] == __version__
    assert __version__ and __version__[0].isdigit()


def test_model_name_and_image_tokens_reach_the_message() -> None:
    rec = Recorder(json_answer(IMAGE_REPLY))
    message = make_llm(rec, model="Nano-Banana-Pro").invoke("cat")
    assert message.response_metadata["model_name"] == "gemini-3-pro-image-preview"
    assert message.usage_metadata is not None
    assert message.usage_metadata["output_token_details"]["image"] == 1290


# ------------------------------------------------------------------------ image options


def test_nano_banana_2_takes_4k() -> None:
    rec = Recorder(json_answer(IMAGE_REPLY))
    make_llm(rec, model="Nano-Banana-2", image_config={"image_size": "4K"}).invoke("cat")
    assert rec.bodies[0]["extra_body"]["google"]["image_config"] == {"image_size": "4K"}


def test_image_defaults_are_not_sent_to_a_per_call_text_model() -> None:
    rec = Recorder(json_answer(chat_reply("hi")))
    thinking = {"thinking_budget": 128}
    llm = make_llm(
        rec,
        model="Nano-Banana-Pro",
        image_config={"aspect_ratio": "16:9", "image_size": "4K"},
        extra_body={"google": {"image_config": {"x": 1}, "thinking_config": thinking}},
    )
    llm.invoke("hi", model="gpt-4o-mini")
    llm.invoke("hi", model="Nano-Banana-2")
    llm.invoke("hi", model="gpt-4o-mini", image_config={"aspect_ratio": "1:1"})
    text, image, explicit = rec.bodies
    assert text["extra_body"] == {"google": {"thinking_config": thinking}}
    assert image["extra_body"]["google"]["image_config"] == {
        "x": 1,
        "aspect_ratio": "16:9",
        "image_size": "4K",
    }
    # An image_config given for the call itself is the caller's explicit choice.
    assert explicit["extra_body"]["google"]["image_config"] == {"aspect_ratio": "1:1"}


# ------------------------------------------------------------------------ serialization


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {
            "model": "Nano-Banana-Pro",
            "image_config": {"aspect_ratio": "16:9", "image_size": "4K"},
            "timeout": httpx.Timeout(5.0, read=60.0),
            "temperature": 0.2,
            "n": 2,
        },
    ],
)
def test_dumps_then_loads_round_trips(kwargs: dict[str, Any]) -> None:
    from langchain_core.load import dumps, loads

    llm = ChatHiAPI(api_key=KEY, **kwargs)
    text = dumps(llm)
    assert KEY not in text
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # loads is marked beta
        revived = loads(
            text,
            valid_namespaces=["langchain_hiapi"],
            allowed_objects=[ChatHiAPI],
            secrets_map={"HIAPI_API_KEY": KEY},
        )
    assert isinstance(revived, ChatHiAPI)
    assert revived.model_dump() == llm.model_dump()
    assert revived.timeout == llm.timeout and revived.image_config == llm.image_config
