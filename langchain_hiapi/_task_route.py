"""ChatHiAPI's task route: a conversation in, a task run, an `AIMessage` out.

`build_task_request` checks everything and builds the create request before anything is
sent (the conversation through `_task_convert`, the input against the catalogue);
`task_flow` is the one I/O-free workflow both `invoke` and `ainvoke` drive;
`read_downloads` turns the downloaded image files into bytes for the reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import time
import warnings
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.messages import BaseMessage
from pydantic import BaseModel

from langchain_hiapi._chat_request import BODY_FIELDS, INTERNAL_KWARGS
from langchain_hiapi._flows import Flow
from langchain_hiapi._generation_flows import TaskRun, generate_flow
from langchain_hiapi._image_route import ROUTE_KWARGS, call_model
from langchain_hiapi._media import OCTET_STREAM, guess_mime_type
from langchain_hiapi._task_convert import IMAGE_OUTPUT_TYPES, Download, conversation_to_task_input
from langchain_hiapi._task_flows import (
    POLL_MAX,
    CreateRequest,
    OnUpdate,
    PollSchedule,
    build_create,
)
from langchain_hiapi._task_records import TaskOutput
from langchain_hiapi.catalogue import ModelInfo, lookup, task_input_model
from langchain_hiapi.image_config import ImageConfig, coerce_image_config, merge_image_config

if TYPE_CHECKING:
    from langchain_hiapi.chat_models import ChatHiAPI

__all__ = [
    "TASK_KWARGS",
    "TEMP_PREFIX",
    "async_temp_dir",
    "build_task_request",
    "chat_task_request",
    "documented_input_model",
    "image_field_for",
    "read_downloads",
    "task_flow",
]

# Image-input fields of the documented schemas, for a route whose schema renames the field
# the catalogue names for the model (gpt-image-2/image-to-image@ext takes `image_urls`).
_IMAGE_FIELDS = ("image_input", "input_urls", "image_urls", "reference_image_urls")
_DOWNLOAD_PREFIX = "task"
TEMP_PREFIX = "hiapi-task-"
"""Start of the temporary directory names task outputs are downloaded into."""
# Per-call arguments the task route understands (the rest would be silently lost there).
TASK_KWARGS = frozenset({"model", "image_config"}) | ROUTE_KWARGS


def documented_input_model(info: ModelInfo | None, model: str) -> type[BaseModel] | None:
    """The model's input schema for its route, or `None` when its fields are unknown.

    Raises:
        TaskInputError: The `@route` is not one of the model's routes.
    """
    if info is None or not info.documented:
        return None
    return task_input_model(model)


def image_field_for(info: ModelInfo | None, input_model: type[BaseModel] | None) -> str | None:
    """The `input` field that takes the conversation's images, if the model has one."""
    field = info.image_inputs_field if info is not None else None
    if input_model is None or field in input_model.model_fields:
        return field
    return next((name for name in _IMAGE_FIELDS if name in input_model.model_fields), None)


def build_task_request(
    messages: Sequence[BaseMessage],
    *,
    model: str,
    image_config: ImageConfig | None,
    task_input: Mapping[str, Any] | None,
    now: float,
) -> CreateRequest:
    """The checked create request for one ChatHiAPI call on the task route.

    Raises:
        ValueError: The conversation cannot be sent on the task route (names the field).
        TaskInputError: The input breaks the model's schema (names the field and the
            allowed values), e.g. `aspect_ratio="auto"` where the model has no `auto`.
    """
    info = lookup(model)
    input_model = documented_input_model(info, model)
    task_in = conversation_to_task_input(
        messages,
        model=model,
        input_model=input_model,
        image_field=image_field_for(info, input_model),
        image_config=image_config,
        extra_input=task_input,
        now=now,
    )
    return build_create(model, task_in)


def _warn_unused_chat_options(llm: ChatHiAPI, stop: list[str] | None) -> None:
    ignored = [name for name in BODY_FIELDS if getattr(llm, name) is not None]
    ignored += ["stop"] if (stop or llm.stop) else []
    ignored += ["model_kwargs"] if llm.model_kwargs else []
    ignored += ["extra_body"] if llm.extra_body else []
    if ignored:
        warnings.warn(
            f"{ignored} are chat-completions options and are not used on the task route.",
            UserWarning,
            stacklevel=5,
        )


def chat_task_request(
    llm: ChatHiAPI,
    messages: Sequence[BaseMessage],
    stop: list[str] | None,
    kwargs: Mapping[str, Any],
) -> CreateRequest:
    """Checks a `ChatHiAPI` call for the task route and builds its create request.

    Chat-only options set on the model are not sent there: a warning names them.

    Raises:
        ValueError: A per-call argument the task route cannot send (names it).
        TypeError: `task_input` is not a dict.
    """
    call = {k: v for k, v in kwargs.items() if k not in INTERNAL_KWARGS}
    unsupported = sorted(set(call) - TASK_KWARGS)
    if unsupported:
        msg = (
            f"{unsupported} cannot be sent on the task route (image_route='tasks'), which"
            " takes a prompt, images, image_config and task_input only; use"
            " image_route='chat' for tools and sampling options."
        )
        raise ValueError(msg)
    _warn_unused_chat_options(llm, stop)
    override = coerce_image_config(call.get("image_config"))
    call_input = call.get("task_input")
    if call_input is not None and not isinstance(call_input, Mapping):
        msg = f"task_input must be a dict, got {type(call_input).__name__}."
        raise TypeError(msg)
    return build_task_request(
        messages,
        model=call_model(llm, call),
        image_config=merge_image_config(llm.image_config, override),
        task_input={**(llm.task_input or {}), **(call_input or {})},
        now=time.time(),
    )


def _is_image(output: TaskOutput) -> bool:
    return output.type in IMAGE_OUTPUT_TYPES


def task_flow(
    llm: ChatHiAPI, request: CreateRequest, tmp_dir: str, on_update: OnUpdate | None
) -> Flow[TaskRun]:
    """The call's workflow: create, wait, download the image outputs into `tmp_dir`.

    With the model's timeout, poll pauses and byte limit; downloads only when the model's
    `download_images` is on.
    """
    first = llm.task_poll_interval
    return generate_flow(
        request,
        timeout=llm.task_timeout,
        dest_dir=tmp_dir if llm.download_images else None,
        wanted=_is_image,
        prefix=_DOWNLOAD_PREFIX,
        on_update=on_update,
        schedule=PollSchedule(first, max(POLL_MAX, first)),
        max_bytes=llm.client.limits.max_image_download_bytes,
    )


@contextlib.asynccontextmanager
async def async_temp_dir() -> AsyncIterator[str]:
    """A temporary download directory made and removed in a worker thread."""
    tmp = await asyncio.to_thread(tempfile.mkdtemp, prefix=TEMP_PREFIX)
    try:
        yield tmp
    finally:
        await asyncio.to_thread(shutil.rmtree, tmp, True)


def read_downloads(run: TaskRun) -> dict[str, Download]:
    """Reads the downloaded files of a run (blocking file reads; run it in a thread)."""
    return {
        url: Download(
            fetched.path.read_bytes(),
            guess_mime_type(fetched.content_type, str(fetched.path)) or OCTET_STREAM,
        )
        for url, fetched in run.files.items()
    }
