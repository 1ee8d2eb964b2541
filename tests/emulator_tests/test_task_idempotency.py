"""Emulator: `Idempotency-Key` on `POST /v1/tasks` and fault injection on the task routes."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from langchain_hiapi.testing import HiAPIEmulator, Reply, TaskTiming
from tests._support.emulator import (
    FakeClock,
    client_for,
    created_id,
    detail,
    error_of,
)

KEY = "idem-key"
OTHER = "idem-other"
BOAT = {"prompt": "a paper boat"}
DAY = 24 * 3600


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def emu(clock: FakeClock) -> Iterator[HiAPIEmulator]:
    timing = TaskTiming(clock=clock)
    with HiAPIEmulator(api_key=KEY, extra_api_keys=[OTHER], task_timing=timing) as emulator:
        yield emulator


@pytest.fixture
def client(emu: HiAPIEmulator, http: httpx.Client) -> httpx.Client:
    emu.reset()
    emu.balance_exhausted = False
    return http


def _post(client: httpx.Client, body: bytes, key: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post("/tasks", content=body, headers=headers)


RAW = b'{"model":"seedance-2.0","input":{"prompt":"a paper boat"}}'


# ---------------------------------------------------------------------------- idempotency


def test_same_key_and_body_replays_the_first_task(emu: HiAPIEmulator, client: httpx.Client) -> None:
    first = _post(client, RAW, "k-1")
    assert "idempotent-replay" not in first.headers
    again = _post(client, RAW, "k-1")
    assert again.status_code == 200
    assert again.headers["idempotent-replay"] == "true"
    assert again.json() == first.json()
    stats = emu.task_stats()
    assert (stats.tasks_created, stats.idempotent_replays) == (1, 1)
    assert stats.tasks_per_idempotency_key == {"k-1": 1}
    assert client.get("/tasks").json()["data"]["total"] == 1


def test_replay_works_after_the_task_ended(client: httpx.Client) -> None:
    task_id = created_id(_post(client, RAW, "k-done"))
    for _ in range(4):
        detail(client, task_id)
    assert created_id(_post(client, RAW, "k-done")) == task_id


def test_different_keys_and_no_key_create_new_tasks(
    emu: HiAPIEmulator, client: httpx.Client
) -> None:
    ids = {created_id(_post(client, RAW, key)) for key in ("a", "b", None, None)}
    assert len(ids) == 4
    assert emu.task_stats().tasks_per_idempotency_key == {"a": 1, "b": 1}


def test_same_key_other_body_is_422(client: httpx.Client) -> None:
    created_id(_post(client, RAW, "k-2"))
    other = b'{"model":"seedance-2.0","input":{"prompt":"a paper plane"}}'
    message = error_of(_post(client, other, "k-2"), 422, "IDEMPOTENCY_KEY_MISMATCH")
    assert "different request body" in message
    # The hash is over the raw bytes: the same JSON spelled differently is another body.
    spaced = b'{"model": "seedance-2.0", "input": {"prompt": "a paper boat"}}'
    error_of(_post(client, spaced, "k-2"), 422, "IDEMPOTENCY_KEY_MISMATCH")


def test_keys_are_per_api_key(emu: HiAPIEmulator, client: httpx.Client) -> None:
    mine = created_id(_post(client, RAW, "shared"))
    with client_for(emu.base_url, OTHER) as other:
        theirs = _post(other, RAW, "shared")
        assert "idempotent-replay" not in theirs.headers
        assert created_id(theirs) != mine


def test_keys_expire_after_24_hours(
    emu: HiAPIEmulator, client: httpx.Client, clock: FakeClock
) -> None:
    first = created_id(_post(client, RAW, "k-day"))
    clock.advance(DAY)
    assert created_id(_post(client, RAW, "k-day")) == first
    clock.advance(1)
    fresh = _post(client, RAW, "k-day")
    assert "idempotent-replay" not in fresh.headers
    assert created_id(fresh) != first
    assert emu.task_stats().tasks_per_idempotency_key == {"k-day": 2}


def test_a_refused_request_leaves_the_key_free(emu: HiAPIEmulator, client: httpx.Client) -> None:
    bad = b'{"model":"seedance-2.0","input":{"prompt":"a paper boat","seed":1}}'
    error_of(_post(client, bad, "k-fix"), 400, "INVALID_REQUEST")
    emu.balance_exhausted = True
    error_of(_post(client, RAW, "k-fix"), 402, "INSUFFICIENT_QUOTA")
    emu.balance_exhausted = False
    response = _post(client, RAW, "k-fix")
    assert "idempotent-replay" not in response.headers
    created_id(response)


def test_a_replay_is_not_billed_again(emu: HiAPIEmulator, client: httpx.Client) -> None:
    task_id = created_id(_post(client, RAW, "k-bal"))
    emu.balance_exhausted = True
    assert created_id(_post(client, RAW, "k-bal")) == task_id


def _post_raw_key(client: httpx.Client, key: bytes) -> httpx.Response:
    headers = {"Content-Type": b"application/json", "Idempotency-Key": key}
    return client.post("/tasks", content=RAW, headers=headers)


@pytest.mark.parametrize("key", [b"x" * 256, "é".encode() * 128, b"a\x7fb", b"\xff\xfe"])
def test_overlong_or_garbled_keys_are_400(client: httpx.Client, key: bytes) -> None:
    message = error_of(_post_raw_key(client, key), 400, "INVALID_REQUEST")
    assert "Idempotency-Key must be 1 to 255 bytes" in message


@pytest.mark.parametrize("key", [b"x" * 255, "é".encode() * 127, "€ key".encode()])
def test_keys_up_to_255_utf8_bytes_are_fine(client: httpx.Client, key: bytes) -> None:
    first = created_id(_post_raw_key(client, key))
    assert created_id(_post_raw_key(client, key)) == first


def _wait_for(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def test_409_while_the_first_request_is_still_creating(
    emu: HiAPIEmulator, client: httpx.Client
) -> None:
    emu.queue(Reply(create_delay=1.0))
    results: list[httpx.Response] = []
    first = threading.Thread(target=lambda: results.append(_post(client, RAW, "k-slow")))
    first.start()
    try:
        _wait_for(lambda: emu.tasks.keys_in_flight() == 1)
        busy = _post(client, RAW, "k-slow")
        assert "still in progress" in error_of(busy, 409, "IDEMPOTENCY_KEY_PROCESSING")
        assert busy.headers["retry-after"] == "1"
        # A different body is still a mismatch, even while the first is in flight.
        error_of(
            _post(client, RAW.replace(b"boat", b"ship"), "k-slow"), 422, "IDEMPOTENCY_KEY_MISMATCH"
        )
        assert client.get("/tasks").json()["data"]["total"] == 0
    finally:
        first.join(timeout=10)
    task_id = created_id(results[0])
    replay = _post(client, RAW, "k-slow")
    assert replay.headers["idempotent-replay"] == "true"
    assert created_id(replay) == task_id
    assert emu.task_stats().tasks_per_idempotency_key == {"k-slow": 1}


# ---------------------------------------------------------------------------- faults


def test_post_cut_after_creation_then_retried_replays(
    emu: HiAPIEmulator, client: httpx.Client
) -> None:
    emu.queue(Reply(disconnect_after_processing=True))
    with pytest.raises(httpx.RemoteProtocolError):
        _post(client, RAW, "k-cut")
    [listed] = client.get("/tasks").json()["data"]["tasks"]
    retried = _post(client, RAW, "k-cut")
    assert retried.headers["idempotent-replay"] == "true"
    assert created_id(retried) == listed["taskId"]
    stats = emu.task_stats()
    assert stats.tasks_created == 1
    assert stats.tasks_per_idempotency_key == {"k-cut": 1}


def test_post_cut_after_creation_without_a_key_bills_twice(
    emu: HiAPIEmulator, client: httpx.Client
) -> None:
    emu.queue(Reply(disconnect_after_processing=True))
    with pytest.raises(httpx.RemoteProtocolError):
        _post(client, RAW, None)
    created_id(_post(client, RAW, None))
    assert emu.task_stats().tasks_created == 2


def test_scripted_409_then_replay(emu: HiAPIEmulator, client: httpx.Client) -> None:
    emu.queue(Reply(disconnect_after_processing=True), Reply(status=409))
    with pytest.raises(httpx.RemoteProtocolError):
        _post(client, RAW, "k-409")
    busy = _post(client, RAW, "k-409")
    error_of(busy, 409, "IDEMPOTENCY_KEY_PROCESSING")
    assert busy.headers["retry-after"] == "1"
    replay = _post(client, RAW, "k-409")
    assert replay.headers["idempotent-replay"] == "true"
    assert emu.task_stats().tasks_created == 1


@pytest.mark.parametrize(
    ("status", "error_code"),
    [
        (400, "INVALID_REQUEST"),
        (401, "UNAUTHORIZED"),
        (402, "INSUFFICIENT_QUOTA"),
        (404, "NOT_FOUND"),
        (422, "IDEMPOTENCY_KEY_MISMATCH"),
        (429, "RATE_LIMIT_EXCEEDED"),
        (500, "INTERNAL_ERROR"),
        (503, "SERVICE_UNAVAILABLE"),
    ],
)
def test_bare_scripted_statuses_use_the_task_envelope(
    emu: HiAPIEmulator, client: httpx.Client, status: int, error_code: str
) -> None:
    emu.queue(Reply(status=status), Reply(status=status))
    error_of(_post(client, RAW, "k"), status, error_code)
    response = client.get("/tasks/tk-hiapi-01HZTQ8BX2N3GM3YFK4Z9D7VQR")
    error_of(response, status, error_code)
    assert "retry-after" not in response.headers
    assert emu.task_stats().tasks_created == 0


def test_scripted_bodies_and_headers_are_sent_verbatim(
    emu: HiAPIEmulator, client: httpx.Client
) -> None:
    blog = {"error": {"code": "rate_limit_exceeded", "type": "hiapi_error", "request_id": "req_1"}}
    emu.queue(
        Reply(status=429, body=blog),
        Reply(
            status=503,
            body="<html>busy</html>",
            content_type="text/html",
            headers={"Retry-After": "3"},
        ),
    )
    first = _post(client, RAW, None)
    assert (first.status_code, first.json()) == (429, blog)
    second = client.get("/tasks")
    assert second.status_code == 503
    assert second.text == "<html>busy</html>"
    assert second.headers["retry-after"] == "3"


def test_scripted_delay_and_cut_body_on_polls(emu: HiAPIEmulator, client: httpx.Client) -> None:
    task_id = created_id(_post(client, RAW, None))
    emu.queue(Reply(stream_cut_after=0))
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(f"/tasks/{task_id}")
    emu.queue(Reply(malformed_json=True))
    truncated = client.get(f"/tasks/{task_id}")
    assert truncated.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        truncated.json()
    emu.queue(Reply(delay=0.3))
    with pytest.raises(httpx.ReadTimeout):
        client.get(f"/tasks/{task_id}", timeout=0.05)
