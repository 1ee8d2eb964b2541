"""The Nano-Banana family (Gemini image models): task input schemas and catalogue entries.

Served on the task API and on chat completions (where `image_config.image_size` is checked
against `chat_image_sizes`).

Decisions where the sources disagree or are silent:

- **`Nano-Banana-2`**: the stored page truncates its enums. `resolution` is `1K`/`2K`/`4K`
  (stated in prose); `aspect_ratio` accepts `auto` or any `W:H` and `output_format` any of
  `png`/`jpeg`/`jpg`/`webp` rather than guessing a list that could refuse valid values (the
  server still checks them); no limit on the number of `image_input` references.
- **`Nano-Banana` `output_format`**: the enum `png`/`jpeg` (the field table), not the prose
  ("PNG, JPEG, JPG, or WebP").
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from langchain_hiapi.catalogue._info import CHAT, ModelInfo, chat_image_profile, task
from langchain_hiapi.catalogue._schema import Resolution, TaskInput

Prompt5000 = Annotated[str, Field(min_length=1, max_length=5000)]
NanoBananaAspect = Literal[
    "auto", "1:1", "16:9", "9:16", "3:4", "4:3", "3:2", "2:3", "5:4", "4:5", "21:9"
]
_ALL_SIZES = ("1K", "2K", "4K")


class NanoBananaInput(TaskInput):
    """Nano-Banana (text-to-image)."""

    prompt: Prompt5000 = Field(description="What to draw (at most 5000 characters).")
    aspect_ratio: NanoBananaAspect = "auto"
    output_format: Literal["png", "jpeg"] = "png"


class NanoBanana2Input(TaskInput):
    """Nano-Banana-2: text-to-image, or edit with reference images."""

    images_field: ClassVar[str | None] = "image_input"

    prompt: str = Field(min_length=1, description="What to draw or change.")
    image_input: list[str] | None = Field(
        default=None, description="Reference image URLs (omit for text-to-image)."
    )
    aspect_ratio: str = Field(
        default="auto",
        pattern=r"^(auto|[1-9][0-9]?:[1-9][0-9]?)$",
        description="'auto' or a ratio such as '16:9'.",
    )
    resolution: Resolution = "1K"
    output_format: Literal["png", "jpeg", "jpg", "webp"] = "png"


class NanoBananaProInput(TaskInput):
    """Nano-Banana-Pro: text-to-image, or edit with up to 8 reference images."""

    images_field: ClassVar[str | None] = "image_input"

    prompt: str = Field(min_length=1, max_length=10000, description="What to draw or change.")
    image_input: list[str] = Field(
        default_factory=list, max_length=8, description="Up to 8 reference image URLs."
    )
    aspect_ratio: NanoBananaAspect = "auto"
    resolution: Resolution = "1K"
    output_format: Literal["png", "jpg"] = "png"


MODELS: tuple[ModelInfo, ...] = (
    task(
        "Nano-Banana",
        "image",
        NanoBananaInput,
        also=CHAT,
        profile=chat_image_profile("Nano-Banana (gemini-2.5-flash-image)", reasoning=False),
        chat_image_sizes=("1K",),
    ),
    task(
        "Nano-Banana-2",
        "image",
        NanoBanana2Input,
        also=CHAT,
        profile=chat_image_profile(
            "Nano-Banana-2 (gemini-3.1-flash-image-preview)", reasoning=True
        ),
        chat_image_sizes=_ALL_SIZES,  # Gemini 3.1 flash image: 4K as well
    ),
    task(
        "Nano-Banana-Pro",
        "image",
        NanoBananaProInput,
        also=CHAT,
        profile=chat_image_profile("Nano-Banana-Pro (gemini-3-pro-image-preview)", reasoning=True),
        chat_image_sizes=_ALL_SIZES,
    ),
)
