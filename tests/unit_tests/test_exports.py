"""The public surface: every exported name resolves; heavy parts load only when used."""

from __future__ import annotations

import pytest

import langchain_hiapi
from tests._support.harness import python_c


def test_every_exported_name_resolves() -> None:
    for name in langchain_hiapi.__all__:
        assert getattr(langchain_hiapi, name) is not None, name


def test_tools_and_video_are_imported_lazily() -> None:
    code = (
        "import sys, langchain_hiapi\n"
        "lazy = ['langchain_hiapi.tools', 'langchain_hiapi.video', 'langchain_hiapi.images_api',"
        " 'langchain_hiapi.models', 'langchain_hiapi.testing', 'langchain_hiapi.tasks',"
        " 'langchain_hiapi.webhooks', 'langchain_hiapi.catalogue', 'langchain_hiapi.bulk']\n"
        "assert not [m for m in lazy if m in sys.modules], [m for m in lazy if m in sys.modules]\n"
        "langchain_hiapi.HiAPIVideoGenerationTool\n"
        "assert 'langchain_hiapi.video' in sys.modules\n"
        "langchain_hiapi.HiAPITasks\n"
        "assert 'langchain_hiapi.tasks' in sys.modules\n"
        "assert 'langchain_hiapi.webhooks' not in sys.modules\n"
        "langchain_hiapi.verify_webhook\n"
        "assert 'langchain_hiapi.webhooks' in sys.modules\n"
        "langchain_hiapi.generate_many\n"
        "assert 'langchain_hiapi.bulk' in sys.modules\n"
    )
    result = python_c(code)
    assert result.returncode == 0, result.stderr


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        langchain_hiapi.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018


def test_task_api_names_issue_11_lists() -> None:
    from langchain_hiapi import (
        AsyncHiAPITasks,
        HiAPITasks,
        IdempotencyKeyMismatchError,
        Task,
        TaskFailedError,
        TaskOutput,
        TaskPage,
        TaskWaitTimeout,
        WebhookVerificationError,
        verify_webhook,
    )
    from langchain_hiapi.tasks import AsyncHiAPITasks as AsyncTasks
    from langchain_hiapi.webhooks import verify_webhook as verify

    assert AsyncHiAPITasks is AsyncTasks
    assert verify_webhook is verify
    from langchain_hiapi import tasks

    assert (tasks.HiAPITasks, tasks.Task, tasks.TaskOutput, tasks.TaskPage) == (
        HiAPITasks,
        Task,
        TaskOutput,
        TaskPage,
    )
    for cls in (TaskFailedError, TaskWaitTimeout, IdempotencyKeyMismatchError):
        assert issubclass(cls, langchain_hiapi.HiAPIError)
    assert issubclass(WebhookVerificationError, langchain_hiapi.HiAPIError)


def test_bulk_names_are_exported() -> None:
    from langchain_hiapi import BulkItem, BulkResult, agenerate_many, bulk, generate_many

    assert (bulk.generate_many, bulk.agenerate_many) == (generate_many, agenerate_many)
    assert (bulk.BulkItem, bulk.BulkResult) == (BulkItem, BulkResult)
