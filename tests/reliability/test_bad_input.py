"""Wrong parameters fail clearly before any request; unreadable replies fail readably."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from langchain_hiapi import ChatHiAPI
from langchain_hiapi.errors import InternalServerError, InvalidResponseError, StreamError
from langchain_hiapi.testing import HiAPIEmulator, Reply
from tests._support.harness import IMAGE_MODEL, TEXT_MODEL, call, invoke, stream

NAN = float("nan")

# (parameter, value, words the message must contain)
CONSTRUCTOR_CASES: list[tuple[str, Any, str]] = [
    ("model", 123, "model"),
    ("model", None, "model"),
    ("api_key", 123, "api_key"),
    ("api_key", "sk-key\n", "api_key"),
    ("api_key", " sk-key", "api_key"),
    ("base_url", 123, "base_url"),
    ("base_url", "not a url", "base_url"),
    ("base_url", "ftp://example.com/v1", "base_url"),
    ("base_url", "", "base_url"),
    ("image_config", "16:9", "image_config"),
    ("image_config", {"aspect_ratio": "7:3"}, "aspect_ratio"),
    ("image_config", {"aspectRatio": "16:9"}, "aspect_ratio"),
    ("image_config", {"image_size": "4K"}, "image_size"),  # Nano-Banana: 1K only
    ("image_config", {"size": "1K"}, "size"),
    ("timeout", "soon", "timeout"),
    ("timeout", -1, "timeout"),
    ("timeout", 0, "timeout"),
    ("timeout", NAN, "timeout"),
    ("max_retries", -1, "max_retries"),
    ("max_retries", 1.5, "max_retries"),
    ("max_retries", "many", "max_retries"),
    ("temperature", "hot", "temperature"),
    ("temperature", NAN, "NaN"),
    ("temperature", float("inf"), "NaN or infinity"),
    ("max_tokens", 0, "max_tokens"),
    ("max_tokens", "lots", "max_tokens"),
    ("stop", 123, "stop"),
    ("stop", [1, 2], "stop"),
    ("stop", ["a", "b", "c", "d", "e", "f"], "stop"),
    ("model_kwargs", "x", "model_kwargs"),
    ("model_kwargs", {"top_k": object()}, "JSON"),
    ("model_kwargs", {"seed": object()}, "seed"),  # a field: moved there and validated
    ("extra_body", "x", "extra_body"),
    ("extra_body", {"google": {"imageConfig": {"aspectRatio": "1:1"}}}, "snake_case"),
    ("extra_body", {"google": "x"}, "extra_body.google"),
    ("extra_body", {"google": {"image_config": "16:9"}}, "image_config"),
    ("extra_body", {"google": {"thinking_config": {"thinking_budget": NAN}}}, "NaN"),
    ("default_headers", "x", "default_headers"),
    ("default_headers", {"X-Num": 1}, "default_headers"),
    ("default_headers", {"Bad Name": "v"}, "default_headers"),
    ("default_headers", {"X-Ok": "line\nbreak"}, "default_headers"),
    ("streaming", "maybe", "streaming"),
    ("streaming", 2, "streaming"),
]


@pytest.mark.parametrize(
    ("param", "value", "words"),
    CONSTRUCTOR_CASES,
    ids=[f"{p}={v!r}"[:40] for p, v, _ in CONSTRUCTOR_CASES],
)
async def test_bad_constructor_argument(
    emu: HiAPIEmulator, mode: str, param: str, value: Any, words: str
) -> None:
    kwargs: dict[str, Any] = {
        "model": IMAGE_MODEL,
        "base_url": emu.base_url,
        "api_key": emu.api_key,
        param: value,
    }
    with pytest.raises((TypeError, ValueError)) as info:
        # Some settings can only be checked once the client exists (first call): that is
        # still before any request is sent.
        await invoke(ChatHiAPI(**kwargs), mode, "draw a cat")
    assert words in str(info.value)
    assert emu.requests == []


async def test_empty_model_name(emu: HiAPIEmulator) -> None:
    with pytest.raises(ValueError, match="model"):
        ChatHiAPI(model="", base_url=emu.base_url, api_key=emu.api_key)
    llm = ChatHiAPI(model="gpt-4o-mini", base_url=emu.base_url, api_key=emu.api_key)
    with pytest.raises(ValueError, match="model"):
        llm.invoke("hi", model=5)
    assert emu.requests == []


async def test_camel_case_extra_body_in_model_kwargs(emu: HiAPIEmulator) -> None:
    # extra_body is a field: from model_kwargs it moves there (with a warning), checked.
    with (
        pytest.warns(UserWarning, match="extra_body is a ChatHiAPI parameter"),
        pytest.raises(ValueError, match="snake_case"),
    ):
        ChatHiAPI(
            model=IMAGE_MODEL,
            base_url=emu.base_url,
            api_key=emu.api_key,
            model_kwargs={"extra_body": {"google": {"imageConfig": {"aspectRatio": "1:1"}}}},
        )
    llm = ChatHiAPI(model=IMAGE_MODEL, base_url=emu.base_url, api_key=emu.api_key)
    llm.model_kwargs = {"extra_body": {"google": {"imageConfig": {"aspectRatio": "1:1"}}}}
    with pytest.raises(ValueError, match="snake_case"):
        llm.invoke("draw a cat")
    assert emu.requests == []


async def test_model_kwargs_extra_body_is_not_lost(emu: HiAPIEmulator) -> None:
    thinking = {"thinking_budget": 128, "include_thoughts": True}
    with pytest.warns(UserWarning, match="extra_body is a ChatHiAPI parameter"):
        llm = ChatHiAPI(
            model="Nano-Banana-Pro",
            base_url=emu.base_url,
            api_key=emu.api_key,
            image_config={"aspect_ratio": "16:9"},
            model_kwargs={"extra_body": {"google": {"thinking_config": thinking}}},
        )
    llm.invoke("draw a cat")
    google = emu.requests[0].json["extra_body"]["google"]
    assert google["thinking_config"] == thinking
    assert google["image_config"] == {"aspect_ratio": "16:9"}


# ------------------------------------------------------------------------ per call

CALL_CASES: list[tuple[str, Any, type[Exception], str]] = [
    ("image_config", "16:9", TypeError, "image_config"),
    ("image_config", {"aspect_ratio": "7:3"}, ValueError, "aspect_ratio"),
    ("image_config", {"imageSize": "1K"}, ValueError, "image_size"),
    ("image_config", {"image_size": "2K"}, ValueError, "image_size"),  # Nano-Banana: 1K
    ("stop", 123, TypeError, "stop"),
    ("stop", [None], TypeError, "stop"),
    ("stop", ["a", "b", "c", "d", "e", "f"], ValueError, "stop"),
    ("extra_body", {"google": {"thinkingConfig": {}}}, ValueError, "snake_case"),
    ("extra_body", {"google": ["x"]}, ValueError, "extra_body.google"),
    ("temperature", NAN, ValueError, "NaN"),
]


@pytest.mark.parametrize(
    ("param", "value", "error", "words"),
    CALL_CASES,
    ids=[f"{p}={v!r}"[:40] for p, v, _, _ in CALL_CASES],
)
@pytest.mark.parametrize("kind", ["invoke", "stream"])
async def test_bad_call_argument(
    emu: HiAPIEmulator,
    make_llm: Any,
    mode: str,
    kind: str,
    param: str,
    value: Any,
    error: type[Exception],
    words: str,
) -> None:
    llm, _ = make_llm(model=IMAGE_MODEL)
    with pytest.raises(error) as info:
        await call(llm, mode, kind, "draw a cat", **{param: value})
    assert words in str(info.value)
    assert emu.requests == []


async def test_per_call_extra_body_not_a_dict(emu: HiAPIEmulator, make_llm: Any) -> None:
    llm, _ = make_llm(model=IMAGE_MODEL, extra_body={"google": {}})
    with pytest.raises(TypeError, match="extra_body"):
        llm.invoke("draw a cat", extra_body="x")
    assert emu.requests == []


class Weather(BaseModel):
    """Weather in a city."""

    city: str


class Time(BaseModel):
    """Time in a city."""

    city: str


@pytest.mark.parametrize(
    ("tool_choice", "error", "words"),
    [
        (123, TypeError, "tool_choice"),
        (1.5, TypeError, "tool_choice"),
        ("Nonexistent", ValueError, "Nonexistent"),
        (True, ValueError, "exactly one tool"),
    ],
)
async def test_bad_tool_choice(
    emu: HiAPIEmulator, make_llm: Any, mode: str, tool_choice: Any, error: type, words: str
) -> None:
    llm, _ = make_llm(model=TEXT_MODEL)
    with pytest.raises(error, match=words):
        await invoke(llm.bind_tools([Weather, Time], tool_choice=tool_choice), mode, "hi")
    assert emu.requests == []


@pytest.mark.parametrize("tool_choice", [123, "Nonexistent"])
async def test_bad_tool_choice_per_call(
    emu: HiAPIEmulator, make_llm: Any, tool_choice: Any
) -> None:
    llm, _ = make_llm(model=TEXT_MODEL)
    with pytest.raises((TypeError, ValueError), match="tool_choice"):
        llm.bind_tools([Weather, Time]).invoke("hi", tool_choice=tool_choice)
    assert emu.requests == []


# ------------------------------------------------------------------------ unreadable replies

BINARY = b"\x89\xff\xfe\x00\x01garbage\x00\x9c\xe2\x28\xa1 more bytes " + bytes(range(256))


async def test_binary_error_body_is_readable(emu: HiAPIEmulator, make_llm: Any, mode: str) -> None:
    emu.queue(*[Reply(status=502, body=BINARY, content_type="application/octet-stream")] * 3)
    llm, _ = make_llm(max_retries=0)
    with pytest.raises(InternalServerError) as info:
        await invoke(llm, mode, "hi")
    text = str(info.value)
    assert text.startswith("HiAPI 502")
    assert "non-JSON body" in text and "garbage" in text
    assert text.isprintable() and len(text) < 400


async def test_binary_200_body_is_readable(emu: HiAPIEmulator, make_llm: Any, mode: str) -> None:
    emu.queue(Reply(status=200, body=BINARY, content_type="application/json"))
    llm, _ = make_llm()
    with pytest.raises(InvalidResponseError) as info:
        await invoke(llm, mode, "hi")
    text = str(info.value)
    assert text.startswith("HiAPI 200")
    assert "garbage" in text
    assert text.isprintable() and len(text) < 400
    assert len(emu.requests) == 1


async def test_latin1_error_body_is_readable(emu: HiAPIEmulator, make_llm: Any, mode: str) -> None:
    body = "Erreur: la requête a échoué".encode("latin-1")
    emu.queue(Reply(status=500, body=body, content_type="text/plain; charset=latin-1"))
    llm, _ = make_llm(max_retries=0)
    with pytest.raises(InternalServerError, match="Erreur: la requ") as info:
        await invoke(llm, mode, "hi")
    assert str(info.value).isprintable()


async def test_binary_event_stream_is_readable(
    emu: HiAPIEmulator, make_llm: Any, mode: str
) -> None:
    body = b"data: " + BINARY.replace(b"\n", b"") + b"\n\n"
    emu.queue(Reply(status=200, body=body, content_type="text/event-stream"))
    llm, _ = make_llm()
    with pytest.raises(StreamError, match="not UTF-8") as info:
        await stream(llm, mode, "hi")
    assert "garbage" in str(info.value)
    assert str(info.value).isprintable()
