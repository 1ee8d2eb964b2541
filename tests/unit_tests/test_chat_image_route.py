"""ChatHiAPI's image routes: chat vs task API, chosen per call and by the catalogue."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage
from langchain_core.runnables import RunnableLambda

from langchain_hiapi import (
    ChatHiAPI,
    InternalServerError,
    InvalidResponseError,
    PromptBlockedError,
    TaskFailedError,
    TaskInputError,
    get_images,
)
from tests._support.callbacks import AsyncEvents, Events
from tests._support.task_server import CDN, EXPIRE_AT, FakeHiAPI, chat_error, task_chat
from tests._support.wire import png_bytes


def _refusing_transport(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"nothing may be sent: {request.method} {request.url}")


def make_llm(server: Any = None, **kwargs: Any) -> ChatHiAPI:
    transport = (
        server.transport() if server is not None else httpx.MockTransport(_refusing_transport)
    )
    return task_chat(transport, **kwargs)


def check_task_reply(message: AIMessage | AIMessageChunk, server: FakeHiAPI) -> None:
    task_id = next(iter(server.tasks))
    url = f"{CDN}/tasks/{task_id}/0.png"
    block = message.content[1]
    assert message.content[0] == ""
    assert isinstance(block, dict)
    assert block["type"] == "image"
    assert block["url"] == url
    assert block["mime_type"] == "image/png"
    assert base64.b64decode(block["base64"]) == png_bytes(8, 6)
    assert block["extras"] == {"expire_at": EXPIRE_AT, "output_type": "image"}
    meta = message.response_metadata
    assert meta["route"] == "tasks"
    assert meta["task_id"] == task_id
    assert meta["expire_at"] == EXPIRE_AT
    assert [i.data for i in get_images(message)] == [png_bytes(8, 6)]


# ------------------------------------------------------------------------------ tasks


def test_tasks_route_translates_the_conversation_and_downloads_the_image() -> None:
    server = FakeHiAPI()
    llm = make_llm(
        server,
        model="Nano-Banana-Pro",
        image_route="tasks",
        image_config={"aspect_ratio": "16:9", "image_size": "2K"},
    )
    message = llm.invoke([SystemMessage("Watercolour."), HumanMessage("a red fox")])
    check_task_reply(message, server)
    (create,) = server.creates()
    assert json.loads(create.content) == {
        "model": "Nano-Banana-Pro",
        "input": {
            "prompt": "Watercolour.\n\na red fox",
            "aspect_ratio": "16:9",
            "resolution": "2K",
        },
    }
    assert create.headers["idempotency-key"]
    assert not any("chat/completions" in p for p in server.paths())


def test_per_call_image_route_and_task_input() -> None:
    server = FakeHiAPI()
    llm = make_llm(
        server, model="Nano-Banana-Pro", image_route="chat", task_input={"output_format": "jpg"}
    )
    llm.invoke("a cat", image_route="tasks", task_input={"resolution": "4K"})
    assert server.create_bodies()[0]["input"] == {
        "prompt": "a cat",
        "output_format": "jpg",
        "resolution": "4K",
    }


def test_edit_sends_the_generated_image_back_as_its_url() -> None:
    server = FakeHiAPI()
    llm = make_llm(server, model="Nano-Banana-Pro", image_route="tasks")
    first = llm.invoke("a cat")
    llm.invoke([HumanMessage("a cat"), first, HumanMessage("make it blue")])
    url = first.content[1]["url"]  # type: ignore[index]
    assert server.create_bodies()[1]["input"] == {"prompt": "make it blue", "image_input": [url]}


def test_download_images_false_keeps_only_urls() -> None:
    server = FakeHiAPI()
    message = make_llm(server, image_route="tasks", download_images=False).invoke("a cat")
    block = message.content[1]
    assert isinstance(block, dict)
    assert "base64" not in block
    assert block["url"].startswith(CDN)
    assert not any(r.url.host == "cdn.test" for r in server.requests)


def test_status_changes_go_out_as_custom_events() -> None:
    server = FakeHiAPI()
    handler = Events()
    make_llm(server, image_route="tasks").invoke("a cat", config={"callbacks": [handler]})
    statuses = [data["status"] for name, data in handler.events if name == "hiapi_task_status"]
    assert statuses == ["queued", "handling", "success"]
    assert handler.events[0][1]["model"] == "Nano-Banana"


def test_stream_on_the_task_route_yields_the_reply_as_one_chunk() -> None:
    server = FakeHiAPI()
    chunks = list(make_llm(server, model="Nano-Banana-Pro", image_route="tasks").stream("a cat"))
    assert len(chunks) == 1
    assert chunks[0].chunk_position == "last"
    check_task_reply(chunks[0], server)


async def test_async_invoke_and_astream_on_the_task_route() -> None:
    server = FakeHiAPI()
    handler = AsyncEvents()
    llm = make_llm(server, model="Nano-Banana-Pro", image_route="tasks")
    message = await llm.ainvoke("a cat", config={"callbacks": [handler]})
    check_task_reply(message, server)
    assert [d["status"] for _, d in handler.events] == ["queued", "handling", "success"]
    chunks = [c async for c in llm.astream("a dog")]
    assert len(chunks) == 1
    assert chunks[0].response_metadata["route"] == "tasks"


def test_failed_task_raises_with_its_code() -> None:
    server = FakeHiAPI()
    server.end = "fail"
    with pytest.raises(TaskFailedError, match="TASK_FAILED") as info:
        make_llm(server, image_route="tasks").invoke("a cat")
    assert info.value.code == "TASK_FAILED"


def test_success_without_outputs_is_an_error_not_an_empty_answer() -> None:
    server = FakeHiAPI()
    server.outputs = []
    with pytest.raises(InvalidResponseError, match="no outputs"):
        make_llm(server, image_route="tasks").invoke("a cat")
    with pytest.raises(InvalidResponseError, match="no outputs"):
        list(make_llm(server, image_route="tasks").stream("a cat"))


def test_input_breaking_the_schema_is_refused_before_sending() -> None:
    llm = make_llm(model="seedream-5.0-pro/text-to-image", image_route="tasks")
    with pytest.raises(TaskInputError, match="aspect_ratio"):
        llm.invoke("a cat on a mat", image_config={"aspect_ratio": "auto"})
    nano = make_llm(model="Nano-Banana", image_route="tasks")
    with pytest.raises(ValueError, match=r"image_size: .*no 'resolution' field"):
        nano.invoke("a cat", image_config={"image_size": "2K"})


def test_auto_aspect_ratio_is_sent_where_the_task_schema_allows_it() -> None:
    server = FakeHiAPI()
    make_llm(server, model="Nano-Banana-Pro", image_route="tasks").invoke(
        "a cat", image_config={"aspect_ratio": "auto"}
    )
    assert server.create_bodies()[0]["input"]["aspect_ratio"] == "auto"


def test_chat_only_options_are_refused_or_reported_on_the_task_route() -> None:
    def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    llm = make_llm(image_route="tasks")
    with pytest.raises(ValueError, match=r"\['tool_choice', 'tools'\] cannot be sent"):
        llm.bind_tools([add], tool_choice="add").invoke("x")
    server = FakeHiAPI()
    with pytest.warns(UserWarning, match=r"\['temperature'\] are chat-completions options"):
        make_llm(server, image_route="tasks", temperature=0.2).invoke("a cat")


def test_image_route_is_validated() -> None:
    with pytest.raises(ValueError, match="image_route"):
        make_llm(image_route="task")
    with pytest.raises(ValueError, match="image_route: 'videos' is not supported"):
        make_llm().invoke("x", image_route="videos")


# ------------------------------------------------------------------------------ chat / auto


def test_auto_aspect_ratio_is_refused_on_the_chat_route_before_sending() -> None:
    llm = make_llm(model="gemini-2.5-flash", image_config={"aspect_ratio": "auto"})
    with pytest.raises(ValueError, match=r"aspect_ratio: 'auto' is only available on the task"):
        llm.invoke("draw")
    with pytest.raises(ValueError, match="use one of: 1:1, 2:3"):
        make_llm(model="Nano-Banana", image_route="chat").invoke(
            "x", image_config={"aspect_ratio": "auto"}
        )


def test_auto_with_auto_aspect_ratio_goes_to_tasks_for_a_model_on_both() -> None:
    server = FakeHiAPI()
    make_llm(server, model="Nano-Banana-Pro", image_config={"aspect_ratio": "auto"}).invoke("x")
    assert server.paths()[0] == "POST /v1/tasks"


def test_auto_tries_chat_first_for_models_on_both() -> None:
    server = FakeHiAPI()
    message = make_llm(server, model="Nano-Banana").invoke("a cat")
    assert server.paths() == ["POST /v1/chat/completions"]
    assert message.response_metadata.get("route") != "tasks"
    assert get_images(message)


def test_auto_sends_task_only_models_to_tasks() -> None:
    server = FakeHiAPI()
    make_llm(server, model="seedream-5.0-pro/text-to-image").invoke("a cat on a mat")
    assert server.paths()[0] == "POST /v1/tasks"


@pytest.mark.parametrize(
    "refusal",
    [
        chat_error(503, "model_not_found", "No available channel for model Nano-Banana-Pro"),
        chat_error(404, "", "Invalid URL"),
        chat_error(400, "model_price_error", "no price configured"),
    ],
)
def test_auto_falls_back_to_tasks_and_remembers(
    refusal: httpx.Response, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="langchain_hiapi")
    server = FakeHiAPI()
    server.chat_answer = refusal
    llm = make_llm(server, model="Nano-Banana-Pro")
    first = llm.invoke("a cat")
    check_task_reply(first, server)
    assert server.paths()[:2] == ["POST /v1/chat/completions", "POST /v1/tasks"]
    before = len(server.requests)
    llm.invoke("a dog")
    assert server.paths()[before] == "POST /v1/tasks"  # remembered: chat is not tried again
    other = make_llm(server, model="Nano-Banana-Pro")  # another instance, same base URL
    before = len(server.requests)
    other.invoke("a bird")
    assert server.paths()[before] == "POST /v1/tasks"
    notes = [r for r in caplog.records if "task API" in r.getMessage()]
    assert len(notes) == 1
    assert notes[0].levelno == logging.INFO


def test_auto_fallback_in_stream_and_async() -> None:
    server = FakeHiAPI()
    server.chat_answer = chat_error(503, "model_not_found")
    chunks = list(make_llm(server, model="Nano-Banana-Pro").stream("a cat"))
    assert len(chunks) == 1
    assert chunks[0].response_metadata["route"] == "tasks"
    assert server.paths()[:2] == ["POST /v1/chat/completions", "POST /v1/tasks"]


async def test_auto_fallback_async() -> None:
    server = FakeHiAPI()
    server.chat_answer = chat_error(503, "model_not_found")
    message = await make_llm(server, model="Nano-Banana-Pro").ainvoke("a cat")
    check_task_reply(message, server)
    assert server.paths()[0] == "POST /v1/chat/completions"


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (chat_error(500, "empty_response", "upstream returned nothing"), InternalServerError),
        (chat_error(400, "prompt_blocked", "blocked"), PromptBlockedError),
    ],
)
def test_billed_chat_failures_are_never_resent(answer: httpx.Response, error: type) -> None:
    server = FakeHiAPI()
    server.chat_answer = answer
    with pytest.raises(error):
        make_llm(server, model="Nano-Banana-Pro").invoke("a cat")
    assert server.paths() == ["POST /v1/chat/completions"]
    assert not server.creates()


def test_explicit_chat_route_never_falls_back() -> None:
    server = FakeHiAPI()
    server.chat_answer = chat_error(503, "model_not_found")
    with pytest.raises(Exception, match="model_not_found"):
        make_llm(server, model="Nano-Banana-Pro", image_route="chat").invoke("a cat")
    assert not server.creates()


def test_text_models_stay_on_chat() -> None:
    server = FakeHiAPI()
    server.chat_answer = chat_error(503, "model_not_found")
    with pytest.raises(Exception, match="model_not_found"):
        make_llm(server, model="my-new-text-model").invoke("hi")
    assert not server.creates()


def test_catalogue_model_is_sent_under_its_chat_id() -> None:
    server = FakeHiAPI()
    make_llm(server, model="gpt-image-2/text-to-image").invoke("a cat")
    (request,) = server.requests
    assert json.loads(request.content)["model"] == "gpt-image-2"


async def test_task_statuses_appear_in_astream_events_of_a_chain() -> None:
    # astream_events streams the model, and LangChain gives `_astream` no run manager:
    # the events go to the runnable running the model.
    server = FakeHiAPI()
    llm = make_llm(server, model="Nano-Banana-Pro", image_route="tasks")

    async def draw(prompt: str) -> AIMessage:
        return await llm.ainvoke(prompt)

    seen = [
        (event["name"], event["data"]["status"])
        async for event in RunnableLambda(draw).astream_events("a cat", version="v2")
        if event["event"] == "on_custom_event"
    ]
    assert seen == [
        ("hiapi_task_status", "queued"),
        ("hiapi_task_status", "handling"),
        ("hiapi_task_status", "success"),
    ]


def test_sync_stream_inside_a_chain_reports_to_the_chain() -> None:
    server = FakeHiAPI()
    handler = Events()
    llm = make_llm(server, model="Nano-Banana-Pro", image_route="tasks")

    def draw(prompt: str) -> list[AIMessageChunk]:
        return list(llm.stream(prompt))

    RunnableLambda(draw).invoke("a cat", config={"callbacks": [handler]})
    assert [d["status"] for _, d in handler.events] == ["queued", "handling", "success"]


def test_bare_stream_without_callbacks_still_works() -> None:
    server = FakeHiAPI()
    chunks = list(make_llm(server, image_route="tasks").stream("a cat"))
    assert chunks[0].response_metadata["route"] == "tasks"


def test_task_poll_default_is_the_task_clients_default() -> None:
    from langchain_hiapi._task_flows import POLL_INITIAL
    from langchain_hiapi.chat_models import DEFAULT_TASK_POLL_INTERVAL

    assert DEFAULT_TASK_POLL_INTERVAL == POLL_INITIAL
    assert ChatHiAPI().task_poll_interval == POLL_INITIAL


def test_task_route_downloads_are_capped_by_the_image_limit() -> None:
    from langchain_hiapi import InvalidResponseError as TooLarge
    from langchain_hiapi.limits import Limits

    server = FakeHiAPI()  # its PNG output is 8x6 pixels, well over 50 bytes
    llm = make_llm(server, image_route="tasks", limits=Limits(max_image_download_bytes=50))
    with pytest.raises(TooLarge, match="exceeds max_bytes=50"):
        llm.invoke("a cat")
