"""Video generation on HiAPI's task API: `generate_video` and a LangChain tool.

Every HiAPI video model (Seedance, Kling, HappyHorse, ...) runs on the unified task API:
`POST /v1/tasks` creates the task (with an idempotency key, so a retry never bills twice),
`GET /v1/tasks/:id` reports `queued` -> `handling` -> `archiving` -> `success` (or `fail`),
and the finished task lists its outputs (the video, sometimes a first frame) as URLs that
expire after about 7 days. `generate_video` runs the whole cycle and saves the outputs
atomically; `HiAPIVideoGenerationTool` puts it in an agent's hands.

`duration`, `aspect_ratio`, `resolution`, a first frame and reference images are mapped
onto the model's own input fields (its schema from the catalogue), checked before anything
is sent. The records live in `_video_records`, the inputs in `_video_input`, the tool in
`langchain_hiapi.tools.video`; this module runs the workflow and keeps the public names.

Example:
    ```python
    from langchain_hiapi import generate_video

    video = generate_video(
        "a paper boat drifting down a rainy street",
        model="seedance-2.0",
        duration=5,
        aspect_ratio="16:9",
        save_dir="videos",
        on_progress=lambda task: print(task.status),
    )
    print(video.path, video.url)
    ```
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from langchain_hiapi._files import check_file_prefix
from langchain_hiapi._flows import Flow
from langchain_hiapi._generation_flows import generate_flow
from langchain_hiapi._task_flows import CreateRequest, OnUpdate
from langchain_hiapi._task_records import Task
from langchain_hiapi._video_input import (
    InputImage,
    build_video_input,
    image_reference,
    video_request,
)
from langchain_hiapi._video_records import (
    DEFAULT_VIDEO_MODEL,
    DEFAULT_VIDEO_TIMEOUT,
    VIDEO_MODELS,
    VIDEO_PROGRESS_EVENT,
    GeneratedVideo,
    VideoGenerationError,
    VideoTimeoutError,
    generated_video,
)
from langchain_hiapi.tasks import AsyncHiAPITasks, HiAPITasks
from langchain_hiapi.tools.video import HiAPIVideoGenerationTool, video_args_schema

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "DEFAULT_VIDEO_MODEL",
    "DEFAULT_VIDEO_TIMEOUT",
    "VIDEO_MODELS",
    "VIDEO_PROGRESS_EVENT",
    "GeneratedVideo",
    "HiAPIVideoGenerationTool",
    "InputImage",
    "VideoGenerationError",
    "VideoOptions",
    "VideoTimeoutError",
    "agenerate_video",
    "build_video_input",
    "generate_video",
    "image_reference",
    "video_args_schema",
]

ProgressCallback = Callable[[Task], Any]
"""Called with the task on creation and on every status change (may be async in async code)."""


class VideoOptions(TypedDict, total=False):
    """`generate_video`'s and `agenerate_video`'s options (see `generate_video`).

    Any other keyword is a `HiAPITasks` argument (`api_key`, `base_url`, `max_retries`,
    `poll_interval`, ...), used when no `tasks` client is passed.
    """

    model: str
    duration: int | None
    aspect_ratio: str | None
    resolution: str | None
    first_frame: InputImage | None
    reference_images: Sequence[InputImage] | None
    task_input: Mapping[str, Any] | None
    storage: Literal["temp", "persistent"] | None
    save_dir: str | os.PathLike[str]
    prefix: str
    on_progress: ProgressCallback | None
    timeout: float | None
    api_key: Any
    base_url: str | None
    max_retries: int
    http_client: Any
    http_async_client: Any
    default_headers: Mapping[str, str] | None
    client: Any
    adaptive_rate_limit: bool
    poll_interval: float
    max_poll_interval: float
    max_download_bytes: int
    sleep: Callable[[float], Any]
    clock: Callable[[], float]
    wall_clock: Callable[[], float]


# The options the video workflow reads; every other keyword configures the task client.
_VIDEO_KEYS = frozenset(
    {
        "model",
        "duration",
        "aspect_ratio",
        "resolution",
        "first_frame",
        "reference_images",
        "task_input",
        "storage",
        "save_dir",
        "prefix",
        "on_progress",
        "timeout",
    }
)


@dataclass(frozen=True)
class _VideoJob:
    """One `generate_video` call, checked and with its images read: ready to run."""

    request: CreateRequest
    options: Mapping[str, Any]
    client_options: dict[str, Any]

    def flow(self, client: HiAPITasks | AsyncHiAPITasks) -> Flow[GeneratedVideo]:
        """Create, wait, download: the same steps for the sync and the async client."""
        on_progress: OnUpdate | None = self.options.get("on_progress")
        run = yield from generate_flow(
            self.request,
            timeout=self.options.get("timeout", DEFAULT_VIDEO_TIMEOUT),
            dest_dir=self.options.get("save_dir", "."),
            prefix=self.options.get("prefix", "video"),
            on_update=on_progress,
            schedule=client.poll_schedule(),
            # Limits.max_video_download_bytes, within the client's own cap.
            max_bytes=min(client.client.limits.max_video_download_bytes, client.max_download_bytes),
        )
        return generated_video(run)


def _prepare(prompt: str | None, options: Mapping[str, Any]) -> _VideoJob:
    """Reads the input images (blocking) and builds the checked create request."""
    check_file_prefix(options.get("prefix", "video"), "prefix")  # before anything is paid for
    first_frame = options.get("first_frame")
    first = image_reference(first_frame, "first_frame") if first_frame is not None else None
    references = [
        image_reference(image, f"reference_images[{n}]")
        for n, image in enumerate(options.get("reference_images") or ())
    ]
    model = options.get("model", DEFAULT_VIDEO_MODEL)
    request = video_request(prompt, model, options, first, references)
    client_options = {k: v for k, v in options.items() if k not in _VIDEO_KEYS}
    return _VideoJob(request, options, client_options)


def generate_video(
    prompt: str | None, *, tasks: HiAPITasks | None = None, **options: Unpack[VideoOptions]
) -> GeneratedVideo:
    """Generates one video on the task API and saves it (and any other outputs).

    Args:
        prompt: What happens in the video (optional for pure image-to-video models).
        model: A video model (default `seedance-2.0`; see `VIDEO_MODELS`).
        duration: Seconds.
        aspect_ratio: E.g. `16:9`.
        resolution: E.g. `720p`.
        first_frame: The image to start from (URL, data URI, bytes, path, GeneratedImage).
        reference_images: Reference images (same forms).
        task_input: More `input` fields of the model, sent as given.
        storage: `"persistent"` keeps outputs on HiAPI beyond 7 days (billed).
        save_dir: Where to write the files (default `.`; created if missing; never
            overwritten).
        prefix: File names: `<prefix>-<task id>[-<n>].<ext>` (default `video`).
        on_progress: Called with the task on creation and on every status change.
        timeout: Seconds to wait (default 900; `None`: no limit). The task is not
            cancelled after it.
        tasks: A `HiAPITasks` to use (left open); otherwise one is made from the
            `HiAPITasks` arguments among `options` (`api_key`, `base_url`,
            `max_retries`, `poll_interval`, ...).
        **options: The options above (`VideoOptions`) and `HiAPITasks` arguments.

    Returns:
        The saved video.

    Raises:
        ValueError: An option the model has no field for, or a bad image.
        TaskInputError: The input breaks the model's schema (before any request).
        VideoGenerationError: The task failed (`TaskFailedError`).
        VideoTimeoutError: It was not ready in time (`TaskWaitTimeout`).
        HiAPIError: A request failed after its retries.
    """
    job = _prepare(prompt, options)
    owned = HiAPITasks(**job.client_options) if tasks is None else nullcontext(tasks)
    with owned as client:
        return client.execute(job.flow(client))


async def agenerate_video(
    prompt: str | None, *, tasks: AsyncHiAPITasks | None = None, **options: Unpack[VideoOptions]
) -> GeneratedVideo:
    """Async `generate_video`; same arguments (`on_progress` may be a coroutine function)."""
    job = await asyncio.to_thread(_prepare, prompt, options)  # may read files
    owned = AsyncHiAPITasks(**job.client_options) if tasks is None else nullcontext(tasks)
    async with owned as client:
        return await client.execute(job.flow(client))
