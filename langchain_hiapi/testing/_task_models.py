"""The task API's models and their `input` schemas, transcribed from the contract (§2.8, §3).

This is the emulator's OWN transcription of `hiapi-task-api.md`, independent of the
package's catalogue: the emulator stands in for the server, so a wrong client catalogue
shows up as a 400 in tests instead of agreeing with itself.

How the sources' gaps are settled here (the server's behaviour is not observable):

* **Unknown model** -> HTTP 400 `INVALID_REQUEST` "model 'x' not found". The task API
  checks every `input` against the model's schema, so it knows its catalogue; an unknown
  id is a request error the caller must fix, not the retryable 503 `model_not_found` of
  new-api's channel distributor (a retry would never succeed). The contract's rule
  "unknown models are passed through" is the client's; the server still refuses them.
* **Strictness**: schemas whose full field list a source gives (a docs page or a captured
  JSON Schema) are strict (`additionalProperties: false`, as the contract says every
  schema is). Models documented only by a partial field list (`seedance-2.0-fast`) have
  those fields checked and accept others. Models whose fields were never captured
  (`flux-1.1-pro`, `flux-schnell/text-to-image`, `seedance-2.5/*`, `veo-3.1/*`, the
  audio models) accept any object.
* **Conflicts** follow the newest dated source: `seedance-2.0` (and its older spelling
  `seedance-2-0`) rejects `seed` (live, 2026-07-27) and accepts resolution `4k`;
  `aspect_ratio` is optional there (the docs call it required but give a default, and
  every SDK example omits it); `qwen-image-2.0` takes the flat Gen C input; the retired
  `gpt-image-2-pro` models are not served; route `pro` of `gpt-image-2/text-to-image` is
  unknown (400 listing `default, beta, ext`); enums the stored pages truncate
  (`Nano-Banana-2` aspect ratios and output formats) are checked as strings only;
  `happyhorse-1-0` `duration` is the docs' range 3-15, not the skill's five values.

The tables below use the field notation of `_task_schema` (one schema a record, one
model a record); the checker and its messages live there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from langchain_hiapi.testing._table import records
from langchain_hiapi.testing._task_schema import (
    InputError,
    Rule,
    Schema,
    json_type,
    parse_schema,
    schema_problems,
)

Kind = Literal["image", "video", "audio"]
DEFAULT_ROUTE = "default"
KINDS: tuple[Kind, ...] = ("image", "video", "audio")


@dataclass(frozen=True)
class TaskModel:
    """A model served on `POST /v1/tasks`.

    Attributes:
        id: Canonical id.
        kind: What its outputs are.
        routes: Route name -> input schema (None: any object); `default` always present.
        aliases: Other accepted spellings of the id.
        first_frame: Video outputs also carry a `first_frame` image (the docs example).
    """

    id: str
    kind: Kind
    routes: Mapping[str, Schema | None]
    aliases: tuple[str, ...] = ()
    first_frame: bool = False


@dataclass(frozen=True)
class Resolved:
    """A model reference resolved to its spec and route.

    Attributes:
        model: The spec.
        route: The route's name (`default` when none was asked for).
        schema: The route's input schema (None: any object).
    """

    model: TaskModel
    route: str
    schema: Schema | None = None


# -- value sets and patterns ------------------------------------------------------------

_SETS = {
    "nano": "auto 1:1 16:9 9:16 3:4 4:3 3:2 2:3 5:4 4:5 21:9",
    "gpt2": "auto 1:1 3:2 2:3 4:3 3:4 5:4 4:5 16:9 9:16 2:1 1:2 3:1 1:3 21:9 9:21",
    "gpt25": "auto 1:1 3:2 2:3 4:3 3:4 16:9 9:16 21:9 27:16 16:27 9:8 8:9",
    "gpt25_mode": "1:1 3:2 2:3 4:3 3:4 16:9 9:16 auto 1024x1024 1536x1024 1024x1536 1536x1152"
    " 1152x1536 2048x2048 2048x1152 1152x2048 3840x2160 2160x3840",
    "seedream": "1:1 4:3 3:4 16:9 9:16 2:3 3:2 21:9",
    "seedance": "1:1 4:3 3:4 16:9 9:16 21:9 adaptive",
    "k": "1K 2K 4K",
    "bg": "auto opaque transparent",
}
_PATTERNS = {"size": r"auto|[0-9]{3,5}x[0-9]{3,5}", "http": r"[hH][tT][tT][pP][sS]?://.+"}

# -- cross-field rules (they see the input with the `=default`s filled in) ---------------


def _background_needs_1k(data: Mapping[str, Any]) -> str | None:
    if "background" in data and data["resolution"] != "1K":
        return (
            f"background is only available at resolution '1K', got resolution "
            f"{data['resolution']!r}; remove background or use resolution '1K'"
        )
    return None


def _blocked(resolution: str, ratios: str) -> Rule:
    blocked = ratios.split()

    def rule(data: Mapping[str, Any]) -> str | None:
        ratio = data["aspect_ratio"]
        if data["resolution"] == resolution and ratio in blocked:
            return (
                f"resolution {resolution!r} is not available for aspect_ratio {ratio!r} "
                f"(not with {', '.join(blocked)})"
            )
        return None

    return rule


def _auto_needs_1k(data: Mapping[str, Any]) -> str | None:
    if data["aspect_ratio"] == "auto" and data["resolution"] != "1K":
        return (
            f"aspect_ratio 'auto' is only available at resolution '1K', got resolution "
            f"{data['resolution']!r}; pick an explicit aspect_ratio"
        )
    return None


def _transparent_format(data: Mapping[str, Any]) -> str | None:
    if data.get("background") == "transparent" and data["output_format"] == "jpeg":
        return "background 'transparent' needs output_format 'png' or 'webp', got 'jpeg'"
    return None


def _last_needs_first(data: Mapping[str, Any]) -> str | None:
    if "last_frame_url" in data and "first_frame_url" not in data:
        return "last_frame_url requires first_frame_url"
    return None


def _frames_or_references(data: Mapping[str, Any]) -> str | None:
    frames = [k for k in ("first_frame_url", "last_frame_url") if k in data]
    refs = ("reference_image_urls", "reference_video_urls", "reference_audio_urls")
    used = [k for k in refs if data.get(k)]
    if frames and used:
        return (
            f"{', '.join(frames)} and {', '.join(used)} cannot be combined: "
            "use frames or multimodal references, not both"
        )
    return None


_RULES: dict[str, tuple[Rule, ...]] = {
    "gpt2_t2i": (
        _background_needs_1k,
        _auto_needs_1k,
        _blocked("2K", "5:4 4:5 3:1 1:3 9:21"),
        _blocked("4K", "1:1 3:1 1:3 9:21"),
    ),
    "gpt2_i2i": (_background_needs_1k, _blocked("4K", "3:1 1:3 9:21")),
    "gpt25_t2i": (_background_needs_1k,),
    "gpt25_i2i": (_background_needs_1k,),
    "gpt25": (_transparent_format,),
    "seedance": (_last_needs_first, _frames_or_references),
}

# -- the schemas: `name [open]` then the fields; `open` accepts unknown fields -----------

_SCHEMAS = """
nano  prompt!:str(1..5000) aspect_ratio:@nano output_format:png|jpeg
nano2  prompt!:str(1..) image_input:list aspect_ratio:str resolution:@k output_format:str
nano_pro  prompt!:str(1..10000) image_input:list(..8) aspect_ratio:@nano resolution:@k
    output_format:png|jpg
gpt2_t2i  prompt!:str(1..20000) aspect_ratio:@gpt2=auto resolution:@k=1K background:@bg
gpt2_t2i_beta  prompt!:str(1..20000) size:str~size
gpt2_t2i_ext  prompt!:str(1..20000) aspect_ratio:@gpt2 resolution:@k quality!:low|medium|high
gpt2_i2i  prompt!:str(1..20000) input_urls!:list(1..16) aspect_ratio:@gpt2=auto
    resolution:@k=1K background:@bg
gpt2_i2i_ext  prompt!:str(1..20000) image_urls!:list(1..6) aspect_ratio:@gpt2 resolution:@k
    quality!:low|medium|high
gpt25_t2i  prompt!:str(1..8000) aspect_ratio:@gpt25 resolution:@k=1K
    background:transparent|opaque|auto
gpt25_i2i  prompt!:str(1..8000) aspect_ratio:@gpt25 resolution:@k=1K
    background:transparent|opaque|auto image_urls!:list(1..16)
gpt25  prompt!:str(1..8000) image_urls:list(1..16)~http aspect_ratio:@gpt25_mode
    quality:low|medium|high|xhigh|max|auto background:auto|transparent|opaque
    output_format:png|jpeg|webp=webp
qwen  prompt!:str(1..20000) size:2688*1536|2368*1728|2048*2048|1728*2368|1536*2688
    negative_prompt:str prompt_extend:bool watermark:bool seed:int(0..2147483647)
seedream_t2i  prompt!:str(4..5000) aspect_ratio:@seedream quality:basic|high
    output_format:png|jpeg
seedream_i2i  prompt!:str(4..5000) aspect_ratio:@seedream quality:basic|high
    output_format:png|jpeg image_urls!:list(1..10)
seedance  prompt!:str(3..20000) aspect_ratio:@seedance duration:int(4..15)
    resolution:480p|720p|1080p|4k first_frame_url:str last_frame_url:str
    reference_image_urls:list(..9) reference_video_urls:list(..3)
    reference_audio_urls:list(..3) generate_audio:bool return_last_frame:bool
    web_search:bool nsfw_checker:bool
seedance_fast open  prompt!:str(3..20000) aspect_ratio:@seedance duration:int(4..15)
    resolution:str reference_image_urls:list generate_audio:bool web_search:bool
happyhorse10  prompt!:str(1..20000) aspect_ratio:1:1|16:9|3:4|4:3|9:16 duration:int(3..15)
    resolution:720p|1080p seed:int(0..2147483647)
happyhorse11  prompt!:str(1..20000) resolution:720p|1080p
    aspect_ratio:16:9|9:16|3:4|4:3|4:5|5:4|1:1|9:21|21:9 duration:int(3..15)
kling_t2v  prompt!:str(1..20000) resolution:720p|1080p|4K aspect_ratio:16:9|9:16|1:1
    duration:int(3..15) sound:bool
kling_i2v  image_urls!:list(1..2) prompt:str(1..20000) resolution:720p|1080p|4K
    duration:int(3..15) sound:bool
"""

# -- the models: `id kind [route=schema ...] [alias=id ...] [first_frame]` ----------------
# No `default=` route: the default route accepts any object (fields never captured).

_MODELS = """
Nano-Banana  image  default=nano
Nano-Banana-2  image  default=nano2
Nano-Banana-Pro  image  default=nano_pro
gpt-image-2/text-to-image  image  default=gpt2_t2i beta=gpt2_t2i_beta ext=gpt2_t2i_ext
    alias=gpt-image-2
gpt-image-2/image-to-image  image  default=gpt2_i2i ext=gpt2_i2i_ext
    alias=gpt-image-2-image-to-image
gpt-image-2.5-flare/text-to-image  image  default=gpt25_t2i
gpt-image-2.5-sunburst/text-to-image  image  default=gpt25_t2i
gpt-image-2.5-flare/image-to-image  image  default=gpt25_i2i
gpt-image-2.5-sunburst/image-to-image  image  default=gpt25_i2i
gpt-image-2.5-flare  image  default=gpt25
gpt-image-2.5-sunburst  image  default=gpt25
qwen-image-2.0  image  default=qwen
seedream-5.0-pro/text-to-image  image  default=seedream_t2i
seedream-5.0-pro/image-to-image  image  default=seedream_i2i
flux-1.1-pro  image
flux-schnell/text-to-image  image
seedance-2.0  video  default=seedance alias=seedance-2-0
seedance-2.0-fast  video  default=seedance_fast
seedance-2.5/text-to-video  video
seedance-2.5/image-to-video  video
seedance-2.5/reference-to-video  video
seedance-2-5  video
happyhorse-1-0  video  default=happyhorse10 first_frame
happyhorse-1.1/text-to-video  video  default=happyhorse11 first_frame
kling-3.0-omni/text-to-video  video  default=kling_t2v
kling-3.0-omni/image-to-video  video  default=kling_i2v
veo-3.1/text-to-video  video
veo-3.1/image-to-video  video
qwen-audio-3.0-tts-plus  audio
qwen-audio-3.0-tts-flash  audio
elevenlabs/text-to-dialogue  audio
minimax-music-1.5  audio
minimax-music-2.6  audio
"""


def _schemas(table: str) -> dict[str, Schema]:
    out: dict[str, Schema] = {}
    for name, *tokens in records(table):
        strict = tokens[:1] != ["open"]
        fields = tokens if strict else tokens[1:]
        rules = _RULES.get(name, ())
        out[name] = parse_schema(fields, _SETS, _PATTERNS, strict=strict, rules=rules)
    return out


def _models(table: str, schemas: Mapping[str, Schema]) -> tuple[TaskModel, ...]:
    out: list[TaskModel] = []
    for model_id, kind, *options in records(table):
        if kind not in KINDS:
            raise ValueError(f"{model_id}: kind {kind!r} is not one of {', '.join(KINDS)}")
        routes: dict[str, Schema | None] = {DEFAULT_ROUTE: None}
        aliases: list[str] = []
        for option in options:
            key, eq, value = option.partition("=")
            if key == "alias":
                aliases.append(value)
            elif eq:
                routes[key] = schemas[value]
            elif option != "first_frame":
                raise ValueError(f"{model_id}: unknown option {option!r}")
        first_frame = "first_frame" in options
        out.append(TaskModel(model_id, kind, routes, tuple(aliases), first_frame))
    return tuple(out)


MODELS: tuple[TaskModel, ...] = _models(_MODELS, _schemas(_SCHEMAS))

_BY_NAME: dict[str, TaskModel] = {
    name: spec for spec in MODELS for name in (spec.id, *spec.aliases)
}
# Keys that belong in the top-level `callback` object; in `input` the server refuses them.
_CALLBACK_KEYS = "callback callback_url callbackUrl callBackUrl webhook webhook_url notify_url"
CALLBACK_KEYS = frozenset(_CALLBACK_KEYS.split())


def find(name: str) -> TaskModel | None:
    """The model spec for an id or alias (without a route suffix), or None."""
    return _BY_NAME.get(name)


def resolve(model: str, route: str | None) -> Resolved:
    """Resolves `model` (maybe `x@route`) and the body's `route` field.

    Args:
        model: The body's `model`.
        route: The body's `route`; None or `""` when absent.

    Returns:
        The model, route name and schema.

    Raises:
        InputError: Unknown model, unknown route, or two different routes asked for.
    """
    name, at, suffix = model.partition("@")
    spec = find(name)
    if spec is None:
        raise InputError(f"model {model!r} not found")
    if at and route and suffix != route:
        raise InputError(
            f"model {model!r} names route {suffix!r} but route is {route!r}; send one of them"
        )
    chosen = (suffix if at else route) or DEFAULT_ROUTE
    if chosen not in spec.routes:
        raise InputError(
            f"unknown route {chosen!r} for model {name!r}; available routes: "
            + ", ".join(spec.routes)
        )
    return Resolved(spec, chosen, spec.routes[chosen])


def check_input(resolved: Resolved, data: Any) -> None:
    """Checks a create body's `input` against the resolved route's schema.

    Args:
        resolved: The model and route.
        data: The body's `input`.

    Raises:
        InputError: The input breaks the schema; the message names the model, the fields
            and the allowed values.
    """
    where = (
        resolved.model.id
        if resolved.route == DEFAULT_ROUTE
        else f"{resolved.model.id}@{resolved.route}"
    )
    if not isinstance(data, dict):
        raise InputError(f"input: expected object, but got {json_type(data)}")
    misplaced = sorted(CALLBACK_KEYS & data.keys())
    if misplaced:
        raise InputError(
            f"input: callback fields are not model inputs ({', '.join(misplaced)}); "
            'send them as the top-level "callback": {"url": ..., "when": "final"}'
        )
    if resolved.schema is None:
        return
    problems = schema_problems(resolved.schema, data)
    if problems:
        raise InputError(f"invalid input for model {where!r}: " + "; ".join(problems))
