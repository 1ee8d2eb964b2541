"""HiAPI's chat-completions replies as LangChain objects (pure translation, no I/O).

Every `![..](data:..)` in reply text becomes a standard media block (no base64 left in the
text); `_stream` shares these pieces for streamed replies, so both read alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from langchain_core.messages import AIMessage, InvalidToolCall, ToolCall
from langchain_core.outputs import ChatGeneration, ChatResult

from langchain_hiapi._markdown_media import DataURIPart, split_data_uris
from langchain_hiapi._preview import opt_str, preview
from langchain_hiapi._tool_calls import parse_tool_calls
from langchain_hiapi._usage import usage_to_metadata
from langchain_hiapi.errors import PROMPT_BLOCKED, InvalidResponseError, PromptBlockedError

MODEL_PROVIDER = "hiapi"
"""`response_metadata["model_provider"]` of every reply."""


def media_block(part: DataURIPart, block_id: str) -> dict[str, Any]:
    """Builds a standard content block for a data URI found in the reply text."""
    kind = "image" if part.is_image or part.mime_type.startswith("image/") else "file"
    if kind == "file" and part.mime_type.startswith(("audio/", "video/")):
        kind = part.mime_type.split("/", 1)[0]
    return {"type": kind, "id": block_id, "base64": part.base64, "mime_type": part.mime_type}


class BlockIds:
    """Hands out stable ids for generated media: `<response id>-img<n>`.

    Derived from the response id (not random) so that the same reply yields the same
    ids whether it is streamed or not, and every access sees the same value.
    """

    def __init__(self, response_id: str | None) -> None:
        self._prefix = response_id or f"hiapi-{uuid.uuid4().hex[:16]}"
        self._count = 0

    def reset_prefix(self, response_id: str | None) -> None:
        """Uses the response id once it is known (streams learn it from the first event)."""
        if response_id and self._count == 0:
            self._prefix = response_id

    def next(self) -> str:
        """Returns the next id."""
        self._count += 1
        return f"{self._prefix}-img{self._count}"


def _url_part_to_block(url: str, ids: BlockIds) -> dict[str, Any]:
    if url.startswith("data:"):
        parts = split_data_uris(f"![image]({url})")
        if len(parts) == 1 and isinstance(parts[0], DataURIPart):
            return media_block(parts[0], ids.next())
        msg = f"HiAPI reply holds an image data URI that cannot be read: {url[:60]!r}"
        raise InvalidResponseError(msg)
    return {"type": "image", "id": ids.next(), "url": url}


def text_to_content(text: str, ids: BlockIds) -> list[str | dict[str, Any]]:
    """Splits reply text into prose strings and media blocks (no base64 left in text)."""
    return [
        segment if isinstance(segment, str) else media_block(segment, ids.next())
        for segment in split_data_uris(text)
    ]


def images_field_to_content(images: Any, ids: BlockIds) -> list[dict[str, Any]]:
    """Reads an OpenRouter-style `images` array (not sent by new-api, accepted anyway)."""
    if not isinstance(images, list):
        msg = f"HiAPI reply field 'images' must be a list, got {type(images).__name__}."
        raise InvalidResponseError(msg)
    blocks = []
    for item in images:
        image_url = item.get("image_url") if isinstance(item, Mapping) else None
        url = image_url.get("url") if isinstance(image_url, Mapping) else image_url
        if not isinstance(url, str):
            msg = f"HiAPI reply has an 'images' entry without image_url.url: {preview(item)}"
            raise InvalidResponseError(msg)
        blocks.append(_url_part_to_block(url, ids))
    return blocks


def content_parts_to_content(parts: list[Any], ids: BlockIds) -> list[str | dict[str, Any]]:
    """Reads a reply whose `content` is an array of OpenAI content parts."""
    out: list[str | dict[str, Any]] = []
    for part in parts:
        if isinstance(part, str):
            out.extend(text_to_content(part, ids))
        elif isinstance(part, Mapping) and part.get("type") == "text":
            out.extend(text_to_content(str(part.get("text", "")), ids))
        elif isinstance(part, Mapping) and part.get("type") == "image_url":
            image_url = part.get("image_url")
            url = image_url.get("url") if isinstance(image_url, Mapping) else image_url
            if not isinstance(url, str):
                msg = "HiAPI reply has an image_url part without a url."
                raise InvalidResponseError(msg)
            out.append(_url_part_to_block(url, ids))
        else:
            msg = f"HiAPI reply has a content part this client cannot read: {preview(part)}"
            raise InvalidResponseError(msg)
    return out


def normalize_content(content: list[str | dict[str, Any]]) -> str | list[str | dict[str, Any]]:
    """Joins adjacent strings; text-only replies become one plain string."""
    merged: list[str | dict[str, Any]] = []
    for item in content:
        if isinstance(item, str):
            if not item:
                continue
            if merged and isinstance(merged[-1], str):
                merged[-1] += item
                continue
        merged.append(item)
    if all(isinstance(item, str) for item in merged):
        return "".join(item for item in merged if isinstance(item, str))
    if not isinstance(merged[0], str):
        # Media lists open with the prose before the first image, even when empty: a
        # stream aggregates to exactly that shape ("" + [image] == ["", image]).
        merged.insert(0, "")
    return merged


def response_metadata(data: Mapping[str, Any], finish_reason: Any, usage: Any) -> dict[str, Any]:
    """Builds `response_metadata` for a reply (shared by invoke and the final stream chunk).

    `model_name` is the model the gateway reports (usually the upstream name, such as
    `gemini-3-pro-image-preview`), not the id that was sent.
    """
    metadata: dict[str, Any] = {
        "model_provider": MODEL_PROVIDER,
        "model_name": data.get("model"),
        "finish_reason": finish_reason,
        "id": data.get("id"),
    }
    if isinstance(usage, Mapping):
        metadata["token_usage"] = dict(usage)
    if data.get("system_fingerprint") is not None:
        metadata["system_fingerprint"] = data["system_fingerprint"]
    return metadata


def blocked_prompt_error(body: Any, *, streaming: bool) -> PromptBlockedError:
    """The error for a 200 reply that says the prompt was blocked (no choices)."""
    how = (
        "the stream ended with no choices and no finish reason"
        if streaming
        else ("the reply has no choices")
    )
    return PromptBlockedError(
        f"HiAPI blocked the prompt ({how}): the upstream's safety filter refused it and the"
        " prompt is billed; rephrase it rather than retrying it unchanged",
        status_code=200,
        code=PROMPT_BLOCKED,
        body=body,
    )


def _choices(data: Any) -> list[Mapping[str, Any]]:
    if not isinstance(data, Mapping):
        msg = f"HiAPI reply is not a JSON object: {preview(data, 200)}"
        raise InvalidResponseError(msg)
    if isinstance(data.get("error"), Mapping):
        msg = f"HiAPI reply carries an error: {preview(data['error'], 300)}"
        raise InvalidResponseError(msg, body=dict(data))
    choices = data.get("choices")
    if isinstance(choices, list) and not choices:
        # Gateways before 2025-12-27 answered a blocked prompt with 200 and no choices.
        raise blocked_prompt_error(dict(data), streaming=False)
    if not isinstance(choices, list) or not all(
        isinstance(c, Mapping) and isinstance(c.get("message"), Mapping) for c in choices
    ):
        msg = f"HiAPI reply has no usable choices: {preview(data, 300)}"
        raise InvalidResponseError(msg, body=dict(data))
    return choices


def _choice_to_message(
    data: Mapping[str, Any], choice: Mapping[str, Any], position: int = 0
) -> AIMessage:
    message = choice["message"]
    reply_id = opt_str(data.get("id"))
    # Media ids stay unique across the choices of one reply (`n` > 1).
    ids = BlockIds(reply_id if position == 0 else f"{reply_id or 'hiapi'}-choice{position}")
    raw_content = message.get("content")
    content: list[str | dict[str, Any]]
    if raw_content is None:
        content = []
    elif isinstance(raw_content, str):
        content = text_to_content(raw_content, ids)
    elif isinstance(raw_content, list):
        content = content_parts_to_content(raw_content, ids)
    else:
        msg = f"HiAPI reply content has an unexpected type: {type(raw_content).__name__}"
        raise InvalidResponseError(msg, body=dict(data))
    if message.get("images"):
        content.extend(images_field_to_content(message["images"], ids))

    additional_kwargs: dict[str, Any] = {}
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        additional_kwargs["reasoning_content"] = reasoning
    tool_calls: list[ToolCall] = []
    invalid_calls: list[InvalidToolCall] = []
    if message.get("tool_calls"):
        tool_calls, invalid_calls = parse_tool_calls(message["tool_calls"])
    usage = data.get("usage")
    metadata = response_metadata(data, choice.get("finish_reason"), usage)
    if choice.get("logprobs") is not None:
        metadata["logprobs"] = choice["logprobs"]
    return AIMessage(
        content=normalize_content(content),
        additional_kwargs=additional_kwargs,
        tool_calls=tool_calls,
        invalid_tool_calls=invalid_calls,
        usage_metadata=usage_to_metadata(usage),
        response_metadata=metadata,
        id=reply_id,
    )


def reply_to_message(data: Any) -> AIMessage:
    """Turns a `chat.completion` JSON object into an `AIMessage` (its first choice).

    Every `![..](data:..)` in the text becomes a standard media block; text-only replies
    keep a plain string `content`.

    Raises:
        PromptBlockedError: The reply has no choices (a blocked prompt).
        InvalidResponseError: If the JSON does not have the chat-completion shape.
    """
    return _choice_to_message(data, _choices(data)[0])


def reply_to_result(data: Any) -> ChatResult:
    """Turns a `chat.completion` into a `ChatResult`: one generation per choice (`n`).

    Raises:
        PromptBlockedError: The reply has no choices (a blocked prompt).
        InvalidResponseError: If the JSON does not have the chat-completion shape.
    """
    generations = []
    for position, choice in enumerate(_choices(data)):
        message = _choice_to_message(data, choice, position)
        info: dict[str, Any] = {"finish_reason": message.response_metadata.get("finish_reason")}
        if "logprobs" in message.response_metadata:
            info["logprobs"] = message.response_metadata["logprobs"]
        generations.append(ChatGeneration(message=message, generation_info=info))
    first = generations[0].message
    llm_output = {
        "model_name": first.response_metadata.get("model_name"),
        "token_usage": first.response_metadata.get("token_usage"),
        "id": first.id,
    }
    return ChatResult(generations=generations, llm_output=llm_output)
