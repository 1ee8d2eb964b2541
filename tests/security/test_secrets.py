"""Item 5: the key and secret-looking headers stay out of messages, reprs, dumps and traces."""

from __future__ import annotations

import json
import socket
import warnings
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import httpx
import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.load import dumpd, dumps
from langchain_core.messages import ToolMessage
from pydantic import SecretStr

from langchain_hiapi import ChatHiAPI, HiAPIImageGenerationTool
from langchain_hiapi._client import HiAPIClient
from langchain_hiapi.errors import BadRequestError, HiAPIError, InvalidResponseError, StreamError
from langchain_hiapi.task_tool import HiAPITaskTool
from langchain_hiapi.testing import HiAPIEmulator, Reply
from langchain_hiapi.video import HiAPIVideoGenerationTool
from tests._support.servers import RawServer, chunk, response_head

SECRET = "sk-security-S3CR3T-a1b2c3d4e5f6"
HEADER_SECRET = "hdr-S3CR3T-7788"


@pytest.fixture(scope="module")
def emulator() -> Iterator[HiAPIEmulator]:
    with HiAPIEmulator(api_key=SECRET) as emu:
        yield emu


@pytest.fixture
def emu(emulator: HiAPIEmulator) -> HiAPIEmulator:
    emulator.reset()
    return emulator


def texts_of(err: BaseException) -> list[str]:
    out = [str(err), repr(err), repr(err.args)]
    if isinstance(err, HiAPIError):
        out.append(repr(err.__dict__))
    return out


def llm_for(base_url: str, **kwargs: Any) -> ChatHiAPI:
    kwargs.setdefault("max_retries", 0)
    kwargs.setdefault("model", "gpt-4o-mini")
    return ChatHiAPI(base_url=base_url, api_key=SECRET, **kwargs)


async def stream(llm: ChatHiAPI, mode: str) -> list[Any]:
    if mode == "sync":
        return list(llm.stream("hi"))
    return [chunk async for chunk in llm.astream("hi")]


async def invoke(llm: Any, mode: str, *args: Any) -> Any:
    if mode == "sync":
        return llm.invoke(*args)
    return await llm.ainvoke(*args)


# ------------------------------------------------------------------- echoed by the gateway


async def test_key_echoed_in_an_error_reply_is_redacted(emu: HiAPIEmulator, mode: str) -> None:
    body = {
        "error": {
            "message": f"invalid token {SECRET} (request id: r1)",
            "type": "new_api_error",
            "param": SECRET,
            "code": "bad_key",
            "detail": {"nested": [f"Bearer {SECRET}"]},
        }
    }
    emu.queue(Reply(status=400, body=body, headers={"X-Echo": SECRET}))
    llm = llm_for(emu.base_url)
    with pytest.raises(BadRequestError) as info:
        await invoke(llm, mode, "hi")
    assert "invalid token [redacted]" in str(info.value)
    for text in texts_of(info.value):
        assert SECRET not in text


async def test_key_echoed_in_a_2xx_body_is_redacted(emu: HiAPIEmulator, mode: str) -> None:
    emu.queue(Reply(status=200, body=f"<html>token {SECRET}</html>", content_type="text/html"))
    with pytest.raises(InvalidResponseError) as info:
        await invoke(llm_for(emu.base_url), mode, "hi")
    for text in texts_of(info.value):
        assert SECRET not in text


async def test_key_echoed_in_a_stream_error_event_is_redacted(mode: str) -> None:
    event = json.dumps({"error": {"message": f"bad key {SECRET}", "code": "x"}}).encode()

    def handle(conn: socket.socket, head: bytes) -> None:
        conn.sendall(
            response_head(
                200, {"Content-Type": "text/event-stream", "Transfer-Encoding": "chunked"}
            )
            + chunk(b"data: " + event + b"\n\n")
            + b"0\r\n\r\n"
        )

    with RawServer(handle) as server:
        llm = llm_for(server.base_url)
        with pytest.raises(StreamError) as info:
            await stream(llm, mode)
    for text in texts_of(info.value):
        assert SECRET not in text


def test_key_echoed_by_the_gateway_never_reaches_a_tool_message(emu: HiAPIEmulator) -> None:
    body = {"error": {"message": f"prompt rejected for key {SECRET}", "code": "prompt_blocked"}}
    emu.queue(Reply(status=400, body=body))
    tool = HiAPIImageGenerationTool(llm=llm_for(emu.base_url, model="Nano-Banana"))
    message = tool.invoke(
        {"type": "tool_call", "id": "1", "name": tool.name, "args": {"prompt": "x"}}
    )
    assert isinstance(message, ToolMessage)
    assert message.status == "error"
    assert "prompt rejected" in str(message.content)
    assert SECRET not in str(message.content)


# ------------------------------------------------------------------------- base_url userinfo


async def test_base_url_credentials_are_dropped(emu: HiAPIEmulator, mode: str) -> None:
    port = emu.base_url.split(":")[2].split("/")[0]
    with pytest.warns(UserWarning, match="user credentials"):
        llm = llm_for(f"http://admin:{HEADER_SECRET}@127.0.0.1:{port}/v1")
    await invoke(llm, mode, "hi")
    (request,) = emu.requests
    assert request.headers["authorization"] == f"Bearer {SECRET}"  # never Basic
    shown = [
        llm.base_url,
        repr(llm),
        dumps(llm),
        json.dumps(llm._identifying_params),
        repr(llm.client),
    ]
    for text in shown:
        assert HEADER_SECRET not in text
        assert "admin" not in text


@pytest.mark.parametrize("cls", [HiAPIImageGenerationTool, HiAPIVideoGenerationTool, HiAPITaskTool])
def test_tools_drop_base_url_credentials(cls: Any) -> None:
    extra = {"model": "seedance-2.0"} if cls is HiAPITaskTool else {}
    with pytest.warns(UserWarning, match="user credentials"):
        tool = cls(api_key=SECRET, base_url=f"https://u:{HEADER_SECRET}@api.example/v1", **extra)
    assert tool.base_url == "https://api.example/v1"
    assert HEADER_SECRET not in repr(tool)


def test_client_drops_base_url_credentials() -> None:
    with pytest.warns(UserWarning, match="user credentials"):
        client = HiAPIClient(base_url=f"https://u:{HEADER_SECRET}@api.example/v1", api_key=None)
    assert client.base_url == "https://api.example/v1"


# ------------------------------------------------------------------------- default headers

HEADERS = {
    "Authorization": f"Basic {HEADER_SECRET}",
    "X-Api-Key": HEADER_SECRET,
    "X-Upstream-Token": HEADER_SECRET,
    "X-Client-Secret": HEADER_SECRET,
    "Proxy-Authorization": HEADER_SECRET,
    "X-Trace": "trace-visible",
}


def test_secret_headers_are_masked_in_repr_and_dumps() -> None:
    llm = ChatHiAPI(api_key=SECRET, default_headers=HEADERS, timeout=30)
    for text in (repr(llm), str(llm), dumps(llm), json.dumps(dumpd(llm))):
        assert HEADER_SECRET not in text
        assert SECRET not in text
    assert "trace-visible" in repr(llm)
    assert "'X-Api-Key': '**********'" in repr(llm)
    assert llm.default_headers == HEADERS  # the values themselves are unchanged


def test_secret_headers_survive_a_dumps_round_trip_through_secrets() -> None:
    from langchain_core.load import loads

    llm = ChatHiAPI(api_key=SECRET, default_headers=HEADERS, timeout=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # langchain-core marks `loads` as beta
        revived = loads(
            dumps(llm),
            secrets_map={"HIAPI_API_KEY": SECRET, "HIAPI_DEFAULT_HEADERS": json.dumps(HEADERS)},
            valid_namespaces=["langchain_hiapi"],
            allowed_objects=[ChatHiAPI],
        )
    assert revived.default_headers == HEADERS


class Spy(BaseCallbackHandler):
    """Keeps everything a tracer is handed at the start of a chat model run."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: Any, *, run_id: UUID, **kwargs: Any
    ) -> None:
        self.seen.append(json.dumps(serialized, default=repr))
        self.seen.append(json.dumps(kwargs, default=repr))


async def test_traces_hold_no_secrets(emu: HiAPIEmulator, mode: str) -> None:
    # (no Authorization here: default headers win over the Bearer key, as they should)
    headers = {k: v for k, v in HEADERS.items() if k != "Authorization"}
    llm = llm_for(emu.base_url, default_headers=headers)
    spy = Spy()
    if mode == "sync":
        llm.invoke("hi", config={"callbacks": [spy]})
    else:
        await llm.ainvoke("hi", config={"callbacks": [spy]})
    params = llm._get_ls_params()
    traced = [*spy.seen, json.dumps(llm._identifying_params), json.dumps(params)]
    assert len(spy.seen) == 2
    for text in traced:
        assert HEADER_SECRET not in text
        assert SECRET not in text
    assert emu.requests[0].headers["x-api-key"] == HEADER_SECRET  # still sent to the gateway


# ------------------------------------------------------------------------------ api_key


@pytest.mark.parametrize("bad", [[SECRET], (SECRET,), SECRET.encode(), {"key": SECRET}, 12345])
@pytest.mark.parametrize(
    "factory",
    [
        lambda key: ChatHiAPI(api_key=key),
        lambda key: HiAPIImageGenerationTool(api_key=key),
        lambda key: HiAPIVideoGenerationTool(api_key=key),
        lambda key: HiAPITaskTool(model="seedance-2.0", api_key=key),
        lambda key: HiAPIClient(base_url="https://api.example/v1", api_key=key),
    ],
)
def test_a_wrong_type_api_key_is_not_echoed(factory: Any, bad: Any) -> None:
    with pytest.raises(TypeError, match="api_key") as info:
        factory(bad)
    for text in texts_of(info.value):
        assert SECRET not in text
        assert "12345" not in text


# ------------------------------------------------------------------------------ clear text


@pytest.mark.parametrize(
    ("base_url", "warns"),
    [
        ("http://10.1.2.3/v1", True),
        ("http://gateway.example/v1", True),
        ("http://127.0.0.1:8080/v1", False),
        ("http://localhost:8080/v1", False),
        ("http://[::1]:8080/v1", False),
        ("https://gateway.example/v1", False),
    ],
)
def test_a_key_in_clear_text_to_another_machine_warns(base_url: str, warns: bool) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        HiAPIClient(base_url=base_url, api_key=SecretStr(SECRET))
        HiAPIClient(base_url=base_url, api_key=None)  # nothing to leak: never warns
    clear = [w for w in caught if "clear text" in str(w.message)]
    assert len(clear) == (1 if warns else 0)
    for w in caught:
        assert SECRET not in str(w.message)


def test_transport_errors_never_quote_the_key() -> None:
    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"proxy said: {request.headers['authorization']}")

    client = HiAPIClient(
        base_url="https://api.example/v1",
        api_key=SecretStr(SECRET),
        http_client=httpx.Client(transport=httpx.MockTransport(boom)),
        sleep=lambda delay: None,
    )
    with pytest.raises(HiAPIError) as info:
        client.request_json("GET", "/models")
    for text in texts_of(info.value):
        assert SECRET not in text
