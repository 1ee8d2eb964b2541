"""`HiAPITaskTool`: any HiAPI task model (image, video, audio) as an agent tool.

The tool's argument schema is the model's own `input` schema from the catalogue, so an agent
calls Seedream, Kling, HappyHorse, a TTS model... with exactly the fields the model accepts
(enums, bounds and descriptions included). A call creates the task (with an idempotency key),
waits for it, reporting every status change as a custom event, downloads the outputs to
`save_dir` and answers with a short text plus an artifact holding the output URLs, their
`expire_at` and the saved paths. Errors an agent can act on come back as tool-error text.

`TaskToolBase` holds what every task-backed tool shares (connection, waiting, saving,
errors); `HiAPIVideoGenerationTool` builds on it too.

Example:
    ```python
    from langchain_hiapi import HiAPITaskTool

    tool = HiAPITaskTool(model="kling-3.0-omni/text-to-video", save_dir="videos/")
    message = tool.invoke(
        {
            "type": "tool_call",
            "id": "1",
            "name": tool.name,
            "args": {"prompt": "a paper boat on a rainy street", "duration": 5},
        }
    )
    print(message.content, message.artifact["paths"])
    ```
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal, TypedDict

import httpx
from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.tools import ArgsSchema, BaseTool, ToolException
from langchain_core.utils import from_env, secret_from_env
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic.v1 import ValidationError as ValidationErrorV1

from langchain_hiapi._client import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    HiAPIClient,
    RetryPolicy,
)
from langchain_hiapi._events import TASK_STATUS_EVENT, async_task_reporter, task_reporter
from langchain_hiapi._generation_flows import TaskRun, all_outputs, generate_flow
from langchain_hiapi._secrets import check_api_key_type, strip_base_url_credentials
from langchain_hiapi._task_convert import IMAGE_OUTPUT_TYPES
from langchain_hiapi._task_flows import POLL_INITIAL, CreateRequest, build_create
from langchain_hiapi._task_records import TaskOutput
from langchain_hiapi._tool_errors import (
    ToolExceptionHandlerOutput,
    input_error,
    tool_error,
    validation_error_message,
)
from langchain_hiapi.catalogue import ModelInfo, OpenTaskInput, lookup, task_input_model
from langchain_hiapi.errors import HiAPIError, TaskInputError
from langchain_hiapi.limits import DEFAULT_LIMITS, Limits
from langchain_hiapi.tasks import DEFAULT_WAIT_TIMEOUT, AsyncHiAPITasks, HiAPITasks

__all__ = [
    "HiAPITaskTool",
    "OpenTaskArgs",
    "TaskOutputInfo",
    "TaskToolArtifact",
    "TaskToolBase",
    "run_artifact",
    "run_summary",
]

_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")
_MAX_NAME = 64


class OpenTaskArgs(BaseModel):
    """Arguments for a model whose input fields are not documented: a prompt and more."""

    model_config = ConfigDict(extra="allow")

    prompt: str = Field(min_length=1, description="What to generate, in detail.")


class TaskOutputInfo(TypedDict):
    """One output in a `TaskToolArtifact`."""

    type: str
    url: str
    expire_at: int | None
    path: str | None


class TaskToolArtifact(TypedDict, total=False):
    """The artifact of a task tool call (`ToolMessage.artifact`), a plain dict.

    Attributes:
        task_id: The task.
        model: The model that ran it.
        outputs: Every output: `type`, `url`, `expire_at` (Unix seconds) and the `path`
            it was saved to (`None` without `save_dir`).
        paths: The files written under `save_dir`, in output order.
        expire_at: The earliest `expire_at` of the outputs.
        images: With `include_base64=True`: the image outputs as standard image blocks
            (`url`, `base64`, `mime_type`).
    """

    task_id: str
    model: str
    outputs: list[TaskOutputInfo]
    paths: list[str]
    expire_at: int | None
    images: list[dict[str, Any]]


def _when(expire_at: int | None) -> str:
    if expire_at is None:
        return "no expiry given"
    moment = datetime.datetime.fromtimestamp(expire_at, datetime.timezone.utc)
    return f"expires {moment:%Y-%m-%d %H:%M} UTC"


def _image_block(output: TaskOutput, data: bytes, content_type: str) -> dict[str, Any]:
    mime = content_type.split(";", 1)[0].strip().lower() or "application/octet-stream"
    return {
        "type": "image",
        "url": output.url,
        "base64": base64.b64encode(data).decode("ascii"),
        "mime_type": mime,
        "extras": {"expire_at": output.expire_at, "output_type": output.type},
    }


def run_artifact(
    run: TaskRun, model: str, *, saved: bool, include_base64: bool
) -> TaskToolArtifact:
    """The artifact of a finished run (reads downloaded images when base64 is asked for).

    Args:
        run: The run.
        model: The model the tool was asked to use.
        saved: Whether `run.files` are the saved files (else temporary ones).
        include_base64: Put image outputs' bytes into `images`.

    Returns:
        The artifact dict.
    """
    outputs: list[TaskOutputInfo] = []
    images = []
    for output in run.task.outputs:
        fetched = run.files.get(output.url)
        outputs.append(
            TaskOutputInfo(
                type=output.type,
                url=output.url,
                expire_at=output.expire_at,
                path=str(fetched.path) if fetched is not None and saved else None,
            )
        )
        if include_base64 and fetched is not None and output.type in IMAGE_OUTPUT_TYPES:
            images.append(_image_block(output, fetched.path.read_bytes(), fetched.content_type))
    expiries = [o.expire_at for o in run.task.outputs if o.expire_at is not None]
    artifact = TaskToolArtifact(
        task_id=run.task.id,
        model=run.task.model or model,
        outputs=outputs,
        paths=[o["path"] for o in outputs if o["path"] is not None],
        expire_at=min(expiries) if expiries else None,
    )
    if include_base64:
        artifact["images"] = images
    return artifact


def run_summary(artifact: TaskToolArtifact) -> str:
    """A short text for the agent: what came out, where it is saved, when URLs expire."""
    parts = []
    for output in artifact["outputs"]:
        where = f"saved to {output['path']}" if output["path"] else f"at {output['url']}"
        parts.append(f"{output['type'] or 'output'} {where} ({_when(output['expire_at'])})")
    return (
        f"HiAPI task {artifact['task_id']} finished with {artifact['model']}: "
        + "; ".join(parts)
        + "."
    )


class TaskToolBase(BaseTool):
    """What every task-backed tool shares: connection, waiting, saving and errors.

    Subclasses turn their arguments into a task `input` (`task_input`) and may change how
    the result reads (`finish`).
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    handle_tool_error: bool | str | Callable[[ToolException], ToolExceptionHandlerOutput] | None = (
        True
    )
    """`True`: a `ToolException` becomes the tool's text result, not a crash."""
    handle_validation_error: (
        bool | str | Callable[[ValidationError | ValidationErrorV1], str] | None
    ) = validation_error_message
    """Invalid arguments from the LLM become a text result naming the allowed values."""

    model: str
    """The HiAPI task model (an `x@route` suffix selects a model route)."""
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
    """Retries per request (429, 5xx, lost connections; creates are idempotent)."""
    poll_interval: float = Field(default=POLL_INITIAL, gt=0)
    """First pause between status polls (it grows, with jitter)."""
    wait_timeout: float | None = Field(default=DEFAULT_WAIT_TIMEOUT, ge=0)
    """Seconds to wait for the task; a task still running then is reported, not cancelled."""
    tasks: HiAPITasks | None = Field(default=None, exclude=True)
    """A ready `HiAPITasks` to use instead of the connection fields above."""
    save_dir: Path | None = None
    """Where outputs are saved (created if missing; files are never overwritten). `None`:
    nothing is saved and the artifact carries the URLs (they expire after about 7 days)."""
    file_prefix: str = "output"
    """Start of saved file names: `<file_prefix>-<task id>[-<n>].<ext>`."""
    include_base64: bool = False
    """Also put image outputs' bytes (base64) into the artifact. Off by default so agent
    state and checkpoints stay small."""
    storage: Literal["temp", "persistent"] | None = None
    """HiAPI output storage tier (`persistent` keeps outputs beyond 7 days, billed)."""
    limits: Limits | None = None
    """Byte limits: replies, and each download (`max_image_download_bytes` for an image
    model's outputs, `max_video_download_bytes` otherwise). Default `Limits()`."""

    progress_event: ClassVar[str] = TASK_STATUS_EVENT

    _tasks: HiAPITasks | None = PrivateAttr(default=None)
    _atasks: AsyncHiAPITasks | None = PrivateAttr(default=None)
    _settings: tuple[Any, ...] | None = PrivateAttr(default=None)

    @field_validator("api_key", mode="before")
    @classmethod
    def _check_api_key_type(cls, value: Any) -> Any:
        return check_api_key_type(value)

    @field_validator("base_url", mode="before")
    @classmethod
    def _strip_credentials(cls, value: Any) -> Any:
        return strip_base_url_credentials(value)

    @field_validator("file_prefix")
    @classmethod
    def _check_prefix(cls, value: str) -> str:
        # Checked up front: a bad name would only fail after the task was paid for.
        if not value or _NAME_CHARS.sub("", value) != value:
            msg = f"file_prefix must be letters, digits, '_' or '-', got {value!r}"
            raise ValueError(msg)
        return value

    # ----------------------------------------------------------------- clients

    def _client(self) -> HiAPITasks:
        """The task client for the current settings (rebuilt when one changes)."""
        settings = (
            self.tasks,
            self.api_key,
            self.base_url,
            self.timeout,
            self.max_retries,
            self.poll_interval,
            self.limits,
        )
        if self._tasks is None or self._settings != settings:
            self._tasks = self.tasks or HiAPITasks(
                client=HiAPIClient(
                    base_url=self.base_url,
                    api_key=self.api_key,
                    timeout=self.timeout,
                    retry_policy=RetryPolicy(max_retries=self.max_retries),
                    limits=self.limits or DEFAULT_LIMITS,
                ),
                poll_interval=self.poll_interval,
                max_poll_interval=max(self.poll_interval, 15.0),
            )
            self._atasks, self._settings = None, settings
        return self._tasks

    def _async_client(self) -> AsyncHiAPITasks:
        """The async side: the same connection settings and pools as `_client`."""
        sync = self._client()
        if self._atasks is None:
            self._atasks = AsyncHiAPITasks(
                client=sync.client,
                poll_interval=sync.poll_interval,
                max_poll_interval=sync.max_poll_interval,
            )
        return self._atasks

    def __getstate__(self) -> dict[Any, Any]:
        state = super().__getstate__()
        # Settings travel, connections do not: the other side builds its own clients.
        private = dict(state.get("__pydantic_private__") or {})
        private.update(_tasks=None, _atasks=None, _settings=None)
        state["__pydantic_private__"] = private
        return state

    @property
    def tasks_client(self) -> HiAPITasks:
        """The `HiAPITasks` the tool runs on (`tasks`, or one for the current settings)."""
        return self._client()

    def __enter__(self) -> TaskToolBase:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> TaskToolBase:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def close(self) -> None:
        """Closes the connections the tool opened (a `tasks` you passed is left open)."""
        if self._tasks is not None and self.tasks is None:
            self._tasks.client.close()

    async def aclose(self) -> None:
        """Async `close`."""
        if self._tasks is not None and self.tasks is None:
            await self._tasks.client.aclose()

    # ----------------------------------------------------------------- steps

    def task_input(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """The task `input` for the call's arguments (subclasses translate them)."""
        return {k: v for k, v in arguments.items() if v is not None}

    def _request(self, arguments: Mapping[str, Any]) -> CreateRequest:
        try:
            return build_create(self.model, self.task_input(arguments), storage=self.storage)
        except ValueError as exc:  # TaskInputError included: names the field and values
            raise input_error(exc) from None

    def _max_bytes(self, sync: HiAPITasks) -> int:
        """The cap of one download: the `Limits` of its kind, within the client's own cap."""
        limits = sync.client.limits
        cap = (
            limits.max_image_download_bytes
            if self.what() == "image"
            else (limits.max_video_download_bytes)
        )
        return min(cap, sync.max_download_bytes)

    def _flow(self, request: CreateRequest, dest: str | Path | None, on_update: Any) -> Any:
        sync = self._client()
        return generate_flow(
            request,
            timeout=self.wait_timeout,
            dest_dir=dest,
            wanted=all_outputs if self.save_dir is not None else _images_only,
            prefix=self.file_prefix,
            on_update=on_update,
            schedule=sync.poll_schedule(),
            max_bytes=self._max_bytes(sync),
        )

    def _download_dir(self) -> tuple[str | Path | None, bool]:
        """Where to download: `save_dir`, a temporary directory (base64 only) or nowhere."""
        if self.save_dir is not None:
            return self.save_dir, False
        if self.include_base64:
            return tempfile.mkdtemp(prefix="hiapi-tool-"), True
        return None, False

    def finish(self, run: TaskRun, artifact: TaskToolArtifact) -> str:
        """The text for the agent (subclasses may say it their way)."""
        return run_summary(artifact)

    def _result(self, run: TaskRun) -> tuple[str, TaskToolArtifact]:
        artifact = run_artifact(
            run, self.model, saved=self.save_dir is not None, include_base64=self.include_base64
        )
        return self.finish(run, artifact), artifact

    def what(self) -> str:
        """What the tool makes, for messages: `image`, `video`, `audio` or `output`."""
        info = lookup(self.model)
        kind = info.kind if info is not None else ""
        return kind if kind in ("image", "video", "audio") else "output"

    def _error(self, exc: HiAPIError) -> BaseException:
        sync = self._client()
        return tool_error(
            exc,
            model=self.model,
            max_retries=sync.client.retry_policy.max_retries,
            what=self.what(),
            arguments="the arguments",
        )

    # ----------------------------------------------------------------- running

    def _run_task(
        self, arguments: Mapping[str, Any], run_manager: CallbackManagerForToolRun | None
    ) -> tuple[str, TaskToolArtifact]:
        request = self._request(arguments)
        sync = self._client()
        dest, temporary = self._download_dir()
        try:
            on_update = task_reporter(run_manager, self.progress_event)
            run = sync.execute(self._flow(request, dest, on_update))
            return self._result(run)
        except HiAPIError as exc:
            raise self._error(exc) from exc
        finally:
            if temporary and dest is not None:
                shutil.rmtree(dest, ignore_errors=True)

    async def _arun_task(
        self, arguments: Mapping[str, Any], run_manager: AsyncCallbackManagerForToolRun | None
    ) -> tuple[str, TaskToolArtifact]:
        request = self._request(arguments)
        atasks = self._async_client()
        dest, temporary = await asyncio.to_thread(self._download_dir)
        try:
            on_update = async_task_reporter(run_manager, self.progress_event)
            run = await atasks.execute(self._flow(request, dest, on_update))
            return await asyncio.to_thread(self._result, run)  # file reads off the loop
        except HiAPIError as exc:
            raise self._error(exc) from exc
        finally:
            if temporary and dest is not None:
                await asyncio.to_thread(shutil.rmtree, dest, True)


def _images_only(output: TaskOutput) -> bool:
    return output.type in IMAGE_OUTPUT_TYPES


def _tool_name(model: str) -> str:
    name = _NAME_CHARS.sub("_", model.replace("@", "_")).strip("_").lower()
    return f"hiapi_{name}"[:_MAX_NAME]


def _describe(info: ModelInfo | None, model: str, schema: type[BaseModel]) -> str:
    kind = info.kind if info is not None else "media"
    what = {"image": "an image", "video": "a video", "audio": "audio"}.get(kind, "media")
    text = f"Generate {what} with HiAPI's {model} model (takes a while; waits for the result)."
    doc = (schema.__doc__ or "").strip().splitlines()
    if info is not None and info.documented and doc:
        text += f" {doc[0].strip()}"
    text += " Returns where the output was saved and its URL."
    return text


class HiAPITaskTool(TaskToolBase):
    """A tool for any HiAPI task model, with the model's own input schema as arguments.

    `args_schema` is the model's input schema from the catalogue (for an undocumented model:
    a `prompt` plus any other fields). Outputs are saved under `save_dir`; the artifact
    (`TaskToolArtifact`) carries the output URLs, `expire_at`, the paths and, with
    `include_base64=True`, the image outputs' bytes. Status changes go out as the custom
    event `hiapi_task_status`. Errors an agent can act on (blocked prompt, failed task with
    its code, invalid input naming the field, quota, rate limit after retries, a task
    still running at `wait_timeout`) come back as tool-error text; an invalid key raises.

    Setup:
        Install `langchain-hiapi` and set environment variable `HIAPI_API_KEY`.

        ```bash
        pip install -U langchain-hiapi
        export HIAPI_API_KEY="your-api-key"
        ```

    Key init args:
        model:
            Any HiAPI task model: image (`seedream-5.0-pro/text-to-image`, ...), video
            (`kling-3.0-omni/text-to-video`, ...) or audio. An `x@route` suffix selects a
            model route.
        save_dir:
            Where outputs are saved (files are never overwritten). `None`: nothing is
            saved and the artifact carries the URLs (they expire after about 7 days).
        include_base64:
            Also put image outputs' bytes (base64) into the artifact.
        wait_timeout:
            Seconds to wait for the task; a task still running then is reported to the
            agent, not cancelled.
        poll_interval:
            First pause between status polls (it grows, with jitter).
        storage:
            `"persistent"` keeps outputs on HiAPI beyond 7 days (billed).
        name, description:
            Default: `hiapi_<model>` and a text built from the model's kind and schema.
        api_key, base_url, timeout, max_retries:
            Connection settings (`HIAPI_API_KEY` / `HIAPI_BASE_URL` by default), or
            `tasks=HiAPITasks(...)` to use a ready client.

    Instantiate:
        ```python
        from langchain_hiapi import HiAPITaskTool

        tool = HiAPITaskTool(
            model="seedream-5.0-pro/text-to-image",
            save_dir="images/",
            # wait_timeout=600,
            # api_key="...",
        )
        tool.name, sorted(tool.args)
        ```

        ```text
        ('hiapi_seedream-5_0-pro_text-to-image',
         ['aspect_ratio', 'output_format', 'prompt', 'quality'])
        ```

    Invoke with args:
        ```python
        tool.invoke({"prompt": "a red fox in the snow", "quality": "high"})
        ```

        ```text
        'HiAPI task tk-hiapi-01M8F5H6... finished with seedream-5.0-pro/text-to-image:
        image saved to images/output-tk-hiapi-01M8F5H6....png (expires 2026-12-04 18:50 UTC).'
        ```

    Invoke with ToolCall:
        ```python
        message = tool.invoke(
            {
                "type": "tool_call",
                "id": "1",
                "name": tool.name,
                "args": {"prompt": "a lighthouse at dusk", "aspect_ratio": "16:9"},
            }
        )
        message.artifact["paths"], message.artifact["expire_at"]
        ```

        ```text
        (['images/output-tk-hiapi-01M8F5H6W7JDKXNGX2JM6BSP6F.png'], 1796410253)
        ```

        An argument outside the schema (an unknown field, a value not in an enum) comes
        back to the agent as a tool error naming the field and the allowed values.

    Async:
        ```python
        await tool.ainvoke({"prompt": "a red fox in the snow"})
        ```

    Use within an agent:
        ```python
        from langchain.agents import create_agent

        from langchain_hiapi import ChatHiAPI

        video = HiAPITaskTool(model="kling-3.0-omni/text-to-video", save_dir="videos/")
        agent = create_agent(model=ChatHiAPI(model="gpt-4o-mini"), tools=[tool, video])
        result = agent.invoke(
            {"messages": [{"role": "user", "content": "Draw a lighthouse at dusk"}]}
        )
        result["messages"][-1].text
        ```
    """

    name: str = ""
    """Default: `hiapi_<model>` (e.g. `hiapi_seedream-5_0-pro_text-to-image`)."""
    description: str = ""
    """Default: built from the model's kind and schema."""
    args_schema: ArgsSchema | None = None
    """Default: the model's input schema from the catalogue."""

    def model_post_init(self, context: Any, /) -> None:
        """Fills in the schema, name and description from the catalogue."""
        super().model_post_init(context)
        info = lookup(self.model)
        schema: type[BaseModel] | None = None
        try:
            schema = task_input_model(self.model)
        except TaskInputError as exc:
            raise ValueError(str(exc)) from None
        if schema is None or schema is OpenTaskInput:
            schema = OpenTaskArgs
        if self.args_schema is None:
            self.args_schema = schema
        if not self.name:
            self.name = _tool_name(self.model)
        if not self.description:
            self.description = _describe(info, self.model, schema)

    def task_input(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """The call's arguments without the schema defaults LangChain fills in.

        The server applies the same defaults; sending only what the agent chose keeps the
        request (and its idempotency hash) to what was asked for.
        """
        schema = self.args_schema
        fields = (
            schema.model_fields
            if isinstance(schema, type) and issubclass(schema, BaseModel)
            else {}
        )
        kept: dict[str, Any] = {}
        for name, value in arguments.items():
            field = fields.get(name)
            if value is None:
                continue
            if (
                field is not None
                and not field.is_required()
                and value == field.get_default(call_default_factory=True)
            ):
                continue
            kept[name] = value
        return kept

    def _run(
        self, run_manager: CallbackManagerForToolRun | None = None, **kwargs: Any
    ) -> tuple[str, TaskToolArtifact]:
        """Runs the task with the call's arguments as its `input`.

        Raises:
            ToolException: For every error an agent can act on.
        """
        return self._run_task(kwargs, run_manager)

    async def _arun(
        self, run_manager: AsyncCallbackManagerForToolRun | None = None, **kwargs: Any
    ) -> tuple[str, TaskToolArtifact]:
        """Async `_run`."""
        return await self._arun_task(kwargs, run_manager)
