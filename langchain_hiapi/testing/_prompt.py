"""Reads a chat request's messages: texts, input images, token estimates."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any

from langchain_hiapi.testing._png import png_size
from langchain_hiapi.testing._wire import ApiError

# An image inside Markdown, as the gateway splits it out of a text part.
_MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\((data:[^)\s]*)\)")
_DATA_URL = re.compile(r"^data:([^;,]*)((?:;[^;,]*)*),(.*)$", re.DOTALL)

# What new-api's Gemini relay accepts as inline data.
_GEMINI_MIME_PREFIXES = (
    "image/png",
    "image/jpeg",
    "image/webp",
    "image/heic",
    "image/heif",
    "application/pdf",
    "audio/",
    "video/",
)


@dataclass(frozen=True)
class InputImage:
    """One input image: inline data (MIME type and size when readable) or a URL."""

    mime: str = ""
    width: int | None = None
    height: int | None = None
    url: str | None = None

    def describe(self) -> str:
        """Short description, e.g. `image/png, 64x36` or the URL."""
        if self.url is not None:
            return self.url
        if self.width is not None and self.height is not None:
            return f"{self.mime}, {self.width}x{self.height}"
        return self.mime or "unknown type"

    @property
    def gemini_supported(self) -> bool:
        """Whether Gemini takes this MIME type as inline data."""
        return self.url is not None or self.mime.startswith(_GEMINI_MIME_PREFIXES)


@dataclass
class Conversation:
    """What the deterministic models need to know about `messages`.

    Attributes:
        last_role: Role of the last message.
        last_user_text: Text of the last user message (images removed).
        last_text: Text of the last message of any role.
        images: Every input image, in order.
        words: Whitespace-separated words over all texts.
        count: Number of messages.
    """

    last_role: str = ""
    last_user_text: str = ""
    last_text: str = ""
    images: list[InputImage] = field(default_factory=list)
    words: int = 0
    count: int = 0

    def acknowledgement(self) -> str:
        """Sentence naming the input images, or "" without any."""
        if not self.images:
            return ""
        n = len(self.images)
        noun = "image" if n == 1 else "images"
        details = "; ".join(image.describe() for image in self.images)
        return f"I received {n} input {noun} ({details})."


def _image_size(mime: str, data: bytes) -> tuple[int, int] | None:
    if mime == "image/png":
        return png_size(data)
    if mime in ("image/jpeg", "image/jpg"):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    # Walk the markers to the first start-of-frame segment.
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = int.from_bytes(data[i + 5 : i + 7], "big")
            width = int.from_bytes(data[i + 7 : i + 9], "big")
            return width, height
        i += 2 + length
    return None


def decode_image_url(url: str) -> InputImage:
    """Decodes an `image_url` value: a base64 data URL, or an http(s) URL (not fetched).

    Args:
        url: The URL.

    Returns:
        The image description.

    Raises:
        ApiError: 400 for a malformed data URL or invalid base64.
    """
    if url.startswith(("http://", "https://")):
        return InputImage(url=url)
    match = _DATA_URL.match(url)
    if match is None:
        raise ApiError(400, f"invalid image url: {url[:40]!r} is neither a data URL nor http(s)")
    mime, params, payload = match.group(1).lower(), match.group(2), match.group(3)
    if ";base64" not in params.lower():
        raise ApiError(400, "invalid image data: only base64 data URLs are supported")
    try:
        data = base64.b64decode("".join(payload.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ApiError(400, f"invalid image data: base64 decode failed: {exc}") from exc
    size = _image_size(mime, data)
    if size is None:
        return InputImage(mime=mime)
    return InputImage(mime=mime, width=size[0], height=size[1])


def _split_markdown(text: str, images: list[InputImage]) -> str:
    # The gateway turns `![..](data:...)` into an image part and, like its splitter, drops
    # the text after the last image of the part.
    kept: list[str] = []
    end = 0
    for match in _MARKDOWN_IMAGE.finditer(text):
        kept.append(text[end : match.start()])
        images.append(decode_image_url(match.group(1)))
        end = match.end()
    return "".join(kept) if end else text


def _content_text(content: Any, images: list[InputImage]) -> str:
    if isinstance(content, str):
        return _split_markdown(content, images).strip()
    if not isinstance(content, list):
        return ""
    texts: list[str] = []
    for part in content:
        if not isinstance(part, dict):
            continue
        if part.get("type") == "text" and isinstance(part.get("text"), str):
            texts.append(_split_markdown(part["text"], images).strip())
        elif part.get("type") == "image_url":
            value = part.get("image_url")
            url = value.get("url") if isinstance(value, dict) else value
            if not isinstance(url, str):
                raise ApiError(400, "invalid image_url part: missing url")
            images.append(decode_image_url(url))
    return " ".join(t for t in texts if t)


def read_messages(messages: Any) -> Conversation:
    """Reads the `messages` array.

    Args:
        messages: The request's `messages` value.

    Returns:
        The conversation summary.

    Raises:
        ApiError: 400 when `messages` is not a non-empty list of objects with a role, or
            an image cannot be decoded.
    """
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "field messages is required", "invalid_request")
    conv = Conversation(count=len(messages))
    for message in messages:
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise ApiError(400, "each message needs a role", "invalid_request")
        text = _content_text(message.get("content"), conv.images)
        conv.words += len(text.split())
        for call in message.get("tool_calls") or []:
            if isinstance(call, dict) and isinstance(call.get("function"), dict):
                conv.words += len(str(call["function"].get("arguments", "")).split())
        conv.last_role = message["role"]
        conv.last_text = text
        if message["role"] == "user":
            conv.last_user_text = text
    return conv


def prompt_tokens(conv: Conversation, extra_words: int = 0) -> int:
    """Plausible prompt token count: words plus a few tokens per message."""
    return conv.words + extra_words + 3 * conv.count + 3


def count_tokens(text: str) -> int:
    """Completion token estimate: whitespace-separated words."""
    return len(text.split())
