"""Behaviour of the image models: a generated PNG as Markdown inside the content."""

from __future__ import annotations

import base64
import re
from typing import Any

from langchain_hiapi.testing._font import caption, labelled_png
from langchain_hiapi.testing._models import GEMINI_THINKING, IMAGE_MODELS
from langchain_hiapi.testing._png import encode_png
from langchain_hiapi.testing._prompt import prompt_tokens
from langchain_hiapi.testing._request import ChatRequest
from langchain_hiapi.testing._schema import summary
from langchain_hiapi.testing._text import split_words
from langchain_hiapi.testing._wire import Answer, ApiError, usage

ASPECT_RATIOS: dict[str, tuple[int, int]] = {
    "1:1": (1, 1),
    "2:3": (2, 3),
    "3:2": (3, 2),
    "3:4": (3, 4),
    "4:3": (4, 3),
    "4:5": (4, 5),
    "5:4": (5, 4),
    "9:16": (9, 16),
    "16:9": (16, 9),
    "21:9": (21, 9),
    "auto": (1, 1),
}
# Long side in pixels: real, and the small default that keeps tests fast.
FULL_SIZES = {"1K": 1024, "2K": 2048, "4K": 4096}
SMALL_SIZES = {"1K": 64, "2K": 128, "4K": 256}
IMAGE_TOKENS = 1290
INPUT_IMAGE_TOKENS = 258
_DEFAULT_COLOUR = (200, 200, 200)
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 20, 60),
    "green": (34, 139, 34),
    "blue": (30, 80, 220),
    "yellow": (250, 210, 40),
    "orange": (255, 140, 0),
    "purple": (128, 0, 128),
    "pink": (255, 105, 180),
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "gray": (128, 128, 128),
    "grey": (128, 128, 128),
    "cyan": (0, 200, 200),
    "magenta": (200, 0, 200),
    "brown": (139, 69, 19),
}
_COLOUR_WORD = re.compile(r"\b(" + "|".join(COLOURS) + r")\b", re.IGNORECASE)


def image_dimensions(aspect_ratio: str, image_size: str, *, full_size: bool) -> tuple[int, int]:
    """Width and height for an aspect ratio and size: the long side is the size's pixels.

    Args:
        aspect_ratio: A key of `ASPECT_RATIOS`.
        image_size: `1K`, `2K` or `4K`.
        full_size: Real pixel sizes instead of the small test sizes.

    Returns:
        `(width, height)`.
    """
    w, h = ASPECT_RATIOS[aspect_ratio]
    long_side = (FULL_SIZES if full_size else SMALL_SIZES)[image_size]
    if w >= h:
        return long_side, max(1, round(long_side * h / w))
    return max(1, round(long_side * w / h)), long_side


def _upstream_400(message: str) -> ApiError:
    # Gemini's INVALID_ARGUMENT, relayed with the upstream's numeric code.
    return ApiError(400, message, 400, "upstream_error")


def _config(req: ChatRequest) -> tuple[str, str]:
    config: Any = req.google.get("image_config") or {}
    if not isinstance(config, dict):
        raise ApiError(
            500, "convert request failed: image_config must be an object", "convert_request_failed"
        )
    ratio = config.get("aspect_ratio", "1:1")
    size = config.get("image_size", "1K")
    if ratio not in ASPECT_RATIOS:
        raise _upstream_400(
            f"Request contains an invalid argument: aspect_ratio {ratio!r} is not supported; "
            f"use one of {', '.join(ASPECT_RATIOS)}"
        )
    if size not in FULL_SIZES:
        raise _upstream_400(
            f"Request contains an invalid argument: image_size {size!r} is not supported; "
            f"use one of {', '.join(FULL_SIZES)}"
        )
    return str(ratio), str(size)


def colour_of(text: str) -> tuple[int, int, int]:
    """Fill colour: the first colour word of the prompt, else light grey."""
    match = _COLOUR_WORD.search(text)
    return COLOURS[match.group(1).lower()] if match else _DEFAULT_COLOUR


def answer_image(req: ChatRequest, *, full_size: bool, noise: bool) -> Answer:
    """Answers an image-model request with text and one PNG as Markdown.

    Args:
        req: The request.
        full_size: Real pixel sizes.
        noise: Random, incompressible pixels.

    Returns:
        The answer, model reported as the upstream name.

    Raises:
        ApiError: 400 for an unknown aspect ratio or size, or an input MIME type that
            Gemini does not take.
    """
    ratio, size = _config(req)
    conv = req.conv
    if req.model.startswith("Nano"):
        for image in conv.images:
            if not image.gemini_supported:
                raise _upstream_400(f"Unsupported MIME type: {image.mime}")
    width, height = image_dimensions(ratio, size, full_size=full_size)
    colour = colour_of(conv.last_user_text)
    if noise:
        png = encode_png(width, height, colour, noise=True)
    else:
        png = labelled_png(caption(conv.last_user_text, ratio), width, height, colour)
    text = f"Here is your image: {summary(conv.last_user_text, 10)}."
    if conv.images:
        text += " " + conv.acknowledgement()
    markdown = "![image](data:image/png;base64," + base64.b64encode(png).decode("ascii") + ")"
    thinking = req.thinking_config
    reasoning = ""
    if req.model in GEMINI_THINKING and thinking.get("include_thoughts") is True:
        reasoning = f"Planning a {ratio} {size} image of: {summary(conv.last_user_text, 6)}."
    return Answer(
        model=IMAGE_MODELS[req.model],
        pieces=[*split_words(text + "\n"), markdown],
        reasoning=split_words(reasoning),
        usage=usage(
            prompt_tokens(conv),
            prompt_images=INPUT_IMAGE_TOKENS * len(conv.images),
            reasoning=len(reasoning.split()),
            completion_images=IMAGE_TOKENS,
        ),
    )
