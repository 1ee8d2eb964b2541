"""A scripted task server plus a fake clock (`World`), shared by the task-flow unit tests."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from langchain_hiapi._client import JSONReply
from langchain_hiapi._files import FetchedFile
from langchain_hiapi._flows import Flow, run_sync
from langchain_hiapi.errors import NotFoundError

WALL_START = 1_800_000_000.0
ID = "tk-hiapi-01HZTQ8BX2N3GM3YFK4Z9D7VQR"


def ok(data: Any, **headers: str) -> JSONReply:
    return JSONReply(200, headers, {"code": 200, "message": "success", "data": data})


class FakeTask:
    """A task whose status depends on the fake time: queued, handling, then the end."""

    def __init__(self, task_id: str, *, done_at: float, created: int, end: str = "success"):
        self.id, self.done_at, self.created, self.end = task_id, done_at, created, end

    def detail(self, now: float, *, outputs: bool = True) -> dict[str, Any]:
        status = (
            "queued" if now < self.done_at / 2 else "handling" if now < self.done_at else self.end
        )
        data: dict[str, Any] = {
            "taskId": self.id,
            "model": "seedance-2.0",
            "status": status,
            "created": self.created,
            "completed": 0,
        }
        if status == "success" and outputs:
            data["completed"] = self.created + int(self.done_at)
            data["output"] = [
                {"url": f"https://cdn.test/{self.id}/0.mp4", "type": "video", "expireAt": 2e9}
            ]
        if status == "fail":
            data["error"] = {"code": "TASK_FAILED", "message": "upstream rejected the prompt"}
        return data


class World:
    """A scripted task server plus a fake clock, usable as the driver's client."""

    def __init__(self) -> None:
        self.now = 0.0
        self.tasks: dict[str, FakeTask] = {}
        self.order: list[str] = []  # oldest first
        self.calls: list[tuple[str, str, Any]] = []
        self.sleeps: list[float] = []
        self.failures: list[Exception] = []  # raised by the next requests, in order
        self.list_outputs = True
        self.hidden: set[str] = set()  # tasks the list endpoint leaves out

    def add(self, task_id: str, done_at: float, end: str = "success") -> None:
        self.tasks[task_id] = FakeTask(
            task_id, done_at=done_at, created=1_777_000_000 + len(self.order), end=end
        )
        self.order.append(task_id)

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now

    def wall_clock(self) -> float:
        return WALL_START + self.now

    def request(
        self, method: str, path: str, body: Mapping[str, Any] | None = None, **options: Any
    ) -> JSONReply:
        """`HiAPIClient.request`'s call shape; `options` are its `headers` and `params`."""
        params: Mapping[str, Any] | None = options.get("params")
        self.calls.append((method, path, params))
        if self.failures:
            raise self.failures.pop(0)
        if method == "GET" and path.startswith("/tasks/"):
            task = self.tasks.get(path.removeprefix("/tasks/"))
            if task is None:
                raise NotFoundError("task not found", status_code=404)
            return ok(task.detail(self.now))
        if method == "GET" and path == "/tasks":
            assert params is not None
            page, size = params["page"], params["size"]
            newest = [i for i in reversed(self.order) if i not in self.hidden]
            items = [
                self.tasks[i].detail(self.now, outputs=self.list_outputs)
                for i in newest[(page - 1) * size : page * size]
            ]
            return ok({"page": page, "size": size, "total": len(newest), "tasks": items})
        raise AssertionError(f"unexpected {method} {path}")

    def fetch_to_file(
        self, url: str, dest_dir: str | os.PathLike[str], stem: str, *, max_bytes: int
    ) -> FetchedFile:
        self.calls.append(("FETCH", url, stem))
        return FetchedFile(Path(dest_dir) / f"{stem}.mp4", "video/mp4", 3)

    def run(self, flow: Flow[Any]) -> Any:
        return run_sync(flow, self, sleep=self.sleep, clock=self.clock, wall_clock=self.wall_clock)
