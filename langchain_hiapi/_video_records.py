"""Video records: the defaults, `GeneratedVideo` and how a finished run becomes one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from langchain_hiapi._generation_flows import TaskRun
from langchain_hiapi._task_records import Task
from langchain_hiapi.catalogue import task_models
from langchain_hiapi.errors import InvalidResponseError, TaskFailedError, TaskWaitTimeout

DEFAULT_VIDEO_MODEL = "seedance-2.0"
"""The default video model."""
VIDEO_MODELS: frozenset[str] = frozenset(info.id for info in task_models("video"))
"""The catalogue's video models (ids; their aliases work too)."""
VIDEO_PROGRESS_EVENT = "hiapi_video_progress"
"""Name of the custom event the video tool sends on every task status change."""
DEFAULT_VIDEO_TIMEOUT = 900.0
"""Seconds to wait for a video (HiAPI's Seedance SDK waits as long); the task is not
cancelled when it runs longer."""

VideoGenerationError = TaskFailedError
"""A video task ended in `fail` (the task API's `TaskFailedError`: `.task`, `.code`)."""
VideoTimeoutError = TaskWaitTimeout
"""A video was not ready within the timeout (`TaskWaitTimeout`: `.task_id`; resumable)."""


@dataclass(frozen=True)
class GeneratedVideo:
    """A generated video saved to disk.

    Attributes:
        path: Where the video was written.
        task: The finished task (`task.id`, `task.outputs`).
        mime_type: The video's MIME type (e.g. `video/mp4`).
        num_bytes: The file size.
        url: The video's URL on HiAPI (expires; see `expire_at`).
        expire_at: When the URL stops working (Unix seconds), if reported.
        files: Every output saved, by output type (`video`, `first_frame`, ...).
    """

    path: Path
    task: Task
    mime_type: str
    num_bytes: int
    url: str
    expire_at: int | None = None
    files: Mapping[str, Path] = field(default_factory=dict)


def generated_video(run: TaskRun) -> GeneratedVideo:
    """The saved video of a finished run.

    Raises:
        InvalidResponseError: The task succeeded without a video among its saved outputs.
    """
    outputs = run.task.outputs
    video = next((o for o in outputs if o.type == "video"), None) or next(
        (o for o in outputs if o.url in run.files), None
    )
    if video is None or video.url not in run.files:
        msg = f"task {run.task.id} succeeded without a video output: {[o.type for o in outputs]}"
        raise InvalidResponseError(msg)
    fetched = run.files[video.url]
    mime = fetched.content_type.split(";", 1)[0].strip().lower() or "video/mp4"
    files: dict[str, Path] = {}
    for number, output in enumerate(outputs, 1):
        if output.url in run.files:
            kind = output.type or "output"
            files[kind if kind not in files else f"{kind}-{number}"] = run.files[output.url].path
    return GeneratedVideo(
        path=fetched.path,
        task=run.task,
        mime_type=mime,
        num_bytes=fetched.size,
        url=video.url,
        expire_at=video.expire_at,
        files=files,
    )
