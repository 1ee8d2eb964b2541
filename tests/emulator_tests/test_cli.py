"""`python -m langchain_hiapi.testing` starts, prints its URL and key, and serves."""

from __future__ import annotations

import subprocess
import sys

import httpx


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


def test_cli_video_polls_flag() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "langchain_hiapi.testing", "--port", "0", "--video-polls", "1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip().partition("=")[2]
        key = process.stdout.readline().strip().partition("=")[2]
        headers = {"Authorization": f"Bearer {key}"}
        task = httpx.post(
            base_url + "/videos", headers=headers, json={"model": "kling-v3", "prompt": "a boat"}
        ).json()
        assert task["status"] == "queued"
        polled = httpx.get(f"{base_url}/videos/{task['id']}", headers=headers).json()
        assert polled["status"] == "completed"
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_cli_task_timing_and_rate_limit_flags() -> None:
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            *(sys.executable, "-m", "langchain_hiapi.testing", "--port", "0"),
            *("--task-seconds", "30", "--create-rate", "0.01", "--chat-rate", "0.01"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip().partition("=")[2]
        key = process.stdout.readline().strip().partition("=")[2]
        headers = {"Authorization": f"Bearer {key}"}
        body = {"model": "Nano-Banana", "input": {"prompt": "a cat"}}
        created = httpx.post(base_url + "/tasks", headers=headers, json=body)
        assert created.status_code == 200
        task_id = created.json()["data"]["taskId"]
        # Seconds mode: still running however often it is polled.
        for _ in range(5):
            polled = httpx.get(f"{base_url}/tasks/{task_id}", headers=headers).json()
            assert polled["data"]["status"] == "handling"
        assert httpx.post(base_url + "/tasks", headers=headers, json=body).status_code == 429
        chat = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
        assert httpx.post(base_url + "/chat/completions", headers=headers, json=chat).is_success
        limited = httpx.post(base_url + "/chat/completions", headers=headers, json=chat)
        assert limited.status_code == 429
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_cli_rejects_spread_without_task_seconds() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "langchain_hiapi.testing", "--task-spread", "5"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--task-spread needs --task-seconds" in done.stderr
