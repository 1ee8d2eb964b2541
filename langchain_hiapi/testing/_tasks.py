"""The unified task API: `POST /v1/tasks`, `GET /v1/tasks/:id`, `GET /v1/tasks`, output files.

Follows `hiapi-task-api.md` §2 (first variant of every conflict):

* Create answers `{"code":200,"message":"success","data":{"taskId":"tk-hiapi-…"}}`; the
  id is `tk-hiapi-` + a 26-character ULID (Crockford base32), 35 characters.
* A task goes `queued` → `handling` → `archiving` → `success` (or `fail`, with
  `error: {code: "TASK_FAILED", message}`, when its input holds `[fail]` or its model is
  in `failing_models`). `TaskTiming` says how long each stage lasts, counted in polls
  (the default: repeatable request sequences for cassettes) or in seconds of an
  injectable clock. A poll is one look at the task: a detail GET or its appearance on a
  list page.
* Outputs are served from the emulator origin at `/files/tasks/<taskId>/<name>` without a
  key, with `expireAt` = `completed` + `TaskTiming.output_ttl`; an expired file answers
  403 with an XML `AccessDenied` body like the CDN. Persistent-storage outputs
  (`storage: "persistent"`) carry no `expireAt` and never expire (no source gives one).
* `Idempotency-Key` (per API key, `TaskTiming.idempotency_ttl`, 24 h): the same key and
  the same raw body replay the first task with `Idempotent-Replay: true`; while the first
  is still being created, 409 `IDEMPOTENCY_KEY_PROCESSING` with `Retry-After`; another
  body, 422 `IDEMPOTENCY_KEY_MISMATCH`. The key is checked before the body is validated;
  a request refused (400/402) leaves no trace, so fixing the body and retrying works.
* Top-level body fields are checked as strictly as `input` (only `model`, `input`,
  `callback`, `route`, `storage`).
* `route`: absent, `""` or `"default"` is the default route; the detail echoes `route`
  only when one was sent, and then reports `model` as `x@route` (bare `x` for
  `default`). The legacy `model: "x@route"` spelling is reported as sent.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from langchain_hiapi.testing import _task_media as media
from langchain_hiapi.testing._callbacks import CallbackDispatcher
from langchain_hiapi.testing._task_body import (
    MAX_IDEMPOTENCY_KEY_BYTES,
    parse_body,
    query_int,
    valid_idempotency_key,
)
from langchain_hiapi.testing._task_models import DEFAULT_ROUTE, TaskModel, check_input, resolve
from langchain_hiapi.testing._task_record import (
    TASK_FILES,
    KeyEntry,
    Output,
    Task,
    new_task_id,
)
from langchain_hiapi.testing._task_schema import InputError
from langchain_hiapi.testing._task_timing import TaskTiming
from langchain_hiapi.testing._task_wire import TaskError, invalid, success
from langchain_hiapi.testing._wire import dumps

FILES = "/files/"
FAIL_FLAG = "[fail]"
DEFAULT_PAGE = 1
DEFAULT_SIZE = 20
MAX_SIZE = 100


@dataclass(frozen=True)
class TaskStats:
    """Counters of the task API since the last reset (a snapshot).

    Grouped by what they count: creates, polls, then refusals and downloads.

    Attributes:
        create_requests: `POST /v1/tasks` requests that reached the task API.
        tasks_created: Tasks created (each one billed once).
        idempotent_replays: Creates answered from the idempotency cache.
        tasks_per_idempotency_key: Tasks created per `Idempotency-Key` value.
        poll_requests: `GET /v1/tasks/:id` plus `GET /v1/tasks` requests.
        detail_requests: `GET /v1/tasks/:id` requests.
        list_requests: `GET /v1/tasks` requests.
        detection_delays: Per ended task, seconds from its end to the first poll (detail
            or list page) that showed it ended (seconds mode: how late a client noticed).
        rate_limited_creates: Creates refused with 429.
        rate_limited_polls: Polls refused with 429.
        file_downloads: Output files served.
    """

    create_requests: int = 0
    tasks_created: int = 0
    idempotent_replays: int = 0
    tasks_per_idempotency_key: Mapping[str, int] = field(default_factory=dict)
    poll_requests: int = 0
    detail_requests: int = 0
    list_requests: int = 0
    detection_delays: tuple[float, ...] = ()
    rate_limited_creates: int = 0
    rate_limited_polls: int = 0
    file_downloads: int = 0

    def to_json(self) -> dict[str, Any]:
        """The counters as a JSON-ready dict."""
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out["tasks_per_idempotency_key"] = dict(self.tasks_per_idempotency_key)
        out["detection_delays"] = list(self.detection_delays)
        return out


def _names(spec: TaskModel, names: Collection[str]) -> bool:
    # Whether `names` lists the model by its id or any alias.
    return any(name == spec.id or name in spec.aliases for name in names)


class TaskStore:
    """The emulator's tasks, idempotency keys, output files and counters.

    Args:
        timing: Stage lengths and the task clock.
        dispatcher: Sends callbacks of tasks that end (None: callbacks are not sent).
        callback_origin: The emulator origin used for output URLs inside callbacks.
        full_size: Real image pixel sizes.
    """

    def __init__(
        self,
        timing: TaskTiming,
        dispatcher: CallbackDispatcher | None,
        callback_origin: Callable[[], str],
        *,
        full_size: bool = False,
    ) -> None:
        self.timing = timing
        self.dispatcher = dispatcher
        self.full_size = full_size
        self.failing_models: frozenset[str] = frozenset()
        self.balance_exhausted: bool | frozenset[str] = False
        self._callback_origin = callback_origin
        self._lock = threading.Lock()
        self._tasks: dict[str, Task] = {}
        self._keys: dict[tuple[str, str], KeyEntry] = {}
        self._seq = itertools.count(1)
        self._counts: dict[str, int] = {}
        self._per_key: dict[str, int] = {}
        self._delays: list[float] = []
        # Tasks with a callback that must end on their own (seconds mode); read unlocked.
        self._timed_callbacks = 0

    # -- counters -----------------------------------------------------------------------

    def count(self, name: str) -> None:
        """Adds one to the counter `name` (a `TaskStats` field)."""
        with self._lock:
            self._counts[name] = self._counts.get(name, 0) + 1

    def stats(self) -> TaskStats:
        """A snapshot of the counters."""
        with self._lock:
            return TaskStats(
                **self._counts,
                tasks_per_idempotency_key=dict(self._per_key),
                detection_delays=tuple(self._delays),
            )

    def reset(self) -> None:
        """Forgets every task, key and count."""
        with self._lock:
            self._tasks.clear()
            self._keys.clear()
            self._counts.clear()
            self._per_key.clear()
            self._delays.clear()
            self._timed_callbacks = 0

    # -- create -------------------------------------------------------------------------

    def create(
        self,
        account: str,
        raw: bytes,
        idempotency_key: str | None,
        *,
        create_delay: float = 0.0,
        wait: Callable[[float], bool] | None = None,
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Answers `POST /v1/tasks`.

        Args:
            account: The caller's API key.
            raw: The raw request body (the idempotency hash is over these bytes).
            idempotency_key: The `Idempotency-Key` header, if any.
            create_delay: Seconds the creation takes while holding the key (so a
                concurrent retry sees 409).
            wait: Sleeps for a number of seconds; returns True when the server stops.

        Returns:
            The envelope and extra response headers.

        Raises:
            TaskError: 400, 402, 409, 422 (and 503 when the server stops meanwhile).
        """
        self.count("create_requests")
        if idempotency_key is not None and not valid_idempotency_key(idempotency_key):
            raise invalid(
                f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_BYTES} bytes of printable "
                "characters"
            )
        scope = (account, idempotency_key) if idempotency_key else None
        if scope is not None:
            replay = self._claim(scope, hashlib.sha256(raw).hexdigest(), create_delay)
            if replay is not None:
                self.count("idempotent_replays")
                return success({"taskId": replay}), {"Idempotent-Replay": "true"}
        try:
            task = self._build(account, raw)
            if create_delay > 0 and wait is not None and wait(create_delay):
                raise TaskError(503)
        except BaseException:
            if scope is not None:
                with self._lock:
                    self._keys.pop(scope, None)
            raise
        with self._lock:
            task.seq = next(self._seq)
            self._tasks[task.id] = task
            self._counts["tasks_created"] = self._counts.get("tasks_created", 0) + 1
            if scope is not None:
                self._keys[scope].task_id = task.id
                self._per_key[scope[1]] = self._per_key.get(scope[1], 0) + 1
            if task.callback_url and self.timing.unit == "seconds":
                self._timed_callbacks += 1
        if task.callback_url and self.timing.unit == "seconds" and self.dispatcher is not None:
            self.dispatcher.wake()
        return success({"taskId": task.id}), {}

    def _claim(self, scope: tuple[str, str], body_hash: str, create_delay: float) -> str | None:
        now = self.timing.clock()
        with self._lock:
            entry = self._keys.get(scope)
            if entry is not None and now - entry.first_seen > self.timing.idempotency_ttl:
                entry = None
            if entry is None:
                self._keys[scope] = KeyEntry(body_hash, now, time.monotonic() + create_delay)
                return None
            if entry.body_hash != body_hash:
                raise TaskError(422)
            if entry.task_id is None:
                retry_after = max(1, math.ceil(entry.ready_at - time.monotonic()))
                raise TaskError(409, headers={"Retry-After": str(retry_after)})
            return entry.task_id

    def _build(self, account: str, raw: bytes) -> Task:
        body = parse_body(raw)
        model: str = body["model"]
        route: str | None = body.get("route") or None
        try:
            resolved = resolve(model, route)
            check_input(resolved, body["input"])
        except InputError as error:
            raise invalid(str(error)) from None
        spec = resolved.model
        exhausted = self.balance_exhausted
        if exhausted is True or (isinstance(exhausted, frozenset) and _names(spec, exhausted)):
            raise TaskError(402)
        data: dict[str, Any] = body["input"]
        reported = model
        if route is not None and "@" not in model and route != DEFAULT_ROUTE:
            reported = f"{model}@{route}"
        callback = body.get("callback")
        now = self.timing.clock()
        return Task(
            id=new_task_id(now),
            account=account,
            model=reported,
            spec=spec,
            route=route,
            storage=body.get("storage") or "temp",
            input=data,
            callback_url=callback["url"] if callback else None,
            fail=FAIL_FLAG in dumps(data) or _names(spec, self.failing_models),
            created_at=now,
            seq=0,
        )

    # -- polling ------------------------------------------------------------------------

    def _observe(self, task: Task, *, looked: bool, ended: list[Task]) -> None:
        # Moves the task on; called with the lock held.
        self._advance(task, looked=looked, ended=ended)
        if looked and task.ended_at is not None and not task.seen_ended:
            task.seen_ended = True
            self._delays.append(max(self.timing.clock() - task.ended_at, 0.0))

    def _advance(self, task: Task, *, looked: bool, ended: list[Task]) -> None:
        if task.status in ("success", "fail"):
            return
        timing = self.timing
        now = timing.clock()
        if timing.unit == "polls":
            if looked:
                task.polls += 1
            if task.polls == 0:
                return
            status = timing.status_at(task.polls)
            ended_at = now
        else:
            extra = timing.extra_for(task.seq)
            status = timing.status_at(now - task.created_at, extra)
            ended_at = task.created_at + timing.total + extra
        if status is not None:
            task.status = status
            return
        self._end(task, ended_at, ended)

    def _end(self, task: Task, ended_at: float, ended: list[Task]) -> None:
        task.status = "fail" if task.fail else "success"
        task.completed = int(ended_at)
        task.ended_at = ended_at
        if task.callback_url:
            ended.append(task)
            if self.timing.unit == "seconds":
                self._timed_callbacks -= 1

    def _send_callbacks(self, ended: list[Task]) -> None:
        # Outside the lock: the dispatcher has its own.
        if self.dispatcher is None:
            return
        origin = self._callback_origin()
        for task in ended:
            assert task.callback_url is not None  # noqa: S101 - _end only lists these
            body = dumps(task.detail(origin, self.timing.output_ttl)).encode("utf-8")
            self.dispatcher.submit(task.id, task.callback_url, body)

    def detail(self, account: str, task_id: str, origin: str) -> dict[str, Any]:
        """Answers `GET /v1/tasks/:id` (one poll of the task).

        Raises:
            TaskError: 404 for an unknown task or another account's.
        """
        ended: list[Task] = []
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None or task.account != account:
                raise TaskError(404, f"task {task_id} not found")
            self._observe(task, looked=True, ended=ended)
            body = success(task.detail(origin, self.timing.output_ttl))
        self._send_callbacks(ended)
        return body

    def page(self, account: str, query: str, origin: str) -> dict[str, Any]:
        """Answers `GET /v1/tasks?page=&size=`: the account's tasks, newest first.

        Each listed task counts as polled. Out-of-range `page` or `size` values are
        normalised to the defaults (1 and 20).
        """
        values = parse_qs(query, keep_blank_values=True)
        page = query_int(values, "page", 1, 10**9, DEFAULT_PAGE)
        size = query_int(values, "size", 1, MAX_SIZE, DEFAULT_SIZE)
        ended: list[Task] = []
        with self._lock:
            own = sorted(
                (t for t in self._tasks.values() if t.account == account),
                key=lambda t: t.seq,
                reverse=True,
            )
            chosen = own[(page - 1) * size : page * size]
            items = []
            for task in chosen:
                self._observe(task, looked=True, ended=ended)
                items.append(task.detail(origin, self.timing.output_ttl))
        self._send_callbacks(ended)
        return success({"page": page, "size": size, "total": len(own), "tasks": items})

    def tick(self) -> None:
        """Ends timed tasks whose time is up (seconds mode), sending their callbacks."""
        if self.timing.unit != "seconds" or self._timed_callbacks <= 0:
            return
        ended: list[Task] = []
        with self._lock:
            for task in self._tasks.values():
                if task.callback_url:
                    self._observe(task, looked=False, ended=ended)
        self._send_callbacks(ended)

    def keys_in_flight(self) -> int:
        """How many `Idempotency-Key`s belong to creates still in progress."""
        with self._lock:
            return sum(1 for entry in self._keys.values() if entry.task_id is None)

    def ticking(self) -> bool:
        """Whether `tick` has work to wait for (read without the lock)."""
        return self._timed_callbacks > 0

    def finish(self, task_ids: Collection[str] | None = None) -> int:
        """Ends running tasks now (their callbacks are sent).

        Args:
            task_ids: Which tasks; None for all of them.

        Returns:
            How many tasks ended.
        """
        ended: list[Task] = []
        count = 0
        with self._lock:
            now = self.timing.clock()
            for task in self._tasks.values():
                if task_ids is not None and task.id not in task_ids:
                    continue
                if task.status not in ("success", "fail"):
                    self._end(task, now, ended)
                    count += 1
        self._send_callbacks(ended)
        return count

    # -- files --------------------------------------------------------------------------

    def file(self, path: str) -> tuple[int, bytes, str]:
        """Serves `/files/tasks/<taskId>/<name>`: `(status, body, content type)`.

        Unknown files (anything else under `/files/`) answer 404 `NoSuchKey`, expired
        ones 403 `AccessDenied`, both with an XML body like an object-storage CDN.
        """
        task_id, _, name = path.removeprefix(TASK_FILES).partition("/")
        with self._lock:
            task = self._tasks.get(task_id)
            output = None
            if task is not None and task.status == "success":
                output = next((o for o in task.outputs() if o.name == name), None)
            if task is None or output is None:
                xml = media.cdn_error("NoSuchKey", "The specified key does not exist.", path)
                return 404, xml, "application/xml"
            expire_at = task.expire_at(self.timing.output_ttl)
            if expire_at is not None and self.timing.clock() > expire_at:
                return (
                    403,
                    media.cdn_error("AccessDenied", "Request has expired", path),
                    ("application/xml"),
                )
            self._counts["file_downloads"] = self._counts.get("file_downloads", 0) + 1
            data, seed = dict(task.input), f"{task.id}:{task.model}"
        return 200, self._render(task.spec.kind, output, data, seed), output.content_type

    def _render(self, kind: str, output: Output, data: dict[str, Any], seed: str) -> bytes:
        if output.type == "video":
            return media.video_mp4(seed)
        if output.type == "audio":
            return media.audio_wav(seed)
        width, height = media.dimensions(data, kind, full_size=self.full_size)
        return media.image_png(media.label(data, width, height), width, height)
