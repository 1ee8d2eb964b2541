"""Emulator: task callbacks POSTed to a loopback receiver, signed, redelivered on non-2xx."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from langchain_hiapi.testing import CallbackPolicy, HiAPIEmulator, TaskTiming
from langchain_hiapi.testing._callbacks import loopback_address, sign
from tests._support.emulator import (
    FakeClock,
    Receiver,
    client_for,
    create,
    created_id,
    detail,
    poll_until_done,
    receiver_fixture,
)

KEY = "hook-key"
SECRET = "whsec_emulator_test_secret"
FAST = CallbackPolicy(attempts=3, backoff=0.01, max_backoff=0.05, timeout=2.0)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from receiver_fixture()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _emulator(clock: FakeClock, **options: Any) -> HiAPIEmulator:
    options.setdefault("task_timing", TaskTiming(0, 0, 0, clock=clock))
    options.setdefault("callback_policy", FAST)
    return HiAPIEmulator(api_key=KEY, **options)


def _expected_signature(timestamp: str, body: bytes) -> str:
    signed = timestamp.encode("ascii") + b"." + body
    return hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()


def test_signed_callback_carries_the_detail_object(clock: FakeClock, receiver: Receiver) -> None:
    with _emulator(clock, webhook_secret=SECRET) as emu, client_for(emu.base_url, KEY) as client:
        callback = {"url": receiver.url + "?task=1", "when": "final"}
        task_id = created_id(
            create(client, "seedance-2.0", {"prompt": "a boat"}, callback=callback)
        )
        assert receiver.deliveries == []  # nothing before the task ends
        done = detail(client, task_id)
        [delivery] = receiver.wait_for(1)
        assert delivery.path == "/hook?task=1"
        assert delivery.headers["content-type"] == "application/json"
        # The body is the detail object itself, not the {code, message, data} envelope.
        assert json.loads(delivery.body) == done
        assert done["status"] == "success"
        timestamp = delivery.headers["x-hiapi-timestamp"]
        assert timestamp == str(int(clock.now))
        signature = delivery.headers["x-hiapi-signature"]
        assert signature == _expected_signature(timestamp, delivery.body)
        assert signature == signature.lower()
        assert len(signature) == 64
        assert emu.wait_for_callbacks()
        [attempt] = emu.callback_attempts
        assert (attempt.task_id, attempt.attempt, attempt.status) == (task_id, 1, 200)
        assert attempt.delivered


def test_tampered_bodies_do_not_verify(clock: FakeClock, receiver: Receiver) -> None:
    with _emulator(clock, webhook_secret=SECRET) as emu, client_for(emu.base_url, KEY) as client:
        create(client, "Nano-Banana", {"prompt": "a cat"}, callback={"url": receiver.url})
        emu.finish_tasks()
        [delivery] = receiver.wait_for(1)
        timestamp = delivery.headers["x-hiapi-timestamp"]
        tampered = delivery.body.replace(b"success", b"fail")
        assert delivery.headers["x-hiapi-signature"] != _expected_signature(timestamp, tampered)
        assert sign(SECRET, timestamp, delivery.body) == delivery.headers["x-hiapi-signature"]


def test_without_a_secret_there_are_no_signature_headers(
    clock: FakeClock, receiver: Receiver
) -> None:
    with _emulator(clock) as emu, client_for(emu.base_url, KEY) as client:
        task_id = created_id(
            create(client, "Nano-Banana", {"prompt": "a cat"}, callback={"url": receiver.url})
        )
        detail(client, task_id)
        [delivery] = receiver.wait_for(1)
        assert "x-hiapi-signature" not in delivery.headers
        assert "x-hiapi-timestamp" not in delivery.headers
        assert json.loads(delivery.body)["taskId"] == task_id


def test_failed_tasks_call_back_too(clock: FakeClock, receiver: Receiver) -> None:
    with _emulator(clock, webhook_secret=SECRET) as emu, client_for(emu.base_url, KEY) as client:
        data = {"prompt": "a boat [fail]"}
        task_id = created_id(create(client, "seedance-2.0", data, callback={"url": receiver.url}))
        detail(client, task_id)
        [delivery] = receiver.wait_for(1)
        body = json.loads(delivery.body)
        assert body["status"] == "fail"
        assert body["error"]["code"] == "TASK_FAILED"


def test_one_callback_per_task_however_often_polled(clock: FakeClock, receiver: Receiver) -> None:
    with _emulator(clock) as emu, client_for(emu.base_url, KEY) as client:
        callback = {"url": receiver.url}
        ids = [
            created_id(create(client, "Nano-Banana", {"prompt": "a cat"}, callback=callback))
            for _ in range(2)
        ]
        created_id(create(client, "Nano-Banana", {"prompt": "no callback"}))
        for _ in range(3):
            client.get("/tasks")
            for task_id in ids:
                detail(client, task_id)
        assert emu.wait_for_callbacks()
        assert sorted(json.loads(d.body)["taskId"] for d in receiver.deliveries) == sorted(ids)


def test_timed_tasks_call_back_without_being_polled(receiver: Receiver) -> None:
    clock = FakeClock()
    timing = TaskTiming(queued=1, handling=2, archiving=1, unit="seconds", clock=clock)
    with (
        _emulator(clock, task_timing=timing, webhook_secret=SECRET) as emu,
        client_for(emu.base_url, KEY) as client,
    ):
        data = {"prompt": "a boat"}
        task_id = created_id(create(client, "seedance-2.0", data, callback={"url": receiver.url}))
        clock.advance(4)
        [delivery] = receiver.wait_for(1)
        body = json.loads(delivery.body)
        assert body["taskId"] == task_id
        assert body["status"] == "success"
        assert body["completed"] == body["created"] + 4
        assert delivery.headers["x-hiapi-timestamp"] == str(int(clock.now))
        stats = emu.task_stats()
        assert stats.poll_requests == 0


def test_finish_tasks_sends_callbacks_in_poll_mode(clock: FakeClock, receiver: Receiver) -> None:
    with (
        _emulator(clock, task_timing=TaskTiming(clock=clock)) as emu,
        client_for(emu.base_url, KEY) as client,
    ):
        data = {"prompt": "a cat"}
        task_id = created_id(create(client, "Nano-Banana", data, callback={"url": receiver.url}))
        assert emu.finish_tasks() == 1
        [delivery] = receiver.wait_for(1)
        assert json.loads(delivery.body)["taskId"] == task_id
        assert detail(client, task_id)["status"] == "success"


def test_non_2xx_answers_are_redelivered_with_fresh_signatures(clock: FakeClock) -> None:
    receiver = Receiver([500, 503])
    try:
        with (
            _emulator(clock, webhook_secret=SECRET) as emu,
            client_for(emu.base_url, KEY) as client,
        ):
            data = {"prompt": "a cat"}
            task_id = created_id(
                create(client, "Nano-Banana", data, callback={"url": receiver.url})
            )
            detail(client, task_id)
            deliveries = receiver.wait_for(3)
            assert emu.wait_for_callbacks()
            assert len({d.body for d in deliveries}) == 1
            for delivery in deliveries:
                timestamp = delivery.headers["x-hiapi-timestamp"]
                assert delivery.headers["x-hiapi-signature"] == _expected_signature(
                    timestamp, delivery.body
                )
            attempts = emu.callback_attempts
            assert [(a.attempt, a.status) for a in attempts] == [(1, 500), (2, 503), (3, 200)]
            assert [a.delivered for a in attempts] == [False, False, True]
    finally:
        receiver.close()


def test_redelivery_is_bounded(clock: FakeClock) -> None:
    receiver = Receiver([500] * 10)
    try:
        policy = CallbackPolicy(attempts=2, backoff=0.01, timeout=2.0)
        with (
            _emulator(clock, callback_policy=policy) as emu,
            client_for(emu.base_url, KEY) as client,
        ):
            data = {"prompt": "a cat"}
            task_id = created_id(
                create(client, "Nano-Banana", data, callback={"url": receiver.url})
            )
            detail(client, task_id)
            assert emu.wait_for_callbacks()
            assert [a.status for a in emu.callback_attempts] == [500, 500]
            assert len(receiver.deliveries) == 2
    finally:
        receiver.close()


def test_connection_errors_are_retried(clock: FakeClock) -> None:
    closed = Receiver()
    url = closed.url
    closed.close()
    with _emulator(clock) as emu, client_for(emu.base_url, KEY) as client:
        task_id = created_id(create(client, "Nano-Banana", {"prompt": "a"}, callback={"url": url}))
        detail(client, task_id)
        assert emu.wait_for_callbacks()
        attempts = emu.callback_attempts
        assert [a.attempt for a in attempts] == [1, 2, 3]
        assert all(a.status is None and a.error for a in attempts)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/hook",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost.example.com/hook",
        "http://[::ffff:10.0.0.1]/hook",
    ],
)
def test_only_loopback_urls_are_contacted(clock: FakeClock, url: str) -> None:
    with _emulator(clock) as emu, client_for(emu.base_url, KEY) as client:
        # Accepted at create time, as the server would.
        task_id = created_id(create(client, "Nano-Banana", {"prompt": "a"}, callback={"url": url}))
        detail(client, task_id)
        assert emu.wait_for_callbacks()
        [attempt] = emu.callback_attempts
        assert attempt.status is None
        assert attempt.error is not None
        assert "not a loopback address" in attempt.error


def test_localhost_is_loopback(clock: FakeClock, receiver: Receiver) -> None:
    url = receiver.url.replace("127.0.0.1", "localhost")
    with _emulator(clock) as emu, client_for(emu.base_url, KEY) as client:
        created_id(create(client, "Nano-Banana", {"prompt": "a"}, callback={"url": url}))
        emu.finish_tasks()
        receiver.wait_for(1)


def test_loopback_address_parsing() -> None:
    assert loopback_address("http://127.0.0.1:8080/a?b=1") == ("http", "127.0.0.1", 8080, "/a?b=1")
    assert loopback_address("https://localhost/x") == ("https", "127.0.0.1", 443, "/x")
    assert loopback_address("http://[::1]:9") == ("http", "::1", 9, "/")
    assert loopback_address("http://127.8.9.10") == ("http", "127.8.9.10", 80, "/")
    for url in ("ftp://127.0.0.1/x", "http://127.0.0.1:bad/x", "http://example.com"):
        assert isinstance(loopback_address(url), str)


def test_reset_clears_the_callback_log(clock: FakeClock, receiver: Receiver) -> None:
    with _emulator(clock) as emu, client_for(emu.base_url, KEY) as client:
        created_id(create(client, "Nano-Banana", {"prompt": "a"}, callback={"url": receiver.url}))
        emu.finish_tasks()
        assert emu.wait_for_callbacks()
        assert len(emu.callback_attempts) == 1
        emu.reset()
        assert emu.callback_attempts == []


def test_policy_is_validated() -> None:
    with pytest.raises(ValueError, match="attempts"):
        CallbackPolicy(attempts=0)
    with pytest.raises(ValueError, match="backoff"):
        CallbackPolicy(backoff=-1)
    assert CallbackPolicy(backoff=1, max_backoff=3).delay(1) == 1
    assert CallbackPolicy(backoff=1, max_backoff=3).delay(3) == 3


def test_polling_a_task_after_its_callback_still_works(
    clock: FakeClock, receiver: Receiver
) -> None:
    with _emulator(clock, webhook_secret=SECRET) as emu, client_for(emu.base_url, KEY) as client:
        callback = {"url": receiver.url}
        task_id = created_id(create(client, "happyhorse-1-0", {"prompt": "a"}, callback=callback))
        done = poll_until_done(client, task_id)
        [delivery] = receiver.wait_for(1)
        body = json.loads(delivery.body)
        assert [o["type"] for o in body["output"]] == ["video", "first_frame"]
        assert httpx.get(body["output"][0]["url"]).status_code == 200
        assert body == done
