"""The image tool's arguments: their schemas, the description an LLM reads, the size mapping."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict, get_args

from pydantic import BaseModel, ConfigDict, Field

from langchain_hiapi.catalogue import chat_image_sizes, lookup, task_input_model
from langchain_hiapi.errors import TaskInputError
from langchain_hiapi.image_config import (
    ASPECT_RATIOS,
    IMAGE_SIZES,
    AspectRatio,
    ImageConfig,
    ImageSize,
)

__all__ = [
    "IMAGE_FIELDS",
    "ImageArgs",
    "ImageEditInput",
    "ImageGenerationInput",
    "describe_image_tool",
    "images_api_size",
    "takes_images",
    "task_schema",
]

# Image-input fields of the task schemas (an image-to-image model has one of them).
IMAGE_FIELDS = ("image_input", "input_urls", "image_urls", "reference_image_urls")


class ImageGenerationInput(BaseModel):
    """Arguments of the image tool when it only draws new images."""

    # An argument the tool does not offer (e.g. `images`) is an error, never dropped.
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(
        min_length=1,
        description=(
            "What to draw, in detail: subject, setting, style, composition, colours and any"
            " text to render in the image."
        ),
    )
    aspect_ratio: AspectRatio | None = Field(
        default=None,
        description="Width:height of the image. Omit for the default (1:1).",
    )
    image_size: ImageSize | None = Field(
        default=None,
        description=(
            "Resolution: 1K = 1024 px, 2K = 2048 px, 4K = 4096 px on the long side."
            " Omit for the default (1K); not every model offers every size."
        ),
    )


class ImageEditInput(ImageGenerationInput):
    """Arguments of the image tool, including input images to edit or combine."""

    images: list[str] | None = Field(
        default=None,
        description=(
            "Only to edit or combine existing images: local file paths (for example paths"
            " returned by an earlier call of this tool), http(s) URLs or data: URIs."
            " Omit to draw a new image."
        ),
    )


class ImageArgs(TypedDict, total=False):
    """A call's arguments besides `prompt`, as the tool's `_run` receives them."""

    aspect_ratio: str | None
    image_size: str | None
    images: list[str] | None


def task_schema(model: str, route: str, *, images_api: bool) -> type[BaseModel] | None:
    """The task input schema when the model goes to the task API only, else `None`.

    Args:
        model: The chat model's model id.
        route: The chat model's `image_route`.
        images_api: Whether the tool sends to the images API instead.

    Raises:
        ValueError: The catalogue cannot give the model's schema (e.g. an unknown route).
    """
    if images_api or route == "chat":
        return None
    info = lookup(model)
    if info is None or not info.documented:
        return None
    if route == "auto" and "chat" in info.served_on:
        return None
    try:
        return task_input_model(model)
    except TaskInputError as exc:
        raise ValueError(str(exc)) from None


def takes_images(model: str, route: str, *, images_api: bool) -> bool:
    """Whether the model can take input images on the route it will use (see `task_schema`)."""
    if images_api:
        return False
    info = lookup(model)
    chat_first = route == "chat" or (route == "auto" and (info is None or "chat" in info.served_on))
    if chat_first or info is None:
        return True
    if not info.documented:
        return False  # no known image field on the task API: editing would fail
    schema = task_input_model(model)
    fields = schema.model_fields if schema is not None else {}
    return any(name in fields for name in IMAGE_FIELDS)


def _sizes_for(model: str) -> tuple[str, ...]:
    lowered = model.lower()
    for name, sizes in chat_image_sizes().items():
        if name.lower() == lowered:
            return sizes
    return IMAGE_SIZES


def _choices(schema: type[BaseModel], field: str, offered: Sequence[str]) -> str:
    """The tool's values the task schema accepts for `field`, as text."""
    if field not in schema.model_fields:
        return "not available for this model (omit it)"
    annotation = schema.model_fields[field].annotation
    values = [a for arg in get_args(annotation) or (annotation,) for a in get_args(arg)]
    values += [v for v in get_args(annotation) if isinstance(v, str)]
    allowed = [v for v in offered if v in values] if values else list(offered)
    return ", ".join(allowed)


def describe_image_tool(
    model: str, *, editing: bool, task_schema: type[BaseModel] | None = None
) -> str:
    """The tool description: what it does, the aspect ratios and sizes the model takes."""
    what = "Generate a new image from a text prompt"
    if editing:
        what += ", or edit / combine existing images (pass them in `images`)"
    if task_schema is not None:
        ratios = _choices(task_schema, "aspect_ratio", ASPECT_RATIOS)
        sizes = _choices(task_schema, "resolution", IMAGE_SIZES)
    else:
        ratios, sizes = ", ".join(ASPECT_RATIOS), ", ".join(_sizes_for(model))
    return (
        f"{what}, with HiAPI's {model} image model. Returns the pixel size and the saved"
        " file path of each image. Write a detailed prompt (subject, style, composition,"
        f" colours, any text to render). aspect_ratio: one of {ratios};"
        f" image_size for this model: {sizes}."
    )


# Images-API pixel sizes by orientation: a model fact the catalogue has no home for yet.
_IMAGES_API_SIZES = {"square": "1024x1024", "landscape": "1536x1024", "portrait": "1024x1536"}


def images_api_size(config: ImageConfig | None) -> str | None:
    """Maps an aspect ratio onto the `size` the images API understands (None: its default).

    The images API has no aspect_ratio/image_size; its models take a few pixel sizes.
    """
    ratio = config.aspect_ratio if config else None
    if ratio is None or ratio == "auto":
        return None
    width, height = (int(part) for part in ratio.split(":"))
    if width == height:
        return _IMAGES_API_SIZES["square"]
    return _IMAGES_API_SIZES["landscape" if width > height else "portrait"]
