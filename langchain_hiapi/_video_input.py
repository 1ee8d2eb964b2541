"""Video inputs: input images as the task API takes them, and options on a model's fields.

`duration`, `aspect_ratio`, `resolution`, a first frame and reference images are mapped onto
the model's own input fields (its schema from the catalogue), checked before anything is sent.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from langchain_hiapi._media import data_uri, sniff_image
from langchain_hiapi._task_flows import CreateRequest, build_create
from langchain_hiapi._video_records import DEFAULT_VIDEO_MODEL
from langchain_hiapi.catalogue import lookup, task_input_model
from langchain_hiapi.images import GeneratedImage

__all__ = [
    "FIRST_FRAME_FIELD",
    "REFERENCES_FIELD",
    "SETTINGS",
    "InputImage",
    "build_video_input",
    "image_reference",
    "model_fields",
    "video_request",
]

InputImage = str | bytes | os.PathLike[str] | GeneratedImage
"""An image to start from: an http(s) URL or data URI, raw bytes, a file path or a
`GeneratedImage`."""

SETTINGS = ("duration", "aspect_ratio", "resolution")
"""The common video options that map onto same-named input fields."""
FIRST_FRAME_FIELD = "first_frame_url"
"""The input field of a first frame (else the model's image list)."""
REFERENCES_FIELD = "reference_image_urls"
"""The input field of reference images (else the model's image list)."""
_MAX_INPUT_IMAGE_BYTES = 30 * 1024 * 1024
_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


def image_reference(value: InputImage, where: str = "image") -> str:
    """An input image as the task API takes it: its URL, or a data URI.

    Reads a file path (blocking; call it in a thread from async code).

    Raises:
        ValueError: The value is not an http(s) URL, a data URI or a readable
            PNG/JPEG/GIF/WebP image.
    """
    if isinstance(value, GeneratedImage):
        data, mime = value.data, value.mime_type
    elif isinstance(value, str):
        if value.lower().startswith(("http://", "https://", "data:", "asset://")):
            return value
        msg = (
            f"{where} as a string must be an http(s) URL, a data: URI or an asset:// id;"
            " pass a pathlib.Path to send a local file"
        )
        raise ValueError(msg)
    else:
        if isinstance(value, bytes):
            data = value
        else:
            path = Path(value)
            try:
                if path.stat().st_size > _MAX_INPUT_IMAGE_BYTES:
                    msg = f"{where}: {path} is larger than {_MAX_INPUT_IMAGE_BYTES} bytes"
                    raise ValueError(msg)
                data = path.read_bytes()
            except OSError as exc:
                msg = f"{where}: cannot read {path} ({exc.strerror or exc})"
                raise ValueError(msg) from None
        sniffed = sniff_image(data)
        if sniffed not in _IMAGE_TYPES:
            msg = f"{where} must be a PNG, JPEG, GIF or WebP image"
            raise ValueError(msg)
        mime = sniffed
    return data_uri(mime, data)


def model_fields(model: str) -> tuple[frozenset[str] | None, str | None]:
    """The model's input fields (`None`: undocumented) and its image-input field."""
    info = lookup(model)
    if info is None or not info.documented:
        return None, None
    schema = task_input_model(model)
    return frozenset(schema.model_fields) if schema is not None else None, info.image_inputs_field


def build_video_input(
    prompt: str | None,
    *,
    model: str = DEFAULT_VIDEO_MODEL,
    duration: int | None = None,
    aspect_ratio: str | None = None,
    resolution: str | None = None,
    first_frame: str | None = None,
    reference_images: Sequence[str] | None = None,
    extra_input: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Builds a video task's `input` from common options, on the model's own fields.

    `first_frame` goes to `first_frame_url` or, for models that take their frames in an
    image list (`kling-3.0-omni/image-to-video`: `image_urls`), first in that list;
    `reference_images` to `reference_image_urls` or that list. Nothing is checked against
    the value ranges here: `HiAPITasks`/`build_create` validate the input.

    Args:
        prompt: What happens in the video.
        model: The video model.
        duration: Seconds.
        aspect_ratio: E.g. `16:9` (`adaptive` for Seedance).
        resolution: E.g. `720p`.
        first_frame: The first frame, as a URL or data URI (see `image_reference`).
        reference_images: Reference images, as URLs or data URIs.
        extra_input: More `input` fields, sent as given (they win).

    Returns:
        The input.

    Raises:
        ValueError: An option the model has no field for (names it and the model's fields).
    """
    fields, image_field = model_fields(model)

    def refuse(option: str, missing: str) -> ValueError:
        known = ", ".join(sorted(fields or ()))
        return ValueError(
            f"{option}: model {model!r} has no {missing!r} input (its fields: {known}); omit it"
            " or choose another model"
        )

    task_input: dict[str, Any] = {}
    if prompt is not None:
        task_input["prompt"] = prompt
    for name, value in zip(SETTINGS, (duration, aspect_ratio, resolution), strict=True):
        if value is None:
            continue
        if fields is not None and name not in fields:
            raise refuse(name, name)
        task_input[name] = value
    images: list[str] = []
    if first_frame is not None:
        if fields is None or FIRST_FRAME_FIELD in fields:
            task_input[FIRST_FRAME_FIELD] = first_frame
        elif image_field is not None:
            images.append(first_frame)
        else:
            raise refuse("first_frame", FIRST_FRAME_FIELD)
    if reference_images:
        if fields is None or REFERENCES_FIELD in fields:
            task_input[REFERENCES_FIELD] = list(reference_images)
        elif image_field is not None:
            images.extend(reference_images)
        else:
            raise refuse("reference_images", REFERENCES_FIELD)
    if images and image_field is not None:
        task_input[image_field] = images
    task_input.update(extra_input or {})
    return task_input


def video_request(
    prompt: str | None,
    model: str,
    options: Mapping[str, Any],
    first_frame: str | None,
    reference_images: Sequence[str] | None,
) -> CreateRequest:
    """The create request for `generate_video`'s options (see `build_video_input`)."""
    task_input = build_video_input(
        prompt,
        model=model,
        duration=options.get("duration"),
        aspect_ratio=options.get("aspect_ratio"),
        resolution=options.get("resolution"),
        first_frame=first_frame,
        reference_images=reference_images,
        extra_input=options.get("task_input"),
    )
    return build_create(model, task_input, storage=options.get("storage"))
