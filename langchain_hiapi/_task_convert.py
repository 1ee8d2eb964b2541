"""Pure translation between a LangChain conversation and HiAPI's task API.

`ChatHiAPI(image_route="tasks")` sends an image request as a task (`POST /v1/tasks`)
instead of a chat completion. No I/O here: the chat model builds the task `input` with
`conversation_to_task_input`, runs the task through the task client, downloads the image
outputs and turns the finished task into an `AIMessage` with `task_to_message`.

* `prompt` is the system text followed by the text of the last human message.
* The images of the last human message and, for an edit, those of the last AI message
  that carried images (before it) go into the model's image-input field (`image_input`,
  `input_urls`, `image_urls`, ... as the catalogue names it). A generated image that
  still has a live URL goes as that URL; a local image goes as a data URI.
* `image_config.aspect_ratio` becomes `aspect_ratio`, `image_config.image_size` becomes
  `resolution`, where the model's input schema has those fields; elsewhere it is an
  error naming the field, never silently dropped.
"""

from __future__ import annotations

import base64
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, Union, get_args, get_origin

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import BaseModel

from langchain_hiapi._convert import media_block_url
from langchain_hiapi._media import guess_mime_type
from langchain_hiapi._reply import MODEL_PROVIDER
from langchain_hiapi.errors import InvalidResponseError
from langchain_hiapi.image_config import ImageConfig

__all__ = [
    "IMAGE_CONFIG_FIELDS",
    "IMAGE_OUTPUT_TYPES",
    "ROUTE",
    "Download",
    "TaskLike",
    "TaskOutputLike",
    "conversation_to_task_input",
    "image_output_urls",
    "message_to_chunk",
    "task_chunk",
    "task_result",
    "task_to_message",
]

ROUTE = "tasks"
"""The value of `response_metadata["route"]` for replies produced on the task API."""

IMAGE_CONFIG_FIELDS: Mapping[str, str] = {
    "aspect_ratio": "aspect_ratio",
    "image_size": "resolution",
}
"""`ImageConfig` field -> task input field."""

IMAGE_OUTPUT_TYPES: frozenset[str] = frozenset({"image", "first_frame", "last_frame", "thumbnail"})
"""Task output types that are still images (downloaded into the message by default)."""

_BLOCK_TYPES = {"video": "video", "audio": "audio"}
_JOIN = "\n\n"


class TaskOutputLike(Protocol):
    """What this module reads from one task output (`langchain_hiapi.tasks.TaskOutput`)."""

    @property
    def url(self) -> str: ...

    @property
    def type(self) -> str: ...

    @property
    def expire_at(self) -> Any: ...


class TaskLike(Protocol):
    """What this module reads from a finished task (`langchain_hiapi.tasks.Task`)."""

    @property
    def id(self) -> str: ...

    @property
    def model(self) -> str | None: ...

    @property
    def status(self) -> str: ...

    @property
    def route(self) -> str | None: ...

    @property
    def outputs(self) -> Sequence[TaskOutputLike]: ...


@dataclass(frozen=True)
class Download:
    """One downloaded task output.

    Attributes:
        data: The file's bytes.
        mime_type: Its MIME type (from the response, else sniffed).
    """

    data: bytes
    mime_type: str

    def __repr__(self) -> str:
        return f"Download(mime_type={self.mime_type!r}, data=<{len(self.data)} bytes>)"


# --------------------------------------------------------------------------- requests


def _message_text(message: BaseMessage, where: str) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    pieces: list[str] = []
    for part in content:
        if isinstance(part, str):
            pieces.append(part)
        elif isinstance(part, Mapping) and part.get("type") == "text":
            pieces.append(str(part.get("text", "")))
        elif not isinstance(part, Mapping):
            msg = f"{where}: content parts must be str or dict, got {type(part).__name__}."
            raise TypeError(msg)
    return "".join(pieces)


def _is_image_part(part: Any) -> bool:
    return isinstance(part, Mapping) and part.get("type") in ("image", "image_url")


def _image_parts(message: BaseMessage) -> list[Mapping[str, Any]]:
    if isinstance(message.content, str):
        return []
    return [part for part in message.content if isinstance(part, Mapping) and _is_image_part(part)]


def _check_human_parts(message: BaseMessage, where: str) -> None:
    if isinstance(message.content, str):
        return
    for part in message.content:
        if isinstance(part, str) or not isinstance(part, Mapping):
            continue
        kind = part.get("type")
        if kind not in ("text", "image", "image_url"):
            msg = (
                f"{where}: a {kind!r} block cannot be sent on the task route; only text and"
                " images are translated (pass other inputs with task_input)."
            )
            raise ValueError(msg)


def _expired(part: Mapping[str, Any], now: float) -> Any:
    extras = part.get("extras")
    expire_at = extras.get("expire_at") if isinstance(extras, Mapping) else None
    if isinstance(expire_at, (int, float)) and not isinstance(expire_at, bool) and expire_at <= now:
        return expire_at
    return None


def _image_ref(part: Mapping[str, Any], where: str, now: float) -> str:
    """The wire form of one image: its live http(s) URL, else a data URI."""
    if part.get("type") == "image_url":
        image_url = part.get("image_url")
        url = image_url.get("url") if isinstance(image_url, Mapping) else image_url
        if not isinstance(url, str) or not url:
            msg = f"{where}: image_url part needs image_url.url."
            raise ValueError(msg)
        return url
    url = part.get("url")
    has_data = part.get("base64") is not None or part.get("source_type") == "base64"
    if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
        expired_at = _expired(part, now)
        if expired_at is None:
            return url  # a generated image goes back as its URL: nothing to upload again
        if not has_data:
            msg = (
                f"{where}: the image URL expired at {expired_at} (Unix time) and the block"
                " holds no base64 data; download outputs before they expire, or pass the"
                " image again."
            )
            raise ValueError(msg)
    if part.get("file_id") and url is None and not has_data:
        msg = f"{where}: image blocks with a file_id cannot be sent; use a URL or base64."
        raise ValueError(msg)
    return media_block_url(part, where, prefer_base64=True)


def _unwrap_optional(annotation: Any) -> list[Any]:
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        return [arg for arg in get_args(annotation) if arg is not type(None)]
    return [annotation]


def _takes_list(input_model: type[BaseModel] | None, field: str) -> bool:
    """Whether the image field takes a list of images (most do) or a single one."""
    if input_model is None or field not in input_model.model_fields:
        return True
    annotation = input_model.model_fields[field].annotation
    return any(
        get_origin(arg) in (list, tuple, Sequence) or arg in (list, tuple)
        for arg in _unwrap_optional(annotation)
    )


def _last_index(messages: Sequence[BaseMessage], kind: type[BaseMessage], end: int) -> int | None:
    for index in range(end - 1, -1, -1):
        if isinstance(messages[index], kind):
            return index
    return None


def _edit_source(messages: Sequence[BaseMessage], end: int) -> int | None:
    """Index of the last AI message before `end` that carried images, if any."""
    for index in range(end - 1, -1, -1):
        message = messages[index]
        if isinstance(message, AIMessage) and _image_parts(message):
            return index
    return None


def _fields_of(input_model: type[BaseModel] | None) -> frozenset[str] | None:
    return None if input_model is None else frozenset(input_model.model_fields)


def _config_fields(
    image_config: ImageConfig | None, model: str, fields: frozenset[str] | None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if image_config is None:
        return out
    for name, task_field in IMAGE_CONFIG_FIELDS.items():
        value = getattr(image_config, name)
        if value is None:
            continue
        if fields is not None and task_field not in fields:
            msg = (
                f"image_config.{name}: model {model!r} has no {task_field!r} field on the task"
                f" route (its input fields: {', '.join(sorted(fields))}). Omit {name}, or pass"
                " the model's own field with task_input."
            )
            raise ValueError(msg)
        out[task_field] = value
    return out


def _prompt_required(input_model: type[BaseModel] | None) -> bool:
    if input_model is None:
        return True  # an unknown model: every documented task model takes a prompt
    field = input_model.model_fields.get("prompt")
    return field is not None and field.is_required()


def conversation_to_task_input(
    messages: Sequence[BaseMessage],
    *,
    model: str,
    input_model: type[BaseModel] | None,
    image_field: str | None,
    image_config: ImageConfig | None = None,
    extra_input: Mapping[str, Any] | None = None,
    now: float,
) -> dict[str, Any]:
    """Builds a task `input` from a conversation.

    Args:
        messages: The conversation; it must contain a human message.
        model: The model id (for error messages).
        input_model: The model's input schema from the catalogue, or `None` for a model
            the catalogue does not know (then every field is sent as it is).
        image_field: The model's image-input field (`ModelInfo.image_inputs_field`), or
            `None` when it takes no images.
        image_config: The effective image options.
        extra_input: Fields sent as given (`task_input`); they win over derived ones.
        now: The current Unix time, to tell an expired output URL from a live one.

    Returns:
        The task input (not yet validated against the schema).

    Raises:
        ValueError: No human message, an empty prompt, images for a model without an
            image field, a block that cannot be sent, or an `image_config` field the
            model's schema lacks. Every message names the field.
        TypeError: A content part is neither a string nor a dict.
    """
    human_index = _last_index(messages, HumanMessage, len(messages))
    if human_index is None:
        msg = "The task route needs a human message: its text becomes the task's prompt."
        raise ValueError(msg)
    human = messages[human_index]
    where = f"messages[{human_index}]"
    _check_human_parts(human, where)
    system = [
        _message_text(m, f"messages[{i}]").strip()
        for i, m in enumerate(messages)
        if isinstance(m, SystemMessage)
    ]
    prompt = _JOIN.join(text for text in [*system, _message_text(human, where).strip()] if text)
    task_input: dict[str, Any] = {}
    if prompt:
        task_input["prompt"] = prompt
    images: list[str] = []
    edit_index = _edit_source(messages, human_index)
    if edit_index is not None:
        images += [
            _image_ref(part, f"messages[{edit_index}]", now)
            for part in _image_parts(messages[edit_index])
        ]
    images += [_image_ref(part, where, now) for part in _image_parts(human)]
    fields = _fields_of(input_model)
    if images:
        if image_field is None:
            msg = (
                f"Model {model!r} takes no input images on the task route; remove the images"
                " from the conversation or choose an image-to-image model."
            )
            raise ValueError(msg)
        if _takes_list(input_model, image_field):
            task_input[image_field] = images
        elif len(images) == 1:
            task_input[image_field] = images[0]
        else:
            msg = (
                f"{image_field}: model {model!r} takes one input image on the task route;"
                f" the conversation holds {len(images)}."
            )
            raise ValueError(msg)
    task_input.update(_config_fields(image_config, model, fields))
    task_input.update(extra_input or {})
    if not task_input.get("prompt") and _prompt_required(input_model):
        msg = f"{where}: the last human message has no text to use as the task's prompt."
        raise ValueError(msg)
    return task_input


# --------------------------------------------------------------------------- replies


def image_output_urls(task: TaskLike) -> list[str]:
    """URLs of the task's image outputs, in order (what is downloaded by default)."""
    return [output.url for output in task.outputs if output.type in IMAGE_OUTPUT_TYPES]


def _block_type(output_type: str, mime_type: str | None) -> str:
    if output_type in IMAGE_OUTPUT_TYPES:
        return "image"
    if output_type in _BLOCK_TYPES:
        return _BLOCK_TYPES[output_type]
    if mime_type:
        major = mime_type.split("/", 1)[0]
        if major in ("image", "video", "audio"):
            return major
    return "file"


def _expire_at(value: Any) -> int | float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return None


def _earliest(values: Iterable[Any]) -> int | float | None:
    known = [v for v in (_expire_at(value) for value in values) if v is not None]
    return min(known) if known else None


def task_to_message(task: TaskLike, *, downloads: Mapping[str, Download]) -> AIMessage:
    """Turns a successful task into an `AIMessage`.

    Each output becomes a standard content block (`image`, `video`, `audio` or `file`)
    with the output `url`, the downloaded `base64` and `mime_type` where `downloads`
    holds its URL, and `extras={"expire_at", "output_type"}`. The task id, the earliest
    `expire_at`, the route (`"tasks"`) and every output go into `response_metadata`.

    Args:
        task: The finished task.
        downloads: Downloaded outputs by URL (may be empty).

    Returns:
        The message; its content opens with `""` like every media reply of `ChatHiAPI`.

    Raises:
        InvalidResponseError: The task succeeded without any output.
    """
    if not task.outputs:
        msg = f"HiAPI task {task.id} ({task.model}) finished {task.status!r} without any output."
        raise InvalidResponseError(msg)
    content: list[str | dict[str, Any]] = [""]
    for number, output in enumerate(task.outputs, 1):
        download = downloads.get(output.url)
        mime_type = download.mime_type if download else guess_mime_type(None, output.url)
        block: dict[str, Any] = {
            "type": _block_type(output.type, mime_type),
            "id": f"{task.id}-img{number}",
            "url": output.url,
        }
        if mime_type:
            block["mime_type"] = mime_type
        if download is not None:
            block["base64"] = base64.b64encode(download.data).decode("ascii")
        block["extras"] = {"expire_at": _expire_at(output.expire_at), "output_type": output.type}
        content.append(block)
    metadata: dict[str, Any] = {
        "model_provider": MODEL_PROVIDER,
        "model_name": task.model,
        "finish_reason": "stop",
        "id": task.id,
        "route": ROUTE,
        "task_id": task.id,
        "task_status": task.status,
        "expire_at": _earliest(output.expire_at for output in task.outputs),
        "outputs": [
            {"url": o.url, "type": o.type, "expire_at": _expire_at(o.expire_at)}
            for o in task.outputs
        ],
    }
    if task.route:
        metadata["task_route"] = task.route
    return AIMessage(content=content, response_metadata=metadata, id=task.id)


def message_to_chunk(message: AIMessage) -> AIMessageChunk:
    """The whole task reply as one (last) stream chunk."""
    return AIMessageChunk(
        content=message.content,
        response_metadata=message.response_metadata,
        id=message.id,
        chunk_position="last",
    )


def task_chunk(message: AIMessage) -> ChatGenerationChunk:
    """The whole task reply as the one (last) generation chunk of a stream."""
    return ChatGenerationChunk(message=message_to_chunk(message))


def task_result(message: AIMessage) -> ChatResult:
    """The task reply as a `ChatResult` (its finish reason, model name and id)."""
    generation_info = {"finish_reason": message.response_metadata.get("finish_reason")}
    llm_output = {"model_name": message.response_metadata.get("model_name"), "id": message.id}
    return ChatResult(
        generations=[ChatGeneration(message=message, generation_info=generation_info)],
        llm_output=llm_output,
    )
