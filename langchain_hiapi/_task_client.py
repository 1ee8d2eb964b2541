"""What `HiAPITasks` and `AsyncHiAPITasks` share: settings, argument bundles, flow building.

The public classes (in `tasks`) only add the driver: each method builds its flow here and
runs it with `run_sync` or `run_async`. Every parameter list is written once, as a
`TypedDict` bundle with its defaults (`_options.Keywords`).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import httpx
from pydantic import SecretStr

from langchain_hiapi._client import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, HiAPIClient
from langchain_hiapi._connection import (
    Closeable,
    ConnectionOwner,
    make_client,
    resolve_api_key,
    resolve_base_url,
)
from langchain_hiapi._flows import Flow
from langchain_hiapi._options import Keywords
from langchain_hiapi._ratelimit import shared_rate_limiter
from langchain_hiapi._task_flows import (
    CREATE_OPTIONS,
    DEFAULT_MAX_DOWNLOAD_BYTES,
    POLL_INITIAL,
    POLL_MAX,
    CreateOptions,
    OnUpdate,
    PollSchedule,
    build_create,
    create_flow,
    download_flow,
    get_flow,
    run_flow,
    wait_flow,
    wait_many_flow,
)
from langchain_hiapi._task_records import Task

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "CLIENT_OPTIONS",
    "CREATE_OPTIONS",
    "DEFAULT_WAIT_MANY_TIMEOUT",
    "DEFAULT_WAIT_TIMEOUT",
    "DOWNLOAD_OPTIONS",
    "RUN_OPTIONS",
    "WAIT_MANY_OPTIONS",
    "WAIT_OPTIONS",
    "AsyncSleep",
    "ClientOptions",
    "CreateOptions",
    "DownloadOptions",
    "RunOptions",
    "SyncSleep",
    "TaskClientBase",
    "TaskRef",
    "WaitOptions",
    "connect",
]

DEFAULT_WAIT_TIMEOUT = 600.0
"""Seconds `wait` and `run` wait for a task by default."""
DEFAULT_WAIT_MANY_TIMEOUT = 900.0
"""Seconds `wait_many` waits for all its tasks by default."""

TaskRef = Task | str
SyncSleep = Callable[[float], None]
AsyncSleep = Callable[[float], Awaitable[None]]


class WaitOptions(TypedDict, total=False):
    """The keyword arguments of `wait`, `wait_many` and `run`."""

    timeout: float | None
    on_update: OnUpdate | None


class RunOptions(CreateOptions, WaitOptions, total=False):
    """The keyword arguments of `run`: a create's and a wait's."""


class DownloadOptions(TypedDict, total=False):
    """The keyword arguments of `download`."""

    types: Iterable[str] | None


class ClientOptions(TypedDict, total=False):
    """The settings both task clients take (all but `sleep`)."""

    api_key: str | SecretStr | None
    base_url: str | None
    timeout: httpx.Timeout | float | None
    max_retries: int
    http_client: httpx.Client | httpx.AsyncClient | None
    http_async_client: httpx.AsyncClient | None
    default_headers: Mapping[str, str] | None
    client: HiAPIClient | None
    adaptive_rate_limit: bool
    poll_interval: float
    max_poll_interval: float
    max_download_bytes: int
    clock: Callable[[], float]
    wall_clock: Callable[[], float]


_WAIT: WaitOptions = {"timeout": DEFAULT_WAIT_TIMEOUT, "on_update": None}
WAIT_OPTIONS = Keywords(WaitOptions, _WAIT)
WAIT_MANY_OPTIONS = Keywords(WaitOptions, {**_WAIT, "timeout": DEFAULT_WAIT_MANY_TIMEOUT})
RUN_OPTIONS = Keywords(RunOptions, {**CREATE_OPTIONS.defaults, **_WAIT})
DOWNLOAD_OPTIONS = Keywords(DownloadOptions, {"types": None})
_CLIENT: ClientOptions = {
    "api_key": None,
    "base_url": None,
    "timeout": DEFAULT_TIMEOUT,
    "max_retries": DEFAULT_MAX_RETRIES,
    "http_client": None,
    "http_async_client": None,
    "default_headers": None,
    "client": None,
    "adaptive_rate_limit": True,
    "poll_interval": POLL_INITIAL,
    "max_poll_interval": POLL_MAX,
    "max_download_bytes": DEFAULT_MAX_DOWNLOAD_BYTES,
    "clock": time.monotonic,
    "wall_clock": time.time,
}
CLIENT_OPTIONS = Keywords(ClientOptions, _CLIENT)


def connect(
    *,
    api_key: str | SecretStr | None,
    base_url: str | None,
    adaptive_rate_limit: bool,
    clock: Callable[[], float] = time.monotonic,
    **settings: Any,
) -> HiAPIClient:
    """A `HiAPIClient` from connection settings (key and base URL default to the environment).

    Args:
        api_key: The key; `HIAPI_API_KEY` when `None`.
        base_url: The API base URL; from the environment, else HiAPI's, when `None`.
        adaptive_rate_limit: Pace requests with the key's shared adaptive rate limiter.
        clock: The clock the rate limiter paces on.
        **settings: `_connection.make_client` arguments (`timeout`, `max_retries`, ...).

    Returns:
        The client (the caller owns it).
    """
    key, url = resolve_api_key(api_key), resolve_base_url(base_url)
    limiter = shared_rate_limiter(key, url, clock=clock) if adaptive_rate_limit else None
    return make_client(base_url=url, api_key=key, rate_limiter=limiter, **settings)


def _can_pace(sleep: Callable[[float], Any], clock: Callable[[], float], async_: bool) -> bool:
    """Whether the adaptive limiter can pace: its waits must pass on the clock it reads.

    A sleep of your own with the real clock (a test's no-op sleep) would never let the
    limiter's time pass: it would spin until real time does.
    """
    real_sleep = asyncio.sleep if async_ else time.sleep
    return sleep is real_sleep or clock is not time.monotonic


def _task_id(task: TaskRef) -> str:
    return task.id if isinstance(task, Task) else task


def _download_of(
    task: TaskRef, dest_dir: str | os.PathLike[str], types: Iterable[str] | None, max_bytes: int
) -> Flow[list[Path]]:
    """Download flow for a task or a task id (read first)."""
    current = task if isinstance(task, Task) else (yield from get_flow(task))
    return (yield from download_flow(current, dest_dir, types=types, max_bytes=max_bytes))


class TaskClientBase(ConnectionOwner):
    """Settings, flow building and closing shared by `HiAPITasks` and `AsyncHiAPITasks`.

    Args:
        sleep: The sleep function (a coroutine function when `async_`).
        async_: Whether the client runs its flows with the async driver.
        **options: `ClientOptions`.

    Raises:
        ValueError: A setting that cannot work (checked before any request).
    """

    def __init__(
        self,
        *,
        sleep: Callable[[float], Any],
        async_: bool,
        **options: Unpack[ClientOptions],
    ) -> None:
        settings = CLIENT_OPTIONS.resolve(type(self).__name__, options)
        PollSchedule(settings["poll_interval"], settings["max_poll_interval"])  # fails early
        max_download_bytes = settings["max_download_bytes"]
        if isinstance(max_download_bytes, bool) or max_download_bytes < 1:
            raise ValueError("max_download_bytes must be a positive number of bytes")
        self.poll_interval: float = settings["poll_interval"]
        self.max_poll_interval: float = settings["max_poll_interval"]
        self.max_download_bytes: int = max_download_bytes
        self._sleep = sleep
        self._clock: Callable[[], float] = settings["clock"]
        self._wall_clock: Callable[[], float] = settings["wall_clock"]
        client: HiAPIClient | None = settings["client"]
        self._owns_client = client is None
        if client is None:
            http_client, async_client = settings["http_client"], settings["http_async_client"]
            if async_ and isinstance(http_client, httpx.AsyncClient):
                http_client, async_client = None, async_client or http_client
            client = connect(
                api_key=settings["api_key"],
                base_url=settings["base_url"],
                max_retries=settings["max_retries"],
                adaptive_rate_limit=settings["adaptive_rate_limit"]
                and _can_pace(sleep, self._clock, async_),
                clock=self._clock,
                timeout=settings["timeout"],
                default_headers=settings["default_headers"],
                http_client=http_client,
                http_async_client=async_client,
                **{"asleep" if async_ else "sleep": sleep},
            )
        self.client = client

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.client.base_url!r})"

    def _release_connection(self) -> Closeable | None:
        return self.client if self._owns_client else None  # a client passed in stays open

    def poll_schedule(self) -> PollSchedule:
        """A fresh schedule of poll pauses with this client's intervals (for `execute`)."""
        return PollSchedule(self.poll_interval, self.max_poll_interval)

    def flow_create(
        self, model: str, input: Mapping[str, Any], options: CreateOptions
    ) -> Flow[Task]:
        """The flow of `create`."""
        return create_flow(build_create(model, input, **CREATE_OPTIONS.resolve("create", options)))

    def flow_wait(self, task: TaskRef, options: WaitOptions) -> Flow[Task]:
        """The flow of `wait`."""
        settings = WAIT_OPTIONS.resolve("wait", options)
        return wait_flow(_task_id(task), schedule=self.poll_schedule(), **settings)

    def flow_wait_many(self, tasks: Iterable[TaskRef], options: WaitOptions) -> Flow[list[Task]]:
        """The flow of `wait_many`."""
        settings = WAIT_MANY_OPTIONS.resolve("wait_many", options)
        ids = [_task_id(t) for t in tasks]
        return wait_many_flow(ids, schedule=self.poll_schedule(), **settings)

    def flow_run(self, model: str, input: Mapping[str, Any], options: RunOptions) -> Flow[Task]:
        """The flow of `run`: create, then wait."""
        settings = RUN_OPTIONS.resolve("run", options)
        waiting = {name: settings.pop(name) for name in WAIT_OPTIONS.defaults}
        request = build_create(model, input, **settings)
        return run_flow(request, schedule=self.poll_schedule(), **waiting)

    def flow_download(
        self, task: TaskRef, dest_dir: str | os.PathLike[str], options: DownloadOptions
    ) -> Flow[list[Path]]:
        """The flow of `download`."""
        types = DOWNLOAD_OPTIONS.resolve("download", options)["types"]
        return _download_of(task, dest_dir, types, self.max_download_bytes)
