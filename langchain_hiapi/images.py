"""Generated images taken out of messages: `GeneratedImage`, `get_images`, `save_images`.

`get_images` reads standard image blocks, OpenAI-form `image_url` parts and Markdown
data-URI images left in text; `save_images` writes them atomically without ever
overwriting a file. Both are exported by the package.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage

from langchain_hiapi._files import (
    check_file_prefix,
    claim,
    safe_extension,
    unlink_quietly,
    write_atomic,
    write_temp,
)
from langchain_hiapi._markdown_media import DataURIPart, split_data_uris
from langchain_hiapi._media import decode_base64, decode_data_uri, sniff_mime

__all__ = ["GeneratedImage", "get_images", "save_images"]


@dataclass(frozen=True)
class GeneratedImage:
    """An image taken out of a message.

    Attributes:
        data: The decoded image bytes.
        mime_type: The MIME type, e.g. `image/png`.
        id: The content block's id, when it had one.
    """

    data: bytes = field(repr=False)
    mime_type: str
    id: str | None = None

    def __repr__(self) -> str:
        # The data can be megabytes: show its size only (logs, tracebacks).
        data = f"<{len(self.data)} bytes>"
        return f"GeneratedImage(mime_type={self.mime_type!r}, id={self.id!r}, data={data})"

    @property
    def extension(self) -> str:
        """The file extension to save under (with the dot); see `safe_extension`."""
        return safe_extension(self.data, self.mime_type)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Writes the image to `path` atomically, replacing an existing file.

        The bytes go to a temporary file in the same directory, which is then renamed
        over `path`, so `path` never holds a half-written image.

        Args:
            path: The file to write (its directory must exist).

        Returns:
            `path` as a `Path`.
        """
        return write_atomic(path, self.data)


def _describe(index: int, block: Mapping[str, Any]) -> str:
    where = f"content block {index} (type {block.get('type')!r}"
    if block.get("id"):
        where += f", id {block.get('id')!r}"
    return where + ")"


def _images_in_text(text: str) -> Iterator[GeneratedImage]:
    for index, segment in enumerate(split_data_uris(text)):
        if isinstance(segment, DataURIPart) and (
            segment.is_image or segment.mime_type.startswith("image/")
        ):
            where = f"Markdown data URI {index} ({segment.mime_type})"
            yield GeneratedImage(decode_base64(segment.base64, where), segment.mime_type)


def _images_in_block(index: int, block: Mapping[str, Any]) -> Iterator[GeneratedImage]:
    kind = block.get("type")
    where = _describe(index, block)
    block_id = block.get("id") if isinstance(block.get("id"), str) else None
    if kind == "image":
        mime = block.get("mime_type")
        if block.get("base64") is not None:  # standard v1 block
            data = decode_base64(block["base64"], where)
        elif block.get("source_type") == "base64" and block.get("data") is not None:  # v0
            data = decode_base64(block["data"], where)
        elif isinstance(block.get("source"), Mapping) and block["source"].get("type") == "base64":
            source = block["source"]  # Anthropic-style block
            data = decode_base64(source.get("data"), where)
            mime = mime or source.get("media_type")
        elif isinstance(block.get("url"), str) and block["url"].startswith("data:"):
            data, url_mime = decode_data_uri(block["url"], where)
            mime = mime or url_mime
        else:
            return  # a remote URL or a file id: there are no bytes to return
        mime_type = mime if isinstance(mime, str) and mime else sniff_mime(data)
        yield GeneratedImage(data, mime_type, block_id)
    elif kind == "image_url":
        image_url = block.get("image_url")
        url = image_url.get("url") if isinstance(image_url, Mapping) else image_url
        if isinstance(url, str) and url.startswith("data:"):
            data, mime_type = decode_data_uri(url, where)
            yield GeneratedImage(data, mime_type, block_id)
    elif kind == "text" and isinstance(block.get("text"), str):
        yield from _images_in_text(block["text"])


def get_images(message: BaseMessage | str | Sequence[Any]) -> list[GeneratedImage]:
    """Returns the images in a message, decoded, in content order.

    Reads standard image blocks (`{"type": "image", "base64": ..., "mime_type": ...}`,
    v0 and v1 content), OpenAI-form `{"type": "image_url", "image_url": {"url":
    "data:..."}}` parts and, as a fallback, Markdown data-URI images left in text.
    Images given only by a remote URL or file id are skipped (there are no bytes).

    Args:
        message: A message (e.g. the result of `ChatHiAPI.invoke`), its content list,
            or a text.

    Returns:
        The images found, possibly none.

    Raises:
        ValueError: If an image's base64 data is invalid; the message names the block.
        TypeError: If `message` is none of the accepted types.
    """
    content: Any = message.content if isinstance(message, BaseMessage) else message
    if isinstance(content, str):
        return list(_images_in_text(content))
    if not isinstance(content, Sequence):
        msg = (
            "get_images expects a message, a content list or a string, "
            f"got {type(message).__name__}"
        )
        raise TypeError(msg)
    images: list[GeneratedImage] = []
    for index, item in enumerate(content):
        if isinstance(item, str):
            images.extend(_images_in_text(item))
        elif isinstance(item, Mapping):
            images.extend(_images_in_block(index, item))
    return images


def save_images(
    message: BaseMessage | str | Sequence[Any],
    directory: str | os.PathLike[str],
    *,
    prefix: str = "image",
) -> list[Path]:
    """Saves every image of a message into `directory`, never overwriting a file.

    Files are named `<prefix>-<n><ext>` with the first free `n` (from 1). The extension
    is that of a raster type (PNG, JPEG, WebP, GIF, HEIC, HEIF) only when the bytes are
    of the declared type; SVG and anything else or mislabelled is saved as `.bin`, so no
    viewer or browser runs it (see `safe_extension`). Each file appears complete or not
    at all.

    Args:
        message: A message, its content list, or a text (see `get_images`).
        directory: Where to write; created if missing.
        prefix: The start of each file name: letters, digits, `_`, `.` and `-` (the
            file-name rule of `langchain_hiapi._files`).

    Returns:
        The paths written, in content order.

    Raises:
        ValueError: If `prefix` is invalid or an image cannot be decoded (nothing is
            written in that case).
    """
    check_file_prefix(prefix, "prefix")
    images = get_images(message)  # decode everything first: a bad block writes nothing
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    # Numbers already used with any extension are skipped, so `image-3.png` is not
    # written next to an older `image-3.jpg`; the claim itself is atomic per name.
    used = {os.path.splitext(name)[0] for name in os.listdir(folder)}
    paths: list[Path] = []
    number = 1
    for image in images:
        temp = write_temp(folder, prefix, image.data)
        try:
            while True:
                stem = f"{prefix}-{number}"
                number += 1
                final = folder / f"{stem}{image.extension}"
                if stem not in used and claim(temp, final):
                    break
        finally:
            unlink_quietly(temp)
        paths.append(final)
    return paths
