"""A small in-memory HiAPI for unit tests of the task route: chat, `/v1/tasks` and files.

Used through `httpx.MockTransport` (no sockets). Tasks run `queued -> handling -> success`
over two polls; outputs are served from `https://cdn.test/...`.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from pydantic import SecretStr

from langchain_hiapi import AsyncHiAPITasks, ChatHiAPI, HiAPITasks
from tests._support.transports import mock_chat
from tests._support.wire import chat_reply, markdown_image, png_b64, png_bytes

CDN = "https://cdn.test"
EXPIRE_AT = 1_900_000_000
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 16


def envelope(data: Any, code: int = 200, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": "success" if code == 200 else "error", "data": data, **extra}


def chat_error(status: int, code: str, message: str = "refused") -> httpx.Response:
    body = {"error": {"message": message, "type": "new_api_error", "code": code}}
    return httpx.Response(status, json=body)


def task_chat(transport: httpx.MockTransport, **kwargs: Any) -> ChatHiAPI:
    """A `ChatHiAPI` on `transport` (usually `FakeHiAPI().transport()`) with fast task polls."""
    return mock_chat(
        transport,
        api_key=SecretStr("sk-unit"),
        base_url="https://api.test/v1",
        task_poll_interval=0.001,
        **kwargs,
    )


# Task clients on the fake server: no retries, fast polls, no real sleeping.
UNIT_TASKS: dict[str, Any] = {
    "api_key": "sk-unit",
    "base_url": "https://api.test/v1",
    "max_retries": 0,
    "poll_interval": 0.001,
}


def sync_tasks(server: FakeHiAPI) -> HiAPITasks:
    """`HiAPITasks` on `server` (both HTTP clients, for tools that run either way)."""
    transport = server.transport()
    return HiAPITasks(
        **UNIT_TASKS,
        http_client=httpx.Client(transport=transport),
        http_async_client=httpx.AsyncClient(transport=transport),
        sleep=lambda _: None,
    )


def async_tasks(server: FakeHiAPI) -> AsyncHiAPITasks:
    """`AsyncHiAPITasks` on `server`."""

    async def no_sleep(_: float) -> None:
        return None

    transport = server.transport()
    return AsyncHiAPITasks(
        **UNIT_TASKS, http_async_client=httpx.AsyncClient(transport=transport), sleep=no_sleep
    )


class FakeHiAPI:
    """Answers chat completions, task creates/polls and output downloads.

    Attributes:
        chat_answer: What `/chat/completions` answers (default: an image reply).
        outputs: `(type, name, content type)` of every task output.
        end: The terminal status (`success` or `fail`).
        polls_to_finish: Polls before the terminal status.
        requests: Every request seen.
    """

    def __init__(self) -> None:
        self.chat_answer: httpx.Response = httpx.Response(
            200, json=chat_reply(f"Here\n{markdown_image(png_b64(4, 4))}")
        )
        self.outputs: list[tuple[str, str, str]] = [("image", "0.png", "image/png")]
        self.end = "success"
        self.error = {"code": "TASK_FAILED", "message": "upstream rejected the prompt"}
        self.polls_to_finish = 2
        self.requests: list[httpx.Request] = []
        self.tasks: dict[str, dict[str, Any]] = {}
        self.create_answer: httpx.Response | None = None

    # -- inspection ---------------------------------------------------------------------

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]

    def creates(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "POST" and r.url.path == "/v1/tasks"]

    def create_bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.creates()]

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    # -- serving ------------------------------------------------------------------------

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host == "cdn.test":
            return self.file(request.url.path)
        path = request.url.path
        if request.method == "POST" and path.endswith("/chat/completions"):
            answer = self.chat_answer
            answer.read()
            return httpx.Response(
                answer.status_code, headers=answer.headers, content=answer.content
            )
        if request.method == "POST" and path == "/v1/tasks":
            if self.create_answer is not None:
                answer = self.create_answer
                answer.read()
                return httpx.Response(
                    answer.status_code, headers=answer.headers, content=answer.content
                )
            task_id = f"tk-hiapi-{len(self.tasks) + 1:026d}"
            body = json.loads(request.content)
            self.tasks[task_id] = {"model": body["model"], "polls": 0}
            return httpx.Response(200, json=envelope({"taskId": task_id}))
        match = re.fullmatch(r"/v1/tasks/([^/]+)", path)
        if request.method == "GET" and match and match.group(1) in self.tasks:
            return httpx.Response(200, json=envelope(self.detail(match.group(1))))
        return httpx.Response(404, json={"error": {"message": "no route", "code": ""}})

    def detail(self, task_id: str) -> dict[str, Any]:
        task = self.tasks[task_id]
        task["polls"] += 1
        data: dict[str, Any] = {"taskId": task_id, "model": task["model"], "created": 1}
        if task["polls"] < self.polls_to_finish:
            data.update(status="handling", completed=0)
            return data
        data.update(status=self.end, completed=2)
        if self.end == "success":
            data["output"] = [
                {"url": f"{CDN}/tasks/{task_id}/{name}", "type": kind, "expireAt": EXPIRE_AT}
                for kind, name, _ in self.outputs
            ]
        else:
            data["error"] = self.error
        return data

    def file(self, path: str) -> httpx.Response:
        name = path.rsplit("/", 1)[-1]
        for _, out_name, content_type in self.outputs:
            if out_name == name:
                content = png_bytes(8, 6) if content_type.startswith("image/") else MP4
                return httpx.Response(200, content=content, headers={"content-type": content_type})
        return httpx.Response(404)
