"""HiAPI's unified async task API (`/v1/tasks`): every image, video and audio model.

`HiAPITasks` (blocking) and `AsyncHiAPITasks` (asyncio) have the same methods (`create`,
`get`, `list`, `wait`, `run`, `wait_many`, `download`), written once: each builds a flow of
`langchain_hiapi._task_flows` (`_task_client`) and runs it with the sync or async driver.
Every create carries an `Idempotency-Key`, so a lost reply is retried without billing a
second task; `input` is checked against the model's schema before anything is sent.
"""

from __future__ import annotations

import asyncio
import builtins
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from langchain_hiapi._flows import Flow, run_async, run_sync
from langchain_hiapi._task_client import (
    CLIENT_OPTIONS,
    CREATE_OPTIONS,
    DEFAULT_WAIT_MANY_TIMEOUT,
    DEFAULT_WAIT_TIMEOUT,
    DOWNLOAD_OPTIONS,
    RUN_OPTIONS,
    WAIT_MANY_OPTIONS,
    WAIT_OPTIONS,
    AsyncSleep,
    ClientOptions,
    CreateOptions,
    DownloadOptions,
    RunOptions,
    SyncSleep,
    TaskClientBase,
    TaskRef,
    WaitOptions,
)
from langchain_hiapi._task_flows import get_flow, list_flow, task_path
from langchain_hiapi._task_records import Task, TaskOutput, TaskPage

if TYPE_CHECKING:
    from typing_extensions import Unpack

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

T = TypeVar("T")


class HiAPITasks(TaskClientBase):
    """Blocking client of HiAPI's task API (`/v1/tasks`): every image, video and audio model.

    A task is created, runs for seconds to minutes, and ends with outputs at temporary
    URLs. `create` returns at once, `wait` polls until the task ends (a growing, jittered
    interval; slower after a 429), `run` does both, `wait_many` follows many tasks through
    the list endpoint, and `download` saves the outputs atomically. A create whose reply
    was lost is retried without paying twice (see Idempotency below).

    Setup:
        The package, and your key in the environment (or pass `api_key`):

        ```bash
        pip install -U langchain-hiapi && export HIAPI_API_KEY="your-api-key"
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
            on_update=lambda t: print("status:", t.status),
            timeout=900,
        )
        task.status, task.outputs
        ```

        ```text
        status: queued
        status: handling
        status: archiving
        status: success
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

    @CLIENT_OPTIONS.signature
    def __init__(self, *, sleep: SyncSleep = time.sleep, **options: Unpack[ClientOptions]) -> None:
        super().__init__(sleep=sleep, async_=False, **options)

    def execute(self, flow: Flow[T]) -> T:
        """Runs a flow (a generator of `langchain_hiapi._flows` steps) with this client.

        For workflows built from the task flows (the generation tools do create, wait and
        download in one flow), with this client's connection, sleep and clocks.
        """
        return run_sync(
            flow, self.client, sleep=self._sleep, clock=self._clock, wall_clock=self._wall_clock
        )

    @CREATE_OPTIONS.signature
    def create(
        self, model: str, input: Mapping[str, Any], **options: Unpack[CreateOptions]
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
        return self.execute(self.flow_create(model, input, options))

    def get(self, task_id: str) -> Task:
        """The task's current state (`GET /v1/tasks/:id`).

        Raises:
            NotFoundError: No such task for this key's account.
        """
        return self.execute(get_flow(task_id))

    def list(self, page: int = 1, size: int = 20) -> TaskPage:
        """One page of your tasks, newest first (`size` 1-100)."""
        return self.execute(list_flow(page, size))

    @WAIT_OPTIONS.signature
    def wait(self, task_id_or_task: TaskRef, **options: Unpack[WaitOptions]) -> Task:
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
        return self.execute(self.flow_wait(task_id_or_task, options))

    @RUN_OPTIONS.signature
    def run(self, model: str, input: Mapping[str, Any], **options: Unpack[RunOptions]) -> Task:
        """`create` then `wait` (same arguments and errors as both)."""
        return self.execute(self.flow_run(model, input, options))

    @WAIT_MANY_OPTIONS.signature
    def wait_many(
        self, ids: Iterable[TaskRef], **options: Unpack[WaitOptions]
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
        return self.execute(self.flow_wait_many(ids, options))

    @DOWNLOAD_OPTIONS.signature
    def download(
        self, task: TaskRef, dest_dir: str | os.PathLike[str], **options: Unpack[DownloadOptions]
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
        return self.execute(self.flow_download(task, dest_dir, options))


class AsyncHiAPITasks(TaskClientBase):
    """Asyncio client of HiAPI's task API: `HiAPITasks`' methods as coroutines.

    Takes `HiAPITasks`' arguments; `sleep` is an async function here, and `http_client`
    may be an `httpx.AsyncClient` (the same as `http_async_client`). `on_update` callbacks
    may be coroutine functions.

    Setup:
        As for `HiAPITasks`.

    Key init args:
        Those of `HiAPITasks`.

    Instantiate:
        ```python
        from langchain_hiapi import AsyncHiAPITasks

        tasks = AsyncHiAPITasks()  # or: async with AsyncHiAPITasks() as tasks: ...
        ```

    Run a task:
        ```python
        seen = []


        async def report(task):  # a coroutine function works too
            seen.append(task.status)


        task = await tasks.run(
            "seedance-2.0",
            {"prompt": "a paper boat on a rainy street", "duration": 5},
            on_update=report,
        )
        seen, await tasks.download(task, "videos/")
        ```

        ```text
        (['queued', 'handling', 'archiving', 'success'],
         [PosixPath('videos/tk-hiapi-01M8F2CWCJK4F7PQ573VP6DREE-video.mp4')])
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

    @CLIENT_OPTIONS.signature
    def __init__(
        self, *, sleep: AsyncSleep = asyncio.sleep, **options: Unpack[ClientOptions]
    ) -> None:
        super().__init__(sleep=sleep, async_=True, **options)

    async def execute(self, flow: Flow[T]) -> T:
        """Async `HiAPITasks.execute`."""
        return await run_async(
            flow, self.client, sleep=self._sleep, clock=self._clock, wall_clock=self._wall_clock
        )

    @CREATE_OPTIONS.signature
    async def create(
        self, model: str, input: Mapping[str, Any], **options: Unpack[CreateOptions]
    ) -> Task:
        """Async `HiAPITasks.create`; same arguments."""
        return await self.execute(self.flow_create(model, input, options))

    async def get(self, task_id: str) -> Task:
        """Async `HiAPITasks.get`."""
        return await self.execute(get_flow(task_id))

    async def list(self, page: int = 1, size: int = 20) -> TaskPage:
        """Async `HiAPITasks.list`."""
        return await self.execute(list_flow(page, size))

    @WAIT_OPTIONS.signature
    async def wait(self, task_id_or_task: TaskRef, **options: Unpack[WaitOptions]) -> Task:
        """Async `HiAPITasks.wait`; `on_update` may be a coroutine function."""
        return await self.execute(self.flow_wait(task_id_or_task, options))

    @RUN_OPTIONS.signature
    async def run(
        self, model: str, input: Mapping[str, Any], **options: Unpack[RunOptions]
    ) -> Task:
        """Async `HiAPITasks.run`."""
        return await self.execute(self.flow_run(model, input, options))

    @WAIT_MANY_OPTIONS.signature
    async def wait_many(
        self, ids: Iterable[TaskRef], **options: Unpack[WaitOptions]
    ) -> builtins.list[Task]:
        """Async `HiAPITasks.wait_many`."""
        return await self.execute(self.flow_wait_many(ids, options))

    @DOWNLOAD_OPTIONS.signature
    async def download(
        self, task: TaskRef, dest_dir: str | os.PathLike[str], **options: Unpack[DownloadOptions]
    ) -> builtins.list[Path]:
        """Async `HiAPITasks.download`."""
        return await self.execute(self.flow_download(task, dest_dir, options))
