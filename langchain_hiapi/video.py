"""Video generation on HiAPI: OpenAI-style video tasks and a LangChain tool.

A video is a task: `POST /v1/videos` queues it, `GET /v1/videos/{id}` reports
`queued` → `in_progress` (with `progress` 0-100) → `completed` or `failed`, and
`GET /v1/videos/{id}/content` downloads the file. `HiAPIVideoClient` runs the whole
cycle (polling with backoff under an overall deadline) and saves the video
atomically; `HiAPIVideoGenerationTool` puts it in an agent's hands.

Sync and async share every decision (request body, poll schedule, parsing, file
naming); they differ only in the I/O calls and the sleep function.

Example:
    ```python
    from langchain_hiapi import HiAPIVideoClient

    with HiAPIVideoClient() as videos:
        video = videos.generate(
            "a paper boat drifting down a rainy street",
            model="kling-v3",
            seconds=5,
            size="1280*720",
            save_dir="videos",
            on_progress=lambda task: print(task.status, task.progress),
        )
    print(video.path)
    ```
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import math
import os
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
from langchain_core.callbacks import (
    AsyncCallbackManagerForToolRun,
    CallbackManagerForToolRun,
)
from langchain_core.tools import BaseTool
from langchain_core.utils import from_env, secret_from_env
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, field_validator

from langchain_hiapi._client import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    HiAPIClient,
)
from langchain_hiapi._files import MIME_EXTENSIONS
from langchain_hiapi._files import claim as _claim
from langchain_hiapi._files import unlink_quietly as _unlink_quietly
from langchain_hiapi._files import write_temp as _write_temp
from langchain_hiapi._ids import path_segment
from langchain_hiapi._images import GeneratedImage, _sniff_mime
from langchain_hiapi._secrets import check_api_key_type, strip_base_url_credentials
from langchain_hiapi.errors import HiAPIError, InvalidResponseError, parse_error_object
from langchain_hiapi.limits import Limits
from langchain_hiapi.models import _make_client

__all__ = [
    "DEFAULT_VIDEO_MODEL",
    "VIDEO_MODELS",
    "VIDEO_PROGRESS_EVENT",
    "GeneratedVideo",
    "HiAPIVideoClient",
    "HiAPIVideoGenerationTool",
    "VideoGenerationError",
    "VideoGenerationInput",
    "VideoTask",
    "VideoTimeoutError",
    "agenerate_video",
    "build_video_request",
    "generate_video",
    "parse_video",
    "save_video",
]

VIDEOS_PATH = "/videos"
VIDEO_MODELS: frozenset[str] = frozenset(
    {"kling-v3", "seedance-1-0-pro", "seedance-1-5-pro", "seedance-2-0", "wan2.7-t2v", "wan2.7-i2v"}
)
"""HiAPI's video models (`wan2.7-i2v` needs an `input_reference` image)."""
DEFAULT_VIDEO_MODEL = "seedance-1-0-pro"
VIDEO_PROGRESS_EVENT = "hiapi_video_progress"
"""Name of the LangChain custom event the tool dispatches after every status poll."""

# Real tasks take one to several minutes: start polling gently, back off to a calm
# pace, and give up after 15 minutes (the task keeps running; its id is on the error).
DEFAULT_POLL_INTERVAL = 2.0
DEFAULT_MAX_POLL_INTERVAL = 15.0
DEFAULT_POLL_BACKOFF = 1.5
DEFAULT_MAX_WAIT = 900.0

VideoStatus = Literal["queued", "in_progress", "completed", "failed"]
# Status spellings of other gateway versions and upstreams, mapped to the contract's.
_STATUS_ALIASES: dict[str, VideoStatus] = {
    "queued": "queued",
    "pending": "queued",
    "submitted": "queued",
    "not_start": "queued",
    "in_progress": "in_progress",
    "processing": "in_progress",
    "running": "in_progress",
    "completed": "completed",
    "succeeded": "completed",
    "success": "completed",
    "failed": "failed",
    "failure": "failed",
    "error": "failed",
    "cancelled": "failed",
    "canceled": "failed",
    "expired": "failed",
}
_VIDEO_EXTENSIONS = {"video/mp4": ".mp4", "video/webm": ".webm", "video/quicktime": ".mov"}
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")

ProgressCallback = Callable[["VideoTask"], Any]
"""Called with every task state seen; in async code it may return an awaitable."""


# ------------------------------------------------------------------------------ records


@dataclass(frozen=True)
class VideoTask:
    """A video task as the gateway reports it.

    Attributes:
        id: The task id (`GET /v1/videos/{id}`).
        status: `queued`, `in_progress`, `completed` or `failed` (other spellings of
            the same states are mapped; an unknown status counts as `in_progress`).
        progress: 0-100.
        model: The model, as reported.
        created_at: Unix time the task was created, if reported.
        completed_at: Unix time it ended, if it has.
        expires_at: Unix time the download expires, if reported.
        seconds: The clip length, as reported (a string on the wire, e.g. `"5"`).
        size: The resolution, as reported (e.g. `1280*720`).
        error_message: Why a `failed` task failed.
        error_code: The failure's code, if any.
        raw: The whole video object.
    """

    id: str
    status: VideoStatus
    progress: int = 0
    model: str | None = None
    created_at: int | None = None
    completed_at: int | None = None
    expires_at: int | None = None
    seconds: str | None = None
    size: str | None = None
    error_message: str | None = None
    error_code: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def done(self) -> bool:
        """Whether the task has ended (`completed` or `failed`)."""
        return self.status in ("completed", "failed")


class VideoGenerationError(HiAPIError):
    """A video task ended `failed`.

    Attributes:
        task: The failed task (`task.id`, `task.error_message`, `task.error_code`).
    """

    def __init__(self, task: VideoTask) -> None:
        super().__init__(
            task.error_message or f"video task {task.id} failed (no reason given)",
            code=task.error_code,
            body=dict(task.raw),
        )
        self.task = task

    def __str__(self) -> str:
        return f"video task {self.task.id} failed: {super().__str__()}"


class VideoTimeoutError(HiAPIError):
    """The task did not end within `max_wait`; it may still finish on the gateway.

    Attributes:
        task: The last state seen (`task.id` lets you poll again later).
        waited: Seconds spent waiting.
    """

    def __init__(self, task: VideoTask, waited: float) -> None:
        super().__init__(
            f"video task {task.id} still {task.status} ({task.progress}%) after "
            f"{waited:.0f} s; poll it again later with its id"
        )
        self.task = task
        self.waited = waited


@dataclass(frozen=True)
class GeneratedVideo:
    """A generated video saved to disk.

    Attributes:
        path: Where the video was written.
        task: The completed task.
        mime_type: The video's MIME type (e.g. `video/mp4`).
        num_bytes: The file size.
    """

    path: Path
    task: VideoTask
    mime_type: str
    num_bytes: int


# ----------------------------------------------------------------- requests and replies


def _opt_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _progress(value: Any) -> int:
    # An int on the contract; older gateways send "45%".
    if isinstance(value, str):
        try:
            value = float(value.strip().removesuffix("%").strip())
        except ValueError:
            return 0
    if isinstance(value, float):
        value = int(value) if math.isfinite(value) else 0
    return min(100, max(0, _opt_int(value) or 0))


def _opt_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def parse_video(body: Mapping[str, Any]) -> VideoTask:
    """Reads a video object (`POST /v1/videos` or `GET /v1/videos/{id}` reply).

    Args:
        body: The parsed JSON reply.

    Returns:
        The task.

    Raises:
        InvalidResponseError: The reply has no task id.
    """
    video_id = body.get("id") or body.get("task_id")  # `task_id`: older new-api replies
    if not isinstance(video_id, str) or not video_id:
        raise InvalidResponseError(
            f"expected a video object with an `id`, got: {json.dumps(body)[:200]}", body=body
        )
    try:
        # The id goes into later request paths: refuse one that could retarget them.
        path_segment(video_id, "video id")
    except ValueError as exc:
        raise InvalidResponseError(f"the gateway returned an unusable {exc}", body=None) from None
    raw_status = str(body.get("status") or "").strip().lower()
    status = _STATUS_ALIASES.get(raw_status, "in_progress")
    error = body.get("error")
    fields = parse_error_object({"error": error}) if error else {}
    message, code = fields.get("message"), fields.get("code")
    if status == "failed" and not message:
        message = _opt_text(body.get("fail_reason"))  # new-api task records call it that
    return VideoTask(
        id=video_id,
        status=status,
        progress=100 if status == "completed" else _progress(body.get("progress")),
        model=_opt_text(body.get("model")),
        created_at=_opt_int(body.get("created_at")),
        completed_at=_opt_int(body.get("completed_at")),
        expires_at=_opt_int(body.get("expires_at")),
        seconds=_opt_text(body.get("seconds")),
        size=_opt_text(body.get("size")),
        error_message=message,
        error_code=None if code is None else str(code),
        raw=dict(body),
    )


InputReference = str | bytes | os.PathLike[str] | GeneratedImage
"""An image to start from: an http(s) URL or data URI, raw bytes, a file path or a
`GeneratedImage`."""


def _data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _reference(value: InputReference) -> str:
    """`input_reference` on the wire: a URL or a data URI."""
    if isinstance(value, GeneratedImage):
        return _data_uri(value.data, value.mime_type)
    if isinstance(value, str):
        if value.startswith(("http://", "https://", "data:")):
            return value
        raise ValueError(
            "input_reference as a string must be an http(s) URL or a data: URI; "
            "pass a pathlib.Path to send a local file"
        )
    data = value if isinstance(value, bytes) else Path(value).read_bytes()
    mime = _sniff_mime(data)
    if not mime.startswith("image/"):
        raise ValueError("input_reference must be a PNG, JPEG, GIF or WebP image")
    return _data_uri(data, mime)


def build_video_request(
    prompt: str,
    *,
    model: str = DEFAULT_VIDEO_MODEL,
    seconds: int | str | None = None,
    size: str | None = None,
    input_reference: InputReference | None = None,
    model_kwargs: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Builds the JSON body of `POST /v1/videos`, checking it first.

    Args:
        prompt: What the video shows.
        model: A video model, e.g. `kling-v3` (see `VIDEO_MODELS`).
        seconds: Clip length; sent as a string (`"5"`). The model's default if None.
        size: Resolution, e.g. `1280*720` (HiAPI's form) or `1280x720`; sent as given.
        input_reference: A starting image (image-to-video).
        model_kwargs: Extra top-level fields sent as they are.

    Returns:
        The request body.

    Raises:
        ValueError: An argument cannot be sent.
    """
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError("prompt must be a non-empty string")
    body: dict[str, Any] = dict(model_kwargs or {})
    body.update(model=model, prompt=prompt)
    if seconds is not None:
        text = (
            str(seconds) if isinstance(seconds, int) and not isinstance(seconds, bool) else seconds
        )
        if not isinstance(text, str) or not text.isdigit() or int(text) < 1:
            raise ValueError(f"seconds must be a positive whole number, got {seconds!r}")
        body["seconds"] = str(int(text))
    if size is not None:
        if not isinstance(size, str) or not size.strip():
            raise ValueError(f"size must be a string like '1280*720', got {size!r}")
        body["size"] = size
    if input_reference is not None:
        body["input_reference"] = _reference(input_reference)
    return body


def _video_mime(content: bytes, content_type: str) -> str:
    # The bytes decide: a file is named .mp4/.webm/.mov only when it is one, so an HTML
    # page or a script sent as `video/mp4` is saved as inert `.bin`.
    if content[4:8] == b"ftyp":
        return "video/quicktime" if content[8:12] == b"qt  " else "video/mp4"
    if content.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    return "application/octet-stream"


def video_path(video_id: object, suffix: str = "") -> str:
    """The request path of a video task (`/videos/{id}` or `/videos/{id}/{suffix}`).

    Raises:
        ValueError: The id is not a plain id (see `_ids.path_segment`).
    """
    path = f"{VIDEOS_PATH}/{path_segment(video_id, 'video id')}"
    return f"{path}/{suffix}" if suffix else path


def _check_download(video_id: str, content: bytes, content_type: str) -> str:
    """Validates a downloaded video and returns its MIME type."""
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime == "application/json":
        # An error that came back with a 2xx status is not a video.
        try:
            parsed: Any = json.loads(content)
        except ValueError:
            parsed = None
        message = parse_error_object(parsed)["message"] or content[:200].decode("utf-8", "replace")
        raise InvalidResponseError(
            f"GET {VIDEOS_PATH}/{video_id}/content returned JSON, not a video: {message}",
            body=parsed,
        )
    if not content:
        raise InvalidResponseError(f"GET {VIDEOS_PATH}/{video_id}/content returned an empty body")
    return _video_mime(content, content_type)


def _file_stem(prefix: str, video_id: str) -> str:
    safe_id = _UNSAFE_NAME_CHARS.sub("_", video_id).strip("_")[:80] or "video"
    return f"{prefix}-{safe_id}"


def save_video(
    data: bytes,
    save_dir: str | os.PathLike[str],
    *,
    stem: str,
    mime_type: str = "video/mp4",
) -> Path:
    """Writes a video into `save_dir` atomically, never overwriting a file.

    The bytes go to a hidden temporary file first; the final name then appears with
    complete content or not at all. `<stem><ext>` is used if free, else
    `<stem>-2<ext>`, `<stem>-3<ext>`, ...

    Args:
        data: The video bytes.
        save_dir: The directory; created if missing.
        stem: The file name without extension; must not contain a path separator.
        mime_type: Chooses the extension (`.mp4`, `.webm`, `.mov`, else `.bin`).

    Returns:
        The path written.

    Raises:
        ValueError: `stem` is empty or contains a path separator.
    """
    if not stem or any(sep in stem for sep in {"/", "\\", "\0", os.sep}) or stem in (".", ".."):
        raise ValueError(f"stem must be a plain file name, got {stem!r}")
    folder = Path(save_dir)
    folder.mkdir(parents=True, exist_ok=True)
    extension = _VIDEO_EXTENSIONS.get(mime_type) or MIME_EXTENSIONS.get(mime_type, ".bin")
    temp = _write_temp(folder, stem, data)
    try:
        number = 1
        while True:
            final = folder / (
                f"{stem}{extension}" if number == 1 else f"{stem}-{number}{extension}"
            )
            if _claim(temp, final):
                return final
            number += 1
    finally:
        _unlink_quietly(temp)


# ------------------------------------------------------------------------------ polling


class _PollSchedule:
    """When to poll next: exponential backoff under an overall deadline (pure logic)."""

    def __init__(
        self,
        *,
        interval: float,
        max_interval: float,
        backoff: float,
        max_wait: float | None,
        clock: Callable[[], float],
    ) -> None:
        self._next = interval
        self._max_interval = max_interval
        self._backoff = backoff
        self._max_wait = max_wait
        self._clock = clock
        self._start = clock()

    def delay(self, task: VideoTask) -> float:
        """Seconds to sleep before the next poll.

        Raises:
            VideoTimeoutError: The deadline has passed.
        """
        waited = self._clock() - self._start
        if self._max_wait is not None and waited >= self._max_wait:
            raise VideoTimeoutError(task, waited)
        delay = self._next
        self._next = min(self._next * self._backoff, self._max_interval)
        if self._max_wait is not None:
            delay = min(delay, self._max_wait - waited)  # wake up for the deadline
        return max(delay, 0.0)


def _finished(task: VideoTask) -> bool:
    """Whether polling can stop: `completed` → True; `failed` raises; else False."""
    if task.status == "failed":
        raise VideoGenerationError(task)
    return task.status == "completed"


def _notify(on_progress: ProgressCallback | None, task: VideoTask) -> Any:
    return on_progress(task) if on_progress is not None else None


async def _anotify(on_progress: ProgressCallback | None, task: VideoTask) -> None:
    result = _notify(on_progress, task)
    if inspect.isawaitable(result):
        await result


class HiAPIVideoClient:
    """Creates, polls and downloads HiAPI video tasks.

    Args:
        client: A `HiAPIClient` to reuse (left open). Otherwise one is built from the
            arguments below and closed by `close()`/`aclose()`.
        api_key: HiAPI key; defaults to `HIAPI_API_KEY`.
        base_url: API base URL; defaults to `HIAPI_BASE_URL`, else
            `https://api.hiapi.ai/v1`.
        timeout: Per-request timeout.
        max_retries: Retries per request for 409 (`upstream_busy`, ...), 429, 5xx and
            connection errors.
        poll_interval: Seconds before the first status poll.
        max_poll_interval: Upper bound of the growing poll interval.
        poll_backoff: Factor the interval grows by after each poll.
        max_wait: Seconds to wait for a task to end before `VideoTimeoutError`;
            None waits forever.
        sleep: Sleep function for polls and retries (inject a fake in tests).
        asleep: Async sleep function for polls and retries.
        clock: Monotonic clock for the deadline.
        http_client: Your own `httpx.Client` (not closed).
        http_async_client: Your own `httpx.AsyncClient` (not closed).
        limits: Byte limits (`Limits.max_video_download_bytes` caps a download).
        allowed_download_hosts: Extra hosts a download may be redirected to.
    """

    def __init__(
        self,
        *,
        client: HiAPIClient | None = None,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_poll_interval: float = DEFAULT_MAX_POLL_INTERVAL,
        poll_backoff: float = DEFAULT_POLL_BACKOFF,
        max_wait: float | None = DEFAULT_MAX_WAIT,
        sleep: Callable[[float], None] = time.sleep,
        asleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        http_client: httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
        limits: Limits | None = None,
        allowed_download_hosts: Sequence[str] = (),
    ) -> None:
        if poll_interval < 0 or max_poll_interval < 0 or poll_backoff < 1:
            raise ValueError("poll intervals must be >= 0 and poll_backoff >= 1")
        if max_wait is not None and max_wait <= 0:
            raise ValueError("max_wait must be > 0 (or None to wait forever)")
        self._owns_client = client is None
        self.client = client or _make_client(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            http_async_client=http_async_client,
            sleep=sleep,
            asleep=asleep,
            limits=limits,
            allowed_download_hosts=allowed_download_hosts,
        )
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self.poll_backoff = poll_backoff
        self.max_wait = max_wait
        self._sleep = sleep
        self._asleep = asleep
        self._clock = clock

    def __repr__(self) -> str:
        return f"HiAPIVideoClient(base_url={self.client.base_url!r})"

    def _download_limit(self) -> dict[str, Any]:
        return {
            "max_bytes": self.client.limits.max_video_download_bytes,
            "limit_name": "max_video_download_bytes",
        }

    def _schedule(self) -> _PollSchedule:
        return _PollSchedule(
            interval=self.poll_interval,
            max_interval=self.max_poll_interval,
            backoff=self.poll_backoff,
            max_wait=self.max_wait,
            clock=self._clock,
        )

    # -- lifecycle ------------------------------------------------------------------

    def close(self) -> None:
        """Closes the HTTP client if this object created it."""
        if self._owns_client:
            self.client.close()

    async def aclose(self) -> None:
        """Closes the HTTP clients if this object created them."""
        if self._owns_client:
            await self.client.aclose()

    def __enter__(self) -> HiAPIVideoClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> HiAPIVideoClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- sync -----------------------------------------------------------------------

    def create(
        self,
        prompt: str,
        *,
        model: str = DEFAULT_VIDEO_MODEL,
        seconds: int | str | None = None,
        size: str | None = None,
        input_reference: InputReference | None = None,
        model_kwargs: Mapping[str, Any] | None = None,
    ) -> VideoTask:
        """Queues a video task (`POST /v1/videos`); see `build_video_request`.

        Returns:
            The new task (usually `queued`).
        """
        body = build_video_request(
            prompt,
            model=model,
            seconds=seconds,
            size=size,
            input_reference=input_reference,
            model_kwargs=model_kwargs,
        )
        return parse_video(self.client.request_json("POST", VIDEOS_PATH, body))

    def retrieve(self, video_id: str) -> VideoTask:
        """Fetches a task's current state (`GET /v1/videos/{id}`)."""
        return parse_video(self.client.request_json("GET", video_path(video_id)))

    def poll(
        self, video: VideoTask | str, *, on_progress: ProgressCallback | None = None
    ) -> VideoTask:
        """Polls a task until it ends, sleeping with backoff between polls.

        Args:
            video: The task or its id.
            on_progress: Called with every state fetched.

        Returns:
            The `completed` task.

        Raises:
            VideoGenerationError: The task failed.
            VideoTimeoutError: It did not end within `max_wait`.
            HiAPIError: A request failed after its retries.
        """
        schedule = self._schedule()
        task = video if isinstance(video, VideoTask) else self.retrieve(video)
        if not isinstance(video, VideoTask):
            _notify(on_progress, task)
        while not _finished(task):
            self._sleep(schedule.delay(task))
            task = self.retrieve(task.id)
            _notify(on_progress, task)
        return task

    def download(self, video_id: str) -> tuple[bytes, str]:
        """Downloads a completed video (`GET /v1/videos/{id}/content`).

        Returns:
            `(bytes, MIME type)`.

        Raises:
            InvalidResponseError: The reply is empty or JSON rather than a video.
            HiAPIError: The request failed.
        """
        content, content_type = self.client.request_bytes(
            "GET", video_path(video_id, "content"), **self._download_limit()
        )
        return content, _check_download(video_id, content, content_type)

    def save(
        self,
        task: VideoTask,
        save_dir: str | os.PathLike[str] = ".",
        *,
        prefix: str = "video",
    ) -> GeneratedVideo:
        """Downloads a completed task's video and saves it as `<prefix>-<id>.<ext>`."""
        content, mime = self.download(task.id)
        path = save_video(content, save_dir, stem=_file_stem(prefix, task.id), mime_type=mime)
        return GeneratedVideo(path=path, task=task, mime_type=mime, num_bytes=len(content))

    def generate(
        self,
        prompt: str,
        *,
        model: str = DEFAULT_VIDEO_MODEL,
        seconds: int | str | None = None,
        size: str | None = None,
        input_reference: InputReference | None = None,
        model_kwargs: Mapping[str, Any] | None = None,
        save_dir: str | os.PathLike[str] = ".",
        prefix: str = "video",
        on_progress: ProgressCallback | None = None,
    ) -> GeneratedVideo:
        """Creates a task, polls it to the end and saves the video.

        Args:
            prompt: What the video shows.
            model: A video model (see `VIDEO_MODELS`).
            seconds: Clip length.
            size: Resolution, e.g. `1280*720`.
            input_reference: A starting image (image-to-video).
            model_kwargs: Extra top-level request fields.
            save_dir: Where to write the video (created if missing).
            prefix: File name start; the task id follows.
            on_progress: Called with every task state (creation included).

        Returns:
            The saved video.

        Raises:
            ValueError: An argument cannot be sent.
            VideoGenerationError: The task failed.
            VideoTimeoutError: It did not end within `max_wait`.
            HiAPIError: A request failed after its retries.
        """
        task = self.create(
            prompt,
            model=model,
            seconds=seconds,
            size=size,
            input_reference=input_reference,
            model_kwargs=model_kwargs,
        )
        _notify(on_progress, task)
        task = self.poll(task, on_progress=on_progress)
        return self.save(task, save_dir, prefix=prefix)

    # -- async (mirrors the sync section) --------------------------------------------

    async def acreate(
        self,
        prompt: str,
        *,
        model: str = DEFAULT_VIDEO_MODEL,
        seconds: int | str | None = None,
        size: str | None = None,
        input_reference: InputReference | None = None,
        model_kwargs: Mapping[str, Any] | None = None,
    ) -> VideoTask:
        """Async `create`."""
        body = build_video_request(
            prompt,
            model=model,
            seconds=seconds,
            size=size,
            input_reference=input_reference,
            model_kwargs=model_kwargs,
        )
        return parse_video(await self.client.arequest_json("POST", VIDEOS_PATH, body))

    async def aretrieve(self, video_id: str) -> VideoTask:
        """Async `retrieve`."""
        return parse_video(await self.client.arequest_json("GET", video_path(video_id)))

    async def apoll(
        self, video: VideoTask | str, *, on_progress: ProgressCallback | None = None
    ) -> VideoTask:
        """Async `poll`; `on_progress` may be a coroutine function."""
        schedule = self._schedule()
        task = video if isinstance(video, VideoTask) else await self.aretrieve(video)
        if not isinstance(video, VideoTask):
            await _anotify(on_progress, task)
        while not _finished(task):
            await self._asleep(schedule.delay(task))
            task = await self.aretrieve(task.id)
            await _anotify(on_progress, task)
        return task

    async def adownload(self, video_id: str) -> tuple[bytes, str]:
        """Async `download`."""
        content, content_type = await self.client.arequest_bytes(
            "GET", video_path(video_id, "content"), **self._download_limit()
        )
        return content, _check_download(video_id, content, content_type)

    async def asave(
        self,
        task: VideoTask,
        save_dir: str | os.PathLike[str] = ".",
        *,
        prefix: str = "video",
    ) -> GeneratedVideo:
        """Async `save` (the file is written in a worker thread)."""
        content, mime = await self.adownload(task.id)
        path = await asyncio.to_thread(
            save_video, content, save_dir, stem=_file_stem(prefix, task.id), mime_type=mime
        )
        return GeneratedVideo(path=path, task=task, mime_type=mime, num_bytes=len(content))

    async def agenerate(
        self,
        prompt: str,
        *,
        model: str = DEFAULT_VIDEO_MODEL,
        seconds: int | str | None = None,
        size: str | None = None,
        input_reference: InputReference | None = None,
        model_kwargs: Mapping[str, Any] | None = None,
        save_dir: str | os.PathLike[str] = ".",
        prefix: str = "video",
        on_progress: ProgressCallback | None = None,
    ) -> GeneratedVideo:
        """Async `generate`; `on_progress` may be a coroutine function."""
        task = await self.acreate(
            prompt,
            model=model,
            seconds=seconds,
            size=size,
            input_reference=input_reference,
            model_kwargs=model_kwargs,
        )
        await _anotify(on_progress, task)
        task = await self.apoll(task, on_progress=on_progress)
        return await self.asave(task, save_dir, prefix=prefix)


def generate_video(
    prompt: str,
    *,
    model: str = DEFAULT_VIDEO_MODEL,
    seconds: int | str | None = None,
    size: str | None = None,
    input_reference: InputReference | None = None,
    save_dir: str | os.PathLike[str] = ".",
    on_progress: ProgressCallback | None = None,
    **client_options: Any,
) -> GeneratedVideo:
    """Generates one video and saves it: `HiAPIVideoClient(...).generate(...)` in one call.

    Args:
        prompt: What the video shows.
        model: A video model (see `VIDEO_MODELS`).
        seconds: Clip length.
        size: Resolution, e.g. `1280*720`.
        input_reference: A starting image (image-to-video).
        save_dir: Where to write the video.
        on_progress: Called with every task state.
        **client_options: `HiAPIVideoClient` arguments (`api_key`, `base_url`,
            `max_wait`, ...).

    Returns:
        The saved video.
    """
    with HiAPIVideoClient(**client_options) as videos:
        return videos.generate(
            prompt,
            model=model,
            seconds=seconds,
            size=size,
            input_reference=input_reference,
            save_dir=save_dir,
            on_progress=on_progress,
        )


async def agenerate_video(
    prompt: str,
    *,
    model: str = DEFAULT_VIDEO_MODEL,
    seconds: int | str | None = None,
    size: str | None = None,
    input_reference: InputReference | None = None,
    save_dir: str | os.PathLike[str] = ".",
    on_progress: ProgressCallback | None = None,
    **client_options: Any,
) -> GeneratedVideo:
    """Async `generate_video`."""
    async with HiAPIVideoClient(**client_options) as videos:
        return await videos.agenerate(
            prompt,
            model=model,
            seconds=seconds,
            size=size,
            input_reference=input_reference,
            save_dir=save_dir,
            on_progress=on_progress,
        )


# --------------------------------------------------------------------------------- tool


class VideoGenerationInput(BaseModel):
    """Arguments the model fills in when calling `HiAPIVideoGenerationTool`."""

    prompt: str = Field(
        description="Detailed description of the video: subject, action, setting, camera, style."
    )
    seconds: int | None = Field(
        default=None, ge=1, le=60, description="Clip length in seconds (e.g. 5). Optional."
    )
    size: str | None = Field(
        default=None, description="Resolution as WIDTH*HEIGHT, e.g. 1280*720. Optional."
    )
    input_reference: str | None = Field(
        default=None,
        description="Optional http(s) URL of an image to animate (image-to-video).",
    )


def _event(task: VideoTask) -> dict[str, Any]:
    return {
        "video_id": task.id,
        "status": task.status,
        "progress": task.progress,
        "model": task.model,
    }


def _tool_result(video: GeneratedVideo, model: str) -> tuple[str, dict[str, Any]]:
    task = video.task
    length = f"{task.seconds}s " if task.seconds else ""
    text = f"Generated a {length}video with {task.model or model}, saved to {video.path}."
    artifact = {
        "path": str(video.path),
        "video_id": task.id,
        "model": task.model or model,
        "mime_type": video.mime_type,
        "seconds": task.seconds,
        "size": task.size,
        "num_bytes": video.num_bytes,
    }
    return text, artifact


class HiAPIVideoGenerationTool(BaseTool):
    """Tool that generates a short video with a HiAPI video model and saves it.

    Returns a short text for the model and, as the `ToolMessage` artifact, a dict with
    the saved file's `path` plus `video_id`, `model`, `mime_type`, `seconds`, `size`
    and `num_bytes`. After every status poll it dispatches the custom event
    `hiapi_video_progress` (`{"video_id", "status", "progress", "model"}`), visible in
    `astream_events` and to callback handlers' `on_custom_event`.

    Setup:
        Install `langchain-hiapi` and set `HIAPI_API_KEY`.

    Example:
        ```python
        from langchain_hiapi import HiAPIVideoGenerationTool

        tool = HiAPIVideoGenerationTool(model="kling-v3", save_dir="videos")
        message = tool.invoke(
            {
                "type": "tool_call",
                "id": "1",
                "name": tool.name,
                "args": {"prompt": "a paper boat on a rainy street", "seconds": 5},
            }
        )
        print(message.content, message.artifact["path"])
        ```
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, populate_by_name=True)

    name: str = "hiapi_video_generation"
    description: str = (
        "Generate a short video clip from a text description (optionally animating an "
        "image given by URL). Takes a minute or more. Returns where the video was saved."
    )
    args_schema: type[BaseModel] = VideoGenerationInput
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"

    model: str = DEFAULT_VIDEO_MODEL
    """Video model: `kling-v3`, `seedance-1-0-pro`, `seedance-1-5-pro`, `seedance-2-0`,
    `wan2.7-t2v`, `wan2.7-i2v`."""
    seconds: int | None = None
    """Default clip length when the call gives none."""
    size: str | None = None
    """Default resolution when the call gives none (e.g. `1280*720`)."""
    save_dir: Path = Path("videos")
    """Where videos are written (created if missing); files are never overwritten."""
    prefix: str = "video"
    """File name start; the task id follows."""
    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("HIAPI_API_KEY", default=None)
    )
    """HiAPI key; read from `HIAPI_API_KEY` when not given."""
    base_url: str = Field(
        default_factory=from_env(["HIAPI_BASE_URL", "HIAPI_API_BASE"], default=DEFAULT_BASE_URL)
    )
    """API base URL; read from `HIAPI_BASE_URL` (or `HIAPI_API_BASE`), else
    `https://api.hiapi.ai/v1`."""
    timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT
    """Per-request timeout."""
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0)
    """Retries per request (409 upstream_busy, 429, 5xx, connection errors)."""
    max_wait: float | None = DEFAULT_MAX_WAIT
    """Seconds to wait for the task before `VideoTimeoutError`."""
    limits: Limits | None = None
    """Byte limits (`max_video_download_bytes` caps the download)."""
    video_client: HiAPIVideoClient | None = Field(default=None, exclude=True)
    """A ready `HiAPIVideoClient` (e.g. with custom polling); overrides the settings above."""

    _client: HiAPIVideoClient | None = PrivateAttr(default=None)
    _client_settings: tuple[Any, ...] | None = PrivateAttr(default=None)

    @field_validator("api_key", mode="before")
    @classmethod
    def _check_api_key_type(cls, value: Any) -> Any:
        return check_api_key_type(value)

    @field_validator("base_url", mode="before")
    @classmethod
    def _strip_credentials(cls, value: Any) -> Any:
        return strip_base_url_credentials(value)

    def _videos(self) -> HiAPIVideoClient:
        """`video_client` when given, else one for the current settings (rebuilt on change)."""
        if self.video_client is not None:
            return self.video_client
        settings = (
            self.api_key,
            self.base_url,
            self.timeout,
            self.max_retries,
            self.max_wait,
            self.limits,
        )
        if self._client is None or self._client_settings != settings:
            self._client = HiAPIVideoClient(
                api_key=self.api_key,
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=self.max_retries,
                max_wait=self.max_wait,
                limits=self.limits,
            )
            self._client_settings = settings
        return self._client

    def close(self) -> None:
        """Ends the tool's use of its connection pool (your own `video_client` is left open)."""
        if self._client is not None:
            self._client.close()

    async def aclose(self) -> None:
        """Async `close`."""
        if self._client is not None:
            await self._client.aclose()

    def __enter__(self) -> HiAPIVideoGenerationTool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> HiAPIVideoGenerationTool:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def _run(
        self,
        prompt: str,
        seconds: int | None = None,
        size: str | None = None,
        input_reference: str | None = None,
        run_manager: CallbackManagerForToolRun | None = None,
    ) -> tuple[str, dict[str, Any]]:
        def report(task: VideoTask) -> None:
            if run_manager is not None:
                # What dispatch_custom_event does inside a tool, without needing the
                # config context variable (absent in threads and on Python 3.10 async).
                run_manager.get_child().on_custom_event(
                    VIDEO_PROGRESS_EVENT, _event(task), run_id=run_manager.run_id
                )

        video = self._videos().generate(
            prompt,
            model=self.model,
            seconds=seconds if seconds is not None else self.seconds,
            size=size if size is not None else self.size,
            input_reference=input_reference,
            save_dir=self.save_dir,
            prefix=self.prefix,
            on_progress=report,
        )
        return _tool_result(video, self.model)

    async def _arun(
        self,
        prompt: str,
        seconds: int | None = None,
        size: str | None = None,
        input_reference: str | None = None,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
    ) -> tuple[str, dict[str, Any]]:
        async def report(task: VideoTask) -> None:
            if run_manager is not None:
                await run_manager.get_child().on_custom_event(
                    VIDEO_PROGRESS_EVENT, _event(task), run_id=run_manager.run_id
                )

        video = await self._videos().agenerate(
            prompt,
            model=self.model,
            seconds=seconds if seconds is not None else self.seconds,
            size=size if size is not None else self.size,
            input_reference=input_reference,
            save_dir=self.save_dir,
            prefix=self.prefix,
            on_progress=report,
        )
        return _tool_result(video, self.model)
