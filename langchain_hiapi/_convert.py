"""LangChain messages as HiAPI's chat-completions request messages (pure translation).

No I/O here: the chat model builds a request body with these functions and hands it to
the client; `_reply` turns the JSON reply back into LangChain objects. Sync and async
share every line of it.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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

from langchain_hiapi._markdown_media import split_data_uris
from langchain_hiapi._media import data_uri

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
        return data_uri(mime_type, base64_data)
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
        else _media(data_uri(piece.mime_type, piece.base64), piece.is_image, where)
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
