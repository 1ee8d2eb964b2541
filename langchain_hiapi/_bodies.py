"""Reply bodies read under the byte limits and the deadline (pure, apart from the flows' steps).

`BodyBuffer` collects a reply up to a limit, `FileWriter` streams a download into a
`DownloadSink`; both count bytes after bounded decompression (see `_decoding`). `read_bounded`
and `drain` are the chunk-reading flows (see `_steps`) shared by the sync and async paths.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from langchain_hiapi._decoding import BodyDecoder
from langchain_hiapi._error_mapping import body_snippet
from langchain_hiapi._files import DownloadSink, FetchedFile
from langchain_hiapi._request_checks import safe_url
from langchain_hiapi._steps import Chunks, Flow, NextChunk
from langchain_hiapi.errors import InvalidResponseError, ResponseTooLargeError
from langchain_hiapi.timeouts import Deadline

__all__ = [
    "BodyBuffer",
    "FileWriter",
    "body_decoder",
    "drain",
    "hand_over",
    "parse_json_body",
    "read_bounded",
]

# What may follow `[DONE]` before we stop reading and give the connection up.
_MAX_DRAIN_BYTES = 64 * 1024


def hand_over(content: bytes, sink: list[bytes] | None) -> None:
    """Gives a read 2xx body to the caller's ``sink`` (a list the parser empties).

    The body is not left on the ``Response`` (httpx would keep it there, in a reference
    cycle until a garbage collection, while JSON parsing makes its own copies of a multi-MB
    image reply), and only httpx's public API is used.
    """
    if sink is not None:
        sink.append(content)


def parse_json_body(
    status_code: int, body: list[bytes], headers: Mapping[str, str]
) -> dict[str, Any]:
    """Parse a 2xx body that must be a JSON object; empties ``body`` (see `hand_over`)."""
    content = body.pop()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    head = content[:1024]
    if text is not None:
        content = head  # the full bytes are no longer needed
    try:
        parsed = json.loads(text if text is not None else content)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        content = head
        raise InvalidResponseError(
            f"expected a JSON object, got a non-JSON body: {body_snippet(content)}",
            status_code=status_code,
            body=bytes(content[:1024]).decode("utf-8", errors="replace"),
            headers=headers,
        ) from None
    if not isinstance(parsed, dict):
        raise InvalidResponseError(
            f"expected a JSON object, got {type(parsed).__name__}: {body_snippet(content)}",
            status_code=status_code,
            body=parsed,
            headers=headers,
        )
    return parsed


def _too_large(request: httpx.Request, max_bytes: int, size: int | None) -> ResponseTooLargeError:
    what = f"{size} bytes" if size is not None else "more"
    return ResponseTooLargeError(
        f"download of {safe_url(request.url)} refused: {what} exceeds max_bytes={max_bytes}",
        limit_name="max_bytes",
        limit=max_bytes,
    )


class FileWriter:
    """A download body into a `DownloadSink`: bounded inflation, byte cap, deadline.

    Shared by the sync and async downloads, which only feed it raw chunks.
    """

    def __init__(
        self,
        sink: DownloadSink,
        decoder: BodyDecoder,
        deadline: Deadline,
        response: httpx.Response,
    ) -> None:
        self._sink = sink
        self._decoder = decoder
        self._deadline = deadline
        self._response = response
        self._request = response.request
        self._where = f"GET {safe_url(self._request.url)}"
        size = _declared_size(response)
        if size is not None and size > sink.max_bytes:
            sink.discard()
            raise _too_large(self._request, sink.max_bytes, size)

    def feed(self, raw: bytes) -> None:
        """Writes the decoded pieces of a raw chunk."""
        for piece in self._decoder.decode(raw):
            self._write(piece)

    def finish(self) -> FetchedFile:
        """Writes what the decoder still holds and publishes the file."""
        for piece in self._decoder.flush():
            self._write(piece)
        response = self._response
        return self._sink.publish(response.headers.get("content-type", ""), str(response.url))

    def discard(self) -> None:
        """Drops a partial file (no-op once published)."""
        self._sink.discard()

    def _write(self, piece: bytes) -> None:
        try:
            self._sink.write(piece)
        except ValueError:
            raise _too_large(self._request, self._sink.max_bytes, None) from None
        self._deadline.check(self._where)


def _declared_size(response: httpx.Response) -> int | None:
    """The ``Content-Length`` of an unencoded reply, if any.

    Only a hint for refusing early: the cap is enforced on the bytes that actually arrive.
    """
    if response.headers.get("content-encoding"):
        return None
    try:
        return int(response.headers.get("content-length", ""))
    except ValueError:
        return None


class BodyBuffer:
    """Collects a reply body up to a byte limit (the sync and async readers only feed it).

    Chunks are counted as httpx yields them, i.e. after decompression, so a gzip or
    deflate bomb stops at the limit rather than at the size of its compressed form.
    """

    __slots__ = ("_chunks", "_deadline", "_limit", "_limit_name", "_size", "_truncate", "_what")

    def __init__(
        self,
        limit: int,
        limit_name: str,
        *,
        truncate: bool = False,
        deadline: Deadline | None = None,
        what: str = "reply",
    ) -> None:
        self._chunks: list[bytes] = []
        self._size = 0
        self._limit = limit
        self._limit_name = limit_name
        self._truncate = truncate
        self._deadline = deadline
        self._what = what

    def expect(self, headers: Mapping[str, str]) -> None:
        """Fails at once when an uncompressed body announces more than the limit."""
        if self._truncate or headers.get("content-encoding", "identity").lower() != "identity":
            return
        try:
            declared = int(headers.get("content-length", ""))
        except ValueError:
            return
        if declared > self._limit:
            raise self.too_large(declared)

    def add(self, chunk: bytes) -> bool:
        """Adds a chunk; returns ``False`` when a truncating buffer is full.

        Raises:
            ResponseTooLargeError: The limit was passed (non-truncating buffer).
            APITimeoutError: The call's deadline has passed.
        """
        self._size += len(chunk)
        if self._size > self._limit:
            if not self._truncate:
                self._chunks = []
                raise self.too_large(self._size)
            keep = len(chunk) - (self._size - self._limit)
            self._chunks.append(chunk[:keep])
            return False
        self._chunks.append(chunk)
        if self._deadline is not None:
            self._deadline.check(self._what)
        return True

    def content(self) -> bytes:
        """The body collected so far (the buffer is emptied)."""
        chunks, self._chunks = self._chunks, []
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def too_large(self, size: int) -> ResponseTooLargeError:
        """The error for a body of ``size`` bytes."""
        return ResponseTooLargeError(
            f"{self._what}: the body is larger than {self._limit_name}={self._limit} bytes "
            f"({size} bytes or more); raise Limits.{self._limit_name} if this is legitimate",
            limit_name=self._limit_name,
            limit=self._limit,
        )


def body_decoder(response: httpx.Response) -> BodyDecoder:
    if response.is_stream_consumed:
        # Built in memory (a mock transport): httpx has read and decoded the body already.
        return BodyDecoder("")
    return BodyDecoder(response.headers.get("content-encoding", ""))


def _fill(buffer: BodyBuffer, pieces: Iterable[bytes]) -> bool:
    """Adds decoded pieces; ``False`` once a truncating buffer is full."""
    return all(buffer.add(piece) for piece in pieces)


def read_bounded(
    response: httpx.Response, buffer: BodyBuffer, deadline: Deadline | None
) -> Flow[bytes]:
    """Reads and decodes a body into ``buffer`` (raw bytes: decoding is bounded here)."""
    buffer.expect(response.headers)
    decoder = body_decoder(response)
    chunks = yield Chunks(response)
    while (raw := (yield NextChunk(chunks, deadline))) is not None:
        if not _fill(buffer, decoder.decode(raw)):
            return buffer.content()
    _fill(buffer, decoder.flush())
    return buffer.content()


def drain(chunks: Any, deadline: Deadline | None) -> Flow[None]:
    """Reads what follows `[DONE]` (the chunked terminator) so the connection is kept alive.

    Closing a response with unread bytes discards its connection: every streamed call would
    then pay a new TCP and TLS handshake.
    """
    left = _MAX_DRAIN_BYTES
    while left >= 0:  # past the allowance it is not a clean end: let close() drop it
        try:
            raw = yield NextChunk(chunks, deadline)
        except httpx.HTTPError:
            return
        if raw is None:
            return
        left -= len(raw)
