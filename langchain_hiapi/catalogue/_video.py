"""Other video families (HappyHorse, Kling, Veo, Wan): input schemas and catalogue entries.

Decisions where the sources disagree or are silent:

- **`happyhorse-1-0` `duration`**: any integer 3-15 (the docs page; one skill lists only
  3/5/8/10/15).
- **Id-only** (fields not captured): `veo-3.1/*` and `wan2.7-video`.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from langchain_hiapi.catalogue._info import ModelInfo, task
from langchain_hiapi.catalogue._schema import TaskInput, url_list

_HappyHorseAspect = Literal["16:9", "9:16", "3:4", "4:3", "4:5", "5:4", "1:1", "9:21", "21:9"]


class HappyHorse10Input(TaskInput):
    """happyhorse-1-0 (text-to-video only)."""

    prompt: str = Field(min_length=1, description="What happens.")
    aspect_ratio: Literal["1:1", "16:9", "3:4", "4:3", "9:16"] = "16:9"
    duration: int = Field(default=5, ge=3, le=15, description="Seconds.")
    resolution: Literal["720p", "1080p"] = "1080p"
    seed: int | None = Field(default=None, ge=0, le=2147483647)


class HappyHorse11TextToVideoInput(TaskInput):
    """happyhorse-1.1/text-to-video (native audio always; no `audio`, no `seed`)."""

    prompt: str = Field(min_length=1, description="What happens.")
    resolution: Literal["720p", "1080p"] = "1080p"
    aspect_ratio: _HappyHorseAspect = "16:9"
    duration: int = Field(default=5, ge=3, le=15, description="Seconds.")


class Kling30OmniTextToVideoInput(TaskInput):
    """kling-3.0-omni/text-to-video (`sound`: native audio with dialogue and lip sync)."""

    prompt: str = Field(min_length=1, description="What happens.")
    resolution: Literal["720p", "1080p", "4K"] = "720p"
    aspect_ratio: Literal["16:9", "9:16", "1:1"] = "16:9"
    duration: int = Field(default=5, ge=3, le=15, description="Seconds.")
    sound: bool = False


class Kling30OmniImageToVideoInput(TaskInput):
    """kling-3.0-omni/image-to-video: 1 image = first frame, 2 = first and last frame.

    The framing follows the source image (no `aspect_ratio`).
    """

    images_field: ClassVar[str | None] = "image_urls"

    image_urls: list[str] = url_list(1, 2, "1 (first frame) or 2 (first, last) image URLs.")
    prompt: str | None = Field(default=None, min_length=1, description="What happens.")
    resolution: Literal["720p", "1080p", "4K"] = "720p"
    duration: int = Field(default=5, ge=3, le=15, description="Seconds.")
    sound: bool = False


MODELS: tuple[ModelInfo, ...] = (
    task("happyhorse-1-0", "video", HappyHorse10Input),
    task("happyhorse-1.1/text-to-video", "video", HappyHorse11TextToVideoInput),
    task("kling-3.0-omni/text-to-video", "video", Kling30OmniTextToVideoInput),
    task("kling-3.0-omni/image-to-video", "video", Kling30OmniImageToVideoInput),
    task("veo-3.1/text-to-video", "video"),
    task("veo-3.1/image-to-video", "video", image_inputs=True),
    task("wan2.7-video", "video"),
)
