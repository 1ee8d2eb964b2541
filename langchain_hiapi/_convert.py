"""Pure translation between LangChain messages and HiAPI's chat-completions JSON.

No I/O here: the chat model builds a request body with these functions, hands it to
the client, and turns the JSON reply back into LangChain objects. Sync and async share
every line of it.
"""

from __future__ import annotations

import json
import math
import uuid
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
from langchain_hiapi.errors import PROMPT_BLOCKED, InvalidResponseError, PromptBlockedError

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


def media_block_url(block: Mapping[str, Any], where: str, *, prefer_base64: bool = False) -> str:
    """Returns the URL (http(s) or data URI) for a standard or v0 media block.

    Args:
        block: The content block.
        where: Where the block is, for error messages (e.g. `messages[2]`).
        prefer_base64: Use the block's base64 data, when it has some, even if it also has a
            URL (a task-route image carries both; the chat route only turns data URIs in
            assistant text back into images).

    Returns:
        The URL or data URI.

    Raises:
        ValueError: If the block has neither a URL nor base64 data.
    """
    base64_data = block.get("base64")
    if base64_data is None and block.get("source_type") == "base64":
        base64_data = block.get("data")
    if isinstance(base64_data, str) and (prefer_base64 or not isinstance(block.get("url"), str)):
        mime_type = block.get("mime_type")
        if not isinstance(mime_type, str) or not mime_type:
            msg = f"{where}: a base64 {block.get('type')} block needs a 'mime_type'."
            raise ValueError(msg)
        return _data_uri(mime_type, base64_data)
    if isinstance(block.get("url"), str):
        return str(block["url"])
    if block.get("source_type") == "url":
        return str(block.get("data"))
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
        return {"type": "image_url", "image_url": {"url": media_block_url(part, where)}}
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


def _ai_content_to_wire(content: str | list[Any], where: str) -> str | list[dict[str, Any]]:
    """Converts AI content for the gateway: text parts, each ending after an image.

    The gateway turns `![..](data:..)` in assistant text back into image parts (how a
    generated image is handed back for multi-turn editing), but drops the text after the
    last image of a text part and passes any other `[..](data:..)` media on as text (many
    megabytes of tokens). So images are written as Markdown data URIs, every text part ends
    right after an image, trailing prose is a part of its own, and non-image media is
    replaced by a short placeholder (with a warning). Content without images stays a string.
    """
    segments: list[str | _Media] = []
    for part in [content] if isinstance(content, str) else content:
        segments.extend(_ai_part_segments(part, where))
    parts: list[str] = []
    current: list[str] = []
    for segment in segments:
        if isinstance(segment, str):
            current.append(segment)
            continue
        # Media sits on its own line, as the gateway itself writes it.
        current.append(_join_markdown(current, segment.markdown))
        if segment.is_data_image:
            parts.append("".join(current))
            current = []
    tail = "".join(current)
    if not parts:
        return tail
    if tail:
        parts.append(tail)
    return [{"type": "text", "text": text} for text in parts]


@dataclass(frozen=True)
class _Media:
    """Markdown for one media item of an assistant turn.

    Attributes:
        markdown: `![image](data:...)`, `![image](https://...)` or a placeholder.
        is_data_image: Whether the gateway turns it into an image part (a text part must
            end right after it).
    """

    markdown: str
    is_data_image: bool = False


def _ai_part_segments(part: Any, where: str) -> list[str | _Media]:
    """Text and media segments of one AI content part (see `_ai_content_to_wire`)."""
    if isinstance(part, str):
        return _text_segments(part, where)
    if not isinstance(part, Mapping):
        msg = f"{where}: content parts must be str or dict, got {type(part).__name__}."
        raise TypeError(msg)
    kind = part.get("type")
    if kind == "text":
        return _text_segments(str(part.get("text", "")), where)
    if kind == "image_url":
        return [_media(_content_part_to_wire(part, where)["image_url"]["url"], True, where)]
    if kind in _MEDIA_BLOCK_TYPES:
        return [_media(media_block_url(part, where, prefer_base64=True), kind == "image", where)]
    if kind in _SKIPPED_AI_BLOCK_TYPES or kind == "non_standard":
        return []
    msg = f"{where}: unsupported content block type {kind!r} in an AI message."
    raise ValueError(msg)


def _text_segments(text: str, where: str) -> list[str | _Media]:
    """Splits AI text at Markdown data URIs (written back by `_media`)."""
    if "](data:" not in text:
        return [text] if text else []
    return [
        piece
        if isinstance(piece, str)
        else _media(_data_uri(piece.mime_type, piece.base64), piece.is_image, where)
        for piece in split_data_uris(text)
    ]


def _media(url: str, is_image: bool, where: str) -> _Media:
    """Markdown for a media URL: data-URI images split parts, other data URIs are dropped."""
    if url[:5].lower() != "data:":
        # An http(s) URL stays Markdown text: the gateway does not fetch it from here.
        return _Media(f"![image]({url})" if is_image else f"[media]({url})")
    mime = url[5:].split(",", 1)[0].split(";", 1)[0].strip().lower()
    if mime.startswith("image/"):
        return _Media(f"![image]({url})", is_data_image=True)
    warnings.warn(
        f"{where}: the assistant's {mime or 'untyped'} media is not sent back to HiAPI (the"
        " gateway would hand it to the model as megabytes of text); a short placeholder"
        " stands in for it.",
        UserWarning,
        stacklevel=2,
    )
    return _Media(f"[{mime or 'media'} omitted]")


def _join_markdown(previous: list[str], markdown: str) -> str:
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
        content = _ai_content_to_wire(message.content, where)
        wire = {"role": "assistant", "content": content}
        calls = [_tool_call_to_wire(c, invalid=False) for c in message.tool_calls]
        calls += [_tool_call_to_wire(c, invalid=True) for c in message.invalid_tool_calls]
        if calls:
            wire["tool_calls"] = calls
            # OpenAI-style backends expect null rather than "" beside tool calls.
            if not content:
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


# No real reply counts this many tokens; larger numbers (and NaN, infinities, strings) come
# from a broken or hostile gateway and must not reach usage tracking.
MAX_TOKEN_COUNT = 2**53
# Tool-call arguments nested deeper than this are refused: such objects break recursive
# code further down (deepcopy, serialization) with RecursionError.
MAX_TOOL_ARGS_DEPTH = 100
_PREVIEW_CHARS = 80


class _UnusableUsageError(Exception):
    """A token count in `usage` that is not a plausible number."""


def _count(details: Mapping[str, Any], key: str, where: str) -> int | None:
    """Reads one token count: a non-negative integer (or integral float) or absent."""
    value = details.get(key)
    if value is None:
        return None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_TOKEN_COUNT:
        return value
    raise _UnusableUsageError(f"{where}.{key}={preview(value)}")


def usage_to_metadata(usage: Any) -> UsageMetadata | None:
    """Maps OpenAI/new-api token usage into LangChain's `UsageMetadata`.

    Image tokens (`prompt_tokens_details.image_tokens`, `completion_tokens_details.
    image_tokens`) go to `input_token_details["image"]` / `output_token_details["image"]`.

    Returns:
        The usage, or `None` (with a warning) when `usage` is not an object or holds a
        count that is not a plausible number (negative, NaN, huge, a string or a list):
        a reply is still usable without its usage, as in other LangChain integrations.
    """
    if not isinstance(usage, Mapping):
        return None
    try:
        return _usage_to_metadata(usage)
    except _UnusableUsageError as exc:
        warnings.warn(
            f"HiAPI reply has an unusable token count ({exc}); usage_metadata is left out.",
            UserWarning,
            stacklevel=2,
        )
        return None


def _usage_to_metadata(usage: Mapping[str, Any]) -> UsageMetadata:
    input_tokens = _count(usage, "prompt_tokens", "usage") or 0
    output_tokens = _count(usage, "completion_tokens", "usage") or 0
    total = _count(usage, "total_tokens", "usage")
    # The detail keys are optional at run time; mypy on Python 3.10 sees them as required.
    metadata = cast(
        "UsageMetadata",
        {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "total_tokens": total if total is not None else input_tokens + output_tokens,
        },
    )
    # "image" is not among the TypedDicts' keys; LangChain allows provider-specific ones.
    input_details: dict[str, int] = {}
    output_details: dict[str, int] = {}
    prompt_details = usage.get("prompt_tokens_details")
    if isinstance(prompt_details, Mapping):
        where = "usage.prompt_tokens_details"
        if (cached := _count(prompt_details, "cached_tokens", where)) is not None:
            input_details["cache_read"] = cached
        if audio := _count(prompt_details, "audio_tokens", where):
            input_details["audio"] = audio
        if image := _count(prompt_details, "image_tokens", where):
            input_details["image"] = image
    completion_details = usage.get("completion_tokens_details")
    if isinstance(completion_details, Mapping):
        where = "usage.completion_tokens_details"
        if (reasoning := _count(completion_details, "reasoning_tokens", where)) is not None:
            output_details["reasoning"] = reasoning
        if audio := _count(completion_details, "audio_tokens", where):
            output_details["audio"] = audio
        if image := _count(completion_details, "image_tokens", where):
            output_details["image"] = image
    if input_details:
        metadata["input_token_details"] = cast("InputTokenDetails", input_details)
    if output_details:
        metadata["output_token_details"] = cast("OutputTokenDetails", output_details)
    return metadata


def preview(value: Any, limit: int = _PREVIEW_CHARS) -> str:
    """A short, never-failing preview of a reply value for error messages."""
    try:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    except (ValueError, TypeError, RecursionError):
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def nested_too_deep(value: Any, limit: int = MAX_TOOL_ARGS_DEPTH) -> bool:
    """Whether dicts/lists in `value` nest deeper than `limit` (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth >= limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _opt_str(value: Any) -> str | None:
    """A reply field that must be a string (ids, names): anything else counts as absent."""
    return value if isinstance(value, str) else None


def _parse_arguments(arguments: Any) -> tuple[dict[str, Any] | None, str | None, str]:
    """Parses tool-call arguments into `(args, error, raw text)`."""
    if arguments is None or arguments == "":
        return {}, None, ""
    if isinstance(arguments, str):
        raw = arguments
        try:
            parsed = json.loads(arguments)
        except json.JSONDecodeError as exc:
            return None, str(exc), raw
        except (RecursionError, ValueError):
            return None, "tool call arguments are nested too deeply to parse", raw
    else:
        # Some gateways send the arguments already parsed.
        parsed = arguments
        raw = preview(arguments, limit=1 << 20)
    if nested_too_deep(parsed):
        return None, f"tool call arguments are nested deeper than {MAX_TOOL_ARGS_DEPTH} levels", raw
    if not isinstance(parsed, dict):
        return None, "tool call arguments are not a JSON object", raw
    return parsed, None, raw


def parse_tool_calls(
    raw_calls: Any,
) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    """Parses OpenAI `tool_calls`; unusable arguments become invalid tool calls.

    Arguments that are not JSON, not an object or nested deeper than
    `MAX_TOOL_ARGS_DEPTH` levels become `invalid_tool_calls` (the LangChain convention),
    with the raw argument text and the reason.

    Raises:
        InvalidResponseError: `tool_calls` is not a list of calls with a `function`.
    """
    if not isinstance(raw_calls, list):
        msg = f"HiAPI reply field 'tool_calls' must be a list, got {type(raw_calls).__name__}."
        raise InvalidResponseError(msg)
    calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for raw in raw_calls:
        function = raw.get("function") if isinstance(raw, Mapping) else None
        if not isinstance(function, Mapping):
            msg = f"HiAPI reply has a tool call without 'function': {preview(raw)}"
            raise InvalidResponseError(msg)
        name = _opt_str(function.get("name"))
        call_id = _opt_str(raw.get("id"))
        args, error, raw_args = _parse_arguments(function.get("arguments"))
        if args is None or name is None:
            error = error or f"tool call name is not a string: {preview(function.get('name'))}"
            invalid.append(invalid_tool_call(name=name, args=raw_args, id=call_id, error=error))
            continue
        calls.append(tool_call(name=name, args=args, id=call_id))
    return calls, invalid


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
    reply_id = _opt_str(data.get("id"))
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
