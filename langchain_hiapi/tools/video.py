"""`HiAPIVideoGenerationTool`: a HiAPI video model (task API) as an agent tool.

Its arguments are the options the model has (`video_args_schema`); a call creates the task,
waits for it (reporting progress as a custom event), saves the video and answers with a
sentence plus a `TaskToolArtifact` with the video's `path`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Union, get_args, get_origin

from langchain_core.tools import ArgsSchema
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, create_model

from langchain_hiapi._generation_flows import TaskRun
from langchain_hiapi._video_input import (
    FIRST_FRAME_FIELD,
    REFERENCES_FIELD,
    SETTINGS,
    build_video_input,
)
from langchain_hiapi._video_records import (
    DEFAULT_VIDEO_MODEL,
    DEFAULT_VIDEO_TIMEOUT,
    VIDEO_PROGRESS_EVENT,
)
from langchain_hiapi.catalogue import lookup, task_input_model
from langchain_hiapi.tools._task_base import TaskToolBase
from langchain_hiapi.tools._task_result import TaskToolArtifact, expiry_text

__all__ = ["HiAPIVideoGenerationTool", "VideoToolArtifact", "video_args_schema"]


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
    for name in SETTINGS:
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
    if schema is None or FIRST_FRAME_FIELD in fields or image_field is not None:
        definitions["first_frame"] = (
            str | None,
            Field(
                default=None,
                description="An http(s) URL of the image the video starts from (image-to-video).",
            ),
        )
    if schema is None or REFERENCES_FIELD in fields:
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
        The video tool comes with `langchain-hiapi`; like the other HiAPI classes it
        reads its key from `HIAPI_API_KEY`.

        ```bash
        pip install -U langchain-hiapi
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
        poll_interval, storage, api_key, base_url, timeout, max_retries, tasks:
            As for `HiAPITaskTool`.

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
        from langchain_core.messages.tool import tool_call

        args = {"prompt": "a paper boat on a rainy street", "aspect_ratio": "9:16"}
        message = tool.invoke(tool_call(name=tool.name, args=args, id="1"))
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
                    print(data["status"], end=" ")


        tool.invoke(
            {"prompt": "a paper boat on a rainy street"},
            config={"callbacks": [PrintProgress()]},
        )
        ```

        ```text
        queued handling archiving success
        ```

    Async:
        ```python
        text = await tool.ainvoke({"prompt": "a paper boat on a rainy street"})
        ```

    Use within an agent:
        ```python
        from langchain.agents import create_agent

        from langchain_hiapi import ChatHiAPI

        agent = create_agent(
            ChatHiAPI(model="gpt-4o-mini"), [tool], system_prompt="Keep videos short."
        )
        state = await agent.ainvoke({"messages": [("user", "Make a video of a paper boat")]})
        state["messages"][-1].text
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
    public_module: ClassVar[str] = "langchain_hiapi.video"

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
            text += f"; its URL {expiry_text(video['expire_at'])}"
        return text + ".", result
