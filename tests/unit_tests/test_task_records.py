"""Task, TaskOutput and TaskPage parse every shape the contract shows, dropping nothing."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from langchain_hiapi._task_records import Task, TaskOutput, TaskPage, parse_timestamp

# Verbatim from the contract (§2.4, the docs' success example and the SDK fixtures).
DOCS_SUCCESS = {
    "taskId": "tk-hiapi-01HZTQ8BX2N3GM3YFK4Z9D7VQR",
    "model": "happyhorse-1-0",
    "status": "success",
    "created": 1777282033,
    "completed": 1777282099,
    "output": [
        {
            "url": "https://cdn.hiapi.ai/tasks/.../video.mp4",
            "type": "video",
            "expireAt": 1777886899,
        },
        {
            "url": "https://cdn.hiapi.ai/tasks/.../first_frame.jpg",
            "type": "first_frame",
            "expireAt": 1777886899,
        },
    ],
}
SDK_FAIL = {
    "taskId": "tk-hiapi-abc123",
    "model": "seedance-2-0",
    "status": "fail",
    "error": {"code": "TASK_FAILED", "message": "upstream rejected the prompt"},
}


def test_success_example() -> None:
    task = Task.from_dict(DOCS_SUCCESS)
    assert task.id == "tk-hiapi-01HZTQ8BX2N3GM3YFK4Z9D7VQR"
    assert (task.created, task.completed) == (1777282033, 1777282099)
    assert [(o.type, o.expire_at) for o in task.outputs] == [
        ("video", 1777886899),
        ("first_frame", 1777886899),
    ]
    assert task.is_terminal
    assert task.succeeded
    assert not task.failed
    assert task.raw == DOCS_SUCCESS
    assert task.error_code is None


def test_fail_example() -> None:
    task = Task.from_dict(SDK_FAIL)
    assert task.failed
    assert not task.succeeded
    assert (task.error_code, task.error_message) == ("TASK_FAILED", "upstream rejected the prompt")
    assert task.created is None
    assert task.completed is None
    assert task.outputs == []


def test_running_task_completed_zero_is_none() -> None:
    task = Task.from_dict(
        {"taskId": "t", "model": "m", "status": "archiving", "created": 1, "completed": 0}
    )
    assert task.completed is None
    assert not task.is_terminal


@pytest.mark.parametrize(
    ("status", "terminal", "succeeded"),
    [
        ("queued", False, False),
        ("handling", False, False),
        ("archiving", False, False),
        ("rendering", False, False),  # unknown: still running
        ("", False, False),
        ("success", True, True),
        ("SUCCEEDED", True, True),
        ("completed", True, True),
        ("fail", True, False),
        ("failed", True, False),
        ("error", True, False),
        ("cancelled", True, False),
        ("canceled", True, False),
    ],
)
def test_statuses(status: str, terminal: bool, succeeded: bool) -> None:
    task = Task.from_dict({"taskId": "t", "status": status})
    assert task.status == status
    assert task.is_terminal is terminal
    assert task.succeeded is succeeded


def test_blog_shape_and_unknown_fields_kept() -> None:
    data = {
        "id": "task_01H",
        "status": "succeeded",
        "output": [{"url": "https://x/abc.png", "expireAt": "2026-06-28T14:05:00Z"}],
        "progress": 80,
        "route": "ext",
        "storage": "persistent",
    }
    task = Task.from_dict(data)
    assert task.id == "task_01H"
    assert task.outputs[0].expire_at == 1782655500
    assert task.outputs[0].type == ""
    assert task.raw["progress"] == 80
    assert (task.route, task.storage) == ("ext", "persistent")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1777886899, 1777886899),
        (1777886899.7, 1777886899),
        ("1777886899", 1777886899),
        ("2026-06-28T14:05:00Z", 1782655500),
        ("2026-06-28T16:05:00+02:00", 1782655500),
        ("2026-06-28T14:05:00", 1782655500),
        (0, None),
        (None, None),
        ("", None),
        ("soon", None),
        (True, None),
        (float("nan"), None),
        ([1], None),
    ],
)
def test_timestamps(value: Any, expected: int | None) -> None:
    assert parse_timestamp(value) == expected


def test_odd_values_do_not_break_parsing() -> None:
    task = Task.from_dict(
        {"taskId": 123, "status": None, "output": "nope", "error": "plain text", "created": "x"}
    )
    assert task.id == "123"
    assert task.status == ""
    assert task.outputs == []
    assert task.error_message == "plain text"
    assert task.created is None
    mixed = Task.from_dict({"taskId": "t", "output": [{"url": "u", "type": "image"}, "junk", 3]})
    assert mixed.outputs == [TaskOutput("u", "image")]


@pytest.mark.parametrize("key", ["tasks", "items", "list", "data", "records"])
def test_page_array_keys(key: str) -> None:
    page = TaskPage.from_data({"page": 2, "size": 10, "total": 42, key: [SDK_FAIL]})
    assert [t.id for t in page.tasks] == ["tk-hiapi-abc123"]
    assert (page.page, page.size, page.total) == (2, 10, 42)


def test_page_as_bare_array_and_empty() -> None:
    page = TaskPage.from_data([DOCS_SUCCESS], page=3, size=5)
    assert len(page.tasks) == 1
    assert (page.page, page.size, page.total) == (3, 5, None)
    empty = TaskPage.from_data({"page": 1, "total": 0})
    assert empty.tasks == []
    assert empty.total == 0


def test_records_pickle() -> None:
    task = Task.from_dict(DOCS_SUCCESS)
    assert pickle.loads(pickle.dumps(task)) == task  # noqa: S301
