"""Item 6 (server-chosen ids cannot retarget requests) and item 8's Retry-After part.

Videos run on the task API now (issue 12): the ids that reach request paths are task ids.
"""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from pydantic import SecretStr

from langchain_hiapi._client import MAX_RETRY_AFTER, HiAPIClient, RetryPolicy
from langchain_hiapi._task_flows import task_path
from langchain_hiapi.errors import InvalidResponseError
from langchain_hiapi.tasks import AsyncHiAPITasks, HiAPITasks
from langchain_hiapi.video import generate_video
from tests._support.servers import RawServer, reply

HOSTILE_IDS = [
    "../../models",
    "task/../../../v1/models",
    "a/b",
    "..",
    "task_1\r\nX-Injected: 1",
    "task_1\nHost: evil",
    "task 1",
    "task_1?x=1",
    "task_1#frag",
    "%2e%2e%2fmodels",
    "task_1\0",
    "",
    "-leading-dash",
    "x" * 300,
    "\uff54\uff41\uff53\uff4b",  # full-width letters
]


@pytest.mark.parametrize("task_id", HOSTILE_IDS)
def test_hostile_task_ids_never_become_request_paths(task_id: str) -> None:
    with pytest.raises(ValueError, match="task id"):
        task_path(task_id)


async def use_id(mode: str, task_id: Any, transport: httpx.MockTransport) -> Any:
    if mode == "sync":
        return HiAPITasks(api_key="k", http_client=httpx.Client(transport=transport)).get(task_id)
    tasks = AsyncHiAPITasks(api_key="k", http_async_client=httpx.AsyncClient(transport=transport))
    return await tasks.wait(task_id)


@pytest.mark.parametrize("task_id", [*HOSTILE_IDS, 42, None])
async def test_hostile_task_ids_from_callers_are_refused_before_any_request(
    task_id: Any, mode: str
) -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"code": 200, "data": {"taskId": "tk-1"}})

    with pytest.raises(ValueError, match="task id"):
        await use_id(mode, task_id, httpx.MockTransport(record))
    assert seen == []


def test_a_hostile_id_from_create_never_becomes_a_poll_url(tmp_path: Any) -> None:
    seen: list[str] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(
            200, json={"code": 200, "message": "success", "data": {"taskId": "../../v1/models?"}}
        )

    tasks = HiAPITasks(
        api_key="k", http_client=httpx.Client(transport=httpx.MockTransport(gateway))
    )
    with pytest.raises(InvalidResponseError, match="task id"):
        generate_video("a boat on a lake", save_dir=tmp_path, tasks=tasks)
    assert seen == ["/v1/tasks"]


@pytest.mark.parametrize(
    "task_id", ["tk-hiapi-01HZTQ8BX2N3GM3YFK4Z9D7VQR", "video_68b2c3", "upstream:abc.1-2", "a"]
)
def test_documented_id_shapes_pass_unchanged(task_id: str) -> None:
    assert task_path(task_id) == f"/tasks/{quote(task_id, safe='')}"  # ':' escaped, not lost


def test_messages_escape_control_characters() -> None:
    with pytest.raises(ValueError, match=r"\\r\\n") as info:
        task_path("a\r\nb")
    assert "\r" not in str(info.value)


# ------------------------------------------------------------------------------ Retry-After

HOSTILE_DATES = [
    "Mon, 01 Jan 99999999999 00:00:00 GMT",
    "Mon, 01 Jan 99999999999 00:00:00",
    "Fri, 31 Dec 9999 23:59:59 +9999",
    "Thu, 01 Jan 0001 00:00:00 GMT",
    "Mon, 32 Foo 2020 99:99:99 GMT",
    "Mon, 01 Jan 2020 00:00:00 +99999999999999999999",
    "1e999",
    "-1e999",
    "nan",
    "-5",
    "0x10",
    "\x00\x01",
    "9" * 5000,
    "Mon, 01 Jan 1e308 00:00 GMT",
]


@pytest.mark.parametrize("value", HOSTILE_DATES)
def test_unusable_retry_after_falls_back_to_backoff(value: str) -> None:
    policy = RetryPolicy()
    delay = policy.delay(1, {"Retry-After": value}, now=1_700_000_000.0, rand=0.0)
    assert delay == policy.delay(1, None, rand=0.0) or 0 < delay <= MAX_RETRY_AFTER
    ms = policy.delay(1, {"retry-after-ms": value}, now=1_700_000_000.0, rand=0.0)
    assert 0 <= ms <= MAX_RETRY_AFTER


@pytest.mark.parametrize(
    "value",
    [
        "Mon, 01 Jan 99999999999 00:00:00 GMT",
        "Mon, 01 Jan 99999999999 00:00:00",
        "Mon, 01 Jan 2020 00:00:00 +99999999999999999999",
        "1e999",
    ],
)
async def test_an_overflowing_retry_after_date_is_retried_normally(mode: str, value: str) -> None:
    answers = iter([503, 200])

    def handle(conn: socket.socket, head: bytes) -> None:
        status = next(answers)
        body = b'{"ok": true}' if status == 200 else b'{"error": {"message": "busy"}}'
        reply(conn, status, body, {"Retry-After": value, "Content-Type": "application/json"})

    sleeps: list[float] = []

    async def asleep(delay: float) -> None:
        sleeps.append(delay)

    with RawServer(handle) as server:
        client = HiAPIClient(
            base_url=server.base_url,
            api_key=SecretStr("sk-security-retry-after-0123"),
            sleep=sleeps.append,
            asleep=asleep,
        )
        if mode == "sync":
            result = client.request_json("GET", "/models")
        else:
            result = await client.arequest_json("GET", "/models")
        await client.aclose()
    assert result == {"ok": True}
    assert len(sleeps) == 1
    assert 0 < sleeps[0] <= RetryPolicy().max_delay
