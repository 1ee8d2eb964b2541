"""`HiAPIEmulator`: its settings, lifecycle and test API (routes: `_routes`, HTTP: `_http`)."""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable
from types import TracebackType

from langchain_hiapi.testing._callbacks import CallbackAttempt, CallbackDispatcher, CallbackPolicy
from langchain_hiapi.testing._faults import RecordedRequest, Reply
from langchain_hiapi.testing._http import Server
from langchain_hiapi.testing._images_api import ImageFiles
from langchain_hiapi.testing._ratelimit import RateLimiter, RateLimits
from langchain_hiapi.testing._routes import Router
from langchain_hiapi.testing._task_timing import TaskTiming
from langchain_hiapi.testing._tasks import TaskStats, TaskStore

DEFAULT_API_KEY = "hiapi-emulator-key"


class HiAPIEmulator:
    """A local, wire-faithful HiAPI (new-api) server for tests and benchmarks.

    Serves `POST /v1/chat/completions`, `GET /v1/models`, the images API
    (`POST /v1/images/generations`) and the unified task API
    (`POST /v1/tasks`, `GET /v1/tasks/:id`, `GET /v1/tasks`, output files under
    `/files/tasks/`, see `_tasks`) on a real loopback HTTP/1.1 server with keep-alive.
    Text models answer deterministically; image models answer with a PNG as Markdown
    inside the content. Faults are scripted with `queue(Reply(...))`.

    Args:
        api_key: The only accepted Bearer key.
        host: Interface to bind.
        port: Port to bind; 0 picks a free one.
        latency: Seconds slept before every reply.
        full_size: Real image pixel sizes (1K = 1024 long side) instead of small ones.
        noise: Incompressible random pixels (large base64 lines) instead of a flat image.
        ping: Put `: PING` comment lines between stream events.
        task_timing: Stage lengths of `/v1/tasks` tasks and the task clock (default:
            one poll per stage).
        rate_limits: Opt-in 429s for task creates, polls and chat completions beyond these
            rates.
        webhook_secret: Signs task callbacks (`X-HiAPI-Signature`); None: unsigned.
        callback_policy: Redelivery attempts, backoff and timeout of task callbacks.
        extra_api_keys: More accepted keys, each its own account for the task API
            (its own tasks, list and idempotency keys; others' task ids are 404).
        failing_models: Task models (ids or aliases) whose tasks end in `fail`.
        balance_exhausted: True: every task create answers 402; a collection of model
            ids: creates of those models do.
        chat_refused_models: Models the chat route no longer serves (503
            `model_not_found`, as new-api answers a model without a channel), e.g. image
            models HiAPI moved to the task API; settable.

    Example:
        >>> with HiAPIEmulator() as emu:  # doctest: +SKIP
        ...     emu.queue(Reply(status=429))
        ...     client = ChatHiAPI(base_url=emu.base_url, api_key=emu.api_key)
    """

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        latency: float = 0.0,
        full_size: bool = False,
        noise: bool = False,
        ping: bool = False,
        task_timing: TaskTiming | None = None,
        rate_limits: RateLimits | None = None,
        webhook_secret: str | None = None,
        callback_policy: CallbackPolicy | None = None,
        extra_api_keys: Iterable[str] = (),
        failing_models: Collection[str] = (),
        balance_exhausted: bool | Collection[str] = False,
        chat_refused_models: Collection[str] = (),
    ) -> None:
        self.api_key, self.extra_api_keys = api_key, tuple(extra_api_keys)
        self.chat_refused_models = frozenset(chat_refused_models)
        self.webhook_secret = webhook_secret
        timing = task_timing or TaskTiming()
        self.callbacks = CallbackDispatcher(
            callback_policy or CallbackPolicy(),
            secret=lambda: self.webhook_secret,
            clock=timing.clock,
        )
        self.tasks = TaskStore(timing, self.callbacks, self._origin, full_size=full_size)
        self.callbacks.set_ticker(self.tasks.tick, self.tasks.ticking)
        self.tasks.failing_models = frozenset(failing_models)
        self.balance_exhausted = balance_exhausted
        self.rate_limiter = RateLimiter(rate_limits)
        self.host, self.port = host, port
        self.latency, self.ping = latency, ping
        self.full_size, self.noise = full_size, noise
        self.image_files = ImageFiles()
        self._router = Router(self)
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> HiAPIEmulator:
        """Binds and starts serving in a daemon thread.

        Returns:
            The emulator itself.
        """
        if self._server is not None:
            return self
        self._router.stopping.clear()
        self._server = Server((self.host, self.port), self._router)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"hiapi-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        self.callbacks.start()
        return self

    def stop(self) -> None:
        """Stops serving and drops open connections; safe to call twice."""
        server, self._server = self._server, None
        if server is None:
            return
        self._router.stopping.set()
        self.callbacks.stop()
        server.shutdown()
        server.drop_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> HiAPIEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- test API ----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Base URL including `/v1`, e.g. `http://127.0.0.1:54321/v1`."""
        return f"http://{self.host}:{self.port}/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far (a copy), oldest first."""
        return self._router.requests()

    def queue(self, *replies: Reply) -> None:
        """Scripts the next replies; each is consumed by one request, in order."""
        self._router.queue(replies)

    def reset(self) -> None:
        """Clears scripted replies, recorded requests, ids, files and tasks.

        Task counters, rate-limit buckets and the callback log start afresh too.
        """
        self._router.reset()
        self.image_files.reset()
        self.tasks.reset()
        self.rate_limiter.reset()
        self.callbacks.reset()

    # -- task API test hooks --------------------------------------------------------------

    @property
    def rate_limits(self) -> RateLimits | None:
        """The task API's rate limits (settable; None turns them off)."""
        return self.rate_limiter.limits

    @rate_limits.setter
    def rate_limits(self, limits: RateLimits | None) -> None:
        self.rate_limiter.limits = limits
        self.rate_limiter.reset()

    @property
    def balance_exhausted(self) -> bool | frozenset[str]:
        """True: every task create answers 402; a set of model ids: those models' do."""
        return self.tasks.balance_exhausted

    @balance_exhausted.setter
    def balance_exhausted(self, value: bool | Collection[str]) -> None:
        self.tasks.balance_exhausted = value if isinstance(value, bool) else frozenset(value)

    @property
    def failing_models(self) -> frozenset[str]:
        """Task models whose tasks end in `fail` (settable)."""
        return self.tasks.failing_models

    @failing_models.setter
    def failing_models(self, models: Collection[str]) -> None:
        self.tasks.failing_models = frozenset(models)

    def task_stats(self) -> TaskStats:
        """Counters of the task API (creates, polls, 429s, tasks per idempotency key)."""
        return self.tasks.stats()

    def chat_stats(self) -> dict[str, int]:
        """Counters of `POST /v1/chat/completions`: `chat_requests`, `rate_limited_chats`."""
        return self._router.chat_stats()

    def finish_tasks(self, task_ids: Collection[str] | None = None) -> int:
        """Ends running tasks now, sending their callbacks; returns how many ended.

        Args:
            task_ids: Which tasks; None for all.
        """
        return self.tasks.finish(task_ids)

    @property
    def callback_attempts(self) -> list[CallbackAttempt]:
        """Every callback delivery attempt so far, oldest first."""
        return self.callbacks.attempts

    def wait_for_callbacks(self, timeout: float = 5.0) -> bool:
        """Waits until no callback delivery is pending; returns whether that happened."""
        return self.callbacks.wait_idle(timeout)

    def _origin(self) -> str:
        return f"http://{self.host}:{self.port}"
