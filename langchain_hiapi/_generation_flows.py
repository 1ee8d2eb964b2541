"""The generation workflow shared by ChatHiAPI's task route, the tools and `generate_video`.

One I/O-free flow (see `langchain_hiapi._flows`): create the task (with its idempotency
key), wait for it, then download the outputs that are wanted into a directory. The sync and
async callers drive it with `run_sync` / `run_async`; nothing here sends a request itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from langchain_hiapi._files import FetchedFile, safe_stem
from langchain_hiapi._flows import Fetch, Flow
from langchain_hiapi._task_flows import (
    DEFAULT_MAX_DOWNLOAD_BYTES,
    CreateRequest,
    OnUpdate,
    PollSchedule,
    run_flow,
)
from langchain_hiapi._task_records import Task, TaskOutput
from langchain_hiapi.errors import InvalidResponseError

__all__ = ["TaskRun", "all_outputs", "generate_flow", "no_outputs"]


@dataclass(frozen=True)
class TaskRun:
    """A finished task and the outputs downloaded for it.

    Attributes:
        task: The successful task.
        files: Downloaded outputs by URL, in output order.
    """

    task: Task
    files: Mapping[str, FetchedFile] = field(default_factory=dict)


def all_outputs(output: TaskOutput) -> bool:
    """Selects every output for download."""
    return True


def no_outputs(output: TaskOutput) -> bool:
    """Selects no output (URLs only)."""
    return False


def _stem(prefix: str, task: Task, number: int, count: int) -> str:
    stem = f"{prefix}-{safe_stem(task.id, 'task')}"
    return stem if count == 1 else f"{stem}-{number}"


def generate_flow(
    request: CreateRequest,
    *,
    timeout: float | None,
    dest_dir: str | os.PathLike[str] | None,
    wanted: Callable[[TaskOutput], bool] = all_outputs,
    prefix: str = "output",
    on_update: OnUpdate | None = None,
    schedule: PollSchedule | None = None,
    max_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
) -> Flow[TaskRun]:
    """Creates a task, waits for it and downloads the wanted outputs.

    Files are named `<prefix>-<task id><ext>` (`-1`, `-2`, ... per output when there are
    several; a taken name gets a further suffix), each written atomically. The outputs of
    a task that has just finished are fresh, so their `expire_at` is not checked against a
    clock here (`download_flow` does that for older tasks; the CDN refuses expired URLs).

    Args:
        request: The checked create request (`build_create`).
        timeout: Seconds to wait for the task (`None`: no limit).
        dest_dir: Where to download; `None` downloads nothing.
        wanted: Which outputs to download.
        prefix: Start of the file names.
        on_update: Called with the task on creation and on every status change.
        schedule: The poll pauses.
        max_bytes: Largest accepted output file.

    Returns:
        The task and its downloaded outputs.

    Raises:
        TaskFailedError: The task failed.
        TaskWaitTimeout: It did not finish in time (it is not cancelled).
        InvalidResponseError: It succeeded without any output.
    """
    task = yield from run_flow(request, timeout=timeout, on_update=on_update, schedule=schedule)
    if not task.outputs:
        raise InvalidResponseError(f"task {task.id} ({task.model}) succeeded but lists no outputs")
    outputs = [o for o in task.outputs if wanted(o)] if dest_dir is not None else []
    files: dict[str, FetchedFile] = {}
    if dest_dir is None:
        return TaskRun(task, files)
    for number, output in enumerate(outputs, 1):
        stem = _stem(prefix, task, number, len(outputs))
        files[output.url] = yield Fetch(output.url, dest_dir, stem, max_bytes)
    return TaskRun(task, files)
