"""Markdown data URIs in reply text: `![alt](data:<mime>;base64,<data>)`.

HiAPI (new-api) returns a generated image inside the reply *text* as Markdown:
`![image](data:image/png;base64,<data>)`; other media come as `[media](data:<mime>;base64,...)`.
`split_data_uris` cuts such text into prose and `DataURIPart`s; `DataURIStreamSplitter`
does the same for streamed deltas, where the Markdown may be split anywhere and one
delta may hold a 16 MB payload. Both run in linear time and never copy the payload more
than once: scanning uses `str.find` and anchored regex runs (no backtracking over the
payload), and held-back pieces are kept in lists and joined once.

The grammar: a data-URI part is ``!``? ``[`` alt ``](data:`` type ``/`` subtype
``;base64,`` payload ``)``, where alt has no ``[``, ``]``, CR or LF and at most 999
characters, type and subtype are MIME tokens (RFC 6838: alphanumeric first, at most 127
characters) and payload is one or more strict base64 characters (``A-Za-z0-9+/=``).
Anything else, however similar (``![x](https://...)``, ``![x](data:text)``), stays text.
No piece after the opening ``[`` can contain another ``[``, so candidates never overlap: a
failed candidate is text up to the character that broke it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "MAX_ALT_CHARS",
    "MAX_MIME_TOKEN_CHARS",
    "DataURIPart",
    "DataURIStreamSplitter",
    "split_data_uris",
]

# ----------------------------------------------------------------------------- grammar

MAX_ALT_CHARS = 999
MAX_MIME_TOKEN_CHARS = 127

_ALT_CHARS = r"[^\[\]\n\r]"
_MIME_FIRST = r"[A-Za-z0-9]"
_MIME_CHARS = r"[A-Za-z0-9!#$&^_.+-]"
_B64_CHARS = r"[A-Za-z0-9+/=]"

_HEAD_RE = re.compile(
    rf"\[({_ALT_CHARS}{{0,{MAX_ALT_CHARS}}})\]\(data:"
    rf"({_MIME_FIRST}{_MIME_CHARS}{{0,{MAX_MIME_TOKEN_CHARS - 1}}}"
    rf"/{_MIME_FIRST}{_MIME_CHARS}{{0,{MAX_MIME_TOKEN_CHARS - 1}}});base64,"
)
# Anchored runs: each stops at the first character outside its class, never backtracks.
_ALT_RUN = re.compile(rf"{_ALT_CHARS}*")
_MIME_RUN = re.compile(rf"{_MIME_CHARS}*")
_B64_RUN = re.compile(rf"{_B64_CHARS}*")
_MIME_FIRST_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

_LINK_OPEN = "](data:"
_BASE64_MARK = ";base64,"


def _run_end(run: re.Pattern[str], text: str, pos: int, endpos: int) -> int:
    """End of the run of `run`'s characters from `pos` (the `*` patterns always match)."""
    match = run.match(text, pos, endpos)
    return match.end() if match else pos


# The base64 alphabet as bytes, for `bytes.translate(None, delete=...)`.
_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
# Window of the fast payload check: bounds its temporary copies to a few hundred KB.
_B64_WINDOW = 1 << 18


def _b64_run_end(text: str, pos: int, endpos: int) -> int:
    """`_run_end(_B64_RUN, text, pos, endpos)`, about 4x faster on multi-MB payloads.

    A payload almost always runs up to the closing `)`: find it with `str.find`, check
    that everything before it is base64 (window by window, with `bytes.translate`, which
    runs in C at memory speed, instead of the regex engine's per-character loop), and fall
    back to the regex for the exact end of the run otherwise.
    """
    close = text.find(")", pos, endpos)
    end = endpos if close < 0 else close
    try:
        for start in range(pos, end, _B64_WINDOW):
            window = text[start : min(start + _B64_WINDOW, end)].encode("ascii")
            if window.translate(None, _B64_ALPHABET):
                break  # a non-base64 character: the run ends earlier
        else:
            return end
    except UnicodeEncodeError:
        pass
    return _run_end(_B64_RUN, text, pos, endpos)


@dataclass(frozen=True)
class DataURIPart:
    """One Markdown data URI found in text: `![alt](data:<mime>;base64,<data>)`.

    Attributes:
        mime_type: The MIME type, lower-cased (e.g. `image/png`).
        base64: The payload exactly as in the text; not decoded here (it can be 16 MB).
        alt: The alt text between the brackets.
        is_image: `True` for `![...](...)`, `False` for a plain link `[media](...)`.
    """

    mime_type: str
    base64: str = field(repr=False)
    alt: str
    is_image: bool

    def __repr__(self) -> str:
        # The payload can be megabytes: never put it in a repr (logs, tracebacks).
        return (
            f"DataURIPart(mime_type={self.mime_type!r}, alt={self.alt!r}, "
            f"is_image={self.is_image!r}, base64=<{len(self.base64)} chars>)"
        )


def split_data_uris(text: str) -> list[str | DataURIPart]:
    """Splits text into prose segments and Markdown data-URI parts, in order.

    Args:
        text: Reply text, possibly holding `![alt](data:<mime>;base64,...)` images.

    Returns:
        Text segments (verbatim, no base64 left) and `DataURIPart`s in their order.
        Empty text segments are omitted; text without a data URI gives `[text]`
        (and `""` gives `[]`).
    """
    out: list[str | DataURIPart] = []
    text_start = 0  # start of the prose not yet emitted
    pos = 0
    length = len(text)
    while True:
        bracket = text.find("[", pos)
        if bracket < 0:
            break
        head = _HEAD_RE.match(text, bracket)
        if head is None:
            pos = bracket + 1
            continue
        run_end = _b64_run_end(text, head.end(), length)
        if run_end == head.end() or run_end >= length or text[run_end] != ")":
            # Not a part. The run holds no `[`, so the next candidate lies beyond it.
            pos = max(run_end, bracket + 1)
            continue
        start = bracket - 1 if bracket > text_start and text[bracket - 1] == "!" else bracket
        if start > text_start:
            out.append(text[text_start:start])
        out.append(
            DataURIPart(
                mime_type=head.group(2).lower(),
                base64=text[head.end() : run_end],
                alt=head.group(1),
                is_image=start != bracket,
            )
        )
        text_start = pos = run_end + 1
    if text_start < length:
        out.append(text[text_start:])
    return out


# Phases of DataURIStreamSplitter.
_TEXT, _ALT, _LITERAL, _TYPE, _SUBTYPE, _PAYLOAD = range(6)


class DataURIStreamSplitter:
    """Incremental `split_data_uris` for streamed text deltas.

    Text is emitted as soon as it cannot be the start of a data-URI Markdown; a possible
    start (`!`, `![alt`, `![alt](da`, `![alt](data:image/png;base64,AAAA`, ...) is held
    back until decided, so base64 is never emitted as text. For any split of a text,
    the segments of all `feed` calls plus `flush` equal `split_data_uris(text)` once
    adjacent text segments are joined (unless `flush` raises on a truncated data URI).

    Work is linear in the input: every character is examined once, and a payload split
    over many deltas is kept as a list of pieces and joined once when its `)` arrives.
    """

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._phase = _TEXT
        self._bang = False  # a `!` ending the last delta, held in case `[` follows
        self._is_image = False
        self._head: list[str] = []  # `![alt](data:mime;base64,` so far (small)
        self._payload: list[str] = []  # base64 pieces so far (large)
        self._payload_len = 0
        self._count = 0  # characters in the current alt / MIME token
        self._literal = ""
        self._literal_index = 0
        self._after_literal = _TEXT

    @property
    def holding(self) -> bool:
        """Whether text is held back waiting for the next delta."""
        return self._bang or self._phase != _TEXT

    def feed(self, delta: str) -> list[str | DataURIPart]:
        """Consumes one text delta.

        Args:
            delta: The next piece of streamed text.

        Returns:
            The text segments and parts this delta completes, in order; adjacent text
            is joined and empty text is omitted.
        """
        out: list[str | DataURIPart] = []
        text: list[str] = []  # prose pieces, joined once before a part or at the end
        i = 0
        n = len(delta)
        while i < n:
            phase = self._phase
            if phase == _TEXT:
                if self._bang:
                    self._bang = False
                    if delta[i] == "[":
                        self._begin("![", is_image=True)
                        i += 1
                        continue
                    text.append("!")
                bracket = delta.find("[", i)
                if bracket < 0:
                    end = n - 1 if delta[n - 1] == "!" else n
                    self._bang = end < n
                    text.append(delta[i:end])
                    break
                start = bracket - 1 if bracket > i and delta[bracket - 1] == "!" else bracket
                text.append(delta[i:start])
                self._begin(delta[start : bracket + 1], is_image=start != bracket)
                i = bracket + 1
            elif phase == _ALT:
                room = MAX_ALT_CHARS - self._count
                j = _run_end(_ALT_RUN, delta, i, min(n, i + room + 1))
                if j - i > room:
                    j = i + room  # the alt text would exceed its limit: break there
                self._take(delta, i, j)
                i = j
                if i == n:
                    break
                if delta[i] == "]":
                    self._expect(_LINK_OPEN, then=_TYPE)
                else:
                    i = self._fail(delta, i, text)
            elif phase == _LITERAL:
                literal, k = self._literal, self._literal_index
                j = i
                while j < n and k < len(literal) and delta[j] == literal[k]:
                    j += 1
                    k += 1
                self._take(delta, i, j)
                self._literal_index = k
                i = j
                if k == len(literal):
                    self._phase, self._count = self._after_literal, 0
                elif i < n:
                    i = self._fail(delta, i, text)
            elif phase in (_TYPE, _SUBTYPE):
                if self._count == 0 and delta[i] not in _MIME_FIRST_CHARS:
                    i = self._fail(delta, i, text)
                    continue
                room = MAX_MIME_TOKEN_CHARS - self._count
                j = _run_end(_MIME_RUN, delta, i, min(n, i + room + 1))
                if j - i > room:
                    j = i + room
                self._take(delta, i, j)
                i = j
                if i == n:
                    break
                if phase == _TYPE and delta[i] == "/" and self._count:
                    self._take(delta, i, i + 1)
                    self._phase, self._count = _SUBTYPE, 0
                    i += 1
                elif phase == _SUBTYPE and delta[i] == ";" and self._count:
                    self._expect(_BASE64_MARK, then=_PAYLOAD)
                else:
                    i = self._fail(delta, i, text)
            else:  # _PAYLOAD
                j = _b64_run_end(delta, i, n)
                if j > i:
                    # A whole-delta payload is kept as is, without a copy.
                    self._payload.append(delta if (i == 0 and j == n) else delta[i:j])
                    self._payload_len += j - i
                i = j
                if i == n:
                    break
                if delta[i] == ")" and self._payload_len:
                    _flush_text(text, out)
                    out.append(self._complete())
                    i += 1
                else:
                    i = self._fail(delta, i, text)
        _flush_text(text, out)
        return out

    def flush(self) -> list[str | DataURIPart]:
        """Ends the stream and returns what was held back, as text.

        The splitter is reset and can be reused.

        Returns:
            The held-back text (at most one segment).

        Raises:
            ValueError: If the stream ended inside a data-URI payload (after
                `;base64,`): the image was truncated and must not become text.
        """
        phase, payload_len = self._phase, self._payload_len
        held = "!" if self._bang else "".join(self._head)
        mime = _head_mime(held) if phase == _PAYLOAD else ""
        self._reset()
        if phase == _PAYLOAD:
            msg = (
                f"truncated image data: the stream ended inside a data URI ({mime}, "
                f"{payload_len} base64 characters received, no closing ')')"
            )
            raise ValueError(msg)
        return [held] if held else []

    # ------------------------------------------------------------------ internals

    def _begin(self, opener: str, *, is_image: bool) -> None:
        self._phase = _ALT
        self._is_image = is_image
        self._head = [opener]
        self._count = 0

    def _take(self, delta: str, start: int, end: int) -> None:
        if end > start:
            self._head.append(delta[start:end])
            self._count += end - start

    def _expect(self, literal: str, *, then: int) -> None:
        self._phase = _LITERAL
        self._literal = literal
        self._literal_index = 0
        self._after_literal = then

    def _fail(self, delta: str, at: int, text: list[str]) -> int:
        """Turns the held candidate into text; scanning resumes at `at` (not consumed)."""
        pieces = self._head + self._payload
        self._reset()
        if delta[at] == "[" and pieces[-1].endswith("!"):
            # The candidate's last `!` belongs to the image starting at `at`.
            pieces[-1] = pieces[-1][:-1]
            self._bang = True
        text.extend(pieces)
        return at

    def _complete(self) -> DataURIPart:
        head = "".join(self._head)
        payload = "".join(self._payload)  # one copy, however many deltas it came in
        opener = 2 if self._is_image else 1
        close = head.index(_LINK_OPEN)
        part = DataURIPart(
            mime_type=_head_mime(head),
            base64=payload,
            alt=head[opener:close],
            is_image=self._is_image,
        )
        self._reset()
        return part


def _head_mime(head: str) -> str:
    start = head.index(_LINK_OPEN) + len(_LINK_OPEN)
    return head[start : head.index(";", start)].lower()


def _flush_text(text: list[str], out: list[str | DataURIPart]) -> None:
    if text:
        joined = "".join(text)
        text.clear()
        if joined:
            out.append(joined)
