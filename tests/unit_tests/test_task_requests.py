"""The task API's single requests driven with scripted answers: ids, create, get, list, download.

Issue 11 behaviours 1 and 4 at the flow level: create with an idempotency key, inputs
checked before sending, downloads refusing expired outputs.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from langchain_hiapi._client import JSONReply
from langchain_hiapi._task_records import Task, TaskOutput
from langchain_hiapi._task_requests import (
    build_create,
    create_flow,
    download_flow,
    get_flow,
    list_flow,
    task_path,
)
from langchain_hiapi.errors import (
    InvalidResponseError,
    OutputExpiredError,
    TaskFailedError,
    TaskInputError,
)
from tests._support.task_world import ID, WALL_START, World, ok

# -- task ids ------------------------------------------------------------------------------


@pytest.mark.parametrize("task_id", [ID, "task_01HXXXX", "a", "tk-hiapi-1.2_x"])
def test_task_path_accepts_ids(task_id: str) -> None:
    assert task_path(task_id) == f"/tasks/{task_id}"


def test_task_path_escapes_what_a_path_must_not_hold_raw() -> None:
    assert task_path("ns:tk-1") == "/tasks/ns%3Atk-1"


@pytest.mark.parametrize(
    "task_id", ["", "../v1/models", "a/b", "a b", "x?page=1", "a#b", "%2e%2e", "..", "é", "x" * 300]
)
def test_task_path_refuses_what_is_no_id(task_id: str) -> None:
    with pytest.raises(ValueError, match="not a task id"):
        task_path(task_id)


def test_task_path_refuses_non_strings() -> None:
    with pytest.raises(ValueError, match="not a task id"):
        task_path(None)  # type: ignore[arg-type]


# -- create --------------------------------------------------------------------------------


def test_create_body_headers_and_replay() -> None:
    request = build_create(
        "seedance-2-0",
        {"prompt": "a paper boat", "duration": 5},
        callback_url="http://127.0.0.1:9/cb",
        storage="persistent",
    )
    assert request.body == {
        "model": "seedance-2.0",
        "input": {"prompt": "a paper boat", "duration": 5},
        "callback": {"url": "http://127.0.0.1:9/cb", "when": "final"},
        "storage": "persistent",
    }
    assert uuid.UUID(request.idempotency_key).version == 4
    assert build_create("m", {}).idempotency_key != build_create("m", {}).idempotency_key

    sent: list[Any] = []

    class Client(World):
        def request(self, method: str, path: str, body: Any = None, **kw: Any) -> JSONReply:
            sent.append((method, path, body, kw["headers"]))
            return ok({"taskId": ID}, **{"idempotent-replay": "true"})

    task = Client().run(create_flow(request))
    assert sent == [("POST", "/tasks", request.body, {"Idempotency-Key": request.idempotency_key})]
    assert (task.id, task.status, task.model) == (ID, "queued", "seedance-2.0")
    assert task.storage == "persistent"
    assert task.idempotent_replay is True


@pytest.mark.parametrize(
    ("route", "sent"), [(None, None), ("", None), ("default", "default"), ("ext", "ext")]
)
def test_route_is_omitted_when_empty(route: str | None, sent: str | None) -> None:
    body = build_create(
        "gpt-image-2",
        {"prompt": "p", "quality": "low"} if route == "ext" else {"prompt": "p"},
        route=route,
    ).body
    assert body.get("route") == sent
    assert "route" in body if sent else "route" not in body
    assert body["model"] == "gpt-image-2/text-to-image"


def test_create_checks_before_sending() -> None:
    with pytest.raises(TaskInputError, match=r"input\.seed: not accepted by seedance-2\.0"):
        build_create("seedance-2.0", {"prompt": "boat", "seed": 1})
    assert build_create("seedance-2.0", {"prompt": "b", "seed": 1}, validate=False).body["input"]
    with pytest.raises(TaskInputError, match="routes: 'default', 'beta', 'ext'"):
        build_create("gpt-image-2/text-to-image", {"prompt": "p"}, route="pro")
    with pytest.raises(ValueError, match="storage must be one of 'temp', 'persistent'"):
        build_create("m", {}, storage="forever")
    with pytest.raises(ValueError, match="callback_url must be an http"):
        build_create("m", {}, callback_url="ftp://x")
    with pytest.raises(ValueError, match="model must be a non-empty string"):
        build_create(" ", {})


@pytest.mark.parametrize(
    ("key", "match"),
    [
        ("", "non-empty"),
        ("k" * 256, "at most 255 bytes"),
        ("a\nb", "control characters"),
        ("clé", "ASCII"),
        (" padded", "surrounding spaces"),
        (7, "non-empty string"),
    ],
)
def test_idempotency_key_checked(key: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build_create("m", {}, idempotency_key=key)


def test_idempotency_key_given_is_used() -> None:
    assert build_create("m", {}, idempotency_key="k" * 255).idempotency_key == "k" * 255


def test_create_reply_without_task_id() -> None:
    class Client(World):
        def request(self, *a: Any, **kw: Any) -> JSONReply:
            return ok({"id": None})

    with pytest.raises(InvalidResponseError, match="no taskId"):
        Client().run(create_flow(build_create("m", {})))


# -- get and list --------------------------------------------------------------------------


def test_list_flow_and_checks() -> None:
    world = World()
    world.add("tk-a", done_at=0)
    page = world.run(list_flow(1, 20))
    assert [t.id for t in page.tasks] == ["tk-a"]
    assert (page.total, page.page, page.size) == (1, 1, 20)
    assert world.calls == [("GET", "/tasks", {"page": 1, "size": 20})]
    for bad in ({"page": 0}, {"size": 101}, {"size": 0}, {"page": True}):
        with pytest.raises(ValueError, match="must be"):
            world.run(list_flow(**bad))


def test_get_flow_reply_checks() -> None:
    class Client(World):
        def request(self, *a: Any, **kw: Any) -> JSONReply:
            return JSONReply(200, {}, {"code": 200, "data": ["not", "a", "task"]})

    with pytest.raises(InvalidResponseError, match="expected a task object"):
        Client().run(get_flow(ID))


# -- download ------------------------------------------------------------------------------


def finished(*outputs: TaskOutput, status: str = "success") -> Task:
    return Task(id=ID, model="m", status=status, outputs=list(outputs))


def test_download_every_output_with_typed_stems(tmp_path: Path) -> None:
    task = finished(
        TaskOutput("https://cdn.test/v.mp4", "video", int(WALL_START) + 10),
        TaskOutput("https://cdn.test/f.jpg", "first_frame", None),
    )
    world = World()
    paths = world.run(download_flow(task, tmp_path, max_bytes=99))
    assert paths == [tmp_path / f"{ID}-video.mp4", tmp_path / f"{ID}-first_frame.mp4"]
    assert world.calls == [
        ("FETCH", "https://cdn.test/v.mp4", f"{ID}-video"),
        ("FETCH", "https://cdn.test/f.jpg", f"{ID}-first_frame"),
    ]
    world.calls.clear()
    assert len(world.run(download_flow(task, tmp_path, types=["first_frame"]))) == 1
    assert world.run(download_flow(task, tmp_path, types="audio")) == []


def test_download_refuses_expired_output_before_fetching(tmp_path: Path) -> None:
    task = finished(
        TaskOutput("https://cdn.test/v.mp4", "video", int(WALL_START) + 10),
        TaskOutput("https://cdn.test/f.jpg", "first_frame", int(WALL_START) - 5),
    )
    world = World()
    with pytest.raises(OutputExpiredError) as info:
        world.run(download_flow(task, tmp_path))
    assert info.value.expire_at == int(WALL_START) - 5
    assert f"expire_at={int(WALL_START) - 5}" in str(info.value)
    assert world.calls == []


@pytest.mark.parametrize(
    ("task", "error"),
    [
        (finished(status="handling"), ValueError),
        (finished(status="fail"), TaskFailedError),
        (finished(), InvalidResponseError),
    ],
)
def test_download_needs_a_successful_task(
    tmp_path: Path, task: Task, error: type[Exception]
) -> None:
    world = World()
    with pytest.raises(error):
        world.run(download_flow(task, tmp_path))
    assert world.calls == []
