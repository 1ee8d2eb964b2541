"""HiAPI's unified async task API (`/v1/tasks`): every image, video and audio model.

`HiAPITasks` (blocking) and `AsyncHiAPITasks` (asyncio) have the same methods: `create` a
task, `get` it, `list` your tasks, `wait` for one, `run` (create + wait), `wait_many` (many
tasks with few requests, via the list endpoint) and `download` the outputs. Both run the same
I/O-free flows of `langchain_hiapi._task_flows`.

Every create carries an `Idempotency-Key` (a fresh UUID4 unless you pass one), so a create
whose reply was lost is retried without creating, or billing, a second task; the server
answers a replay with the first task (`Task.idempotent_replay`). `input` is checked against
the model's documented schema before anything is sent (`langchain_hiapi.catalogue`).

Example:
    ```python
    from langchain_hiapi import HiAPITasks

    with HiAPITasks() as tasks:
        task = tasks.run("seedance-2.0", {"prompt": "a paper boat", "duration": 5},
                         on_update=lambda t: print(t.status))
        print(tasks.download(task, "out/"))
    ```
"""

from __future__ import annotations

import asyncio
import builtins
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import httpx
from pydantic import SecretStr

from langchain_hiapi._client import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    HiAPIClient,
    RetryPolicy,
)
from langchain_hiapi._flows import Flow, run_async, run_sync
from langchain_hiapi._ratelimit import shared_rate_limiter
from langchain_hiapi._task_flows import (
    DEFAULT_MAX_DOWNLOAD_BYTES,
    POLL_INITIAL,
    POLL_MAX,
    OnUpdate,
    PollSchedule,
    build_create,
    create_flow,
    download_flow,
    get_flow,
    list_flow,
    run_flow,
    task_path,
    wait_flow,
    wait_many_flow,
)
from langchain_hiapi._task_records import Task, TaskOutput, TaskPage

__all__ = [
    "DEFAULT_WAIT_MANY_TIMEOUT",
    "DEFAULT_WAIT_TIMEOUT",
    "AsyncHiAPITasks",
    "HiAPITasks",
    "Task",
    "TaskOutput",
    "TaskPage",
    "task_path",
]

DEFAULT_WAIT_TIMEOUT = 600.0
"""Seconds `wait` and `run` wait for a task by default."""
DEFAULT_WAIT_MANY_TIMEOUT = 900.0
"""Seconds `wait_many` waits for all its tasks by default."""

T = TypeVar("T")
TaskRef = Task | str


def _task_id(task: TaskRef) -> str:
    return task.id if isinstance(task, Task) else task


def _download_of(
    task: TaskRef,
    dest_dir: str | os.PathLike[str],
    types: Iterable[str] | None,
    max_bytes: int,
) -> Flow[list[Path]]:
    """Download flow for a task or a task id (read first)."""
    current = task if isinstance(task, Task) else (yield from get_flow(task))
    return (yield from download_flow(current, dest_dir, types=types, max_bytes=max_bytes))


def _can_pace(sleep: Callable[[float], Any], clock: Callable[[], float], async_: bool) -> bool:
    """Whether the adaptive limiter can pace: its waits must pass on the clock it reads.

    A sleep of your own with the real clock (a test's no-op sleep) would never let the
    limiter's time pass: it would spin until real time does.
    """
    real_sleep = asyncio.sleep if async_ else time.sleep
    return sleep is real_sleep or clock is not time.monotonic


class _TaskClientBase:
    """Settings and flow building shared by `HiAPITasks` and `AsyncHiAPITasks`."""

    def __init__(
        self,
        *,
        api_key: str | SecretStr | None,
        base_url: str | None,
        timeout: httpx.Timeout | float | None,
        max_retries: int,
        http_client: httpx.Client | None,
        http_async_client: httpx.AsyncClient | None,
        default_headers: Mapping[str, str] | None,
        client: HiAPIClient | None,
        adaptive_rate_limit: bool,
        poll_interval: float,
        max_poll_interval: float,
        max_download_bytes: int,
        sleep: Callable[[float], Any],
        clock: Callable[[], float],
        wall_clock: Callable[[], float],
        async_sleep: bool,
    ) -> None:
        PollSchedule(poll_interval, max_poll_interval)  # fails early on bad intervals
        if isinstance(max_download_bytes, bool) or max_download_bytes < 1:
            raise ValueError("max_download_bytes must be a positive number of bytes")
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self.max_download_bytes = max_download_bytes
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock
        self._owns_client = client is None
        if client is None:
            if api_key is None:
                api_key = os.environ.get("HIAPI_API_KEY") or None
            sleeps: dict[str, Any] = {"asleep": sleep} if async_sleep else {"sleep": sleep}
            key = SecretStr(api_key) if isinstance(api_key, str) else api_key
            url = base_url or os.environ.get("HIAPI_BASE_URL") or DEFAULT_BASE_URL
            client = HiAPIClient(
                base_url=url,
                api_key=key,
                timeout=timeout,
                retry_policy=RetryPolicy(max_retries=max_retries),
                default_headers=default_headers,
                http_client=http_client,
                http_async_client=http_async_client,
                rate_limiter=shared_rate_limiter(key, url, clock=clock)
                if adaptive_rate_limit and _can_pace(sleep, clock, async_sleep)
                else None,
                **sleeps,
            )
        self.client = client

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.client.base_url!r})"

    def _schedule(self) -> PollSchedule:
        return PollSchedule(self.poll_interval, self.max_poll_interval)

    def poll_schedule(self) -> PollSchedule:
        """A fresh schedule of poll pauses with this client's intervals (for `execute`)."""
        return self._schedule()

    def _create(self, model: str, input: Mapping[str, Any], options: dict[str, Any]) -> Flow[Task]:
        return create_flow(build_create(model, input, **options))

    def _wait(self, task: TaskRef, timeout: float | None, on_update: OnUpdate | None) -> Flow[Task]:
        return wait_flow(
            _task_id(task), timeout=timeout, on_update=on_update, schedule=self._schedule()
        )

    def _run_task(
        self,
        model: str,
        input: Mapping[str, Any],
        options: dict[str, Any],
        timeout: float | None,
        on_update: OnUpdate | None,
    ) -> Flow[Task]:
        request = build_create(model, input, **options)
        return run_flow(request, timeout=timeout, on_update=on_update, schedule=self._schedule())

    def _wait_many(
        self, tasks: Iterable[TaskRef], timeout: float | None, on_update: OnUpdate | None
    ) -> Flow[builtins.list[Task]]:
        ids = [_task_id(t) for t in tasks]
        return wait_many_flow(ids, timeout=timeout, on_update=on_update, schedule=self._schedule())

    def _download(
        self, task: TaskRef, dest_dir: str | os.PathLike[str], types: Iterable[str] | None
    ) -> Flow[builtins.list[Path]]:
        return _download_of(task, dest_dir, types, self.max_download_bytes)


class HiAPITasks(_TaskClientBase):
    """Blocking client of HiAPI's task API (`/v1/tasks`): every image, video and audio model.

    A task is created, runs for seconds to minutes, and ends with outputs at temporary
    URLs. `create` returns at once, `wait` polls until the task ends (a growing, jittered
    interval; slower after a 429), `run` does both, `wait_many` follows many tasks through
    the list endpoint, and `download` saves the outputs atomically. Every create carries an
    `Idempotency-Key`, so a create whose reply was lost is retried without creating (or
    paying for) a second task, and `input` is checked against the model's documented schema
    before anything is sent.

    Setup:
        Install `langchain-hiapi` and set environment variable `HIAPI_API_KEY`.

        ```bash
        pip install -U langchain-hiapi
        export HIAPI_API_KEY="your-api-key"
        ```

    Key init args — client params:
        api_key:
            HiAPI API key. If not passed in will be read from env var `HIAPI_API_KEY`.
        base_url:
            API base URL; read from `HIAPI_BASE_URL`, else `https://api.hiapi.ai/v1`.
        timeout:
            Per-request timeout (seconds, an `httpx.Timeout`, or `None`).
        max_retries:
            Retries per request (429, 5xx, lost connections; a create is safe to retry
            thanks to its idempotency key).
        adaptive_rate_limit:
            Pace requests with the key's shared adaptive rate limiter (learns the allowed
            rate from 429s; absorbed 429s do not count against `max_retries`). On by
            default. It paces on `clock`: with a fake `clock`, inject a `sleep` that
            advances it. A `sleep` of your own with the real `clock` (a test's no-op sleep)
            turns it off, since its waits would never pass.
        default_headers:
            Extra headers for every API request (never sent to other hosts).
        http_client:
            Your own `httpx.Client` (left open). `http_async_client` is unused here (for
            symmetry with `AsyncHiAPITasks`).
        client:
            A `HiAPIClient` to use instead (left open).

    Key init args — polling and download params:
        poll_interval:
            First pause between status polls, in seconds.
        max_poll_interval:
            Upper bound of the growing, jittered poll interval.
        max_download_bytes:
            Largest output file `download` accepts.
        sleep:
            Sleep function for polls and retries (inject a no-op in tests).
        clock:
            Monotonic clock for deadlines.
        wall_clock:
            Unix time, to check output expiry.

    Instantiate:
        ```python
        from langchain_hiapi import HiAPITasks

        tasks = HiAPITasks(
            max_retries=2,
            # api_key="...",
            # base_url="...",
            # poll_interval=2.5,
        )
        ```

        Use it as a context manager (`with HiAPITasks() as tasks:`) or call `close()`.

    Run a task:
        ```python
        task = tasks.run(
            "seedance-2.0",
            {"prompt": "a paper boat on a rainy street", "duration": 5},
            on_update=lambda t: print(t.status),
            timeout=900,
        )
        task.status, task.outputs
        ```

        ```text
        queued
        handling
        archiving
        success
        ('success', [TaskOutput(url='https://cdn.hiapi.ai/tasks/.../0.mp4', type='video',
        expire_at=1796406968)])
        ```

    Download:
        ```python
        tasks.download(task, "videos/")  # types=["video"] to pick outputs
        ```

        ```text
        [PosixPath('videos/tk-hiapi-01M8F2CWCJK4F7PQ573VP6DREE-video.mp4')]
        ```

    Create, then wait:
        ```python
        created = tasks.create(
            "Nano-Banana-2", {"prompt": "a lighthouse at dusk", "aspect_ratio": "16:9"}
        )
        print(created.id, created.status)
        finished = tasks.wait(created.id, timeout=600)
        finished.succeeded
        ```

        ```text
        tk-hiapi-01M8F2H87DF5E16VATSTTDX8MQ queued
        True
        ```

    Many tasks:
        ```python
        prompts = ["a red fox", "a blue whale", "a green dragon"]
        created = [tasks.create("Nano-Banana-2", {"prompt": p}) for p in prompts]
        done = tasks.wait_many(created)  # a few list requests for any number of tasks
        [t.status for t in done]
        ```

        ```text
        ['success', 'success', 'success']
        ```

        `tasks.list(page=1, size=20)` returns a `TaskPage` of your tasks, newest first.

    Input validation:
        ```python
        from langchain_hiapi import TaskInputError

        try:
            tasks.create("seedance-2.0", {"prompt": "a paper boat", "resolution": "8k"})
        except TaskInputError as exc:
            print(exc)
        ```

        ```text
        input.resolution: '8k' is not allowed for seedance-2.0; allowed: '480p', '720p',
        '1080p', '4k'
        ```

    Idempotency:
        ```python
        first = tasks.create(
            "seedance-2.0", {"prompt": "a paper boat"}, idempotency_key="order-42"
        )
        again = tasks.create(
            "seedance-2.0", {"prompt": "a paper boat"}, idempotency_key="order-42"
        )
        again.id == first.id, again.idempotent_replay
        ```

        ```text
        (True, True)
        ```

    Errors:
        A failed task raises `TaskFailedError` (`.task`, `.code`, `.message`); a task still
        running at the deadline raises `TaskWaitTimeout` and keeps running (resume with
        `wait(task_id)`); an expired output raises `OutputExpiredError` in `download`.

        ```python
        tasks.close()
        ```

    Raises:
        ValueError: A setting that cannot work (checked here, before any request).
    """

    def __init__(
        self,
        *,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
        default_headers: Mapping[str, str] | None = None,
        client: HiAPIClient | None = None,
        adaptive_rate_limit: bool = True,
        poll_interval: float = POLL_INITIAL,
        max_poll_interval: float = POLL_MAX,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            http_async_client=http_async_client,
            default_headers=default_headers,
            client=client,
            adaptive_rate_limit=adaptive_rate_limit,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            max_download_bytes=max_download_bytes,
            sleep=sleep,
            clock=clock,
            wall_clock=wall_clock,
            async_sleep=False,
        )

    def _go(self, flow: Flow[T]) -> T:
        return run_sync(
            flow, self.client, sleep=self._sleep, clock=self._clock, wall_clock=self._wall_clock
        )

    def execute(self, flow: Flow[T]) -> T:
        """Runs a flow (a generator of `langchain_hiapi._flows` steps) with this client.

        For workflows built from the task flows (the generation tools do create, wait and
        download in one flow), with this client's connection, sleep and clocks.
        """
        return self._go(flow)

    def create(
        self,
        model: str,
        input: Mapping[str, Any],
        *,
        callback_url: str | None = None,
        route: str | None = None,
        storage: str | None = None,
        idempotency_key: str | None = None,
        validate: bool = True,
    ) -> Task:
        """Creates a task and returns at once (status `queued`).

        Args:
            model: The model id (an alias or the legacy `model@route` works too).
            input: The model's input; checked against its documented schema first.
            callback_url: HiAPI POSTs the finished task there (`callback.when` = `final`);
                verify it with `verify_webhook`.
            route: A model route (e.g. `"ext"`); `None` or `""` for the default.
            storage: `"temp"` (default on HiAPI) or `"persistent"`.
            idempotency_key: Reuse a key to make a create you repeat idempotent (at most
                255 bytes); a fresh UUID4 when `None`.
            validate: Set False to skip the local schema check.

        Returns:
            The task (`idempotent_replay` True when the server answered with the task an
            earlier request with the same key created).

        Raises:
            TaskInputError: `input` breaks the model's schema (nothing is sent).
            InvalidRequestError: The server rejected the request (its message says why).
            IdempotencyKeyMismatchError: The key was used before with another body.
            InsufficientQuotaError: The balance is used up.
            HiAPIError: Another failure, after retries.
        """
        options = {
            "callback_url": callback_url,
            "route": route,
            "storage": storage,
            "idempotency_key": idempotency_key,
            "validate": validate,
        }
        return self._go(self._create(model, input, options))

    def get(self, task_id: str) -> Task:
        """The task's current state (`GET /v1/tasks/:id`).

        Raises:
            NotFoundError: No such task for this key's account.
        """
        return self._go(get_flow(task_id))

    def list(self, page: int = 1, size: int = 20) -> TaskPage:
        """One page of your tasks, newest first (`size` 1-100)."""
        return self._go(list_flow(page, size))

    def wait(
        self,
        task_id_or_task: TaskRef,
        *,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        on_update: OnUpdate | None = None,
    ) -> Task:
        """Polls a task until it ends (growing, jittered interval; slower after a 429).

        Args:
            task_id_or_task: The task or its id.
            timeout: Seconds to wait (`None`: no limit).
            on_update: Called with the task whenever its status changes.

        Returns:
            The successful task.

        Raises:
            TaskFailedError: The task failed (`.task`, `.code`, `.message`).
            TaskWaitTimeout: Still running at the deadline; the task is not cancelled
                (resume with `wait(task_id)`).
        """
        return self._go(self._wait(task_id_or_task, timeout, on_update))

    def run(
        self,
        model: str,
        input: Mapping[str, Any],
        *,
        callback_url: str | None = None,
        route: str | None = None,
        storage: str | None = None,
        idempotency_key: str | None = None,
        validate: bool = True,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        on_update: OnUpdate | None = None,
    ) -> Task:
        """`create` then `wait` (same arguments and errors as both)."""
        options = {
            "callback_url": callback_url,
            "route": route,
            "storage": storage,
            "idempotency_key": idempotency_key,
            "validate": validate,
        }
        return self._go(self._run_task(model, input, options, timeout, on_update))

    def wait_many(
        self,
        ids: Iterable[TaskRef],
        *,
        timeout: float | None = DEFAULT_WAIT_MANY_TIMEOUT,
        on_update: OnUpdate | None = None,
    ) -> builtins.list[Task]:
        """Waits for many tasks, reading their states from the list endpoint.

        Returns as soon as all have ended. A failed task is returned like the others
        (check `Task.succeeded`).

        Args:
            ids: Task ids (or tasks).
            timeout: Seconds to wait for all (`None`: no limit).
            on_update: Called with a task whenever its status changes.

        Returns:
            The final states, in the given order.

        Raises:
            TaskWaitTimeout: Some tasks were still running at the deadline (`.task_ids`).
        """
        return self._go(self._wait_many(ids, timeout, on_update))

    def download(
        self,
        task: TaskRef,
        dest_dir: str | os.PathLike[str],
        *,
        types: Iterable[str] | None = None,
    ) -> builtins.list[Path]:
        """Downloads a successful task's outputs into `dest_dir`, each file atomically.

        Files are named `<task id>-<type><ext>` (never overwriting: `-2`, `-3`, ...); the
        extension comes from the content type or the URL. The API key is never sent to
        another host than the API's.

        Args:
            task: The task (or its id, read first).
            dest_dir: The directory; created if missing.
            types: Only outputs of these types (e.g. `["video"]`).

        Returns:
            The paths written.

        Raises:
            OutputExpiredError: An output's `expire_at` has passed (nothing is fetched).
            TaskFailedError: The task failed.
            ValueError: The task has not finished.
        """
        return self._go(self._download(task, dest_dir, types))

    def close(self) -> None:
        """Closes the connections this object opened (a client you passed stays open)."""
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> HiAPITasks:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncHiAPITasks(_TaskClientBase):
    """Asyncio client of HiAPI's task API: `HiAPITasks`' methods as coroutines.

    Takes `HiAPITasks`' arguments; `sleep` is an async function here, and `http_client`
    may be an `httpx.AsyncClient` (the same as `http_async_client`). `on_update` callbacks
    may be coroutine functions.

    Setup:
        Install `langchain-hiapi` and set environment variable `HIAPI_API_KEY`.

        ```bash
        pip install -U langchain-hiapi
        export HIAPI_API_KEY="your-api-key"
        ```

    Key init args:
        See `HiAPITasks`: `api_key`, `base_url`, `timeout`, `max_retries`,
        `adaptive_rate_limit`, `poll_interval`, `max_poll_interval`,
        `max_download_bytes`, ...

    Instantiate:
        ```python
        from langchain_hiapi import AsyncHiAPITasks

        tasks = AsyncHiAPITasks()  # or: async with AsyncHiAPITasks() as tasks: ...
        ```

    Run a task:
        ```python
        async def report(task):
            print(task.status)


        task = await tasks.run(
            "seedance-2.0",
            {"prompt": "a paper boat on a rainy street", "duration": 5},
            on_update=report,
        )
        await tasks.download(task, "videos/")
        ```

        ```text
        queued
        handling
        archiving
        success
        [PosixPath('videos/tk-hiapi-01M8F2CWCJK4F7PQ573VP6DREE-video.mp4')]
        ```

    Many tasks:
        ```python
        import asyncio

        prompts = ["a red fox", "a blue whale"]
        created = await asyncio.gather(
            *(tasks.create("Nano-Banana-2", {"prompt": p}) for p in prompts)
        )
        done = await tasks.wait_many(created)
        [t.status for t in done]
        ```

        ```text
        ['success', 'success']
        ```

    Close:
        ```python
        await tasks.aclose()
        ```
    """

    def __init__(
        self,
        *,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
        default_headers: Mapping[str, str] | None = None,
        client: HiAPIClient | None = None,
        adaptive_rate_limit: bool = True,
        poll_interval: float = POLL_INITIAL,
        max_poll_interval: float = POLL_MAX,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if isinstance(http_client, httpx.AsyncClient):
            http_client, http_async_client = None, http_async_client or http_client
        super().__init__(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            http_async_client=http_async_client,
            default_headers=default_headers,
            client=client,
            adaptive_rate_limit=adaptive_rate_limit,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            max_download_bytes=max_download_bytes,
            sleep=sleep,
            clock=clock,
            wall_clock=wall_clock,
            async_sleep=True,
        )

    async def _go(self, flow: Flow[T]) -> T:
        return await run_async(
            flow, self.client, sleep=self._sleep, clock=self._clock, wall_clock=self._wall_clock
        )

    async def execute(self, flow: Flow[T]) -> T:
        """Async `HiAPITasks.execute`."""
        return await self._go(flow)

    async def create(
        self,
        model: str,
        input: Mapping[str, Any],
        *,
        callback_url: str | None = None,
        route: str | None = None,
        storage: str | None = None,
        idempotency_key: str | None = None,
        validate: bool = True,
    ) -> Task:
        """Async `HiAPITasks.create`."""
        options = {
            "callback_url": callback_url,
            "route": route,
            "storage": storage,
            "idempotency_key": idempotency_key,
            "validate": validate,
        }
        return await self._go(self._create(model, input, options))

    async def get(self, task_id: str) -> Task:
        """Async `HiAPITasks.get`."""
        return await self._go(get_flow(task_id))

    async def list(self, page: int = 1, size: int = 20) -> TaskPage:
        """Async `HiAPITasks.list`."""
        return await self._go(list_flow(page, size))

    async def wait(
        self,
        task_id_or_task: TaskRef,
        *,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        on_update: OnUpdate | None = None,
    ) -> Task:
        """Async `HiAPITasks.wait`."""
        return await self._go(self._wait(task_id_or_task, timeout, on_update))

    async def run(
        self,
        model: str,
        input: Mapping[str, Any],
        *,
        callback_url: str | None = None,
        route: str | None = None,
        storage: str | None = None,
        idempotency_key: str | None = None,
        validate: bool = True,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        on_update: OnUpdate | None = None,
    ) -> Task:
        """Async `HiAPITasks.run`."""
        options = {
            "callback_url": callback_url,
            "route": route,
            "storage": storage,
            "idempotency_key": idempotency_key,
            "validate": validate,
        }
        return await self._go(self._run_task(model, input, options, timeout, on_update))

    async def wait_many(
        self,
        ids: Iterable[TaskRef],
        *,
        timeout: float | None = DEFAULT_WAIT_MANY_TIMEOUT,
        on_update: OnUpdate | None = None,
    ) -> builtins.list[Task]:
        """Async `HiAPITasks.wait_many`."""
        return await self._go(self._wait_many(ids, timeout, on_update))

    async def download(
        self,
        task: TaskRef,
        dest_dir: str | os.PathLike[str],
        *,
        types: Iterable[str] | None = None,
    ) -> builtins.list[Path]:
        """Async `HiAPITasks.download`."""
        return await self._go(self._download(task, dest_dir, types))

    async def aclose(self) -> None:
        """Closes the connections this object opened (a client you passed stays open)."""
        if self._owns_client:
            await self.client.aclose()

    def close(self) -> None:
        """Closes the sync side only (use `aclose` from async code)."""
        if self._owns_client:
            self.client.close()

    async def __aenter__(self) -> AsyncHiAPITasks:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
