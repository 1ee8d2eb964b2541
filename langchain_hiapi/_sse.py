"""Server-sent events to HiAPI stream events (pure, no I/O).

`SSEDecoder` splits the byte stream into ``data`` payloads; `EventReader` adds bounded
decompression, the stream's byte budget and JSON decoding (error events become
`StreamError`), so the client only feeds it raw chunks.

HiAPI streams a whole generated image as one ``data:`` line of several megabytes (up to 64 MB
allowed by the gateway), delivered in many small network chunks. The decoder therefore keeps one
growing ``bytearray``, remembers how far it has already searched for a line ending, and copies a
payload out of the buffer exactly once, so the work per stream is linear in its size.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, NoReturn

import httpx

from langchain_hiapi._decoding import BodyDecoder
from langchain_hiapi._error_mapping import body_snippet, parse_error_object
from langchain_hiapi._request_checks import JSON_TYPE
from langchain_hiapi.errors import ResponseTooLargeError, StreamError
from langchain_hiapi.timeouts import Deadline

__all__ = [
    "DONE",
    "EventReader",
    "SSEDecoder",
    "StreamBudget",
    "check_stream_response",
    "events",
    "is_json_reply",
    "parse_event",
]

_LF = 0x0A
_CR = 0x0D
_SPACE = 0x20
_BOM = b"\xef\xbb\xbf"
_RELEASE_BYTES = 1 << 20


class SSEDecoder:
    r"""Split an SSE byte stream into the payloads of its ``data`` events.

    Follows the WHATWG event-stream parsing rules for what the client needs: lines end in
    ``\n``, ``\r\n`` or ``\r`` (a ``\r\n`` split across two chunks counts once); lines
    starting with ``:`` are comments (e.g. ``: PING``); ``event``, ``id``, ``retry`` and unknown
    fields are ignored; one space after ``data:`` is stripped; the ``data`` lines of one event
    are joined with ``\n``; a blank line dispatches the event. ``[DONE]`` is returned like any
    other payload.

    A line, or an event's data, longer than ``max_event_bytes`` raises
    :class:`~langchain_hiapi.errors.ResponseTooLargeError` as soon as the buffer passes the
    limit, so a server that never ends a line cannot grow memory without bound.

    Example:
        >>> dec = SSEDecoder()
        >>> dec.feed(b"data: {}\n\ndata: [DO")
        [b'{}']
        >>> dec.feed(b"NE]\n\n")
        [b'[DONE]']
    """

    __slots__ = ("_buf", "_data", "_data_len", "_max", "_scan", "_started")

    def __init__(self, max_event_bytes: int | None = None) -> None:
        self._max = max_event_bytes
        self._buf = bytearray()
        # Buffer offset up to which no line ending exists (the current line starts at 0).
        self._scan = 0
        # Data lines of the event being assembled (each already copied out of the buffer).
        self._data: list[bytes] = []
        self._data_len = 0
        self._started = False

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes and return the payloads of the events they complete.

        Args:
            data: The next chunk of the stream, split anywhere.

        Returns:
            Payloads (``data`` field values) of every event completed so far, in order.
        """
        if not data:
            return []
        self._buf += data
        events = self._drain(final=False)
        if self._max is not None and len(self._buf) > self._max:
            # The unfinished line alone is over the limit: stop before it grows further.
            self._too_large(len(self._buf))
        return events

    def close(self) -> list[bytes]:
        """Flush the end of the stream.

        A last line without line ending and a last event without the blank line that should
        terminate it are still delivered (servers that close right after the data line exist).
        The decoder is reset and can be reused.

        Returns:
            Payloads of the events completed by the end of the stream.
        """
        events = self._drain(final=True)
        if self._buf:
            self._line(0, len(self._buf), events)
        self._dispatch(events)
        self._buf = bytearray()
        self._scan = 0
        self._started = False
        return events

    def _drain(self, *, final: bool) -> list[bytes]:
        """Process every complete line in the buffer and drop it from the buffer."""
        buf = self._buf
        events: list[bytes] = []
        if not self._started:
            # A UTF-8 byte order mark may precede the stream; wait until we can tell.
            if not final and len(buf) < len(_BOM) and _BOM.startswith(buf):
                return events
            if buf.startswith(_BOM):
                del buf[: len(_BOM)]
            self._started = True
        n = len(buf)
        start = 0  # start of the current line
        pos = self._scan  # no line ending in buf[start:pos]
        # Cache the next LF so CR-only streams don't rescan to the end for every line.
        lf = -2
        while True:
            if lf != -1 and lf < pos:
                lf = buf.find(b"\n", pos)
            cr = buf.find(b"\r", pos, lf if lf != -1 else n)
            if cr != -1:
                if cr + 1 < n:
                    nxt = cr + 2 if buf[cr + 1] == _LF else cr + 1
                elif final:
                    nxt = cr + 1
                else:
                    pos = cr  # maybe the first half of "\r\n": decide on the next chunk
                    break
                eol = cr
            elif lf != -1:
                eol, nxt = lf, lf + 1
            else:
                pos = n
                break
            self._line(start, eol, events)
            start = pos = nxt
        if start:
            if start > _RELEASE_BYTES:
                # Copy the (small) rest so the memory of a consumed multi-MB line is freed now,
                # not when the stream ends: the caller is about to parse that line.
                self._buf = buf[start:]
            else:
                # bytearray deletes from the front cheaply (it moves its start offset).
                del buf[:start]
            pos -= start
        self._scan = pos
        return events

    def _line(self, start: int, end: int, events: list[bytes]) -> None:
        """Interpret the line ``buf[start:end]`` (without its line ending)."""
        buf = self._buf
        if start == end:
            self._dispatch(events)
        elif buf.startswith(b"data", start, end):
            value = start + 4
            if value == end:  # "data" with no colon: empty value
                self._data.append(b"")
            elif buf[value] == 0x3A:  # ":"
                value += 1
                if value < end and buf[value] == _SPACE:
                    value += 1
                # The one copy of the payload out of the buffer; the view is released at once
                # because a bytearray with an exported buffer cannot be resized.
                self._data_len += end - value
                if self._max is not None and self._data_len > self._max:
                    self._too_large(self._data_len)
                with memoryview(buf) as view:
                    self._data.append(view[value:end].tobytes())
            # else: a field such as "dataset:" — unknown, ignored.
        # Comments (":..."), event/id/retry and unknown fields are ignored.

    def _dispatch(self, events: list[bytes]) -> None:
        """End the current event and deliver its data, if it had any ``data`` line."""
        data = self._data
        if not data:
            return
        events.append(data[0] if len(data) == 1 else b"\n".join(data))
        self._data = []
        self._data_len = 0

    def _too_large(self, size: int) -> NoReturn:
        limit = self._max or 0
        # Drop what was buffered: the decoder is unusable after this anyway.
        self._buf = bytearray()
        self._data = []
        self._data_len = 0
        raise ResponseTooLargeError(
            f"an event-stream line or event is larger than max_event_bytes={limit} "
            f"({size} bytes buffered); raise Limits.max_event_bytes if this is legitimate",
            limit_name="max_event_bytes",
            limit=limit,
        )


def _take_text(payloads: list[bytes], index: int) -> str | None:
    """Decode ``payloads[index]`` as UTF-8 and drop the bytes from the list.

    Decoding first and releasing the bytes before ``json.loads`` keeps at most two copies of a
    multi-MB image line alive (``json.loads(bytes)`` would hold bytes, text and the result).

    Raises:
        StreamError: The payload is not UTF-8.
    """
    payload = payloads[index]
    payloads[index] = b""
    if not payload.strip():
        return None  # keep-alive "data:" lines carry nothing
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        raise StreamError(f"malformed event (not UTF-8): {body_snippet(payload)}") from None


def _text_snippet(text: str) -> str:
    return body_snippet(text[:1024].encode("utf-8", errors="replace"))


def parse_event(text: str) -> dict[str, Any]:
    """Parse one event's JSON text.

    Raises:
        StreamError: The text is not a JSON object, or it is an error event.
    """
    try:
        event = json.loads(text)
    except (ValueError, RecursionError):
        raise StreamError(f"malformed event (not JSON): {_text_snippet(text)}") from None
    if not isinstance(event, dict):
        raise StreamError(
            f"malformed event (expected an object, got {type(event).__name__}): "
            f"{_text_snippet(text)}"
        )
    if "error" in event and not event.get("choices"):
        # A gateway error sent inside the stream after the 200 status line.
        fields = parse_error_object(event)
        raise StreamError(
            fields["message"] or f"error event: {_text_snippet(text)}",
            type=fields["type"],
            code=fields["code"],
            param=fields["param"],
            request_id=fields["request_id"],
            body=event,
        )
    return event


DONE: dict[str, Any] = {}  # sentinel: "[DONE]" reached, later payloads are ignored


def events(payloads: list[bytes]) -> Iterator[dict[str, Any]]:
    """Decode a batch of SSE payloads lazily, emptying the list as it goes.

    Lazy so that the events before a malformed one are still delivered (the caller then
    knows the partial answer) before the error is raised.

    Args:
        payloads: Payloads from :class:`SSEDecoder`; entries are replaced by ``b""``.

    Yields:
        Each event, then :data:`DONE` if ``[DONE]`` was reached.

    Raises:
        StreamError: A payload is malformed or an error event.
    """
    for index in range(len(payloads)):
        if payloads[index] == b"[DONE]":
            yield DONE
            return
        text = _take_text(payloads, index)
        if text is not None:
            event = parse_event(text)
            # Free the raw text before the consumer handles the event: otherwise a
            # multi-MB image line is held three times over (payload text, parsed, slice).
            del text
            yield event


class StreamBudget:
    """Counts a stream's bytes against ``max_stream_bytes`` and watches the deadline."""

    __slots__ = ("_deadline", "_left", "_limit", "_where")

    def __init__(self, limit: int, deadline: Deadline, where: str) -> None:
        self._limit = limit
        self._left = limit
        self._deadline = deadline
        self._where = where

    def add(self, chunk: bytes) -> None:
        """Counts a chunk.

        Raises:
            ResponseTooLargeError: The stream passed ``max_stream_bytes``.
            StreamError: The overall timeout passed (events may already have arrived).
        """
        self._left -= len(chunk)
        if self._left < 0:
            raise ResponseTooLargeError(
                f"event stream from {self._where} is larger than max_stream_bytes="
                f"{self._limit} bytes; raise Limits.max_stream_bytes if this is legitimate",
                limit_name="max_stream_bytes",
                limit=self._limit,
            )
        if self._deadline.expired():
            raise StreamError(
                f"stream ended early: the overall timeout of {self._deadline.total:g} s passed "
                f"({self._where})"
            )


class EventReader:
    """Raw stream bytes to events: bounded decoding, byte budget, SSE, JSON (pure)."""

    __slots__ = ("_budget", "_decoder", "_sse")

    def __init__(self, decoder: BodyDecoder, sse: SSEDecoder, *, budget: StreamBudget) -> None:
        self._decoder = decoder
        self._sse = sse
        self._budget = budget

    def feed(self, raw: bytes | None) -> Iterator[dict[str, Any]]:
        """Events completed by a raw chunk, or by the end of the stream (``None``).

        Lazy, so the events before a malformed one still reach the consumer; ends with
        :data:`DONE` if ``[DONE]`` arrived.
        """
        try:
            pieces = self._decoder.decode(raw) if raw is not None else self._decoder.flush()
            for piece in pieces:
                self._budget.add(piece)
                # No local name for the payloads: a multi-MB payload is freed before the
                # consumer gets its (already parsed) event.
                for event in events(self._sse.feed(piece)):
                    yield event
                    if event is DONE:
                        return
        except httpx.DecodingError as exc:
            raise StreamError(f"stream ended early: {exc}") from None
        if raw is None:
            yield from events(self._sse.close())


def check_stream_response(response: httpx.Response, content: bytes | None) -> None:
    """Reject a 2xx reply to a streaming request that is not an event stream.

    Args:
        response: The reply.
        content: Its body if it was read (only for JSON replies), else ``None``.

    Raises:
        StreamError: The reply is JSON instead of events.
    """
    if content is None:
        return
    try:
        parsed = json.loads(content)
    except (ValueError, RecursionError):
        parsed = None
    fields = parse_error_object(parsed)
    message = fields["message"] if isinstance(parsed, dict) and "error" in parsed else None
    raise StreamError(
        message or f"expected an event stream, got JSON: {body_snippet(content)}",
        status_code=response.status_code,
        type=fields["type"],
        code=fields["code"],
        request_id=fields["request_id"],
        body=parsed,
        headers=response.headers,
    )


def is_json_reply(response: httpx.Response) -> bool:
    content_type = str(response.headers.get("content-type", ""))
    return content_type.split(";")[0].strip().lower() == JSON_TYPE
