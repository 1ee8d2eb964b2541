"""Bulk generation through HiAPI's task API that never trips the rate limit and never pays twice.

`generate_many` (threads) and `agenerate_many` (asyncio) run a job of many prompts or model
inputs: tasks are created at the key's learned rate (the shared adaptive rate limiter, on by
default), polled in rounds over the list endpoint (about one request per hundred running
tasks), and their outputs saved to `save_dir` as `<item key>-<type>.<ext>`. Results stream
back as items end. A JSONL manifest next to the outputs records each item's key, task id,
status, paths and error.

Every create carries an `Idempotency-Key` derived from the job and the item, so running the
same job again after a crash or Ctrl-C resumes it: finished items are skipped, created tasks
are polled (not created again), and a create that was in flight is answered by HiAPI with
the task it created instead of billing a second one.

Example:
    ```python
    from langchain_hiapi.bulk import generate_many

    prompts = ["a red fox in snow", "a lighthouse at dusk", "a bowl of ramen"]
    for result in generate_many(prompts, model="Nano-Banana", save_dir="out/"):
        print(result.key, result.status, result.paths or result.error)
    ```

Command line: `python -m langchain_hiapi.bulk prompts.jsonl --model Nano-Banana --out out/`
(see `--help`).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import httpx
from pydantic import SecretStr

from langchain_hiapi._bulk_job import bulk_scheduler
from langchain_hiapi._bulk_plan import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_POLL_INTERVAL,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_TASK_TIMEOUT,
    BulkItem,
    BulkResult,
    BulkSettings,
    ItemState,
    job_id_for,
    plan_items,
    resume,
)
from langchain_hiapi._client import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, HiAPIClient
from langchain_hiapi._concurrent import iterate_async, iterate_sync
from langchain_hiapi._manifest import Manifest
from langchain_hiapi._options import Keywords
from langchain_hiapi._ratelimit import KeyRateLimiter
from langchain_hiapi._task_client import connect
from langchain_hiapi._task_flows import DEFAULT_MAX_DOWNLOAD_BYTES

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_MAX_POLL_INTERVAL",
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_TASK_TIMEOUT",
    "MANIFEST_NAME",
    "AsyncBulkRun",
    "BulkItem",
    "BulkOptions",
    "BulkResult",
    "BulkRun",
    "agenerate_many",
    "generate_many",
]

MANIFEST_NAME = "manifest.jsonl"
"""The manifest's file name in `save_dir` unless `manifest=` says otherwise."""
# Worker threads beyond `concurrency`: the polling round and a little slack.
_EXTRA_WORKERS = 2
_SHOWN = ("job_id", "total", "done", "failed", "skipped")


@dataclass
class _Job:
    """Everything a run needs, prepared (and checked) before any request."""

    states: list[ItemState]
    settings: BulkSettings
    manifest: Manifest
    client: HiAPIClient
    owns_client: bool
    limiter: KeyRateLimiter | None

    @property
    def total(self) -> int:
        return len(self.states)


class BulkOptions(TypedDict, total=False):
    """The keyword arguments of `generate_many` and `agenerate_many` besides `model`, `save_dir`."""

    concurrency: int
    manifest: str | os.PathLike[str] | None
    job_id: str | None
    route: str | None
    storage: str | None
    validate: bool
    retry_failed: bool
    task_timeout: float | None
    poll_interval: float
    max_poll_interval: float
    max_download_bytes: int
    api_key: str | SecretStr | None
    base_url: str | None
    timeout: httpx.Timeout | float | None
    max_retries: int
    client: HiAPIClient | None
    adaptive_rate_limit: bool


_DEFAULTS: BulkOptions = {
    "concurrency": DEFAULT_CONCURRENCY,
    "manifest": None,
    "job_id": None,
    "route": None,
    "storage": None,
    "validate": True,
    "retry_failed": True,
    "task_timeout": DEFAULT_TASK_TIMEOUT,
    "poll_interval": DEFAULT_POLL_INTERVAL,
    "max_poll_interval": DEFAULT_MAX_POLL_INTERVAL,
    "max_download_bytes": DEFAULT_MAX_DOWNLOAD_BYTES,
    "api_key": None,
    "base_url": None,
    "timeout": DEFAULT_TIMEOUT,
    "max_retries": DEFAULT_MAX_RETRIES,
    "client": None,
    "adaptive_rate_limit": True,
}
BULK_OPTIONS = Keywords(BulkOptions, _DEFAULTS)

Items = Iterable[str | Mapping[str, Any] | BulkItem]


def _prepare(
    where: str, items: Items, model: str, save_dir: str | os.PathLike[str], options: BulkOptions
) -> _Job:
    """Checks a job's items and settings and opens its manifest (nothing is sent)."""
    o = BULK_OPTIONS.resolve(where, options)
    if isinstance(items, (str, bytes, Mapping)):
        raise TypeError("items must be a list (or other iterable) of prompts or input dicts")
    planned = plan_items(
        list(items), model=model, route=o["route"], storage=o["storage"], validate=o["validate"]
    )
    job_id = o["job_id"]
    if job_id is not None and (not isinstance(job_id, str) or not job_id.strip()):
        raise ValueError("job_id must be a non-empty string")
    job = job_id or job_id_for(planned)
    directory = Path(save_dir)
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"save_dir {str(directory)!r} exists and is not a directory")
    settings = BulkSettings(
        job=job,
        save_dir=directory,
        concurrency=o["concurrency"],
        poll_interval=o["poll_interval"],
        max_poll_interval=o["max_poll_interval"],
        task_timeout=o["task_timeout"],
        max_download_bytes=o["max_download_bytes"],
    )
    manifest = o["manifest"]
    book = Manifest(manifest if manifest is not None else directory / MANIFEST_NAME)
    states = resume(planned, book.load(job), job=job, retry_failed=o["retry_failed"])
    client: HiAPIClient | None = o["client"]
    owns = client is None
    if client is None:
        client = connect(
            api_key=o["api_key"],
            base_url=o["base_url"],
            max_retries=o["max_retries"],
            adaptive_rate_limit=o["adaptive_rate_limit"],
            timeout=o["timeout"],
        )
    return _Job(states, settings, book, client, owns, client.rate_limiter)


class _RunBase:
    """What a run reports while and after it runs (shared by the sync and async runs)."""

    def __init__(self, job: _Job) -> None:
        self._job = job
        self.job_id = job.settings.job
        self.total = job.total
        self.manifest_path = job.manifest.path
        self.done = 0
        self.failed = 0
        self.skipped = 0
        self._limited_before = job.limiter.rate_limited if job.limiter is not None else 0

    def __repr__(self) -> str:
        counts = (f"{name}={getattr(self, name)!r}" for name in _SHOWN)
        return f"{type(self).__name__}({', '.join(counts)})"

    @property
    def rate_limited(self) -> int:
        """429 replies seen since the run started (0 without the adaptive rate limiter).

        Counted by the key's rate limiter, so requests of other clients of the same key in
        this process count too.
        """
        limiter = self._job.limiter
        return limiter.rate_limited - self._limited_before if limiter is not None else 0

    def _count(self, result: BulkResult) -> BulkResult:
        if result.ok:
            self.done += 1
        else:
            self.failed += 1
        if result.skipped:
            self.skipped += 1
        return result


class BulkRun(_RunBase, Iterator[BulkResult]):
    """A running `generate_many` job: iterate it for the results, as items end.

    Attributes:
        job_id: The job id (part of every idempotency key).
        total: Items in the job.
        manifest_path: The manifest file.
        done: Items whose outputs are saved so far (earlier runs included).
        failed: Items that failed so far.
        skipped: Items that had ended in an earlier run.
    """

    def __init__(self, job: _Job) -> None:
        super().__init__(job)
        scheduler = bulk_scheduler(job.states, job.settings, job.manifest.append)
        workers = job.settings.concurrency + _EXTRA_WORKERS
        self._results = iterate_sync(scheduler, job.client, max_workers=workers)

    def __iter__(self) -> BulkRun:
        return self

    def __next__(self) -> BulkResult:
        try:
            return self._count(next(self._results))
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stops the job (sub-requests already sent finish in their threads)."""
        self._results.close()
        self._job.manifest.close()
        if self._job.owns_client:
            self._job.client.close()

    def __enter__(self) -> BulkRun:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncBulkRun(_RunBase, AsyncIterator[BulkResult]):
    """A running `agenerate_many` job: `async for` it for the results (see `BulkRun`)."""

    def __init__(self, job: _Job) -> None:
        super().__init__(job)
        scheduler = bulk_scheduler(job.states, job.settings, job.manifest.append)
        self._results = iterate_async(scheduler, job.client)

    def __aiter__(self) -> AsyncBulkRun:
        return self

    async def __anext__(self) -> BulkResult:
        try:
            return self._count(await anext(self._results))
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        """Stops the job, cancelling its requests in flight."""
        await self._results.aclose()
        self._job.manifest.close()
        if self._job.owns_client:
            await self._job.client.aclose()

    async def __aenter__(self) -> AsyncBulkRun:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


@BULK_OPTIONS.signature
def generate_many(
    items: Items, *, model: str, save_dir: str | os.PathLike[str], **options: Unpack[BulkOptions]
) -> BulkRun:
    """Generates an image (or video, audio) for every item, resumably; results stream back.

    Every item is checked before anything is sent. Iterate the returned `BulkRun` to run the
    job: it yields one `BulkResult` per item as items end (items finished in an earlier run
    of the same job first, with `skipped=True`). Run it again after a crash or Ctrl-C to
    resume it (see the module docstring).

    Args:
        items: Prompts (each becomes `{"prompt": ...}`), model input dicts, or `BulkItem`s
            (an input with a key of your own).
        model: The task model (`Nano-Banana`, `seedance-2.0`, ...).
        save_dir: Where outputs are saved (created if needed).
        concurrency: Items in progress at once (being created, running on HiAPI, or
            downloading). The request rate is the rate limiter's business, not this.
        manifest: The JSONL manifest (default: `save_dir/manifest.jsonl`).
        job_id: The job's id, part of every idempotency key (default: derived from all the
            items, so the same job resumes and a different one does not). Pass your own to
            keep keys when you split or edit the items yourself.
        route: The model route, if not the default.
        storage: `"temp"` or `"persistent"`.
        validate: Check each input against the model's documented schema first.
        retry_failed: On a re-run, try items that failed for good again (with a new key).
        task_timeout: Seconds a task may run before its item is reported failed (the task
            is not cancelled; a re-run polls it again). `None`: no limit.
        poll_interval: Shortest gap between polling rounds, in seconds.
        max_poll_interval: Longest gap (rounds slow down while no task ends).
        max_download_bytes: Largest output accepted.
        api_key: HiAPI key; defaults to `HIAPI_API_KEY`.
        base_url: API base URL; defaults to `HIAPI_BASE_URL`, else HiAPI's.
        timeout: Per-request timeout.
        max_retries: Retries per request (429s the rate limiter absorbs do not count).
        client: A `HiAPIClient` to use instead (left open).
        adaptive_rate_limit: Pace requests with the key's shared adaptive rate limiter.

    Returns:
        The run (an iterator of `BulkResult`; also a context manager that stops it).

    Raises:
        TaskInputError: An item's input breaks the model's schema (nothing is sent).
        ValueError: A bad setting, an empty prompt or a duplicate key (nothing is sent).
        AuthenticationError, PermissionDeniedError, RateLimitError: While iterating: the
            key, the balance or the rate limit stop the job (a re-run resumes it).
    """
    return BulkRun(_prepare("generate_many", items, model, save_dir, options))


@BULK_OPTIONS.signature
def agenerate_many(
    items: Items, *, model: str, save_dir: str | os.PathLike[str], **options: Unpack[BulkOptions]
) -> AsyncBulkRun:
    """The asyncio version of `generate_many`: iterate it with `async for`.

    Same arguments, checks and behaviour; requests run as asyncio tasks (cancelled when the
    run is closed or the loop stops).
    """
    return AsyncBulkRun(_prepare("agenerate_many", items, model, save_dir, options))


if __name__ == "__main__":
    import sys

    from langchain_hiapi._bulk_cli import main

    sys.exit(main())
