"""Helpers of the task-API emulator tests (plain HTTP, never the package's client)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

TASK_ID = re.compile(r"^tk-hiapi-[0-9A-HJKMNP-TV-Z]{26}$")


class FakeClock:
    """A settable clock: `clock()` returns `now`; `advance(s)` moves it on."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


_ANONYMOUS: list[httpx.Client] = []


def download(url: str) -> httpx.Response:
    """GETs an output URL without any Authorization header (like a signed CDN link)."""
    if not _ANONYMOUS:
        _ANONYMOUS.append(httpx.Client(timeout=10))
    return _ANONYMOUS[0].get(url)


def client_for(base_url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=10)


def create(
    client: httpx.Client,
    model: str,
    input: Any,
    *,
    key: str | None = None,
    **top: Any,
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post("/tasks", json={"model": model, "input": input, **top}, headers=headers)


def created_id(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    task_id = response.json()["data"]["taskId"]
    assert isinstance(task_id, str)
    return task_id


def detail(client: httpx.Client, task_id: str) -> dict[str, Any]:
    response = client.get(f"/tasks/{task_id}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == 200
    assert body["message"] == "success"
    data: dict[str, Any] = body["data"]
    return data


def poll_until_done(client: httpx.Client, task_id: str, limit: int = 10) -> dict[str, Any]:
    for _ in range(limit):
        data = detail(client, task_id)
        if data["status"] in ("success", "fail"):
            return data
    raise AssertionError(f"task {task_id} did not end in {limit} polls")


def error_of(response: httpx.Response, status: int, error_code: str) -> str:
    """Asserts the task API's error envelope and returns its message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message", "data", "error_code"}, body
    assert body["code"] == status
    assert body["data"] is None
    assert body["error_code"] == error_code, body
    message = body["message"]
    assert isinstance(message, str)
    assert message
    return message


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """A loopback webhook receiver answering scripted statuses (then 200).

    Args:
        statuses: Statuses for the first deliveries, in order.
    """

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.deliveries: list[Delivery] = []
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._cond:
                    receiver.deliveries.append(
                        Delivery(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver._cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Delivery]:
        with self._cond:
            ok = self._cond.wait_for(lambda: len(self.deliveries) >= count, timeout)
            assert ok, f"expected {count} deliveries, got {len(self.deliveries)}"
            return list(self.deliveries)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def receiver_fixture(statuses: list[int] | None = None) -> Iterator[Receiver]:
    receiver = Receiver(statuses)
    try:
        yield receiver
    finally:
        receiver.close()


def loads(data: bytes) -> Any:
    return json.loads(data.decode("utf-8"))
