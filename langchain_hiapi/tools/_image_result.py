"""The image tool's answer: a short text for the agent and the `ImageToolArtifact`."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from langchain_core.messages import BaseMessage
from langchain_core.tools import ToolException

from langchain_hiapi._media import image_dimensions
from langchain_hiapi.images import GeneratedImage, get_images, save_images

__all__ = [
    "ImageToolArtifact",
    "ImageToolResult",
    "ResultStyle",
    "image_result",
    "images_as_blocks",
    "message_result",
]

# The model's own words are echoed to the agent, but never at length.
_MAX_NOTE_CHARS = 300


class ImageToolArtifact(TypedDict):
    """The artifact of a successful call (`ToolMessage.artifact`).

    Attributes:
        images: Standard image content blocks (`type`, `mime_type`, `id`, and `url` when
            HiAPI gave one). `base64` only with `include_base64=True` or
            `return_images_in_content=True`, or when an image has neither a URL nor a
            saved file (it would be lost otherwise): agent state and checkpoints stay small.
        paths: Files written under `save_dir`, in image order (empty without `save_dir`).
        sizes: `(width, height)` per image, `None` where the header could not be read.
        urls: The image URLs (task API), `None` where HiAPI gave none (chat route).
        expire_at: When the earliest URL expires (Unix seconds), if any.
        task_id: The HiAPI task, on the task route.
        route: Where the image was made: `chat`, `tasks` or `images`.
        model: The model id the request was sent to.
        text: The model's own text in the reply, if any.
    """

    images: list[dict[str, Any]]
    paths: list[str]
    sizes: list[tuple[int, int] | None]
    urls: list[str | None]
    expire_at: int | None
    task_id: str | None
    route: str
    model: str
    text: str


ImageToolResult = tuple[str | list[str | dict[str, Any]], ImageToolArtifact]
"""What the image tool returns: the content for the model and the artifact."""


@dataclass(frozen=True)
class ResultStyle:
    """The tool options that shape its answer.

    Attributes:
        model: The tool's model, for the texts.
        save_dir: Where to save the images, if anywhere.
        file_prefix: Start of saved file names.
        include_base64: Keep the bytes in the artifact's blocks.
        inline: Put the blocks into the content too (`return_images_in_content`).
    """

    model: str
    save_dir: Path | None
    file_prefix: str
    include_base64: bool
    inline: bool


def images_as_blocks(images: Sequence[GeneratedImage]) -> list[dict[str, Any]]:
    """Standard base64 image blocks for decoded images (what `save_images` writes)."""
    return [
        {
            "type": "image",
            "base64": base64.b64encode(image.data).decode("ascii"),
            "mime_type": image.mime_type,
        }
        for image in images
    ]


def _image_block(
    image: GeneratedImage, source: dict[str, Any], *, with_data: bool
) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "image", "mime_type": image.mime_type}
    if image.id:
        block["id"] = image.id
    if source.get("url"):
        block["url"] = source["url"]
    if source.get("extras"):
        block["extras"] = source["extras"]
    if with_data:
        block["base64"] = base64.b64encode(image.data).decode("ascii")
    return block


def _sources(message: BaseMessage, images: Sequence[GeneratedImage]) -> list[dict[str, Any]]:
    """The reply's image blocks matching `images` (for their URL and expiry), else `{}`s."""
    content = message.content if isinstance(message.content, list) else []
    blocks = [b for b in content if isinstance(b, dict) and b.get("type") == "image"]
    if len(blocks) != len(images):
        return [{} for _ in images]
    return blocks


def _expire_at(source: dict[str, Any]) -> int | None:
    extras = source.get("extras")
    value = extras.get("expire_at") if isinstance(extras, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_NOTE_CHARS else text[: _MAX_NOTE_CHARS - 1] + "…"


def _summary(
    model: str,
    images: Sequence[GeneratedImage],
    sizes: Sequence[tuple[int, int] | None],
    paths: Sequence[str],
    note: str,
    *,
    inline: bool,
) -> str:
    count = len(images)
    parts = []
    for index, (image, size) in enumerate(zip(images, sizes, strict=True)):
        item = f"{size[0]}x{size[1]} {image.mime_type}" if size else image.mime_type
        if paths:
            item += f", saved to {paths[index]}"
        parts.append(item)
    noun = "image" if count == 1 else "images"
    text = f"Generated {count} {noun} with {model}: " + "; ".join(parts) + "."
    if inline:
        text += " The image data follows."
    elif not paths:
        text += " The image was handed to the application (not saved to a file)."
    if note:
        text += f' The model said: "{note}"'
    return text


def _no_image(model: str, note: str, finish_reason: Any) -> ToolException:
    msg = f"HiAPI ({model}) returned no image for this prompt."
    if finish_reason == "content_filter":
        msg += " The output was stopped by the safety filter (finish_reason=content_filter)."
    if note:
        msg += f' The model said: "{note}".'
    msg += " Rephrase the prompt as an explicit request to draw an image and try again."
    return ToolException(msg)


def image_result(
    images: list[GeneratedImage],
    style: ResultStyle,
    *,
    note: str = "",
    finish_reason: Any = None,
    sources: list[dict[str, Any]] | None = None,
    task_id: str | None = None,
    route: str = "images",
) -> ImageToolResult:
    """Builds the content and artifact from decoded images; raises `ToolException`.

    Args:
        images: The decoded images.
        style: The tool options that shape the answer.
        note: The model's own (shortened) words.
        finish_reason: The reply's finish reason (explains an empty reply).
        sources: The reply's image blocks (URLs, expiry), one per image.
        task_id: The task, on the task route.
        route: Where the images were made.

    Returns:
        The content for the model and the artifact.
    """
    model, save_dir, inline = style.model, style.save_dir, style.inline
    if not images:
        raise _no_image(model, note, finish_reason)
    sources = sources or [{} for _ in images]
    # Without a URL or a file the bytes are the image's only copy: keep them.
    keep_data = style.include_base64 or inline
    blocks = [
        _image_block(
            image, source, with_data=keep_data or (save_dir is None and not source.get("url"))
        )
        for image, source in zip(images, sources, strict=True)
    ]
    paths: list[str] = []
    if save_dir is not None:
        try:
            saved = save_images(images_as_blocks(images), save_dir, prefix=style.file_prefix)
        except OSError as exc:
            msg = f"The image was generated but could not be saved in {save_dir}: {exc}"
            raise ToolException(msg) from None
        paths = [str(p) for p in saved]
    sizes = [image_dimensions(image.data) for image in images]
    text = _summary(model, images, sizes, paths, note, inline=inline)
    expiries = [e for e in (_expire_at(source) for source in sources) if e is not None]
    artifact = ImageToolArtifact(
        images=blocks,
        paths=paths,
        sizes=sizes,
        urls=[source.get("url") for source in sources],
        expire_at=min(expiries) if expiries else None,
        task_id=task_id,
        route=route,
        model=model,
        text=note,
    )
    if inline:
        return [{"type": "text", "text": text}, *blocks], artifact
    return text, artifact


def message_result(message: BaseMessage, style: ResultStyle) -> ImageToolResult:
    """`image_result` for a chat reply (its images, text, task id and route)."""
    note = _short(message.text.strip())
    try:
        images = get_images(message)
    except ValueError as exc:
        msg = f"HiAPI returned an image that could not be decoded: {exc}"
        raise ToolException(msg) from None
    metadata = message.response_metadata
    return image_result(
        images,
        style,
        note=note,
        finish_reason=metadata.get("finish_reason"),
        sources=_sources(message, images),
        task_id=metadata.get("task_id"),
        route=str(metadata.get("route") or "chat"),
    )
