"""Other image families on the task API (Qwen, Seedream, FLUX): input schemas and entries.

Decisions where the sources disagree or are silent:

- **`qwen-image-2.0`**: the flat Gen C input (`prompt`, `size` as `W*H`, ...), not the Gen B
  `messages`/`parameters` shape. Served on the images API too.
- **Id-only** (fields not captured): `flux-1.1-pro` (also on the images API) and
  `flux-schnell/text-to-image`.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from langchain_hiapi.catalogue._info import IMAGES, ModelInfo, task
from langchain_hiapi.catalogue._schema import TaskInput, url_list


class QwenImage2Input(TaskInput):
    """qwen-image-2.0 (sizes use '*', e.g. '2048*2048')."""

    prompt: str = Field(min_length=1, description="What to draw.")
    size: Literal["2688*1536", "2368*1728", "2048*2048", "1728*2368", "1536*2688"] = "2048*2048"
    negative_prompt: str = ""
    prompt_extend: bool = True
    watermark: bool = False
    seed: int | None = Field(default=None, ge=0, le=2147483647)


class Seedream5ProTextToImageInput(TaskInput):
    """seedream-5.0-pro/text-to-image (`quality` 'basic' = 1K, 'high' = 2K)."""

    prompt: str = Field(min_length=4, max_length=5000, description="What to draw.")
    aspect_ratio: Literal["1:1", "4:3", "3:4", "16:9", "9:16", "2:3", "3:2", "21:9"] = "1:1"
    quality: Literal["basic", "high"] = "basic"
    output_format: Literal["png", "jpeg"] = "png"


class Seedream5ProImageToImageInput(Seedream5ProTextToImageInput):
    """seedream-5.0-pro/image-to-image (1-10 `image_urls`)."""

    images_field: ClassVar[str | None] = "image_urls"

    image_urls: list[str] = url_list(1, 10, "1-10 JPG/PNG/WebP image URLs (<= 10 MB each).")


MODELS: tuple[ModelInfo, ...] = (
    task("qwen-image-2.0", "image", QwenImage2Input, also=IMAGES),
    task("seedream-5.0-pro/text-to-image", "image", Seedream5ProTextToImageInput),
    task("seedream-5.0-pro/image-to-image", "image", Seedream5ProImageToImageInput),
    task("flux-1.1-pro", "image", also=IMAGES),
    task("flux-schnell/text-to-image", "image"),
)
