"""Bounded `Content-Encoding` decoding (pure, no I/O).

httpx inflates each network read in one step, so 64 KiB of a gzip bomb become ~64 MB at
once, and a zstd or brotli frame can become gigabytes. The client therefore asks only
for `gzip` and `deflate` (`ACCEPT_ENCODING`), reads raw bytes, and inflates them here in
steps of at most `STEP` bytes, so the byte limits apply to what is actually produced.
Any other encoding is refused.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

import httpx

__all__ = ["ACCEPT_ENCODING", "STEP", "BodyDecoder"]

ACCEPT_ENCODING = "gzip, deflate"
"""What the client accepts: the encodings it can inflate in bounded steps."""

STEP = 1 << 20
"""Largest piece of decoded output produced at once."""

_GZIP_WBITS = zlib.MAX_WBITS | 16
_IDENTITY = frozenset({"", "identity"})


class _Inflater:
    """One gzip or deflate layer, inflated in steps of at most `STEP` bytes."""

    def __init__(self, coding: str) -> None:
        self._coding = coding
        self._gzip = coding in ("gzip", "x-gzip")
        self._wbits = _GZIP_WBITS if self._gzip else zlib.MAX_WBITS
        self._inflater = zlib.decompressobj(self._wbits)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        while True:
            try:
                out = self._inflater.decompress(data, STEP)
            except zlib.error as exc:
                if self._gzip or self._started:
                    raise httpx.DecodingError(f"invalid {self._coding} body: {exc}") from None
                # "deflate" is sometimes sent without its zlib header (as httpx allows too).
                self._wbits = -zlib.MAX_WBITS
                self._inflater = zlib.decompressobj(self._wbits)
                self._started = True
                continue
            self._started = True
            data = self._inflater.unconsumed_tail
            if self._inflater.eof and self._inflater.unused_data:
                # Concatenated gzip members: start the next one.
                data = self._inflater.unused_data
                self._inflater = zlib.decompressobj(self._wbits)
            if out:
                yield out
            if not data and len(out) < STEP:
                return

    def flush(self) -> Iterator[bytes]:
        # Input was always consumed in full, so little can be pending; still bounded.
        yield from self.feed(b"")
        rest = self._inflater.flush(STEP)
        if rest:
            yield rest


class BodyDecoder:
    """Undoes a `Content-Encoding` header's codings, producing bounded pieces.

    Args:
        content_encoding: The header value (e.g. `gzip`, `deflate`, `gzip, deflate`).

    Raises:
        httpx.DecodingError: An encoding other than gzip, deflate or identity.
    """

    __slots__ = ("_layers",)

    def __init__(self, content_encoding: str) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",")]
        layers = []
        # Codings are listed in the order they were applied: undo them in reverse.
        for coding in reversed(codings):
            if coding in _IDENTITY:
                continue
            if coding not in ("gzip", "x-gzip", "deflate"):
                raise httpx.DecodingError(
                    f"unsupported Content-Encoding {coding!r} (the client asked for "
                    f"{ACCEPT_ENCODING!r})"
                )
            layers.append(_Inflater(coding))
        self._layers = layers

    def decode(self, data: bytes) -> Iterable[bytes]:
        """The decoded pieces of a chunk of raw body bytes (each at most `STEP` bytes)."""
        if not self._layers:
            return (data,) if data else ()
        return self._run(data, flush=False)

    def flush(self) -> Iterable[bytes]:
        """What is left once the raw body has ended."""
        if not self._layers:
            return ()
        return self._run(b"", flush=True)

    def _run(self, data: bytes, *, flush: bool) -> Iterator[bytes]:
        pieces: Iterable[bytes] = (data,)
        for layer in self._layers:
            pieces = _through(layer, pieces, flush=flush)
        yield from pieces


def _through(layer: _Inflater, pieces: Iterable[bytes], *, flush: bool) -> Iterator[bytes]:
    for piece in pieces:
        if piece:
            yield from layer.feed(piece)
    if flush:
        yield from layer.flush()
