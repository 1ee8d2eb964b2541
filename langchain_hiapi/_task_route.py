"""ChatHiAPI's task route: a conversation in, a task run, an `AIMessage` out.

`build_task_request` checks everything and builds the create request before anything is
sent (the conversation through `_task_convert`, the input against the catalogue);
`task_flow` is the one I/O-free workflow both `invoke` and `ainvoke` drive;
`read_downloads` turns the downloaded image files into bytes for the reply.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import BaseMessage
from pydantic import BaseModel

from langchain_hiapi._flows import Flow
from langchain_hiapi._generation_flows import TaskRun, generate_flow
from langchain_hiapi._task_convert import IMAGE_OUTPUT_TYPES, Download, conversation_to_task_input
from langchain_hiapi._task_flows import CreateRequest, OnUpdate, PollSchedule, build_create
from langchain_hiapi._task_records import TaskOutput
from langchain_hiapi.catalogue import ModelInfo, lookup, task_input_model
from langchain_hiapi.image_config import ImageConfig

__all__ = [
    "build_task_request",
    "documented_input_model",
    "image_field_for",
    "read_downloads",
    "task_flow",
]

# Image-input fields of the documented schemas, for a route whose schema renames the field
# the catalogue names for the model (gpt-image-2/image-to-image@ext takes `image_urls`).
_IMAGE_FIELDS = ("image_input", "input_urls", "image_urls", "reference_image_urls")
_DOWNLOAD_PREFIX = "task"


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


def _is_image(output: TaskOutput) -> bool:
    return output.type in IMAGE_OUTPUT_TYPES


def task_flow(
    request: CreateRequest,
    *,
    timeout: float | None,
    download_dir: str | os.PathLike[str] | None,
    on_update: OnUpdate | None,
    schedule: PollSchedule,
    max_bytes: int,
) -> Flow[TaskRun]:
    """The call's workflow: create, wait, download the image outputs (when asked)."""
    return generate_flow(
        request,
        timeout=timeout,
        dest_dir=download_dir,
        wanted=_is_image,
        prefix=_DOWNLOAD_PREFIX,
        on_update=on_update,
        schedule=schedule,
        max_bytes=max_bytes,
    )


def _mime_type(content_type: str, path: str) -> str:
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime and mime != "application/octet-stream":
        return mime
    guessed, _ = mimetypes.guess_type(path)
    return guessed or "application/octet-stream"


def read_downloads(run: TaskRun) -> dict[str, Download]:
    """Reads the downloaded files of a run (blocking file reads; run it in a thread)."""
    return {
        url: Download(
            fetched.path.read_bytes(), _mime_type(fetched.content_type, str(fetched.path))
        )
        for url, fetched in run.files.items()
    }
