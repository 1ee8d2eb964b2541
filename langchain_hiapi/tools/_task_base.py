"""`TaskToolBase`: what every task-backed tool shares (clients, waiting, saving, errors)."""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from pydantic import ConfigDict, Field, PrivateAttr

from langchain_hiapi._client import HiAPIClient
from langchain_hiapi._connection import make_client, without_private
from langchain_hiapi._events import TASK_STATUS_EVENT, async_task_reporter, task_reporter
from langchain_hiapi._flows import Flow
from langchain_hiapi._generation_flows import TaskRun, all_outputs, generate_flow
from langchain_hiapi._task_convert import IMAGE_OUTPUT_TYPES
from langchain_hiapi._task_flows import POLL_INITIAL, CreateRequest, OnUpdate, build_create
from langchain_hiapi._task_records import TaskOutput
from langchain_hiapi.catalogue import lookup
from langchain_hiapi.errors import HiAPIError
from langchain_hiapi.tasks import DEFAULT_WAIT_TIMEOUT, AsyncHiAPITasks, HiAPITasks
from langchain_hiapi.tools._base import HiAPIToolBase
from langchain_hiapi.tools._errors import agent_errors, input_error, tool_error
from langchain_hiapi.tools._task_result import TaskToolArtifact, run_artifact, run_summary

__all__ = ["NAME_CHARS", "TaskToolBase"]

NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")
"""What a file prefix or a tool name may not hold."""


# The tool fields its task client's connection is built from (a change rebuilds it).
_CONNECTION_FIELDS = ("api_key", "base_url", "timeout", "max_retries", "limits")


def _images_only(output: TaskOutput) -> bool:
    return output.type in IMAGE_OUTPUT_TYPES


@dataclass(frozen=True)
class _Downloads:
    """Where one call downloads to: `save_dir`, a temporary directory (base64 only) or nowhere."""

    path: str | Path | None
    temporary: bool

    def remove(self) -> None:
        """Deletes a temporary directory (saved files stay)."""
        if self.temporary and self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)


class TaskToolBase(HiAPIToolBase):
    """What every task-backed tool shares: connection, waiting, saving and errors.

    Subclasses turn their arguments into a task `input` (`task_input`) and may change how
    the result reads (`finish`).
    """

    public_module: ClassVar[str] = "langchain_hiapi.task_tool"

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model: str
    """The HiAPI task model (an `x@route` suffix selects a model route)."""
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
    storage: Literal["temp", "persistent"] | None = None
    """HiAPI output storage tier (`persistent` keeps outputs beyond 7 days, billed)."""

    progress_event: ClassVar[str] = TASK_STATUS_EVENT

    _tasks: HiAPITasks | None = PrivateAttr(default=None)
    _atasks: AsyncHiAPITasks | None = PrivateAttr(default=None)
    _settings: tuple[Any, ...] | None = PrivateAttr(default=None)

    # ----------------------------------------------------------------- clients

    def _client(self) -> HiAPITasks:
        """The task client for the current settings (rebuilt when one changes)."""
        connection = {name: getattr(self, name) for name in _CONNECTION_FIELDS}
        settings = (self.tasks, self.poll_interval, *connection.values())
        if self._tasks is None or self._settings != settings:
            self._tasks = self.tasks or HiAPITasks(
                client=make_client(**connection),
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
        return without_private(super().__getstate__(), "_tasks", "_atasks", "_settings")

    @property
    def tasks_client(self) -> HiAPITasks:
        """The `HiAPITasks` the tool runs on (`tasks`, or one for the current settings)."""
        return self._client()

    def _release_connection(self) -> HiAPIClient | None:
        # The client the tool opened; a `tasks` you passed stays open.
        return self._tasks.client if self._tasks is not None and self.tasks is None else None

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

    def _flow(
        self, request: CreateRequest, downloads: _Downloads, on_update: OnUpdate
    ) -> Flow[TaskRun]:
        sync = self._client()
        return generate_flow(
            request,
            timeout=self.wait_timeout,
            dest_dir=downloads.path,
            wanted=all_outputs if self.save_dir is not None else _images_only,
            prefix=self.file_prefix,
            on_update=on_update,
            schedule=sync.poll_schedule(),
            max_bytes=self._max_bytes(sync),
        )

    def _downloads(self) -> _Downloads:
        """Where to download: `save_dir`, a temporary directory (base64 only) or nowhere."""
        if self.save_dir is not None:
            return _Downloads(self.save_dir, temporary=False)
        if self.include_base64:
            return _Downloads(tempfile.mkdtemp(prefix="hiapi-tool-"), temporary=True)
        return _Downloads(None, temporary=False)

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

    def _run(
        self, run_manager: CallbackManagerForToolRun | None = None, **kwargs: Any
    ) -> tuple[str, TaskToolArtifact]:
        """Runs the task for one tool call (its arguments make the task `input`).

        Raises:
            ToolException: For every error an agent can act on.
        """
        request = self._request(kwargs)
        downloads = self._downloads()
        try:
            with agent_errors(self._error):
                reporter = task_reporter(run_manager, self.progress_event)
                return self._result(
                    self._client().execute(self._flow(request, downloads, reporter))
                )
        finally:
            downloads.remove()

    async def _arun(
        self, run_manager: AsyncCallbackManagerForToolRun | None = None, **kwargs: Any
    ) -> tuple[str, TaskToolArtifact]:
        """Async `_run`; file work runs in a thread."""
        request = self._request(kwargs)
        downloads = await asyncio.to_thread(self._downloads)
        try:
            with agent_errors(self._error):
                reporter = async_task_reporter(run_manager, self.progress_event)
                run = await self._async_client().execute(self._flow(request, downloads, reporter))
                return await asyncio.to_thread(self._result, run)  # file reads off the loop
        finally:
            await asyncio.to_thread(downloads.remove)
