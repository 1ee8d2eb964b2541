"""Video generation on HiAPI's task API: `generate_video` and a LangChain tool.

Every HiAPI video model (Seedance, Kling, HappyHorse, ...) runs on the unified task API:
`POST /v1/tasks` creates the task (with an idempotency key, so a retry never bills twice),
`GET /v1/tasks/:id` reports `queued` -> `handling` -> `archiving` -> `success` (or `fail`),
and the finished task lists its outputs (the video, sometimes a first frame) as URLs that
expire after about 7 days. `generate_video` runs the whole cycle and saves the outputs
atomically; `HiAPIVideoGenerationTool` puts it in an agent's hands.

`duration`, `aspect_ratio`, `resolution`, a first frame and reference images are mapped
onto the model's own input fields (its schema from the catalogue), checked before anything
is sent.

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
import base64
import datetime
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, Union, get_args, get_origin

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.tools import ArgsSchema
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, create_model

from langchain_hiapi._flows import Flow
from langchain_hiapi._generation_flows import TaskRun, generate_flow
from langchain_hiapi._images import GeneratedImage
from langchain_hiapi._task_flows import CreateRequest, OnUpdate, PollSchedule, build_create
from langchain_hiapi._task_records import Task
from langchain_hiapi.catalogue import lookup, task_input_model, task_models
from langchain_hiapi.errors import InvalidResponseError, TaskFailedError, TaskWaitTimeout
from langchain_hiapi.task_tool import TaskToolArtifact, TaskToolBase
from langchain_hiapi.tasks import AsyncHiAPITasks, HiAPITasks

__all__ = [
    "DEFAULT_VIDEO_MODEL",
    "DEFAULT_VIDEO_TIMEOUT",
    "VIDEO_MODELS",
    "VIDEO_PROGRESS_EVENT",
    "GeneratedVideo",
    "HiAPIVideoGenerationTool",
    "InputImage",
    "VideoGenerationError",
    "VideoTimeoutError",
    "agenerate_video",
    "build_video_input",
    "generate_video",
    "image_reference",
    "video_args_schema",
]

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

InputImage = str | bytes | os.PathLike[str] | GeneratedImage
"""An image to start from: an http(s) URL or data URI, raw bytes, a file path or a
`GeneratedImage`."""

ProgressCallback = Callable[[Task], Any]
"""Called with the task on creation and on every status change (may be async in async code)."""

_SETTINGS = ("duration", "aspect_ratio", "resolution")
_FIRST_FRAME_FIELD = "first_frame_url"
_REFERENCES_FIELD = "reference_image_urls"
_MAX_INPUT_IMAGE_BYTES = 30 * 1024 * 1024
_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


# ------------------------------------------------------------------------------ records


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


# ------------------------------------------------------------------------------ inputs


def _sniff_image(data: bytes) -> str | None:
    for magic, mime in _IMAGE_MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def image_reference(value: InputImage, where: str = "image") -> str:
    """An input image as the task API takes it: its URL, or a data URI.

    Reads a file path (blocking; call it in a thread from async code).

    Raises:
        ValueError: The value is not an http(s) URL, a data URI or a readable
            PNG/JPEG/GIF/WebP image.
    """
    if isinstance(value, GeneratedImage):
        data, mime = value.data, value.mime_type
    elif isinstance(value, str):
        if value.lower().startswith(("http://", "https://", "data:", "asset://")):
            return value
        msg = (
            f"{where} as a string must be an http(s) URL, a data: URI or an asset:// id;"
            " pass a pathlib.Path to send a local file"
        )
        raise ValueError(msg)
    else:
        if isinstance(value, bytes):
            data = value
        else:
            path = Path(value)
            try:
                if path.stat().st_size > _MAX_INPUT_IMAGE_BYTES:
                    msg = f"{where}: {path} is larger than {_MAX_INPUT_IMAGE_BYTES} bytes"
                    raise ValueError(msg)
                data = path.read_bytes()
            except OSError as exc:
                msg = f"{where}: cannot read {path} ({exc.strerror or exc})"
                raise ValueError(msg) from None
        sniffed = _sniff_image(data)
        if sniffed is None:
            msg = f"{where} must be a PNG, JPEG, GIF or WebP image"
            raise ValueError(msg)
        mime = sniffed
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _fields(model: str) -> tuple[frozenset[str] | None, str | None]:
    """The model's input fields (`None`: undocumented) and its image-input field."""
    info = lookup(model)
    if info is None or not info.documented:
        return None, None
    schema = task_input_model(model)
    return frozenset(schema.model_fields) if schema is not None else None, info.image_inputs_field


def build_video_input(
    prompt: str | None,
    *,
    model: str = DEFAULT_VIDEO_MODEL,
    duration: int | None = None,
    aspect_ratio: str | None = None,
    resolution: str | None = None,
    first_frame: str | None = None,
    reference_images: Sequence[str] | None = None,
    extra_input: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Builds a video task's `input` from common options, on the model's own fields.

    `first_frame` goes to `first_frame_url` or, for models that take their frames in an
    image list (`kling-3.0-omni/image-to-video`: `image_urls`), first in that list;
    `reference_images` to `reference_image_urls` or that list. Nothing is checked against
    the value ranges here: `HiAPITasks`/`build_create` validate the input.

    Args:
        prompt: What happens in the video.
        model: The video model.
        duration: Seconds.
        aspect_ratio: E.g. `16:9` (`adaptive` for Seedance).
        resolution: E.g. `720p`.
        first_frame: The first frame, as a URL or data URI (see `image_reference`).
        reference_images: Reference images, as URLs or data URIs.
        extra_input: More `input` fields, sent as given (they win).

    Returns:
        The input.

    Raises:
        ValueError: An option the model has no field for (names it and the model's fields).
    """
    fields, image_field = _fields(model)

    def refuse(option: str, missing: str) -> ValueError:
        known = ", ".join(sorted(fields or ()))
        return ValueError(
            f"{option}: model {model!r} has no {missing!r} input (its fields: {known}); omit it"
            " or choose another model"
        )

    task_input: dict[str, Any] = {}
    if prompt is not None:
        task_input["prompt"] = prompt
    for name, value in zip(_SETTINGS, (duration, aspect_ratio, resolution), strict=True):
        if value is None:
            continue
        if fields is not None and name not in fields:
            raise refuse(name, name)
        task_input[name] = value
    images: list[str] = []
    if first_frame is not None:
        if fields is None or _FIRST_FRAME_FIELD in fields:
            task_input[_FIRST_FRAME_FIELD] = first_frame
        elif image_field is not None:
            images.append(first_frame)
        else:
            raise refuse("first_frame", _FIRST_FRAME_FIELD)
    if reference_images:
        if fields is None or _REFERENCES_FIELD in fields:
            task_input[_REFERENCES_FIELD] = list(reference_images)
        elif image_field is not None:
            images.extend(reference_images)
        else:
            raise refuse("reference_images", _REFERENCES_FIELD)
    if images and image_field is not None:
        task_input[image_field] = images
    task_input.update(extra_input or {})
    return task_input


def _video_request(
    prompt: str | None,
    model: str,
    options: Mapping[str, Any],
    first_frame: str | None,
    reference_images: Sequence[str] | None,
) -> CreateRequest:
    task_input = build_video_input(
        prompt,
        model=model,
        duration=options.get("duration"),
        aspect_ratio=options.get("aspect_ratio"),
        resolution=options.get("resolution"),
        first_frame=first_frame,
        reference_images=reference_images,
        extra_input=options.get("task_input"),
    )
    return build_create(model, task_input, storage=options.get("storage"))


# ------------------------------------------------------------------------------ running


def _video_cap(client: HiAPITasks | AsyncHiAPITasks) -> int:
    """One download's cap: `Limits.max_video_download_bytes`, within the client's own cap."""
    return min(client.client.limits.max_video_download_bytes, client.max_download_bytes)


def _video_flow(
    request: CreateRequest,
    *,
    timeout: float | None,
    save_dir: str | os.PathLike[str],
    prefix: str,
    on_update: OnUpdate | None,
    schedule: PollSchedule,
    max_bytes: int,
) -> Flow[TaskRun]:
    return generate_flow(
        request,
        timeout=timeout,
        dest_dir=save_dir,
        prefix=prefix,
        on_update=on_update,
        schedule=schedule,
        max_bytes=max_bytes,
    )


def _generated(run: TaskRun) -> GeneratedVideo:
    """The saved video of a finished run."""
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


def generate_video(
    prompt: str | None,
    *,
    model: str = DEFAULT_VIDEO_MODEL,
    duration: int | None = None,
    aspect_ratio: str | None = None,
    resolution: str | None = None,
    first_frame: InputImage | None = None,
    reference_images: Sequence[InputImage] | None = None,
    task_input: Mapping[str, Any] | None = None,
    storage: Literal["temp", "persistent"] | None = None,
    save_dir: str | os.PathLike[str] = ".",
    prefix: str = "video",
    on_progress: ProgressCallback | None = None,
    timeout: float | None = DEFAULT_VIDEO_TIMEOUT,
    tasks: HiAPITasks | None = None,
    **client_options: Any,
) -> GeneratedVideo:
    """Generates one video on the task API and saves it (and any other outputs).

    Args:
        prompt: What happens in the video (optional for pure image-to-video models).
        model: A video model, e.g. `seedance-2.0` (see `VIDEO_MODELS`).
        duration: Seconds.
        aspect_ratio: E.g. `16:9`.
        resolution: E.g. `720p`.
        first_frame: The image to start from (URL, data URI, bytes, path, GeneratedImage).
        reference_images: Reference images (same forms).
        task_input: More `input` fields of the model, sent as given.
        storage: `"persistent"` keeps outputs on HiAPI beyond 7 days (billed).
        save_dir: Where to write the files (created if missing; never overwritten).
        prefix: File names: `<prefix>-<task id>[-<n>].<ext>`.
        on_progress: Called with the task on creation and on every status change.
        timeout: Seconds to wait (`None`: no limit). The task is not cancelled after it.
        tasks: A `HiAPITasks` to use (left open); otherwise one is made from
            `client_options` (`api_key`, `base_url`, `max_retries`, `poll_interval`, ...).
        **client_options: `HiAPITasks` arguments.

    Returns:
        The saved video.

    Raises:
        ValueError: An option the model has no field for, or a bad image.
        TaskInputError: The input breaks the model's schema (before any request).
        VideoGenerationError: The task failed (`TaskFailedError`).
        VideoTimeoutError: It was not ready in time (`TaskWaitTimeout`).
        HiAPIError: A request failed after its retries.
    """
    first = image_reference(first_frame, "first_frame") if first_frame is not None else None
    references = [
        image_reference(image, f"reference_images[{n}]")
        for n, image in enumerate(reference_images or ())
    ]
    options = {
        "duration": duration,
        "aspect_ratio": aspect_ratio,
        "resolution": resolution,
        "task_input": task_input,
        "storage": storage,
    }
    request = _video_request(prompt, model, options, first, references)
    owned = tasks is None
    client = tasks or HiAPITasks(**client_options)
    try:
        run = client.execute(
            _video_flow(
                request,
                timeout=timeout,
                save_dir=save_dir,
                prefix=prefix,
                on_update=on_progress,
                schedule=client.poll_schedule(),
                max_bytes=_video_cap(client),
            )
        )
    finally:
        if owned:
            client.close()
    return _generated(run)


async def agenerate_video(
    prompt: str | None,
    *,
    model: str = DEFAULT_VIDEO_MODEL,
    duration: int | None = None,
    aspect_ratio: str | None = None,
    resolution: str | None = None,
    first_frame: InputImage | None = None,
    reference_images: Sequence[InputImage] | None = None,
    task_input: Mapping[str, Any] | None = None,
    storage: Literal["temp", "persistent"] | None = None,
    save_dir: str | os.PathLike[str] = ".",
    prefix: str = "video",
    on_progress: Callable[[Task], Any | Awaitable[Any]] | None = None,
    timeout: float | None = DEFAULT_VIDEO_TIMEOUT,
    tasks: AsyncHiAPITasks | None = None,
    **client_options: Any,
) -> GeneratedVideo:
    """Async `generate_video` (`on_progress` may be a coroutine function)."""

    def references() -> tuple[str | None, list[str]]:
        first = image_reference(first_frame, "first_frame") if first_frame is not None else None
        return first, [
            image_reference(image, f"reference_images[{n}]")
            for n, image in enumerate(reference_images or ())
        ]

    first, refs = await asyncio.to_thread(references)  # may read files
    options = {
        "duration": duration,
        "aspect_ratio": aspect_ratio,
        "resolution": resolution,
        "task_input": task_input,
        "storage": storage,
    }
    request = _video_request(prompt, model, options, first, refs)
    owned = tasks is None
    client = tasks or AsyncHiAPITasks(**client_options)
    try:
        run = await client.execute(
            _video_flow(
                request,
                timeout=timeout,
                save_dir=save_dir,
                prefix=prefix,
                on_update=on_progress,
                schedule=client.poll_schedule(),
                max_bytes=_video_cap(client),
            )
        )
    finally:
        if owned:
            await client.aclose()
    return _generated(run)


# --------------------------------------------------------------------------------- tool


def _optional(annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin is Union and type(None) in get_args(annotation):
        return annotation
    return annotation | None


def video_args_schema(model: str) -> type[BaseModel]:
    """The video tool's arguments for a model: only the options the model has.

    `prompt`, then `duration` / `aspect_ratio` / `resolution` with the model's own
    types, enums and bounds, then `first_frame` and `reference_images` (URLs) where the
    model takes them.
    """
    info = lookup(model)
    schema = task_input_model(model) if info is not None and info.documented else None
    model_fields = schema.model_fields if schema is not None else {}
    definitions: dict[str, Any] = {
        "prompt": (
            str,
            Field(
                min_length=1,
                description=(
                    "What happens in the video, in detail: subject, action, setting, camera"
                    " movement, style, sound."
                ),
            ),
        )
    }
    for name in _SETTINGS:
        source = model_fields.get(name)
        if schema is not None and source is None:
            continue
        annotation = _optional(source.annotation) if source is not None else int | str | None
        description = {
            "duration": "Length in seconds.",
            "aspect_ratio": "Width:height of the video.",
            "resolution": "Output resolution.",
        }[name]
        constraints = {
            key: getattr(meta, key)
            for meta in (source.metadata if source is not None else [])
            for key in ("ge", "le")
            if getattr(meta, key, None) is not None
        }
        definitions[name] = (
            annotation,
            Field(default=None, description=description + " Omit for the default.", **constraints),
        )
    fields, image_field = (frozenset(model_fields), info.image_inputs_field if info else None)
    if schema is None or _FIRST_FRAME_FIELD in fields or image_field is not None:
        definitions["first_frame"] = (
            str | None,
            Field(
                default=None,
                description="An http(s) URL of the image the video starts from (image-to-video).",
            ),
        )
    if schema is None or _REFERENCES_FIELD in fields:
        definitions["reference_images"] = (
            list[str] | None,
            Field(
                default=None,
                description="http(s) URLs of reference images (characters, products, style).",
            ),
        )
    return create_model(
        "VideoGenerationInput",
        __config__=ConfigDict(extra="forbid"),
        __doc__=f"Arguments of the video tool for {model}.",
        **definitions,
    )


class VideoToolArtifact(TaskToolArtifact, total=False):
    """The video tool's artifact: a `TaskToolArtifact` plus the saved video's `path`."""

    path: str | None


class HiAPIVideoGenerationTool(TaskToolBase):
    """Tool that generates a short video with a HiAPI video model (task API) and saves it.

    The arguments are the options the model has (`prompt`; `duration`, `aspect_ratio`,
    `resolution` with the model's enums and bounds; `first_frame` / `reference_images` URLs
    where it takes them). Returns a short text for the model and, as the `ToolMessage`
    artifact, the task id, the outputs with their URLs, `expire_at` and saved paths, and
    `path` (the video). After every status change it dispatches the custom event
    `hiapi_video_progress` (`{"task_id", "status", "model"}`), visible in
    `astream_events` and to callback handlers' `on_custom_event`. Errors an agent can act
    on come back as tool-error text; an invalid key raises.

    Setup:
        Install `langchain-hiapi` and set environment variable `HIAPI_API_KEY`.

        ```bash
        pip install -U langchain-hiapi
        export HIAPI_API_KEY="your-api-key"
        ```

    Key init args:
        model:
            Video model (default `seedance-2.0`; also `seedance-2.0-fast`,
            `kling-3.0-omni/text-to-video`, `happyhorse-1-0`, ...).
        duration, aspect_ratio, resolution:
            Defaults when the call gives none (checked against the model's schema).
        save_dir:
            Where videos are written (default `videos`; files are never overwritten).
        wait_timeout:
            Seconds to wait for the video (900 by default); a task still running then
            is reported to the agent, not cancelled.
        poll_interval:
            First pause between status polls (it grows, with jitter).
        storage:
            `"persistent"` keeps outputs on HiAPI beyond 7 days (billed).
        api_key, base_url, timeout, max_retries:
            Connection settings (`HIAPI_API_KEY` / `HIAPI_BASE_URL` by default), or
            `tasks=HiAPITasks(...)` to use a ready client.

    Instantiate:
        ```python
        from langchain_hiapi import HiAPIVideoGenerationTool

        tool = HiAPIVideoGenerationTool(
            model="seedance-2.0",
            resolution="720p",
            save_dir="videos",
            # wait_timeout=900,
            # api_key="...",
        )
        ```

    Invoke with args:
        ```python
        tool.invoke({"prompt": "a paper boat on a rainy street", "duration": 5})
        ```

        ```text
        'Generated a video with seedance-2.0 (task tk-hiapi-01M8F5H6...), saved to
        videos/video-tk-hiapi-01M8F5H6....mp4; its URL expires 2026-12-04 18:50 UTC.'
        ```

    Invoke with ToolCall:
        ```python
        message = tool.invoke(
            {
                "type": "tool_call",
                "id": "1",
                "name": tool.name,
                "args": {"prompt": "a paper boat on a rainy street", "aspect_ratio": "9:16"},
            }
        )
        message.artifact["path"], message.artifact["outputs"][0]["url"]
        ```

        ```text
        ('videos/video-tk-hiapi-01M8F5H6TZTXVKFSQCRYT9ABV9.mp4',
         'https://cdn.hiapi.ai/tasks/tk-hiapi-01M8F5H6TZTXVKFSQCRYT9ABV9/0.mp4')
        ```

    Progress events:
        ```python
        from langchain_core.callbacks import BaseCallbackHandler


        class PrintProgress(BaseCallbackHandler):
            def on_custom_event(self, name, data, **kwargs):
                if name == "hiapi_video_progress":
                    print(data["status"])


        tool.invoke(
            {"prompt": "a paper boat on a rainy street"},
            config={"callbacks": [PrintProgress()]},
        )
        ```

        ```text
        queued
        handling
        archiving
        success
        ```

    Async:
        ```python
        await tool.ainvoke({"prompt": "a paper boat on a rainy street"})
        ```

    Use within an agent:
        ```python
        from langchain.agents import create_agent

        from langchain_hiapi import ChatHiAPI

        agent = create_agent(model=ChatHiAPI(model="gpt-4o-mini"), tools=[tool])
        result = agent.invoke(
            {"messages": [{"role": "user", "content": "Make a video of a paper boat"}]}
        )
        result["messages"][-1].text
        ```
    """

    name: str = "hiapi_video_generation"
    description: str = (
        "Generate a short video clip from a text description (optionally starting from an"
        " image given by URL). Takes a minute or more. Returns where the video was saved."
    )
    args_schema: ArgsSchema | None = None
    """Default: `video_args_schema(model)`."""

    model: str = DEFAULT_VIDEO_MODEL
    """Video model, e.g. `seedance-2.0`, `kling-3.0-omni/text-to-video`, `happyhorse-1-0`."""
    duration: int | None = None
    """Default length in seconds when the call gives none."""
    aspect_ratio: str | None = None
    """Default aspect ratio when the call gives none."""
    resolution: str | None = None
    """Default resolution when the call gives none."""
    save_dir: Path | None = Path("videos")
    """Where videos are written (created if missing); files are never overwritten."""
    file_prefix: str = Field(default="video", alias="prefix")
    """File name start; the task id follows (`prefix=` works too)."""
    wait_timeout: float | None = Field(default=DEFAULT_VIDEO_TIMEOUT, ge=0)
    """Seconds to wait for the video; a task still running then is reported, not cancelled."""

    progress_event: ClassVar[str] = VIDEO_PROGRESS_EVENT

    model_config = ConfigDict(arbitrary_types_allowed=True, populate_by_name=True)

    _generated_schema: bool = PrivateAttr(default=False)

    def model_post_init(self, context: Any, /) -> None:
        """Builds the argument schema for the model."""
        super().model_post_init(context)
        if self.args_schema is None:
            self.args_schema = video_args_schema(self.model)
            self._generated_schema = True

    def __getstate__(self) -> dict[Any, Any]:
        state = super().__getstate__()
        if self._generated_schema:
            # A schema made for the model is a class pickle cannot find; rebuilt on load.
            fields = dict(state["__dict__"])
            fields["args_schema"] = None
            state["__dict__"] = fields
        return state

    def __setstate__(self, state: dict[Any, Any]) -> None:
        super().__setstate__(state)
        if self.args_schema is None:
            self.args_schema = video_args_schema(self.model)

    def what(self) -> str:
        """Videos."""
        return "video"

    def task_input(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """The call's options on the model's fields, the tool's defaults filling gaps."""

        def pick(name: str, default: Any) -> Any:
            value = arguments.get(name)
            return default if value is None else value

        return build_video_input(
            arguments.get("prompt"),
            model=self.model,
            duration=pick("duration", self.duration),
            aspect_ratio=pick("aspect_ratio", self.aspect_ratio),
            resolution=pick("resolution", self.resolution),
            first_frame=arguments.get("first_frame"),
            reference_images=arguments.get("reference_images"),
        )

    def _result(self, run: TaskRun) -> tuple[str, TaskToolArtifact]:
        """One sentence on the video (its file or URL, when the URL expires) + `path`."""
        text, artifact = super()._result(run)
        video = next((o for o in artifact["outputs"] if o["type"] == "video"), None)
        if video is None:
            return text, artifact
        result = VideoToolArtifact(**artifact, path=video["path"])
        where = f"saved to {video['path']}" if video["path"] else f"at {video['url']}"
        text = f"Generated a video with {artifact['model']} (task {artifact['task_id']}), {where}"
        if video["expire_at"] is not None:
            moment = datetime.datetime.fromtimestamp(video["expire_at"], datetime.timezone.utc)
            text += f"; its URL expires {moment:%Y-%m-%d %H:%M} UTC"
        return text + ".", result

    def _run(
        self,
        run_manager: CallbackManagerForToolRun | None = None,
        **kwargs: Any,
    ) -> tuple[str, TaskToolArtifact]:
        """Generates the video for one tool call.

        Raises:
            ToolException: For every error an agent can act on.
        """
        return self._run_task(kwargs, run_manager)

    async def _arun(
        self,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
        **kwargs: Any,
    ) -> tuple[str, TaskToolArtifact]:
        """Async `_run`."""
        return await self._arun_task(kwargs, run_manager)
