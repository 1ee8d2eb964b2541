"""`python -m langchain_hiapi.testing` starts, prints its URL and key, and serves."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from langchain_hiapi.testing import CallbackPolicy, RateLimits, TaskTiming
from langchain_hiapi.testing.__main__ import build_emulator, build_parser, main
from langchain_hiapi.testing._callbacks import sign
from tests._support.emulator import (
    Receiver,
    client_for,
    create,
    created_id,
    detail,
    error_of,
)


def test_cli_serves_until_terminated() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "langchain_hiapi.testing", "--port", "0", "--api-key", "k1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        second = process.stdout.readline().strip()
        assert first.startswith("HIAPI_BASE_URL=http://127.0.0.1:")
        assert second == "HIAPI_API_KEY=k1"
        base_url = first.partition("=")[2]
        assert not base_url.endswith(":0/v1")
        response = httpx.get(base_url + "/models", headers={"Authorization": "Bearer k1"})
        assert response.status_code == 200
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def _start(*flags: str) -> tuple[subprocess.Popen[str], str, str]:
    process = subprocess.Popen(  # noqa: S603 - our own interpreter, flags from this file
        [sys.executable, "-m", "langchain_hiapi.testing", "--port", "0", *flags],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    base_url = process.stdout.readline().strip().partition("=")[2]
    key = process.stdout.readline().strip().partition("=")[2]
    assert base_url.startswith("http://127.0.0.1:"), base_url
    return process, base_url, key


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    assert process.wait(timeout=10) == 0


def test_cli_task_flags() -> None:
    receiver = Receiver()
    process, base_url, key = _start(
        "--task-stages",
        "0,0,0",
        "--create-rate",
        "0.01",
        "--webhook-secret",
        "cli-secret",
        "--failing-model",
        "Nano-Banana",
        "--extra-api-key",
        "second-key",
        "--output-ttl",
        "120",
    )
    try:
        with client_for(base_url, key) as client, client_for(base_url, "second-key") as second:
            callback = {"url": receiver.url}
            task_id = created_id(
                create(client, "seedance-2.0", {"prompt": "a boat"}, callback=callback)
            )
            # --create-rate: one create per 100 s per key.
            error_of(
                create(client, "seedance-2.0", {"prompt": "a boat"}), 429, "RATE_LIMIT_EXCEEDED"
            )
            # --task-stages 0,0,0: done at the first poll; --output-ttl.
            done = detail(client, task_id)
            assert done["status"] == "success"
            assert done["output"][0]["expireAt"] == done["completed"] + 120
            # --webhook-secret: the callback is signed.
            [delivery] = receiver.wait_for(1)
            timestamp = delivery.headers["x-hiapi-timestamp"]
            assert delivery.headers["x-hiapi-signature"] == sign(
                "cli-secret", timestamp, delivery.body
            )
            # --extra-api-key is another account; --failing-model fails its tasks.
            failed = created_id(create(second, "Nano-Banana", {"prompt": "a cat"}))
            assert detail(second, failed)["status"] == "fail"
            stats = client.get(base_url.removesuffix("/v1") + "/_emulator/stats").json()["tasks"]
            assert (stats["tasks_created"], stats["rate_limited_creates"]) == (2, 1)
    finally:
        _stop(process)
        receiver.close()


def test_cli_task_seconds_and_chat_rate_flags() -> None:
    process, base_url, key = _start(
        "--task-seconds", "30", "--create-rate", "0.01", "--chat-rate", "0.01"
    )
    try:
        with client_for(base_url, key) as client:
            task_id = created_id(create(client, "Nano-Banana", {"prompt": "a cat"}))
            # Seconds mode: still running however often it is polled.
            for _ in range(5):
                assert detail(client, task_id)["status"] == "handling"
            error_of(create(client, "Nano-Banana", {"prompt": "a cat"}), 429, "RATE_LIMIT_EXCEEDED")
            chat = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
            assert client.post("/chat/completions", json=chat).is_success
            assert client.post("/chat/completions", json=chat).status_code == 429
    finally:
        _stop(process)


def test_cli_flags_configure_the_emulator() -> None:
    args = build_parser().parse_args(
        [
            "--task-stages",
            "2,0.5,0",
            "--task-unit",
            "seconds",
            "--output-ttl",
            "60",
            "--poll-rate",
            "3",
            "--burst",
            "2",
            "--chat-rate",
            "4",
            "--rate-error-shape",
            "hiapi_error",
            "--callback-attempts",
            "2",
            "--callback-backoff",
            "0.5",
            "--balance-exhausted",
            "--failing-model",
            "a",
            "--failing-model",
            "b",
            "--extra-api-key",
            "k2",
        ]
    )
    emulator = build_emulator(args)
    timing = emulator.tasks.timing
    assert (timing.queued, timing.handling, timing.archiving) == (2, 0.5, 0)
    assert (timing.unit, timing.output_ttl) == ("seconds", 60)
    assert emulator.rate_limits == RateLimits(
        poll_per_s=3, chat_per_s=4, burst=2, error_shape="hiapi_error"
    )
    assert emulator.callbacks.policy == CallbackPolicy(attempts=2, backoff=0.5)
    assert emulator.balance_exhausted is True
    assert emulator.failing_models == {"a", "b"}
    assert emulator.extra_api_keys == ("k2",)
    assert emulator.webhook_secret is None


def test_cli_task_seconds_is_a_shorthand_with_spread() -> None:
    args = build_parser().parse_args(["--task-seconds", "30", "--task-spread", "5"])
    timing = build_emulator(args).tasks.timing
    assert (timing.queued, timing.handling, timing.archiving) == (0, 30, 0)
    assert (timing.unit, timing.spread) == ("seconds", 5)
    args = build_parser().parse_args(["--task-unit", "seconds", "--task-spread", "2"])
    assert build_emulator(args).tasks.timing.spread == 2


def test_cli_defaults_for_tasks() -> None:
    emulator = build_emulator(build_parser().parse_args([]))
    assert emulator.tasks.timing == TaskTiming()
    assert emulator.rate_limits is None
    assert emulator.balance_exhausted is False


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--task-stages", "1,2"], "--task-stages: expected three numbers"),
        (["--task-stages", "1,-1,1"], "--task-stages: expected three numbers"),
        (["--create-rate", "0"], "create_per_s must be a positive number"),
        (["--callback-attempts", "0"], "attempts must be >= 1"),
        (["--task-unit", "minutes"], "invalid choice"),
        (["--task-spread", "5"], "--task-spread needs --task-seconds"),
        (["--task-seconds", "5", "--task-stages", "1,1,1"], "not both"),
        (["--chat-rate", "-2"], "chat_per_s must be a positive number"),
    ],
)
def test_cli_rejects_bad_task_flags(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--port", "0", *flags])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
