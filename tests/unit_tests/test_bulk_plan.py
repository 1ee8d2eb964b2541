"""A bulk job's items: planning (checks, stable keys), idempotency keys, resuming."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from langchain_hiapi._bulk_plan import (
    KEY_PREFIX,
    BulkItem,
    BulkResult,
    PlannedItem,
    idempotency_key,
    job_id_for,
    plan_items,
    resume,
)
from langchain_hiapi._manifest import Record
from langchain_hiapi.errors import (
    TaskInputError,
)

MODEL = "Nano-Banana"


# ------------------------------------------------------------------------------ planning


def test_prompts_inputs_and_items_are_planned_with_stable_keys() -> None:
    planned = plan_items(
        ["a cat", {"prompt": "a dog", "aspect_ratio": "16:9"}, BulkItem({"prompt": "x"}, "mine")],
        model=MODEL,
    )
    assert [p.input for p in planned] == [
        {"prompt": "a cat"},
        {"prompt": "a dog", "aspect_ratio": "16:9"},
        {"prompt": "x"},
    ]
    assert planned[2].key == "mine"
    assert planned[0].body == {"model": MODEL, "input": {"prompt": "a cat"}}
    # Keys do not depend on position: adding or reordering items keeps them.
    again = plan_items(
        ["new first", {"aspect_ratio": "16:9", "prompt": "a dog"}, "a cat"], model=MODEL
    )
    assert again[2].key == planned[0].key
    assert again[1].key == planned[1].key


def test_repeated_inputs_get_distinct_keys() -> None:
    planned = plan_items(["a cat", "a cat", "a cat"], model=MODEL)
    base = planned[0].key
    assert [p.key for p in planned] == [base, f"{base}~2", f"{base}~3"]


def test_bad_items_fail_before_anything_is_sent() -> None:
    with pytest.raises(TaskInputError, match=r"item 1: .*aspect_ratio"):
        plan_items(["ok", {"prompt": "x", "aspect_ratio": "7:3"}], model=MODEL)
    with pytest.raises(ValueError, match="item 0: the prompt is empty"):
        plan_items(["  "], model=MODEL)
    with pytest.raises(TypeError, match="item 0: expected a prompt"):
        plan_items([42], model=MODEL)
    with pytest.raises(ValueError, match="key 'a' is already used by item 0"):
        plan_items([BulkItem({"prompt": "x"}, "a"), BulkItem({"prompt": "y"}, "a")], model=MODEL)
    with pytest.raises(ValueError, match="key must be a non-empty string"):
        plan_items([BulkItem({"prompt": "x"}, "")], model=MODEL)


def test_job_id_and_idempotency_keys_are_stable_and_per_attempt() -> None:
    planned = plan_items(["a", "b"], model=MODEL)
    assert job_id_for(planned) == job_id_for(plan_items(["a", "b"], model=MODEL))
    assert job_id_for(planned) != job_id_for(plan_items(["a", "c"], model=MODEL))
    key0 = idempotency_key("job", planned[0], 0)
    assert key0 == idempotency_key("job", planned[0], 0)
    assert key0.startswith(KEY_PREFIX) and len(key0.encode()) <= 255
    assert key0 != idempotency_key("job", planned[0], 1)
    assert key0 != idempotency_key("other", planned[0], 0)
    assert key0 != idempotency_key("job", planned[1], 0)


# ------------------------------------------------------------------------------ resuming


def rec(item: PlannedItem, status: str, **kw: Any) -> Record:
    fields: dict[str, Any] = {
        "job": "job",
        "key": item.key,
        "index": item.index,
        "digest": item.digest,
        "attempt": 0,
        "idempotency_key": idempotency_key("job", item, 0),
        "status": status,
    }
    fields.update(kw)
    return Record(**fields)


@pytest.fixture
def one() -> PlannedItem:
    return plan_items(["a lighthouse"], model=MODEL)[0]


def test_resume_new_item_is_created(one: PlannedItem) -> None:
    (state,) = resume([one], {}, job="job")
    assert (state.phase, state.attempt, state.idempotency_key) == (
        "create",
        0,
        idempotency_key("job", one, 0),
    )


def test_resume_done_item_is_skipped(one: PlannedItem) -> None:
    done = rec(one, "done", task_id="tk-1", paths=("out/x.png",))
    (state,) = resume([one], {one.key: done}, job="job")
    assert state.phase == "done"
    assert state.result == BulkResult(
        one.key, 0, "done", "tk-1", (Path("out/x.png"),), skipped=True, input=one.input
    )


@pytest.mark.parametrize(
    ("status", "fields"),
    [
        ("submitting", {}),
        ("failed", {"stage": "create", "retry_same_key": True, "error_type": "APIConnectionError"}),
    ],
)
def test_resume_create_in_doubt_reuses_the_key(
    one: PlannedItem, status: str, fields: dict[str, Any]
) -> None:
    (state,) = resume([one], {one.key: rec(one, status, **fields)}, job="job")
    assert (state.phase, state.attempt) == ("create", 0)
    assert state.idempotency_key == idempotency_key("job", one, 0)


@pytest.mark.parametrize(
    ("status", "fields"),
    [
        ("running", {"task_id": "tk-1"}),
        ("failed", {"task_id": "tk-1", "stage": "wait", "error_type": "TaskWaitTimeout"}),
        ("failed", {"task_id": "tk-1", "stage": "download", "error_type": "APIConnectionError"}),
    ],
)
def test_resume_created_task_is_polled_not_created(
    one: PlannedItem, status: str, fields: dict[str, Any]
) -> None:
    (state,) = resume([one], {one.key: rec(one, status, **fields)}, job="job")
    assert (state.phase, state.task_id) == ("poll", "tk-1")


@pytest.mark.parametrize(
    "fields",
    [
        {"task_id": "tk-1", "stage": "wait", "error_type": "TaskFailedError", "error": "no"},
        {"stage": "create", "error_type": "InvalidRequestError", "error": "no"},
    ],
)
def test_resume_definite_failure_gets_a_new_attempt_or_is_reported(
    one: PlannedItem, fields: dict[str, Any]
) -> None:
    failed = {one.key: rec(one, "failed", **fields)}
    (state,) = resume([one], failed, job="job")
    assert (state.phase, state.attempt) == ("create", 1)
    assert state.idempotency_key == idempotency_key("job", one, 1)
    (kept,) = resume([one], failed, job="job", retry_failed=False)
    assert kept.phase == "failed"
    assert kept.result is not None and kept.result.skipped and kept.result.error == "no"


def test_resume_changed_item_starts_afresh(one: PlannedItem) -> None:
    stale = rec(one, "done", digest="0" * 64, task_id="tk-old")
    (state,) = resume([one], {one.key: stale}, job="job")
    assert state.phase == "create"
