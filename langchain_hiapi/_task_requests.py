"""The task API's single requests as I/O-free flows: create, get, list, and downloads.

`build_create` checks a create's arguments and builds its body before anything is sent;
`create_flow`, `get_flow` and `list_flow` are one request each, `download_flow` fetches a
finished task's outputs. Polling (wait, run, wait for many) is in `_task_flows`.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import quote, urlsplit

from langchain_hiapi._client import IDEMPOTENCY_KEY_HEADER, JSONReply
from langchain_hiapi._files import safe_stem
from langchain_hiapi._flows import Call, Fetch, Flow, Now
from langchain_hiapi._options import Keywords
from langchain_hiapi._task_records import Task, TaskPage
from langchain_hiapi.catalogue import canonical_model, validate_task_input
from langchain_hiapi.errors import InvalidResponseError, OutputExpiredError, TaskFailedError

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "CREATE_OPTIONS",
    "DEFAULT_MAX_DOWNLOAD_BYTES",
    "TASKS_PATH",
    "CreateOptions",
    "CreateRequest",
    "OnUpdate",
    "build_create",
    "create_flow",
    "download_flow",
    "get_flow",
    "list_flow",
    "task_of",
    "task_path",
]

TASKS_PATH = "/tasks"
DEFAULT_MAX_DOWNLOAD_BYTES = 2 * 1024**3
"""Largest output `download` accepts by default (a long 4K video stays well below)."""

_TASK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,254}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_KEY_BYTES = 255
_STORAGE = ("temp", "persistent")

OnUpdate = Callable[[Task], Any]


class CreateOptions(TypedDict, total=False):
    """The keyword arguments of a create (`build_create`, `HiAPITasks.create` and `run`)."""

    callback_url: str | None
    route: str | None
    storage: str | None
    idempotency_key: str | None
    validate: bool


_CREATE_DEFAULTS: CreateOptions = {
    "callback_url": None,
    "route": None,
    "storage": None,
    "idempotency_key": None,
    "validate": True,
}
CREATE_OPTIONS = Keywords(CreateOptions, _CREATE_DEFAULTS)
"""`CreateOptions` with their defaults."""


def task_path(task_id: str) -> str:
    """The detail path of a task, with the id checked and escaped for the URL.

    Args:
        task_id: A task id (`tk-hiapi-` + 26 characters on HiAPI; other ids of letters,
            digits, `.`, `_`, `:` and `-` are accepted too).

    Returns:
        `/tasks/<id>`.

    Raises:
        ValueError: The id is empty, too long, or has characters a task id never has (a
            `/`, `?`, `..` or whitespace could otherwise change which URL is requested).
    """
    if not isinstance(task_id, str) or not _TASK_ID.fullmatch(task_id) or ".." in task_id:
        shown = repr(task_id)[:80]
        raise ValueError(
            f"not a task id: {shown} (expected e.g. 'tk-hiapi-01HZTQ8BX2N3GM3YFK4Z9D7VQR')"
        )
    return f"{TASKS_PATH}/{quote(task_id, safe='')}"


# ------------------------------------------------------------------------------ create


@dataclass(frozen=True)
class CreateRequest:
    """A checked `POST /v1/tasks`: the JSON body and the idempotency key."""

    body: Mapping[str, Any]
    idempotency_key: str


def _check_key(key: Any) -> str:
    if not isinstance(key, str) or not key:
        raise ValueError("idempotency_key must be a non-empty string")
    if len(key.encode("utf-8")) > _MAX_KEY_BYTES:
        raise ValueError(f"idempotency_key must be at most {_MAX_KEY_BYTES} bytes")
    if _CONTROL.search(key) or not key.isascii() or key != key.strip():
        raise ValueError(
            "idempotency_key must be printable ASCII without control characters or "
            "surrounding spaces (it is sent as the Idempotency-Key header)"
        )
    return key


def _check_callback_url(url: Any) -> str:
    if isinstance(url, str):
        try:
            parts = urlsplit(url)
        except ValueError:
            parts = None
        if parts is not None and parts.scheme in ("http", "https") and parts.hostname:
            return url
    raise ValueError(f"callback_url must be an http(s) URL, got {str(url)[:80]!r}")


def build_create(
    model: str, input: Mapping[str, Any], **options: Unpack[CreateOptions]
) -> CreateRequest:
    """Checks the arguments of a create and builds its body (nothing is sent).

    The body is `{"model", "input"[, "route"][, "callback"][, "storage"]}`: the model's
    canonical id for a known alias; `route` omitted when `None` or `""` (as HiAPI's SDKs
    do, so `""` and no route hash to the same idempotent body) and sent as given otherwise;
    `callback` as `{"url": callback_url, "when": "final"}`.

    Args:
        model: The model id (an alias or `x@route` works too).
        input: The model's input.
        **options: `CreateOptions` (see `HiAPITasks.create`); `validate` checks `input`
            against the catalogue (known models only).

    Returns:
        The request.

    Raises:
        TaskInputError: `input` breaks the model's schema (names the field and the
            allowed values), or the route is unknown for the model.
        ValueError: Another argument cannot be sent.
        TypeError: An unknown keyword argument.
    """
    settings = CREATE_OPTIONS.resolve("build_create", options)
    route, storage = settings["route"], settings["storage"]
    callback_url, validate = settings["callback_url"], settings["validate"]
    idempotency_key = settings["idempotency_key"]
    if not isinstance(model, str) or not model.strip():
        raise ValueError(f"model must be a non-empty string, got {model!r}")
    if route is not None and not isinstance(route, str):
        raise ValueError(f"route must be a string, got {type(route).__name__}")
    data = validate_task_input(model, input, route) if validate else dict(input)
    body: dict[str, Any] = {"model": canonical_model(model), "input": data}
    if route:
        body["route"] = route
    if callback_url is not None:
        body["callback"] = {"url": _check_callback_url(callback_url), "when": "final"}
    if storage is not None:
        if validate and storage not in _STORAGE:
            raise ValueError(f"storage must be one of {', '.join(map(repr, _STORAGE))}")
        body["storage"] = storage
    key = str(uuid.uuid4()) if idempotency_key is None else _check_key(idempotency_key)
    return CreateRequest(body=body, idempotency_key=key)


def _data(reply: JSONReply, what: str) -> Any:
    data = reply.json.get("data")
    if data is None:
        raise InvalidResponseError(f"{what}: the reply has no `data`", body=reply.json)
    return data


def task_of(reply: JSONReply, what: str) -> Task:
    """The task in a reply's `data` (`what` names the request in the error)."""
    data = _data(reply, what)
    if not isinstance(data, Mapping):
        raise InvalidResponseError(f"{what}: expected a task object", body=reply.json)
    task = Task.from_dict(data)
    if not task.id:
        raise InvalidResponseError(f"{what}: the task has no id", body=reply.json)
    return task


def create_flow(request: CreateRequest) -> Flow[Task]:
    """`POST /v1/tasks` with the request's `Idempotency-Key`.

    Returns:
        The new task (status `queued`; `idempotent_replay` when the server answered from its
        idempotency cache, in which case the task may already be further along).
    """
    reply: JSONReply = yield Call(
        "POST",
        TASKS_PATH,
        request.body,
        headers={IDEMPOTENCY_KEY_HEADER: request.idempotency_key},
    )
    data = _data(reply, "POST /tasks")
    task_id = data.get("taskId") if isinstance(data, Mapping) else None
    if not isinstance(task_id, str) or not task_id:
        raise InvalidResponseError("POST /tasks: the reply has no taskId", body=reply.json)
    try:
        # The id goes into every later request path: one that could retarget them is
        # refused here, as the gateway's error, not later as the caller's.
        task_path(task_id)
    except ValueError as exc:
        raise InvalidResponseError(f"POST /tasks: unusable taskId in the reply ({exc})") from None
    replay = (reply.header("Idempotent-Replay") or "").strip().lower() == "true"
    body = request.body
    return Task(
        id=task_id,
        model=str(body["model"]),
        status="queued",
        route=body.get("route"),
        storage=body.get("storage"),
        idempotent_replay=replay,
        raw=dict(data),
    )


def get_flow(task_id: str) -> Flow[Task]:
    """`GET /v1/tasks/:id`."""
    path = task_path(task_id)
    reply: JSONReply = yield Call("GET", path)
    return task_of(reply, f"GET {path}")


def list_flow(page: int = 1, size: int = 20) -> Flow[TaskPage]:
    """`GET /v1/tasks?page=&size=` (newest first).

    Raises:
        ValueError: `page` < 1 or `size` outside 1..100 (the server would silently use its
            defaults instead).
    """
    for name, value, high in (("page", page, None), ("size", size, 100)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if high is not None and value > high:
            raise ValueError(f"{name} must be at most {high}, got {value!r}")
    reply: JSONReply = yield Call("GET", TASKS_PATH, params={"page": page, "size": size})
    return TaskPage.from_data(_data(reply, "GET /tasks"), page=page, size=size)


# ------------------------------------------------------------------------------ download


def download_flow(
    task: Task,
    dest_dir: str | os.PathLike[str],
    *,
    types: Iterable[str] | None = None,
    max_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
    name: str | None = None,
) -> Flow[list[Path]]:
    """Downloads a successful task's outputs (all, or those of the given `types`).

    Files are named `<task id>-<type><ext>` (or `<name>-<type><ext>`; `-2`, `-3`, ... when
    taken), each written atomically. Every output is checked for expiry before the first
    download starts.

    Returns:
        The paths written, in output order.

    Raises:
        TaskFailedError: The task failed.
        ValueError: The task has not finished.
        OutputExpiredError: An output's `expire_at` has passed.
        InvalidResponseError: A successful task lists no outputs at all.
    """
    if task.failed:
        raise TaskFailedError(task)
    if not task.succeeded:
        raise ValueError(
            f"task {task.id} is {task.status!r}, not finished: wait for it first "
            f'(tasks.wait("{task.id}"))'
        )
    if not task.outputs:
        raise InvalidResponseError(f"task {task.id} succeeded but lists no outputs")
    wanted = None if types is None else {types} if isinstance(types, str) else set(types)
    outputs = [o for o in task.outputs if wanted is None or o.type in wanted]
    now: float = yield Now(wall=True)
    for output in outputs:
        if output.expire_at is not None and output.expire_at <= now:
            raise OutputExpiredError(task.id, output.type, output.expire_at, now=now)
    paths: list[Path] = []
    for output in outputs:
        prefix = safe_stem(task.id if name is None else name, "task")
        stem = f"{prefix}-{safe_stem(output.type, 'output')}"
        fetched = yield Fetch(output.url, dest_dir, stem, max_bytes)
        paths.append(fetched.path)
    return paths
