"""The `hiapi` block translator: v0 message content → standard content blocks.

HiAPI messages keep prose as plain strings and generated media as standard blocks, with
reasoning in `additional_kwargs`. langchain-core's best-effort parser would turn the
leading empty string of a media reply into an empty text block; this translator skips
empty text and puts reasoning first, tool calls last.
"""

from __future__ import annotations

from typing import Any, cast

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages import content as types
from langchain_core.messages.block_translators import register_translator

_STANDARD_TYPES = frozenset(
    {"text", "image", "file", "audio", "video", "text-plain", "reasoning", "non_standard"}
)


def _content_blocks(message: AIMessage | AIMessageChunk) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    reasoning = message.additional_kwargs.get("reasoning_content")
    if isinstance(reasoning, str) and reasoning:
        blocks.append({"type": "reasoning", "reasoning": reasoning})
    items: list[Any] = [message.content] if isinstance(message.content, str) else message.content
    for item in items:
        if isinstance(item, str):
            if item:
                blocks.append({"type": "text", "text": item})
        elif isinstance(item, dict) and item.get("type") in _STANDARD_TYPES:
            blocks.append(item)
        else:
            blocks.append({"type": "non_standard", "value": item})
    return blocks


def translate_content(message: AIMessage) -> list[types.ContentBlock]:
    """Translates a complete HiAPI `AIMessage` into standard blocks."""
    blocks = _content_blocks(message)
    for call in message.tool_calls:
        blocks.append(
            {"type": "tool_call", "id": call.get("id"), "name": call["name"], "args": call["args"]}
        )
    for bad in message.invalid_tool_calls:
        blocks.append(
            {
                "type": "invalid_tool_call",
                "id": bad.get("id"),
                "name": bad.get("name"),
                "args": bad.get("args"),
                "error": bad.get("error"),
            }
        )
    return cast("list[types.ContentBlock]", blocks)


def translate_content_chunk(message: AIMessageChunk) -> list[types.ContentBlock]:
    """Translates a streamed HiAPI `AIMessageChunk` into standard blocks."""
    if message.chunk_position == "last" and (message.tool_calls or message.invalid_tool_calls):
        return translate_content(message)
    blocks = _content_blocks(message)
    for chunk in message.tool_call_chunks:
        blocks.append(
            {
                "type": "tool_call_chunk",
                "id": chunk.get("id"),
                "name": chunk.get("name"),
                "args": chunk.get("args"),
                "index": chunk.get("index"),
            }
        )
    return cast("list[types.ContentBlock]", blocks)


def register() -> None:
    """Registers the translator under the `hiapi` model provider (idempotent)."""
    register_translator("hiapi", translate_content, translate_content_chunk)
