"""The gpt-image family (gpt-image-2, gpt-image-2.5, gpt-image-1.5): input schemas and entries.

Decisions where the sources disagree or are silent:

- **Ids and aliases.** `gpt-image-2/text-to-image` and `gpt-image-2/image-to-image` are
  canonical; `gpt-image-2` and `gpt-image-2-image-to-image` are aliases. `gpt-image-2` is
  the id on chat completions too.
- **Retired**: `gpt-image-2-pro`, `gpt-image-2-image-to-image-pro` and the `pro` route of
  `gpt-image-2/text-to-image` are not listed: a retired route is an unknown route.
- **`gpt-image-2/text-to-image`** (default route) cross-field rules are the newest
  (2026-09-29): `aspect_ratio` `auto` allows only `1K`; `2K` is unavailable for
  `5:4`/`4:5`/`3:1`/`1:3`/`9:21`; `4K` for `1:1`/`3:1`/`1:3`/`9:21`; `background` only at `1K`.
  Defaults count: `{"resolution": "2K"}` alone means `auto` at `2K`, which is refused.
  Route `beta`: `size` (`auto` or lowercase `WIDTHxHEIGHT`, 3-5 digits each) instead of
  `aspect_ratio`/`resolution`/`background`. Route `ext`: any aspect ratio at any resolution,
  `quality` required, no `background`, default aspect `1:1`.
- **`gpt-image-2/image-to-image`**: `input_urls` 1-16 (2026-09-23); `4K` unavailable for
  `3:1`/`1:3`/`9:21`; `background` only at `1K`. Route `ext`: `image_urls` 1-6 instead of
  `input_urls`, `quality` required, no `background` (as for text-to-image `ext`).
- **`gpt-image-2.5-*`**: `prompt` at most 8000 characters (the live JSON schema captured
  2026-10-05, not the prose's 20,000/32,000). The bare `gpt-image-2.5-flare`/`-sunburst` ids
  have only the default route (requests use the bare id; `@pro` is a pricing key).
- **Images API only** (Gen A): `gpt-image-1.5`, and `gpt-image-2-beta` (which is
  `gpt-image-2/text-to-image@beta` on tasks).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, ValidationInfo, model_validator

from langchain_hiapi.catalogue._info import (
    CHAT,
    DEFAULT_ROUTE,
    IMAGES,
    ModelInfo,
    chat_image_profile,
    elsewhere,
    task,
)
from langchain_hiapi.catalogue._schema import (
    HttpUrl,
    Resolution,
    TaskInput,
    background_at_1k,
    label,
    rule_error,
    url_list,
)

# Nested Literals flatten: one enum, written in groups that fit a line.
_Ratios2 = Literal["1:1", "3:2", "2:3", "4:3", "3:4", "5:4", "4:5", "16:9", "9:16"]
GptImage2Aspect = Literal["auto", _Ratios2, "2:1", "1:2", "3:1", "1:3", "21:9", "9:21"]
_Ratios25 = Literal["1:1", "3:2", "2:3", "4:3", "3:4", "16:9", "9:16"]
GptImage25Aspect = Literal["auto", _Ratios25, "21:9", "27:16", "16:27", "9:8", "8:9"]
_Sizes25 = Literal["1024x1024", "1536x1024", "1024x1536", "1536x1152", "1152x1536"]
_LargeSizes25 = Literal["2048x2048", "2048x1152", "1152x2048", "3840x2160", "2160x3840"]
Background = Literal["auto", "opaque", "transparent"]
Quality3 = Literal["low", "medium", "high"]


def _excluded(ratios: frozenset[str]) -> str:
    return ", ".join(repr(r) for r in sorted(ratios))


class GptImage2TextToImageInput(TaskInput):
    """gpt-image-2/text-to-image, default route.

    `aspect_ratio` 'auto' allows only '1K'; '2K' is unavailable for 5:4, 4:5, 3:1, 1:3 and
    9:21; '4K' for 1:1, 3:1, 1:3 and 9:21; `background` only at '1K'.
    """

    no_2k: ClassVar[frozenset[str]] = frozenset({"5:4", "4:5", "3:1", "1:3", "9:21"})
    no_4k: ClassVar[frozenset[str]] = frozenset({"1:1", "3:1", "1:3", "9:21"})

    prompt: str = Field(min_length=1, max_length=20000, description="What to draw.")
    aspect_ratio: GptImage2Aspect = "auto"
    resolution: Resolution = "1K"
    background: Background | None = Field(default=None, description="Only at resolution '1K'.")

    @model_validator(mode="after")
    def _rules(self, info: ValidationInfo) -> GptImage2TextToImageInput:
        ratio, resolution = self.aspect_ratio, self.resolution
        if ratio == "auto" and resolution != "1K":
            raise rule_error(
                "resolution",
                f"input.resolution: {resolution!r} is not allowed with aspect_ratio 'auto' for "
                f"{label(info)}; allowed: '1K' (or choose an aspect_ratio)",
            )
        excluded = self.no_2k if resolution == "2K" else self.no_4k if resolution == "4K" else ()
        if ratio in excluded:
            raise rule_error(
                "resolution",
                f"input.resolution: {resolution!r} is not available with aspect_ratio "
                f"{ratio!r} for {label(info)}; "
                f"{resolution} excludes {_excluded(frozenset(excluded))}",
            )
        background_at_1k(self, resolution)
        return self


class GptImage2TextToImageBetaInput(TaskInput):
    """gpt-image-2/text-to-image, route `beta`: a pixel `size` instead of ratio/resolution."""

    prompt: str = Field(min_length=1, max_length=20000, description="What to draw.")
    size: str = Field(
        default="auto",
        pattern=r"^(auto|[0-9]{3,5}x[0-9]{3,5})$",
        description="'auto' or lowercase WIDTHxHEIGHT, e.g. '1536x1024'.",
    )


class GptImage2TextToImageExtInput(TaskInput):
    """gpt-image-2/text-to-image, route `ext`: any aspect ratio at any resolution."""

    prompt: str = Field(min_length=1, max_length=20000, description="What to draw.")
    aspect_ratio: GptImage2Aspect = "1:1"
    resolution: Resolution = "1K"
    quality: Quality3 = Field(description="Required on this route.")


class GptImage2ImageToImageInput(TaskInput):
    """gpt-image-2/image-to-image, default route (1-16 `input_urls`).

    '4K' is unavailable for 3:1, 1:3 and 9:21; `background` only at '1K'.
    """

    images_field: ClassVar[str | None] = "input_urls"

    no_4k: ClassVar[frozenset[str]] = frozenset({"3:1", "1:3", "9:21"})

    prompt: str = Field(min_length=1, max_length=20000, description="The edit to make.")
    input_urls: list[str] = url_list(1, 16, "1-16 reference image URLs.")
    aspect_ratio: GptImage2Aspect = "auto"
    resolution: Resolution = "1K"
    background: Background | None = Field(default=None, description="Only at resolution '1K'.")

    @model_validator(mode="after")
    def _rules(self, info: ValidationInfo) -> GptImage2ImageToImageInput:
        if self.resolution == "4K" and self.aspect_ratio in self.no_4k:
            raise rule_error(
                "resolution",
                f"input.resolution: '4K' is not available with aspect_ratio "
                f"{self.aspect_ratio!r} for {label(info)}; 4K excludes {_excluded(self.no_4k)}",
            )
        background_at_1k(self, self.resolution)
        return self


class GptImage2ImageToImageExtInput(TaskInput):
    """gpt-image-2/image-to-image, route `ext`: 1-6 `image_urls`, `quality` required."""

    prompt: str = Field(min_length=1, max_length=20000, description="The edit to make.")
    image_urls: list[str] = url_list(1, 6, "1-6 reference image URLs.")
    aspect_ratio: GptImage2Aspect = "auto"
    resolution: Resolution = "1K"
    quality: Quality3 = Field(description="Required on this route.")


class GptImage25TextToImageInput(TaskInput):
    """gpt-image-2.5-flare/-sunburst text-to-image; `background` needs resolution '1K'."""

    prompt: str = Field(min_length=1, max_length=8000, description="What to draw.")
    aspect_ratio: GptImage25Aspect = "auto"
    resolution: Resolution = "1K"
    background: Literal["transparent", "opaque", "auto"] | None = Field(
        default=None, description="Only at resolution '1K'."
    )

    @model_validator(mode="after")
    def _rules(self) -> GptImage25TextToImageInput:
        background_at_1k(self, self.resolution)
        return self


class GptImage25ImageToImageInput(GptImage25TextToImageInput):
    """gpt-image-2.5-flare/-sunburst image-to-image (1-16 `image_urls`)."""

    images_field: ClassVar[str | None] = "image_urls"

    image_urls: list[str] = url_list(1, 16, "1-16 JPEG/PNG/WebP image URLs or data URIs.")


class GptImage25Input(TaskInput):
    """gpt-image-2.5-flare / gpt-image-2.5-sunburst (quality tiers, optional references).

    A transparent `background` needs `output_format` 'png' or 'webp'.
    """

    images_field: ClassVar[str | None] = "image_urls"

    prompt: str = Field(min_length=1, max_length=8000, description="What to draw or change.")
    image_urls: list[HttpUrl] | None = Field(
        default=None, min_length=1, max_length=16, description="1-16 http(s) image URLs."
    )
    aspect_ratio: Literal[_Ratios25, "auto", _Sizes25, _LargeSizes25] = "1:1"
    quality: Literal["low", "medium", "high", "xhigh", "max", "auto"] = "medium"
    background: Background = "auto"
    output_format: Literal["png", "jpeg", "webp"] = "webp"

    @model_validator(mode="after")
    def _rules(self, info: ValidationInfo) -> GptImage25Input:
        if self.background == "transparent" and self.output_format == "jpeg":
            raise rule_error(
                "output_format",
                "input.output_format: 'jpeg' cannot be transparent for "
                f"{label(info)}; allowed with background 'transparent': 'png', 'webp'",
            )
        return self


MODELS: tuple[ModelInfo, ...] = (
    task(
        "gpt-image-2/text-to-image",
        "image",
        {
            DEFAULT_ROUTE: GptImage2TextToImageInput,
            "beta": GptImage2TextToImageBetaInput,
            "ext": GptImage2TextToImageExtInput,
        },
        aliases=("gpt-image-2",),
        also=CHAT,
        endpoint_ids={"chat": "gpt-image-2"},
        profile=chat_image_profile("gpt-image-2", reasoning=False),
    ),
    task(
        "gpt-image-2/image-to-image",
        "image",
        {DEFAULT_ROUTE: GptImage2ImageToImageInput, "ext": GptImage2ImageToImageExtInput},
        aliases=("gpt-image-2-image-to-image",),
    ),
    *(
        task(f"gpt-image-2.5-{tier}/text-to-image", "image", GptImage25TextToImageInput)
        for tier in ("flare", "sunburst")
    ),
    *(
        task(
            f"gpt-image-2.5-{tier}/image-to-image",
            "image",
            GptImage25ImageToImageInput,
        )
        for tier in ("flare", "sunburst")
    ),
    *(task(f"gpt-image-2.5-{tier}", "image", GptImage25Input) for tier in ("flare", "sunburst")),
    elsewhere("gpt-image-1.5", "image", IMAGES),
    elsewhere("gpt-image-2-beta", "image", IMAGES),
)
