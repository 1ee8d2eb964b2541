"""The task API against the emulator on loopback: every behaviour of issue 11 end to end.

A create cut after the server created the task, retried, creates one task; a 409 then a
replay; typed server errors; polling that slows down on 429s; wait_many with few requests;
downloads and expiry; signed callbacks (tampering, staleness, redeliveries). Sleeps are
recorded, never real; where the emulator needs time to pass, it shares the test's clock.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from langchain_hiapi import (
    AsyncHiAPITasks,
    HiAPITasks,
    IdempotencyKeyMismatchError,
    InsufficientQuotaError,
    InvalidRequestError,
    OutputExpiredError,
    Task,
    TaskFailedError,
    TaskWaitTimeout,
    WebhookVerificationError,
    verify_webhook,
)
from langchain_hiapi._task_flows import RATE_LIMITED_MIN
from langchain_hiapi.testing import (
    CallbackPolicy,
    HiAPIEmulator,
    RateLimits,
    Reply,
    TaskTiming,
)
from tests._support.emulator import Receiver, receiver_fixture
from tests._support.task_clients import call, close

SECRET = "whsec_reliability_0123456789abcdef"
WALL = 1_800_000_000.0


class Clock:
    """One fake time for the client's sleeps and clocks and the emulator's clocks."""

    def __init__(self) -> None:
        self.elapsed = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def monotonic(self) -> float:
        return self.elapsed

    def wall(self) -> float:
        return WALL + self.elapsed


@pytest.fixture
def clock() -> Clock:
    return Clock()


def tasks_for(
    emu: HiAPIEmulator, mode: str, clock: Clock, **kwargs: Any
) -> HiAPITasks | AsyncHiAPITasks:
    common: dict[str, Any] = {
        "base_url": emu.base_url,
        "api_key": emu.api_key,
        "clock": clock.monotonic,
        "wall_clock": clock.wall,
        **kwargs,
    }
    if mode == "sync":
        return HiAPITasks(sleep=clock.sleep, **common)
    return AsyncHiAPITasks(sleep=clock.asleep, **common)


@pytest.fixture
def emu(clock: Clock) -> Iterator[HiAPIEmulator]:
    timing = TaskTiming(clock=clock.wall)
    with HiAPIEmulator(task_timing=timing) as emulator:
        yield emulator


# -- idempotency -----------------------------------------------------------------------------


async def test_create_cut_after_the_server_created_it_creates_one_task(
    emu: HiAPIEmulator, mode: str, clock: Clock
) -> None:
    emu.queue(Reply(disconnect_after_processing=True))
    tasks = tasks_for(emu, mode, clock)
    task = await call(tasks, "create", "seedance-2.0", {"prompt": "a paper boat"})
    await close(tasks)
    stats = emu.task_stats()
    assert stats.create_requests == 2
    assert stats.tasks_created == 1  # billed once
    assert stats.idempotent_replays == 1
    assert task.idempotent_replay is True
    assert list(stats.tasks_per_idempotency_key.values()) == [1]
    first, second = [r for r in emu.requests if r.method == "POST"]
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"]
    assert first.body == second.body


async def test_processing_409_is_retried_after_retry_after_then_replayed(
    emu: HiAPIEmulator, mode: str, clock: Clock
) -> None:
    # Without the adaptive limiter: its pacing (on the same fake clock) would add its own
    # pause before the retry; this test pins the Retry-After wait alone.
    tasks = tasks_for(emu, mode, clock, adaptive_rate_limit=False)
    first = await call(tasks, "create", "Nano-Banana", {"prompt": "a cat"}, idempotency_key="k-1")
    processing = {
        "code": 409,
        "message": "a request with this Idempotency-Key is still in progress",
        "data": None,
        "error_code": "IDEMPOTENCY_KEY_PROCESSING",
    }
    emu.queue(Reply(status=409, body=processing, headers={"Retry-After": "2"}))
    again = await call(tasks, "create", "Nano-Banana", {"prompt": "a cat"}, idempotency_key="k-1")
    await close(tasks)
    assert again.id == first.id
    assert again.idempotent_replay is True
    assert clock.sleeps == [2.0]
    assert emu.task_stats().tasks_created == 1


async def test_same_key_different_body_is_refused(
    emu: HiAPIEmulator, mode: str, clock: Clock
) -> None:
    tasks = tasks_for(emu, mode, clock)
    await call(tasks, "create", "Nano-Banana", {"prompt": "a cat"}, idempotency_key="k-2")
    with pytest.raises(IdempotencyKeyMismatchError):
        await call(tasks, "create", "Nano-Banana", {"prompt": "a dog"}, idempotency_key="k-2")
    await close(tasks)
    assert emu.task_stats().tasks_created == 1
    assert emu.task_stats().create_requests == 2  # not retried


# -- server errors ---------------------------------------------------------------------------


async def test_server_schema_errors_are_invalid_request_errors(
    emu: HiAPIEmulator, mode: str, clock: Clock
) -> None:
    tasks = tasks_for(emu, mode, clock)
    with pytest.raises(InvalidRequestError, match="seed") as info:
        await call(tasks, "create", "seedance-2.0", {"prompt": "boat", "seed": 1}, validate=False)
    assert info.value.code == "INVALID_REQUEST"
    with pytest.raises(InvalidRequestError, match="ext") as routes:
        await call(
            tasks,
            "create",
            "gpt-image-2/text-to-image",
            {"prompt": "p"},
            route="pro",
            validate=False,
        )
    assert "beta" in routes.value.message
    await close(tasks)
    assert emu.task_stats().tasks_created == 0
    assert emu.task_stats().create_requests == 2  # a 400 is not retried


async def test_insufficient_balance(mode: str, clock: Clock) -> None:
    with HiAPIEmulator(balance_exhausted=True) as emu:
        tasks = tasks_for(emu, mode, clock)
        with pytest.raises(InsufficientQuotaError):
            await call(tasks, "create", "Nano-Banana", {"prompt": "a cat"})
        await close(tasks)
        assert emu.task_stats().create_requests == 1


async def test_failed_task_raises_task_failed_error(mode: str, clock: Clock) -> None:
    with HiAPIEmulator(failing_models=["seedance-2.0"]) as emu:
        tasks = tasks_for(emu, mode, clock)
        with pytest.raises(TaskFailedError) as info:
            await call(tasks, "run", "seedance-2.0", {"prompt": "a paper boat"})
        await close(tasks)
    assert info.value.code == "TASK_FAILED"
    assert info.value.task.failed


# -- polling ---------------------------------------------------------------------------------


async def test_polling_slows_down_on_429s(mode: str, clock: Clock) -> None:
    limits = RateLimits(poll_per_s=0.2, clock=clock.monotonic)  # one poll per 5 s
    timing = TaskTiming(queued=3, handling=3, archiving=3, clock=clock.wall)
    with HiAPIEmulator(rate_limits=limits, task_timing=timing) as emu:
        tasks = tasks_for(emu, mode, clock)
        task = await call(tasks, "run", "Nano-Banana", {"prompt": "a cat"}, timeout=3600)
        await close(tasks)
        stats = emu.task_stats()
    assert task.succeeded
    assert stats.rate_limited_polls > 0
    # After the client's quick retries, the flow waits at least RATE_LIMITED_MIN.
    assert any(delay >= RATE_LIMITED_MIN for delay in clock.sleeps)
    assert max(clock.sleeps) <= 60


async def test_timeout_leaves_the_task_running_and_wait_resumes(
    emu: HiAPIEmulator, mode: str, clock: Clock
) -> None:
    tasks = tasks_for(emu, mode, clock)
    created = await call(tasks, "create", "seedance-2.0", {"prompt": "boat"})
    with pytest.raises(TaskWaitTimeout) as info:
        await call(tasks, "wait", created, timeout=0)
    assert f'tasks.wait("{created.id}")' in str(info.value)
    assert emu.finish_tasks([created.id]) == 1  # it kept running on the server and ended
    done = await call(tasks, "wait", created.id)
    await close(tasks)
    assert done.succeeded


async def test_wait_many_reads_the_list_not_each_task(
    emu: HiAPIEmulator, mode: str, clock: Clock
) -> None:
    tasks = tasks_for(emu, mode, clock)
    created = [
        await call(tasks, "create", "Nano-Banana", {"prompt": f"cat {i}"}) for i in range(30)
    ]
    seen: list[tuple[str, str]] = []
    done = await call(
        tasks,
        "wait_many",
        [t.id for t in created],
        on_update=lambda t: seen.append((t.id, t.status)),
    )
    await close(tasks)
    stats = emu.task_stats()
    assert [t.id for t in done] == [t.id for t in created]
    assert all(t.succeeded and t.outputs for t in done)
    assert stats.detail_requests == 0
    # Four looks per task (queued, handling, archiving, success): four list pages, not 120.
    assert stats.list_requests == 4
    assert {status for _, status in seen} == {"queued", "handling", "archiving", "success"}


# -- downloads -------------------------------------------------------------------------------


async def test_download_outputs_then_expiry(mode: str, clock: Clock, tmp_path: Path) -> None:
    timing = TaskTiming(0, 0, 0, clock=clock.wall, output_ttl=3600)
    with HiAPIEmulator(task_timing=timing) as emu:
        tasks = tasks_for(emu, mode, clock)
        task = await call(tasks, "run", "seedance-2.0", {"prompt": "a paper boat"})
        paths = await call(tasks, "download", task, tmp_path)
        assert {p.suffix for p in paths} >= {".mp4"}
        video = next(p for p in paths if p.suffix == ".mp4")
        assert video.read_bytes()[4:8] == b"ftyp"
        assert video.name == f"{task.id}-video.mp4"
        assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
        downloads = emu.task_stats().file_downloads
        clock.elapsed += 3601  # an hour later the URLs have expired
        with pytest.raises(OutputExpiredError, match="expire_at="):
            await call(tasks, "download", task, tmp_path / "later")
        await close(tasks)
        assert emu.task_stats().file_downloads == downloads  # nothing was fetched
    assert "later" not in os.listdir(tmp_path)  # refused before even creating the folder


async def test_download_image_task_by_id(
    emu: HiAPIEmulator, mode: str, clock: Clock, tmp_path: Path
) -> None:
    tasks = tasks_for(emu, mode, clock)
    task = await call(tasks, "run", "Nano-Banana-Pro", {"prompt": "a red fox", "resolution": "2K"})
    (path,) = await call(tasks, "download", task.id, tmp_path)
    await close(tasks)
    assert path.suffix == ".png"
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


# -- callbacks -------------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    # The first delivery is refused, so the emulator redelivers the same callback.
    yield from receiver_fixture([500])


def callback_emulator(clock: Clock, secret: str | None) -> HiAPIEmulator:
    return HiAPIEmulator(
        task_timing=TaskTiming(0, 0, 0, clock=clock.wall),
        webhook_secret=secret,
        callback_policy=CallbackPolicy(attempts=3, backoff=0.01, max_backoff=0.05, timeout=5),
    )


async def finished_with_callback(emu: HiAPIEmulator, mode: str, clock: Clock, url: str) -> Task:
    tasks = tasks_for(emu, mode, clock)
    task = await call(tasks, "run", "Nano-Banana", {"prompt": "a cat"}, callback_url=url)
    await close(tasks)
    assert emu.wait_for_callbacks(timeout=10)
    return task


async def test_signed_callbacks_verify_and_forgeries_do_not(
    mode: str, clock: Clock, receiver: Receiver
) -> None:
    with callback_emulator(clock, SECRET) as emu:
        task = await finished_with_callback(emu, mode, clock, receiver.url)
    first, redelivery = receiver.deliveries
    now = clock.wall()
    for delivery in (first, redelivery):  # at least once: both verify, same task
        verified = verify_webhook(delivery.body, delivery.headers, SECRET, now=now)
        assert verified.id == task.id
        assert verified.succeeded
        assert verified.outputs
    body, headers = first.body, first.headers
    with pytest.raises(WebhookVerificationError, match="signature mismatch"):
        verify_webhook(body.replace(b'"success"', b'"fail"'), headers, SECRET, now=now)
    with pytest.raises(WebhookVerificationError, match="signature mismatch"):
        verify_webhook(body, headers, "whsec_another_secret", now=now)
    with pytest.raises(WebhookVerificationError, match="stale"):
        verify_webhook(body, headers, SECRET, now=now + 301)  # replayed six minutes later
    reserialised = json.dumps(json.loads(body)).encode()
    if reserialised != body:
        with pytest.raises(WebhookVerificationError, match="signature mismatch"):
            verify_webhook(reserialised, headers, SECRET, now=now)


async def test_unsigned_callbacks_need_no_secret_but_fail_with_one(
    mode: str, clock: Clock, receiver: Receiver
) -> None:
    with callback_emulator(clock, None) as emu:
        task = await finished_with_callback(emu, mode, clock, receiver.url)
    delivery = receiver.deliveries[-1]
    assert verify_webhook(delivery.body, delivery.headers, None).id == task.id
    with pytest.raises(WebhookVerificationError, match="unsigned"):
        verify_webhook(delivery.body, delivery.headers, SECRET, now=clock.wall())


async def test_create_sends_the_callback_top_level(
    emu: HiAPIEmulator, mode: str, clock: Clock
) -> None:
    tasks = tasks_for(emu, mode, clock)
    await call(
        tasks,
        "create",
        "Nano-Banana",
        {"prompt": "a cat"},
        callback_url="http://127.0.0.1:9/hook",
        storage="persistent",
    )
    await close(tasks)
    (post,) = [r for r in emu.requests if r.method == "POST"]
    assert post.json["callback"] == {"url": "http://127.0.0.1:9/hook", "when": "final"}
    assert post.json["storage"] == "persistent"
    assert "callback" not in post.json["input"]
