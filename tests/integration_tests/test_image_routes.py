"""ChatHiAPI's image routes on cassettes: chat, tasks, and the auto fallback from chat to tasks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage

from langchain_hiapi import ChatHiAPI, get_images
from langchain_hiapi.testing import HiAPIEmulator
from tests._support.cassettes import RECORDING, RECORDING_REAL, task_cassette_config
from tests._support.wire import png_size

pytestmark = pytest.mark.vcr

MODEL = "Nano-Banana-Pro"
# Recorded polls come back in order; a short pause keeps replays fast.
POLL = 0.05


@pytest.fixture(scope="module")
def vcr_config(vcr_config: dict[str, Any]) -> dict[str, Any]:
    """Canonical output URLs and far-future `expireAt` (see `task_cassette_config`)."""
    return task_cassette_config(vcr_config)


@pytest.fixture
def chat_refuses_model() -> Iterator[dict[str, Any]]:
    """Connection settings of a HiAPI whose chat route no longer serves `MODEL`.

    Recording against the emulator starts one that answers chat with 503
    `model_not_found` for the model (what new-api sends for a model without a channel);
    replays and real recordings use the session's endpoint.
    """
    if RECORDING and not RECORDING_REAL:
        with HiAPIEmulator(chat_refused_models={MODEL}) as emulator:
            yield {"base_url": emulator.base_url, "api_key": emulator.api_key}
    else:
        yield {}


def check_task_reply(message: BaseMessage, ratio: float) -> None:
    assert message.response_metadata["route"] == "tasks"
    assert message.response_metadata["task_id"].startswith("tk-hiapi-")
    assert isinstance(message.response_metadata["expire_at"], int)
    blocks = [b for b in message.content if isinstance(b, dict) and b.get("type") == "image"]
    assert len(blocks) == 1
    assert blocks[0]["url"].startswith(("http://", "https://"))
    (image,) = get_images(message)
    width, height = png_size(image.data)
    assert width / height == pytest.approx(ratio, rel=0.03)


def test_chat_route_explicit() -> None:
    llm = ChatHiAPI(model=MODEL, image_route="chat", image_config={"aspect_ratio": "16:9"})
    message = llm.invoke("a lighthouse at dusk")
    assert message.response_metadata.get("route") != "tasks"
    (image,) = get_images(message)
    width, height = png_size(image.data)
    assert width / height == pytest.approx(16 / 9, rel=0.03)


def test_tasks_route_invoke(vcr: Any) -> None:
    llm = ChatHiAPI(
        model=MODEL,
        image_route="tasks",
        image_config={"aspect_ratio": "16:9", "image_size": "2K"},
        task_poll_interval=POLL,
    )
    message = llm.invoke("a lighthouse at dusk")
    assert isinstance(message, AIMessage)
    check_task_reply(message, 16 / 9)
    create = json.loads(vcr.requests[0].body)
    assert vcr.requests[0].uri.endswith("/v1/tasks")
    assert create == {
        "model": MODEL,
        "input": {"prompt": "a lighthouse at dusk", "aspect_ratio": "16:9", "resolution": "2K"},
    }


def test_tasks_route_edit_sends_the_url_back(vcr: Any) -> None:
    llm = ChatHiAPI(model=MODEL, image_route="tasks", task_poll_interval=POLL)
    first = llm.invoke("a red apple")
    second = llm.invoke([HumanMessage("a red apple"), first, HumanMessage("make it green")])
    check_task_reply(second, 1.0)
    creates = [json.loads(r.body) for r in vcr.requests if r.method == "POST"]
    url = first.content[1]["url"]  # type: ignore[index]
    assert creates[1]["input"]["prompt"] == "make it green"
    (sent,) = creates[1]["input"]["image_input"]
    # The recorded request names the canonical origin; the path is the first output's.
    assert sent.split("/files/", 1)[1] == url.split("/files/", 1)[1]


def test_tasks_route_stream_is_one_chunk() -> None:
    llm = ChatHiAPI(
        model=MODEL,
        image_route="tasks",
        image_config={"aspect_ratio": "9:16"},
        task_poll_interval=POLL,
    )
    chunks = list(llm.stream("a tall tower"))
    assert len(chunks) == 1
    assert isinstance(chunks[0], AIMessageChunk)
    check_task_reply(chunks[0], 9 / 16)


async def test_tasks_route_async() -> None:
    llm = ChatHiAPI(
        model=MODEL,
        image_route="tasks",
        image_config={"aspect_ratio": "4:3"},
        task_poll_interval=POLL,
    )
    check_task_reply(await llm.ainvoke("a sailing boat"), 4 / 3)


def test_auto_falls_back_from_chat_to_tasks(vcr: Any, chat_refuses_model: dict[str, Any]) -> None:
    llm = ChatHiAPI(
        model=MODEL,
        image_config={"aspect_ratio": "16:9"},
        task_poll_interval=POLL,
        **chat_refuses_model,
    )
    first = llm.invoke("a red fox in the snow")
    check_task_reply(first, 16 / 9)
    second = llm.invoke("a blue fox in the snow")
    check_task_reply(second, 16 / 9)
    paths = [f"{r.method} {r.uri.split('/v1', 1)[-1]}" for r in vcr.requests]
    assert paths[0] == "POST /chat/completions"  # tried first, answered 503 model_not_found
    assert paths[1] == "POST /tasks"
    assert paths.count("POST /chat/completions") == 1  # remembered: not tried again
    assert paths.count("POST /tasks") == 2
