"""Turns HiAPI stream events into LangChain message chunks (pure, no I/O).

One `StreamAssembler` serves one stream, sync or async alike: the client decodes SSE
events, `feed` turns each event into zero or more chunks, and `finish` emits the final
chunk (finish reason, usage, `chunk_position="last"`) or raises `StreamError` when the
stream ended without a finish reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from langchain_core.messages import AIMessageChunk
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGenerationChunk

from langchain_hiapi._markdown_media import DataURIPart, DataURIStreamSplitter
from langchain_hiapi._preview import preview
from langchain_hiapi._reply import (
    MODEL_PROVIDER,
    BlockIds,
    blocked_prompt_error,
    content_parts_to_content,
    images_field_to_content,
    media_block,
    response_metadata,
)
from langchain_hiapi._tool_calls import MAX_TOOL_ARGS_DEPTH
from langchain_hiapi._usage import usage_to_metadata
from langchain_hiapi.errors import InvalidResponseError, StreamError

# Characters that change the nesting depth of JSON text, or the string state.
_JSON_STRUCTURE = re.compile(r'[\[\]{}"\\]')


class _JSONDepth:
    """Tracks the nesting depth of JSON text that arrives in fragments (tool arguments)."""

    def __init__(self) -> None:
        self.max_depth = 0
        self._depth = 0
        self._in_string = False
        self._escaped = False  # a fragment ended right after a backslash inside a string

    def feed(self, text: str) -> int:
        """Consumes a fragment and returns the deepest nesting seen so far."""
        pos = 0
        if self._escaped and text:
            self._escaped = False
            pos = 1  # the escaped character
        while (match := _JSON_STRUCTURE.search(text, pos)) is not None:
            char, pos = match.group(), match.end()
            if self._in_string:
                if char == "\\":
                    if pos >= len(text):
                        self._escaped = True
                        break
                    pos += 1  # skip the escaped character
                elif char == '"':
                    self._in_string = False
            elif char == '"':
                self._in_string = True
            elif char in "[{":
                self._depth += 1
                self.max_depth = max(self.max_depth, self._depth)
            elif char in "]}":
                self._depth -= 1
        return self.max_depth


class StreamAssembler:
    """Assembles one streamed reply.

    Text deltas become string chunks; a Markdown data-URI image (usually one multi-MB
    delta, possibly split across deltas) becomes one image-block chunk and never leaks
    as text; tool-call deltas become `tool_call_chunks`; reasoning goes to
    `additional_kwargs["reasoning_content"]`, exactly as `reply_to_message` does for a
    non-streamed reply, so the chunks added together equal the invoke result.
    """

    def __init__(self) -> None:
        self._splitter = DataURIStreamSplitter()
        self._ids = BlockIds(None)
        self._meta: dict[str, Any] = {}
        self._finish_reason: Any = None
        self._usage: Mapping[str, Any] | None = None
        self._text: list[str] = []
        self._emitted_any = False
        # A `choices: []` chunk without usage: how the gateway ends a blocked prompt.
        self._blocked = False
        self._tool_depths: dict[int, _JSONDepth] = {}

    @property
    def partial_text(self) -> str:
        """The prose text received so far (no base64), for error reports."""
        return "".join(self._text)

    @property
    def started(self) -> bool:
        """Whether any chunk has been produced (a failure then is no longer a clean refusal)."""
        return self._emitted_any

    @property
    def finished(self) -> bool:
        """Whether a finish reason has been seen."""
        return self._finish_reason is not None

    def _chunk(self, **fields: Any) -> ChatGenerationChunk:
        metadata = {"model_provider": MODEL_PROVIDER, **fields.pop("response_metadata", {})}
        message = AIMessageChunk(response_metadata=metadata, id=self._meta.get("id"), **fields)
        self._emitted_any = True
        return ChatGenerationChunk(message=message)

    def _content_chunks(self, segments: list[str | DataURIPart]) -> list[ChatGenerationChunk]:
        chunks = []
        for segment in segments:
            if isinstance(segment, str):
                if segment:
                    self._text.append(segment)
                    chunks.append(self._chunk(content=segment))
            else:
                chunks.append(self._chunk(content=[media_block(segment, self._ids.next())]))
        return chunks

    def feed(self, event: Mapping[str, Any]) -> list[ChatGenerationChunk]:
        """Consumes one decoded SSE event.

        Args:
            event: The JSON object of one `data:` line.

        Returns:
            The chunks this event completes (possibly none).

        Raises:
            StreamError: If the event carries an error or cannot be read.
        """
        if isinstance(event.get("error"), Mapping):
            error = event["error"]
            msg = f"HiAPI stream reported an error: {preview(error.get('message') or error, 500)}"
            raise self.error(msg, body=dict(event))
        for key in ("id", "model", "system_fingerprint"):
            value = event.get(key)
            # Message ids must be strings; a hostile gateway's other types are ignored.
            if (
                value is not None
                and key not in self._meta
                and (key != "id" or isinstance(value, str))
            ):
                self._meta[key] = value
        self._ids.reset_prefix(self._meta.get("id"))
        usage = event.get("usage")
        if isinstance(usage, Mapping):
            self._usage = usage
        choices = event.get("choices")
        if choices == [] and usage is None:
            self._blocked = True
        if choices is None:
            choices = []
        if not isinstance(choices, list):
            raise self.error(f"HiAPI stream event has malformed choices: {preview(event, 200)}")
        chunks: list[ChatGenerationChunk] = []
        if not self._emitted_any:
            # Always open with an empty text chunk: aggregated content then starts with a
            # string exactly like `normalize_content` makes invoke's content start.
            chunks.append(self._chunk(content=""))
        for choice in choices:
            # n > 1 is not supported by the gateway's image route; keep the first choice.
            if not isinstance(choice, Mapping) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            if not isinstance(delta, Mapping):
                raise self.error(f"HiAPI stream delta is not an object: {preview(choice, 200)}")
            chunks.extend(self._delta_chunks(delta))
            if choice.get("logprobs") is not None:
                # Chunks add up their metadata: the logprobs lists are concatenated.
                metadata = {"logprobs": choice["logprobs"]}
                chunks.append(self._chunk(content="", response_metadata=metadata))
            if choice.get("finish_reason"):
                self._finish_reason = choice["finish_reason"]
        return chunks

    def _delta_chunks(self, delta: Mapping[str, Any]) -> list[ChatGenerationChunk]:
        chunks: list[ChatGenerationChunk] = []
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            chunks.append(
                self._chunk(content="", additional_kwargs={"reasoning_content": reasoning})
            )
        content = delta.get("content")
        if isinstance(content, str) and content:
            try:
                segments = self._splitter.feed(content)
            except ValueError as exc:
                raise self.error(f"HiAPI stream has an unreadable image: {exc}") from exc
            chunks.extend(self._content_chunks(segments))
        elif isinstance(content, list):
            try:
                parts = content_parts_to_content(content, self._ids)
            except InvalidResponseError as exc:
                raise self.error(str(exc)) from exc
            for part in parts:
                if isinstance(part, str):
                    self._text.append(part)
                    chunks.append(self._chunk(content=part))
                else:
                    chunks.append(self._chunk(content=[part]))
        if delta.get("images"):
            try:
                blocks = images_field_to_content(delta["images"], self._ids)
            except InvalidResponseError as exc:
                raise self.error(str(exc)) from exc
            chunks.extend(self._chunk(content=[block]) for block in blocks)
        raw_calls = delta.get("tool_calls")
        if raw_calls:
            if not isinstance(raw_calls, list):
                raise self.error(
                    f"HiAPI stream tool_calls is not a list: {preview(raw_calls, 200)}"
                )
            tool_chunks = [
                self._tool_chunk(raw, position) for position, raw in enumerate(raw_calls)
            ]
            chunks.append(self._chunk(content="", tool_call_chunks=tool_chunks))
        return chunks

    def _tool_chunk(self, raw: Any, position: int) -> Any:
        """One `tool_call_chunk` from a streamed tool-call delta, checked for hostile shapes."""
        function = raw.get("function") if isinstance(raw, Mapping) else None
        if not isinstance(raw, Mapping) or not isinstance(function or {}, Mapping):
            raise self.error(f"HiAPI stream has a malformed tool call: {preview(raw, 200)}")
        function = function or {}
        index = raw.get("index", position)
        if isinstance(index, bool) or not isinstance(index, int):
            raise self.error(f"HiAPI stream tool call has a non-integer index: {preview(index)}")
        arguments = function.get("arguments")
        if arguments is not None and not isinstance(arguments, str):
            raise self.error(f"HiAPI stream tool call arguments are not text: {preview(arguments)}")
        # LangChain parses the joined fragments itself; refuse what would nest too deeply.
        depth = self._tool_depths.setdefault(index, _JSONDepth())
        if arguments and depth.feed(arguments) > MAX_TOOL_ARGS_DEPTH:
            msg = f"HiAPI stream tool call arguments nest deeper than {MAX_TOOL_ARGS_DEPTH} levels"
            raise self.error(msg)
        name, call_id = function.get("name"), raw.get("id")
        return tool_call_chunk(
            name=name if isinstance(name, str) else None,
            args=arguments,
            id=call_id if isinstance(call_id, str) else None,
            index=index,
        )

    def finish(self) -> list[ChatGenerationChunk]:
        """Ends the stream: flushes held-back text and emits the final chunk.

        Returns:
            The last chunks, the final one with `chunk_position="last"`.

        Raises:
            PromptBlockedError: No finish reason, and the gateway sent a `choices: []` chunk
                without usage (how it ends a stream whose prompt was blocked).
            StreamError: If no finish reason was received (the gateway ends a failed
                upstream stream silently) or an image was cut off.
        """
        try:
            segments = self._splitter.flush()
        except ValueError as exc:
            raise self.error(f"HiAPI stream ended inside an image: {exc}") from exc
        chunks = self._content_chunks(segments)
        if self._finish_reason is None:
            if self._blocked:
                raise blocked_prompt_error(None, streaming=True)
            msg = "HiAPI stream ended before a finish_reason was received; the reply is incomplete."
            raise self.error(msg)
        metadata = response_metadata(self._meta, self._finish_reason, self._usage)
        final = AIMessageChunk(
            content="",
            response_metadata=metadata,
            usage_metadata=usage_to_metadata(self._usage),
            id=self._meta.get("id"),
            chunk_position="last",
        )
        chunks.append(
            ChatGenerationChunk(
                message=final, generation_info={"finish_reason": self._finish_reason}
            )
        )
        return chunks

    def error(self, message: str, *, body: Any = None) -> StreamError:
        """Builds a `StreamError` that carries the partial text received so far."""
        err = StreamError(message, body=body)
        err.partial_text = self.partial_text
        return err
