"""The Seedance family (ByteDance video): input schemas and catalogue entries.

Decisions where the sources disagree or are silent:

- **Ids**: `seedance-2.0` is canonical (HiAPI's skills after their "canonical runtime
  migration"); `seedance-2-0` is an alias.
- **`seed` on `seedance-2.0`**: not accepted (a live run on 2026-07-27 rejected it "as an
  additional property"; newer than the docs that list it).
- **`seedance-2.0` `aspect_ratio`**: documented as "required" with a default (`16:9`): treated
  as optional (the server applies the default). `resolution` includes `4k` (a later official
  source adds it). Frames (`first_frame_url`/`last_frame_url`) and multimodal references
  (`reference_*_urls`) are mutually exclusive; `last_frame_url` needs `first_frame_url`.
- **`seedance-2.0-fast`**: only the fields its source lists; `prompt` 3-20000 characters and
  `resolution` `480p`/`720p`/`1080p` as for `seedance-2.0` (its source gives no limits).
- **Id-only** (fields not captured): `seedance-2.5/*` and `seedance-2-5` (a placeholder slug).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, ValidationInfo, model_validator

from langchain_hiapi.catalogue._info import ModelInfo, task
from langchain_hiapi.catalogue._schema import TaskInput, label, rule_error

SeedanceAspect = Literal["1:1", "4:3", "3:4", "16:9", "9:16", "21:9", "adaptive"]
_REFERENCES = ("reference_image_urls", "reference_video_urls", "reference_audio_urls")


class Seedance20Input(TaskInput):
    """seedance-2.0: text-to-video, first/last-frame video, or multimodal references.

    Frames (`first_frame_url`, `last_frame_url`) and references (`reference_*_urls`) are
    mutually exclusive; `last_frame_url` needs `first_frame_url`.
    """

    images_field: ClassVar[str | None] = "reference_image_urls"

    prompt: str = Field(min_length=3, max_length=20000, description="What happens.")
    aspect_ratio: SeedanceAspect = "16:9"
    duration: int = Field(default=5, ge=4, le=15, description="Seconds.")
    resolution: Literal["480p", "720p", "1080p", "4k"] = "720p"
    first_frame_url: str | None = Field(default=None, description="URL or asset id.")
    last_frame_url: str | None = Field(default=None, description="Needs first_frame_url.")
    reference_image_urls: list[str] | None = Field(default=None, max_length=9)
    reference_video_urls: list[str] | None = Field(default=None, max_length=3)
    reference_audio_urls: list[str] | None = Field(default=None, max_length=3)
    generate_audio: bool = True
    return_last_frame: bool = False
    web_search: bool = False
    nsfw_checker: bool | None = None

    @model_validator(mode="after")
    def _rules(self, info: ValidationInfo) -> Seedance20Input:
        if self.last_frame_url is not None and self.first_frame_url is None:
            raise rule_error(
                "last_frame_url", f"input.last_frame_url: needs first_frame_url ({label(info)})"
            )
        references = [name for name in _REFERENCES if getattr(self, name)]
        if self.first_frame_url is not None and references:
            raise rule_error(
                references[0],
                f"input.{references[0]}: cannot be combined with first_frame_url for "
                f"{label(info)} (frames and references are separate modes)",
            )
        return self


class Seedance20FastInput(TaskInput):
    """seedance-2.0-fast."""

    images_field: ClassVar[str | None] = "reference_image_urls"

    prompt: str = Field(min_length=3, max_length=20000, description="What happens.")
    reference_image_urls: list[str] | None = None
    aspect_ratio: SeedanceAspect = "16:9"
    resolution: Literal["480p", "720p", "1080p"] = "720p"
    duration: int = Field(default=5, ge=4, le=15, description="Seconds.")
    generate_audio: bool = True
    web_search: bool = False


MODELS: tuple[ModelInfo, ...] = (
    task("seedance-2.0", "video", Seedance20Input, aliases=("seedance-2-0",)),
    task("seedance-2.0-fast", "video", Seedance20FastInput),
    task("seedance-2.5/text-to-video", "video"),
    task("seedance-2.5/image-to-video", "video", image_inputs=True),
    task("seedance-2.5/reference-to-video", "video", image_inputs=True),
    task("seedance-2-5", "video"),
)
