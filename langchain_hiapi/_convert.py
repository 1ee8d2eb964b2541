"""Pure translation between LangChain messages and HiAPI's chat-completions JSON.

No I/O here: the chat model builds a request body with these functions, hands it to
the client, and turns the JSON reply back into LangChain objects. Sync and async share
every line of it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, cast

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    InvalidToolCall,
    SystemMessage,
    ToolCall,
    ToolMessage,
)
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import invalid_tool_call, tool_call
from langchain_core.outputs import ChatGeneration, ChatResult

from langchain_hiapi._images import DataURIPart, split_data_uris
from langchain_hiapi.errors import InvalidResponseError

MODEL_PROVIDER = "hiapi"

# Standard block types that carry media a user may send to the gateway.
_MEDIA_BLOCK_TYPES = frozenset({"image", "file", "audio", "video"})
# Blocks that describe the model's own output and are not sent back as content: reasoning
# stays private, and tool calls (any provider's form) travel in `tool_calls`.
_SKIPPED_AI_BLOCK_TYPES = frozenset(
    {
        "reasoning",
        "thinking",
        "tool_call",
        "tool_call_chunk",
        "tool_use",
        "server_tool_call",
        "server_tool_result",
    }
)


# --------------------------------------------------------------------------- requests


def _data_uri(mime_type: str, data: str) -> str:
    return f"data:{mime_type};base64,{data}"


def _media_block_url(block: Mapping[str, Any], where: str) -> str:
    """Returns the URL (http(s) or data URI) for a standard or v0 media block."""
    if isinstance(block.get("url"), str):
        return str(block["url"])
    base64_data = block.get("base64")
    if base64_data is None and block.get("source_type") == "base64":
        base64_data = block.get("data")
    if base64_data is None and block.get("source_type") == "url":
        return str(block["url"]) if "url" in block else str(block.get("data"))
    if isinstance(base64_data, str):
        mime_type = block.get("mime_type")
        if not isinstance(mime_type, str) or not mime_type:
            msg = f"{where}: a base64 {block.get('type')} block needs a 'mime_type'."
            raise ValueError(msg)
        return _data_uri(mime_type, base64_data)
    msg = (
        f"{where}: {block.get('type')} block has no 'url' or 'base64' source; HiAPI accepts"
        " images and files as URLs or base64 data."
    )
    raise ValueError(msg)


def _content_part_to_wire(part: Any, where: str) -> dict[str, Any]:
    """Converts one user/system/tool content part into an OpenAI content part."""
    if isinstance(part, str):
        return {"type": "text", "text": part}
    if not isinstance(part, Mapping):
        msg = f"{where}: content parts must be str or dict, got {type(part).__name__}."
        raise TypeError(msg)
    kind = part.get("type")
    if kind == "text":
        return {"type": "text", "text": str(part.get("text", ""))}
    if kind == "image_url":
        image_url = part.get("image_url")
        if isinstance(image_url, str):
            return {"type": "image_url", "image_url": {"url": image_url}}
        if isinstance(image_url, Mapping) and isinstance(image_url.get("url"), str):
            return {"type": "image_url", "image_url": dict(image_url)}
        msg = f"{where}: image_url part needs image_url.url."
        raise ValueError(msg)
    if kind in _MEDIA_BLOCK_TYPES:
        # The gateway takes every media type (png, jpeg, webp, heic, pdf, ...) as an
        # image_url part and sniffs the MIME type from the data URI.
        return {"type": "image_url", "image_url": {"url": _media_block_url(part, where)}}
    msg = (
        f"{where}: unsupported content block type {kind!r}; allowed: text, image, file,"
        " audio, video, image_url."
    )
    raise ValueError(msg)


def _content_to_wire(content: str | list[Any], where: str) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    parts = [_content_part_to_wire(p, where) for p in content]
    # A list of plain text parts is sent as a string: every OpenAI-style backend takes it.
    if all(p["type"] == "text" for p in parts):
        return "".join(p["text"] for p in parts)
    return parts


def _ai_content_to_text(content: str | list[Any], where: str) -> str:
    """Flattens AI content to text, with generated media as Markdown data-URI images.

    The gateway splits `![..](data:..)` in assistant text back into image parts, which is
    how a generated image is handed back for multi-turn editing.
    """
    if isinstance(content, str):
        return content
    pieces: list[str] = []
    for part in content:
        if isinstance(part, str):
            pieces.append(part)
            continue
        if not isinstance(part, Mapping):
            msg = f"{where}: content parts must be str or dict, got {type(part).__name__}."
            raise TypeError(msg)
        kind = part.get("type")
        if kind == "text":
            pieces.append(str(part.get("text", "")))
        elif kind in _MEDIA_BLOCK_TYPES:
            url = _media_block_url(part, where)
            bang = "!" if kind == "image" else ""
            label = "image" if kind == "image" else "media"
            pieces.append(_join_markdown(pieces, f"{bang}[{label}]({url})"))
        elif kind == "image_url":
            wire = _content_part_to_wire(part, where)
            pieces.append(_join_markdown(pieces, f"![image]({wire['image_url']['url']})"))
        elif kind in _SKIPPED_AI_BLOCK_TYPES or kind == "non_standard":
            continue
        else:
            msg = f"{where}: unsupported content block type {kind!r} in an AI message."
            raise ValueError(msg)
    return "".join(pieces)


def _join_markdown(previous: list[str], markdown: str) -> str:
    # Keep media on its own line, as the gateway itself writes it; this also keeps a "!"
    # ending the prose from turning a `[media](...)` link into an image.
    last = next((piece for piece in reversed(previous) if piece), "")
    if last and not last.endswith("\n"):
        return "\n" + markdown
    return markdown


def _tool_call_to_wire(call: ToolCall | InvalidToolCall, *, invalid: bool) -> dict[str, Any]:
    # An invalid call keeps the raw argument string the model produced.
    arguments = (
        (call.get("args") or "") if invalid else json.dumps(call["args"], ensure_ascii=False)
    )
    return {
        "id": call.get("id") or "",
        "type": "function",
        "function": {"name": call.get("name") or "", "arguments": arguments},
    }


def message_to_wire(message: BaseMessage, position: int = 0) -> dict[str, Any]:
    """Converts one LangChain message into an OpenAI chat message dict.

    Args:
        message: The message to convert.
        position: Index of the message in the list, used in error messages.

    Returns:
        The wire message.

    Raises:
        ValueError: If the message holds content HiAPI cannot take.
        TypeError: If the message type is not supported.
    """
    where = f"messages[{position}]"
    wire: dict[str, Any]
    if isinstance(message, AIMessage):
        text = _ai_content_to_text(message.content, where)
        wire = {"role": "assistant", "content": text}
        calls = [_tool_call_to_wire(c, invalid=False) for c in message.tool_calls]
        calls += [_tool_call_to_wire(c, invalid=True) for c in message.invalid_tool_calls]
        if calls:
            wire["tool_calls"] = calls
            # OpenAI-style backends expect null rather than "" beside tool calls.
            if not text:
                wire["content"] = None
    elif isinstance(message, HumanMessage):
        wire = {"role": "user", "content": _content_to_wire(message.content, where)}
    elif isinstance(message, SystemMessage):
        wire = {"role": "system", "content": _content_to_wire(message.content, where)}
    elif isinstance(message, ToolMessage):
        wire = {
            "role": "tool",
            "tool_call_id": message.tool_call_id,
            "content": _content_to_wire(message.content, where),
        }
    elif isinstance(message, ChatMessage):
        wire = {"role": message.role, "content": _content_to_wire(message.content, where)}
    else:
        msg = (
            f"{where}: unsupported message type {type(message).__name__}; use System-,"
            " Human-, AI-, Tool- or ChatMessage."
        )
        raise TypeError(msg)
    if message.name and not isinstance(message, ToolMessage):
        wire["name"] = message.name
    return wire


def messages_to_wire(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """Converts a LangChain message list into OpenAI chat messages."""
    return [message_to_wire(m, i) for i, m in enumerate(messages)]


# --------------------------------------------------------------------------- replies


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
        url = item.get("image_url", {}).get("url") if isinstance(item, Mapping) else None
        if isinstance(item, Mapping) and isinstance(item.get("image_url"), str):
            url = item["image_url"]
        if not isinstance(url, str):
            msg = f"HiAPI reply has an 'images' entry without image_url.url: {str(item)[:80]}"
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
            msg = f"HiAPI reply has a content part this client cannot read: {str(part)[:80]}"
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


def usage_to_metadata(usage: Mapping[str, Any]) -> UsageMetadata:
    """Maps OpenAI/new-api token usage into LangChain's `UsageMetadata`."""
    input_tokens = int(usage.get("prompt_tokens") or 0)
    output_tokens = int(usage.get("completion_tokens") or 0)
    total = usage.get("total_tokens")
    # The detail keys are optional at run time; mypy on Python 3.10 sees them as required.
    metadata = cast(
        "UsageMetadata",
        {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "total_tokens": int(total) if total is not None else input_tokens + output_tokens,
        },
    )
    prompt_details = usage.get("prompt_tokens_details") or {}
    completion_details = usage.get("completion_tokens_details") or {}
    input_details: InputTokenDetails = {}
    output_details: OutputTokenDetails = {}
    if isinstance(prompt_details, Mapping):
        if prompt_details.get("cached_tokens") is not None:
            input_details["cache_read"] = int(prompt_details["cached_tokens"])
        if prompt_details.get("audio_tokens"):
            input_details["audio"] = int(prompt_details["audio_tokens"])
    if isinstance(completion_details, Mapping):
        if completion_details.get("reasoning_tokens") is not None:
            output_details["reasoning"] = int(completion_details["reasoning_tokens"])
        if completion_details.get("audio_tokens"):
            output_details["audio"] = int(completion_details["audio_tokens"])
    if input_details:
        metadata["input_token_details"] = input_details
    if output_details:
        metadata["output_token_details"] = output_details
    return metadata


def parse_tool_calls(
    raw_calls: Any,
) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    """Parses OpenAI `tool_calls`; unparseable arguments become invalid tool calls."""
    if not isinstance(raw_calls, list):
        msg = f"HiAPI reply field 'tool_calls' must be a list, got {type(raw_calls).__name__}."
        raise InvalidResponseError(msg)
    calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for raw in raw_calls:
        function = raw.get("function") if isinstance(raw, Mapping) else None
        if not isinstance(function, Mapping):
            msg = f"HiAPI reply has a tool call without 'function': {str(raw)[:80]}"
            raise InvalidResponseError(msg)
        name = function.get("name")
        arguments = function.get("arguments") or "{}"
        call_id = raw.get("id")
        try:
            args = json.loads(arguments) if isinstance(arguments, str) else arguments
        except json.JSONDecodeError as exc:
            invalid.append(invalid_tool_call(name=name, args=arguments, id=call_id, error=str(exc)))
            continue
        if not isinstance(args, dict):
            invalid.append(
                invalid_tool_call(
                    name=name,
                    args=str(arguments),
                    id=call_id,
                    error="tool call arguments are not a JSON object",
                )
            )
            continue
        calls.append(tool_call(name=name or "", args=args, id=call_id))
    return calls, invalid


def response_metadata(data: Mapping[str, Any], finish_reason: Any, usage: Any) -> dict[str, Any]:
    """Builds `response_metadata` for a reply (shared by invoke and the final stream chunk)."""
    metadata: dict[str, Any] = {
        "model_provider": MODEL_PROVIDER,
        "model_name": data.get("model"),
        "finish_reason": finish_reason,
        "id": data.get("id"),
    }
    if usage is not None:
        metadata["token_usage"] = dict(usage)
    if data.get("system_fingerprint") is not None:
        metadata["system_fingerprint"] = data["system_fingerprint"]
    return metadata


def _first_choice(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        msg = f"HiAPI reply is not a JSON object: {str(data)[:200]}"
        raise InvalidResponseError(msg)
    if isinstance(data.get("error"), Mapping):
        msg = f"HiAPI reply carries an error: {str(data['error'])[:300]}"
        raise InvalidResponseError(msg, body=dict(data))
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], Mapping):
        msg = f"HiAPI reply has no choices: {json.dumps(data)[:300]}"
        raise InvalidResponseError(msg, body=dict(data))
    choice = choices[0]
    if not isinstance(choice.get("message"), Mapping):
        msg = f"HiAPI reply choice has no message: {json.dumps(choice)[:300]}"
        raise InvalidResponseError(msg, body=dict(data))
    return choice


def reply_to_message(data: Any) -> AIMessage:
    """Turns a `chat.completion` JSON object into an `AIMessage`.

    Every `![..](data:..)` in the text becomes a standard media block; text-only replies
    keep a plain string `content`.

    Raises:
        InvalidResponseError: If the JSON does not have the chat-completion shape.
    """
    choice = _first_choice(data)
    message = choice["message"]
    ids = BlockIds(data.get("id"))
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
    return AIMessage(
        content=normalize_content(content),
        additional_kwargs=additional_kwargs,
        tool_calls=tool_calls,
        invalid_tool_calls=invalid_calls,
        usage_metadata=usage_to_metadata(usage) if isinstance(usage, Mapping) else None,
        response_metadata=response_metadata(data, choice.get("finish_reason"), usage),
        id=data.get("id"),
    )


def reply_to_result(data: Any) -> ChatResult:
    """Wraps `reply_to_message` into a `ChatResult` with `llm_output`."""
    message = reply_to_message(data)
    llm_output = {
        "model_name": message.response_metadata.get("model_name"),
        "token_usage": message.response_metadata.get("token_usage"),
        "id": message.id,
    }
    generation_info = {"finish_reason": message.response_metadata.get("finish_reason")}
    return ChatResult(
        generations=[ChatGeneration(message=message, generation_info=generation_info)],
        llm_output=llm_output,
    )
