"""HiAPI's task models: ids, aliases, routes, input schemas and where each model is served.

The one place in the package that knows task models. Each documented model has a pydantic
input model per route (strict JSON types, unknown fields rejected, enums, bounds and defaults
from the contract, cross-field rules as validators); `validate_task_input` checks an `input`
against it before anything is sent, and the models' JSON schemas are what a tool shows an
agent. Models whose fields no source documents are listed by id only and pass through
unchecked, like every model this module does not know.

Decisions where the contract (`hiapi-task-api.md`) leaves a question open or its sources
disagree, following its rule table ("How the package settles the conflicts"):

- **Ids and aliases.** Canonical ids are the newest dated source's (`seedance-2.0`,
  `gpt-image-2/text-to-image`, `gpt-image-2/image-to-image`); older spellings are aliases
  (`seedance-2-0`, `gpt-image-2`, `gpt-image-2-image-to-image`). `HiAPITasks.create` sends the
  canonical id, as HiAPI's own skills do after their "canonical runtime migration".
- **Retired models** (`gpt-image-2-pro`, `gpt-image-2-image-to-image-pro`) and retired routes
  (`pro` of `gpt-image-2/text-to-image`) are not listed: a retired route is an unknown route.
- **`seed` on `seedance-2.0`**: not accepted (a live run on 2026-07-27 rejected it "as an
  additional property"; newer than the docs that list it).
- **`seedance-2.0` `aspect_ratio`**: documented as "required" with a default (`16:9`): treated
  as optional (the server applies the default). `resolution` includes `4k` (a later official
  source adds it). Frames (`first_frame_url`/`last_frame_url`) and multimodal references
  (`reference_*_urls`) are mutually exclusive; `last_frame_url` needs `first_frame_url`.
- **`seedance-2.0-fast`**: only the fields its source lists; `prompt` 3-20000 characters and
  `resolution` `480p`/`720p`/`1080p` as for `seedance-2.0` (its source gives no limits).
- **`happyhorse-1-0` `duration`**: any integer 3-15 (the docs page; one skill lists only
  3/5/8/10/15).
- **`Nano-Banana-2`**: the stored page truncates its enums. `resolution` is `1K`/`2K`/`4K`
  (stated in prose); `aspect_ratio` accepts `auto` or any `W:H` and `output_format` any of
  `png`/`jpeg`/`jpg`/`webp` rather than guessing a list that could refuse valid values (the
  server still checks them); no limit on the number of `image_input` references.
- **`Nano-Banana` `output_format`**: the enum `png`/`jpeg` (the field table), not the prose
  ("PNG, JPEG, JPG, or WebP").
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
- **`qwen-image-2.0`**: the flat Gen C input (`prompt`, `size` as `W*H`, ...), not the Gen B
  `messages`/`parameters` shape.
- **Served on chat / images API**: `Nano-Banana`, `Nano-Banana-2`, `Nano-Banana-Pro` and
  `gpt-image-2` (the alias) are documented on chat completions too; `qwen-image-2.0` and
  `flux-1.1-pro` on the images API too; `gpt-image-1.5` and `gpt-image-2-beta` (which is
  `gpt-image-2/text-to-image@beta` on tasks) only on the images API (Gen A).
- **Id-only** (fields not captured): `flux-1.1-pro`, `flux-schnell/text-to-image`,
  `seedance-2.5/*`, `seedance-2-5` (placeholder slug), `veo-3.1/*`, `wan2.7-video`, and the
  audio models. Their `default` route is the open `OpenTaskInput` schema: anything passes,
  and any route name is accepted.
- **Reserved keys**: `callback`, `callback_url` and `storage` inside `input` are refused for
  every model (the contract: they are top-level fields; HiAPI rejects them in `input`).
"""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from langchain_hiapi.errors import TaskInputError

__all__ = [
    "ModelInfo",
    "OpenTaskInput",
    "TaskInput",
    "canonical_model",
    "lookup",
    "split_route",
    "task_input_model",
    "task_models",
    "validate_task_input",
]

ModelKind = Literal["image", "video", "audio", "text"]
Endpoint = Literal["tasks", "chat", "images"]

DEFAULT_ROUTE = "default"
# Top-level create fields that HiAPI rejects inside `input`, and what to use instead.
_RESERVED_KEYS = {
    "callback": "pass callback_url= to create() (sent as the top-level `callback`)",
    "callback_url": "pass callback_url= to create() (sent as the top-level `callback`)",
    "storage": 'pass storage="persistent" to create() (a top-level field)',
}
_MAX_SHOWN_VALUE = 60
# pydantic's strict type errors, in JSON words.
_TYPE_NAMES = {
    "int_type": "a JSON integer",
    "string_type": "a string",
    "bool_type": "true or false",
    "list_type": "a list",
    "float_type": "a number",
    "dict_type": "an object",
}

# ------------------------------------------------------------------------------ schemas


class TaskInput(BaseModel):
    """Base of every documented task input: JSON types only, unknown fields rejected."""

    model_config = ConfigDict(extra="forbid", strict=True)


class OpenTaskInput(BaseModel):
    """Input of a model whose fields are not documented: any JSON object passes."""

    model_config = ConfigDict(extra="allow")


class _RuleError(ValueError):
    """A cross-field rule broken; `field` is the input field to blame."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _label(info: ValidationInfo) -> str:
    context = info.context if isinstance(info.context, dict) else {}
    return str(context.get("label", "this model"))


def _url_list(low: int, high: int | None, what: str) -> Any:
    return Field(min_length=low, max_length=high, description=what)


Prompt5000 = Annotated[str, Field(min_length=1, max_length=5000)]
HttpUrl = Annotated[str, Field(pattern=r"^[hH][tT][tT][pP][sS]?://\S+$")]

NanoBananaAspect = Literal[
    "auto", "1:1", "16:9", "9:16", "3:4", "4:3", "3:2", "2:3", "5:4", "4:5", "21:9"
]
Resolution = Literal["1K", "2K", "4K"]
GptImage2Aspect = Literal[
    "auto",
    "1:1",
    "3:2",
    "2:3",
    "4:3",
    "3:4",
    "5:4",
    "4:5",
    "16:9",
    "9:16",
    "2:1",
    "1:2",
    "3:1",
    "1:3",
    "21:9",
    "9:21",
]
Background = Literal["auto", "opaque", "transparent"]
Quality3 = Literal["low", "medium", "high"]
GptImage25Aspect = Literal[
    "auto",
    "1:1",
    "3:2",
    "2:3",
    "4:3",
    "3:4",
    "16:9",
    "9:16",
    "21:9",
    "27:16",
    "16:27",
    "9:8",
    "8:9",
]
SeedanceAspect = Literal["1:1", "4:3", "3:4", "16:9", "9:16", "21:9", "adaptive"]


class NanoBananaInput(TaskInput):
    """Nano-Banana (text-to-image)."""

    prompt: Prompt5000 = Field(description="What to draw (at most 5000 characters).")
    aspect_ratio: NanoBananaAspect = "auto"
    output_format: Literal["png", "jpeg"] = "png"


class NanoBanana2Input(TaskInput):
    """Nano-Banana-2: text-to-image, or edit with reference images."""

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

    prompt: str = Field(min_length=1, max_length=10000, description="What to draw or change.")
    image_input: list[str] = Field(
        default_factory=list, max_length=8, description="Up to 8 reference image URLs."
    )
    aspect_ratio: NanoBananaAspect = "auto"
    resolution: Resolution = "1K"
    output_format: Literal["png", "jpg"] = "png"


def _background_at_1k(model: Any, resolution: str) -> None:
    if model.background is not None and resolution != "1K":
        raise _RuleError(
            "background",
            f"input.background: {model.background!r} needs resolution '1K' (got {resolution!r})",
        )


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
            raise _RuleError(
                "resolution",
                f"input.resolution: {resolution!r} is not allowed with aspect_ratio 'auto' for "
                f"{_label(info)}; allowed: '1K' (or choose an aspect_ratio)",
            )
        excluded = self.no_2k if resolution == "2K" else self.no_4k if resolution == "4K" else ()
        if ratio in excluded:
            raise _RuleError(
                "resolution",
                f"input.resolution: {resolution!r} is not available with aspect_ratio "
                f"{ratio!r} for {_label(info)}; "
                f"{resolution} excludes {', '.join(repr(r) for r in sorted(excluded))}",
            )
        _background_at_1k(self, resolution)
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

    no_4k: ClassVar[frozenset[str]] = frozenset({"3:1", "1:3", "9:21"})

    prompt: str = Field(min_length=1, max_length=20000, description="The edit to make.")
    input_urls: list[str] = _url_list(1, 16, "1-16 reference image URLs.")
    aspect_ratio: GptImage2Aspect = "auto"
    resolution: Resolution = "1K"
    background: Background | None = Field(default=None, description="Only at resolution '1K'.")

    @model_validator(mode="after")
    def _rules(self, info: ValidationInfo) -> GptImage2ImageToImageInput:
        if self.resolution == "4K" and self.aspect_ratio in self.no_4k:
            raise _RuleError(
                "resolution",
                f"input.resolution: '4K' is not available with aspect_ratio "
                f"{self.aspect_ratio!r} for {_label(info)}; "
                f"4K excludes {', '.join(repr(r) for r in sorted(self.no_4k))}",
            )
        _background_at_1k(self, self.resolution)
        return self


class GptImage2ImageToImageExtInput(TaskInput):
    """gpt-image-2/image-to-image, route `ext`: 1-6 `image_urls`, `quality` required."""

    prompt: str = Field(min_length=1, max_length=20000, description="The edit to make.")
    image_urls: list[str] = _url_list(1, 6, "1-6 reference image URLs.")
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
        _background_at_1k(self, self.resolution)
        return self


class GptImage25ImageToImageInput(GptImage25TextToImageInput):
    """gpt-image-2.5-flare/-sunburst image-to-image (1-16 `image_urls`)."""

    image_urls: list[str] = _url_list(1, 16, "1-16 JPEG/PNG/WebP image URLs or data URIs.")


class GptImage25Input(TaskInput):
    """gpt-image-2.5-flare / gpt-image-2.5-sunburst (quality tiers, optional references).

    A transparent `background` needs `output_format` 'png' or 'webp'.
    """

    prompt: str = Field(min_length=1, max_length=8000, description="What to draw or change.")
    image_urls: list[HttpUrl] | None = Field(
        default=None, min_length=1, max_length=16, description="1-16 http(s) image URLs."
    )
    aspect_ratio: Literal[
        "1:1",
        "3:2",
        "2:3",
        "4:3",
        "3:4",
        "16:9",
        "9:16",
        "auto",
        "1024x1024",
        "1536x1024",
        "1024x1536",
        "1536x1152",
        "1152x1536",
        "2048x2048",
        "2048x1152",
        "1152x2048",
        "3840x2160",
        "2160x3840",
    ] = "1:1"
    quality: Literal["low", "medium", "high", "xhigh", "max", "auto"] = "medium"
    background: Background = "auto"
    output_format: Literal["png", "jpeg", "webp"] = "webp"

    @model_validator(mode="after")
    def _rules(self, info: ValidationInfo) -> GptImage25Input:
        if self.background == "transparent" and self.output_format == "jpeg":
            raise _RuleError(
                "output_format",
                "input.output_format: 'jpeg' cannot be transparent for "
                f"{_label(info)}; allowed with background 'transparent': 'png', 'webp'",
            )
        return self


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

    image_urls: list[str] = _url_list(1, 10, "1-10 JPG/PNG/WebP image URLs (<= 10 MB each).")


class Seedance20Input(TaskInput):
    """seedance-2.0: text-to-video, first/last-frame video, or multimodal references.

    Frames (`first_frame_url`, `last_frame_url`) and references (`reference_*_urls`) are
    mutually exclusive; `last_frame_url` needs `first_frame_url`.
    """

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
            raise _RuleError(
                "last_frame_url", f"input.last_frame_url: needs first_frame_url ({_label(info)})"
            )
        frames = self.first_frame_url is not None
        references = [
            name
            for name in ("reference_image_urls", "reference_video_urls", "reference_audio_urls")
            if getattr(self, name)
        ]
        if frames and references:
            raise _RuleError(
                references[0],
                f"input.{references[0]}: cannot be combined with first_frame_url for "
                f"{_label(info)} (frames and references are separate modes)",
            )
        return self


class Seedance20FastInput(TaskInput):
    """seedance-2.0-fast."""

    prompt: str = Field(min_length=3, max_length=20000, description="What happens.")
    reference_image_urls: list[str] | None = None
    aspect_ratio: SeedanceAspect = "16:9"
    resolution: Literal["480p", "720p", "1080p"] = "720p"
    duration: int = Field(default=5, ge=4, le=15, description="Seconds.")
    generate_audio: bool = True
    web_search: bool = False


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
    aspect_ratio: Literal["16:9", "9:16", "3:4", "4:3", "4:5", "5:4", "1:1", "9:21", "21:9"] = (
        "16:9"
    )
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

    image_urls: list[str] = _url_list(1, 2, "1 (first frame) or 2 (first, last) image URLs.")
    prompt: str | None = Field(default=None, min_length=1, description="What happens.")
    resolution: Literal["720p", "1080p", "4K"] = "720p"
    duration: int = Field(default=5, ge=3, le=15, description="Seconds.")
    sound: bool = False


# ------------------------------------------------------------------------------ catalogue


@dataclass(frozen=True)
class ModelInfo:
    """What the package knows about one model.

    Attributes:
        id: The canonical id, e.g. `seedance-2.0`.
        kind: `image`, `video`, `audio` or `text`.
        aliases: Other spellings accepted for it, e.g. `("seedance-2-0",)`.
        routes: Task route name -> pydantic input model; `default` is always there for a
            task model (`OpenTaskInput` when its fields are not documented).
        served_on: Where it is served: a subset of `{"tasks", "chat", "images"}`.
        image_inputs_field: The `input` field holding reference images, if any.
        endpoint_ids: The id to send on an endpoint when it differs from `id` (e.g.
            `{"chat": "gpt-image-2"}`).
    """

    id: str
    kind: ModelKind
    aliases: tuple[str, ...] = ()
    routes: Mapping[str, type[BaseModel]] = field(default_factory=dict, hash=False)
    served_on: frozenset[str] = frozenset({"tasks"})
    image_inputs_field: str | None = None
    endpoint_ids: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def documented(self) -> bool:
        """Whether the input fields are known (otherwise inputs pass through unchecked)."""
        default = self.routes.get(DEFAULT_ROUTE)
        return default is not None and default is not OpenTaskInput

    def id_for(self, endpoint: str) -> str:
        """The model id to send on `endpoint` (`tasks`, `chat` or `images`)."""
        return self.endpoint_ids.get(endpoint, self.id)


def _task(
    id: str,
    kind: ModelKind,
    routes: Mapping[str, type[BaseModel]] | type[BaseModel] = OpenTaskInput,
    *,
    aliases: tuple[str, ...] = (),
    also: frozenset[str] = frozenset(),
    image_inputs_field: str | None = None,
    endpoint_ids: Mapping[str, str] | None = None,
) -> ModelInfo:
    table = dict(routes) if isinstance(routes, Mapping) else {DEFAULT_ROUTE: routes}
    return ModelInfo(
        id=id,
        kind=kind,
        aliases=aliases,
        routes=MappingProxyType(table),
        served_on=frozenset({"tasks"}) | also,
        image_inputs_field=image_inputs_field,
        endpoint_ids=MappingProxyType(dict(endpoint_ids or {})),
    )


def _elsewhere(id: str, kind: ModelKind, served_on: frozenset[str]) -> ModelInfo:
    return ModelInfo(id=id, kind=kind, served_on=served_on)


_CHAT = frozenset({"chat"})
_IMAGES = frozenset({"images"})

_MODELS: tuple[ModelInfo, ...] = (
    # -- images
    _task("Nano-Banana", "image", NanoBananaInput, also=_CHAT),
    _task(
        "Nano-Banana-2",
        "image",
        NanoBanana2Input,
        also=_CHAT,
        image_inputs_field="image_input",
    ),
    _task(
        "Nano-Banana-Pro",
        "image",
        NanoBananaProInput,
        also=_CHAT,
        image_inputs_field="image_input",
    ),
    _task(
        "gpt-image-2/text-to-image",
        "image",
        {
            DEFAULT_ROUTE: GptImage2TextToImageInput,
            "beta": GptImage2TextToImageBetaInput,
            "ext": GptImage2TextToImageExtInput,
        },
        aliases=("gpt-image-2",),
        also=_CHAT,
        endpoint_ids={"chat": "gpt-image-2"},
    ),
    _task(
        "gpt-image-2/image-to-image",
        "image",
        {DEFAULT_ROUTE: GptImage2ImageToImageInput, "ext": GptImage2ImageToImageExtInput},
        aliases=("gpt-image-2-image-to-image",),
        image_inputs_field="input_urls",
    ),
    *(
        _task(f"gpt-image-2.5-{tier}/text-to-image", "image", GptImage25TextToImageInput)
        for tier in ("flare", "sunburst")
    ),
    *(
        _task(
            f"gpt-image-2.5-{tier}/image-to-image",
            "image",
            GptImage25ImageToImageInput,
            image_inputs_field="image_urls",
        )
        for tier in ("flare", "sunburst")
    ),
    *(
        _task(f"gpt-image-2.5-{tier}", "image", GptImage25Input, image_inputs_field="image_urls")
        for tier in ("flare", "sunburst")
    ),
    _task("qwen-image-2.0", "image", QwenImage2Input, also=_IMAGES),
    _task("seedream-5.0-pro/text-to-image", "image", Seedream5ProTextToImageInput),
    _task(
        "seedream-5.0-pro/image-to-image",
        "image",
        Seedream5ProImageToImageInput,
        image_inputs_field="image_urls",
    ),
    _task("flux-1.1-pro", "image", also=_IMAGES),
    _task("flux-schnell/text-to-image", "image"),
    _elsewhere("gpt-image-1.5", "image", _IMAGES),
    _elsewhere("gpt-image-2-beta", "image", _IMAGES),
    # -- video
    _task(
        "seedance-2.0",
        "video",
        Seedance20Input,
        aliases=("seedance-2-0",),
        image_inputs_field="reference_image_urls",
    ),
    _task(
        "seedance-2.0-fast",
        "video",
        Seedance20FastInput,
        image_inputs_field="reference_image_urls",
    ),
    _task("happyhorse-1-0", "video", HappyHorse10Input),
    _task("happyhorse-1.1/text-to-video", "video", HappyHorse11TextToVideoInput),
    _task("kling-3.0-omni/text-to-video", "video", Kling30OmniTextToVideoInput),
    _task(
        "kling-3.0-omni/image-to-video",
        "video",
        Kling30OmniImageToVideoInput,
        image_inputs_field="image_urls",
    ),
    _task("seedance-2.5/text-to-video", "video"),
    _task("seedance-2.5/image-to-video", "video"),
    _task("seedance-2.5/reference-to-video", "video"),
    _task("seedance-2-5", "video"),
    _task("veo-3.1/text-to-video", "video"),
    _task("veo-3.1/image-to-video", "video"),
    _task("wan2.7-video", "video"),
    # -- audio
    _task("qwen-audio-3.0-tts-plus", "audio"),
    _task("qwen-audio-3.0-tts-flash", "audio"),
    _task("elevenlabs/text-to-dialogue", "audio"),
    _task("minimax-music-1.5", "audio"),
    _task("minimax-music-2.6", "audio"),
)

_BY_NAME: dict[str, ModelInfo] = {
    name: info for info in _MODELS for name in (info.id, *info.aliases)
}


# ------------------------------------------------------------------------------ lookups


def split_route(model: str) -> tuple[str, str | None]:
    """Splits the legacy `model@route` spelling.

    Args:
        model: A model id, possibly with an `@route` suffix.

    Returns:
        `(model id, route or None)`.
    """
    base, sep, route = model.partition("@")
    return (base, route or None) if sep else (model, None)


def lookup(model: str) -> ModelInfo | None:
    """The catalogue entry for a model id or alias (an `@route` suffix is ignored).

    Args:
        model: E.g. `seedance-2-0`, `gpt-image-2/text-to-image@ext`.

    Returns:
        The entry, or `None` for a model this package does not know.
    """
    if not isinstance(model, str):
        return None
    return _BY_NAME.get(split_route(model)[0])


def canonical_model(model: str) -> str:
    """The canonical id for a known alias, keeping an `@route` suffix; others unchanged."""
    info = lookup(model)
    if info is None:
        return model
    route = split_route(model)[1]
    return info.id if route is None else f"{info.id}@{route}"


def task_models(kind: str | None = None) -> list[ModelInfo]:
    """The models served on the task API, in catalogue order.

    Args:
        kind: Only this kind (`image`, `video`, `audio`), if given.

    Returns:
        The entries.
    """
    return [
        info
        for info in _MODELS
        if "tasks" in info.served_on and (kind is None or info.kind == kind)
    ]


def _route_of(info: ModelInfo, model: str, route: str | None) -> str:
    """The route that applies, checked against the model's routes.

    Raises:
        TaskInputError: An unknown route for a documented model, or `model@x` with a
            different `route=`.
    """
    suffix = split_route(model)[1]
    chosen = route or None  # "" means no route, as for HiAPI
    if suffix is not None and chosen is not None and chosen != suffix:
        raise TaskInputError(
            f"model {model!r} names route {suffix!r} but route={chosen!r} was given; "
            "pass one of them",
            model=info.id,
            route=chosen,
        )
    chosen = chosen or suffix or DEFAULT_ROUTE
    if info.documented and chosen not in info.routes:
        routes = ", ".join(repr(r) for r in info.routes)
        raise TaskInputError(
            f"route {chosen!r} is not a route of {info.id}; routes: {routes}",
            model=info.id,
            route=chosen,
        )
    return chosen


def task_input_model(model: str, route: str | None = None) -> type[BaseModel] | None:
    """The pydantic input model for a task model and route.

    Args:
        model: A model id or alias (`x@route` works too).
        route: A route name; `None`, `""` and `"default"` mean the default route.

    Returns:
        The input model (`OpenTaskInput` for a known model without documented fields), or
        `None` for a model this package does not know or that is not served on tasks.

    Raises:
        TaskInputError: The route is not one of the model's routes.
    """
    info = lookup(model)
    if info is None or "tasks" not in info.served_on:
        return None
    return info.routes.get(_route_of(info, model, route), OpenTaskInput)


def validate_task_input(
    model: str, input: Mapping[str, Any], route: str | None = None
) -> dict[str, Any]:
    """Checks a task `input` against the model's documented schema, before sending.

    Nothing is added or converted: the result is a plain copy of `input`. Defaults of the
    schema only count for cross-field rules (e.g. `aspect_ratio` 'auto' when absent).

    Args:
        model: A model id or alias (`x@route` works too).
        input: The `input` object to send.
        route: A route name; `None`, `""` and `"default"` mean the default route.

    Returns:
        `dict(input)`.

    Raises:
        TaskInputError: `input` is not a JSON object, holds a top-level create field
            (`callback`, `storage`), or breaks the schema (the message names each field and
            its allowed values); or the route is unknown for the model.
    """
    if not isinstance(input, Mapping):
        raise TaskInputError(
            f"input must be a JSON object (a dict), got {type(input).__name__}", model=model
        )
    data = dict(input)
    for key, instead in _RESERVED_KEYS.items():
        if key in data:
            raise TaskInputError(
                f"input.{key}: not an input field; {instead}", model=model, field=f"input.{key}"
            )
    info = lookup(model)
    if info is None or "tasks" not in info.served_on:
        return data
    chosen = _route_of(info, model, route)
    schema = info.routes.get(chosen, OpenTaskInput)
    if schema is OpenTaskInput:
        return data
    label = info.id if chosen == DEFAULT_ROUTE else f"{info.id} (route {chosen!r})"
    try:
        schema.model_validate(data, strict=True, context={"label": label})
    except ValidationError as exc:
        problems = [_describe(schema, error, label) for error in exc.errors()]
        fields = [p[0] for p in problems]
        messages = tuple(p[1] for p in problems)
        raise TaskInputError(
            "; ".join(messages),
            model=info.id,
            route=chosen,
            field=fields[0],
            problems=messages,
        ) from None
    return data


# ------------------------------------------------------------------------------ messages


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN_VALUE else text[: _MAX_SHOWN_VALUE - 1] + "…"


def _literal_values(annotation: Any) -> list[Any]:
    """The values of every `Literal` inside an annotation (through `| None`, `list[...]`)."""
    if typing.get_origin(annotation) is Literal:
        return list(typing.get_args(annotation))
    values: list[Any] = []
    for arg in typing.get_args(annotation):
        values.extend(_literal_values(arg))
    return values


def _bounds(schema: type[BaseModel], name: str) -> tuple[Any, Any]:
    """`(ge, le)` of a numeric field (either may be `None`)."""
    low = high = None
    info = schema.model_fields.get(name)
    for meta in info.metadata if info is not None else ():
        low = getattr(meta, "ge", low)
        high = getattr(meta, "le", high)
    return low, high


def _lengths(schema: type[BaseModel], name: str) -> tuple[int | None, int | None]:
    """`(min_length, max_length)` of a string or list field (either may be `None`)."""
    shortest = longest = None
    info = schema.model_fields.get(name)
    for meta in info.metadata if info is not None else ():
        shortest = getattr(meta, "min_length", shortest)
        longest = getattr(meta, "max_length", longest)
    return shortest, longest


def _describe(schema: type[BaseModel], error: Mapping[str, Any], label: str) -> tuple[str, str]:
    """`(field, message)` for one pydantic error, in the package's wording."""
    loc = tuple(str(part) for part in error.get("loc", ()))
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    value = error.get("input")
    cause = ctx.get("error")
    if isinstance(cause, _RuleError):
        return f"input.{cause.field}", str(cause)
    where = "input." + ".".join(loc) if loc else "input"
    name = loc[0] if loc else ""
    if kind == "extra_forbidden":
        allowed = ", ".join(schema.model_fields)
        return where, f"{where}: not accepted by {label} (allowed fields: {allowed})"
    if kind == "missing":
        return where, f"{where}: required by {label}"
    if kind == "literal_error" and name in schema.model_fields:
        allowed = ", ".join(repr(v) for v in _literal_values(schema.model_fields[name].annotation))
        return where, f"{where}: {_shown(value)} is not allowed for {label}; allowed: {allowed}"
    if kind in ("greater_than_equal", "less_than_equal") and len(loc) == 1:
        low, high = _bounds(schema, name)
        allowed = f"{low} to {high}" if low is not None and high is not None else error["msg"]
        return where, f"{where}: {_shown(value)} is not allowed for {label}; allowed: {allowed}"
    if kind in ("string_too_long", "string_too_short", "too_long", "too_short"):
        shortest, longest = _lengths(schema, name)
        unit = "characters" if isinstance(value, str) else "items"
        size = len(value) if isinstance(value, (str, list, tuple)) else "?"
        limits = " and ".join(
            part
            for part in (
                f"at least {shortest}" if shortest else "",
                f"at most {longest}" if longest is not None else "",
            )
            if part
        )
        return where, f"{where}: {size} {unit}; {label} accepts {limits}"
    if kind == "string_pattern_mismatch" and name in schema.model_fields:
        description = schema.model_fields[name].description or f"pattern {ctx.get('pattern')}"
        return where, f"{where}: {_shown(value)} is not allowed for {label}; expected {description}"
    if kind in _TYPE_NAMES:
        return where, f"{where}: expected {_TYPE_NAMES[kind]} for {label}, got {_shown(value)}"
    message = re.sub(r"^Value error, ", "", str(error.get("msg", "invalid")))
    return where, f"{where}: {message} for {label} (got {_shown(value)})"
