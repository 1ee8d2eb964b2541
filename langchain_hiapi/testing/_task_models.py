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

Messages follow the Go JSON-schema validator wording the contract quotes ("additional
properties 'audio' not allowed") and always name the field and the allowed values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["image", "video", "audio"]
JsonType = Literal["string", "integer", "number", "boolean", "array"]
# A cross-field rule: the input (a dict) -> a message, or None when satisfied.
Rule = Callable[[Mapping[str, Any]], "str | None"]

MAX_SEED = 2147483647
DEFAULT_ROUTE = "default"


@dataclass(frozen=True)
class Prop:
    """One `input` property: its JSON type and constraints.

    Attributes:
        type: JSON type; `array` means an array of strings.
        required: Whether the property must be present.
        enum: Allowed values, if restricted.
        minimum: Smallest number allowed.
        maximum: Largest number allowed.
        min_length: Shortest string allowed.
        max_length: Longest string allowed.
        min_items: Fewest array items allowed.
        max_items: Most array items allowed.
        pattern: Regular expression a string must match (`re.fullmatch`).
    """

    type: JsonType
    required: bool = False
    enum: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class Schema:
    """An `input` schema.

    Attributes:
        props: Known properties.
        strict: Refuse properties not in `props` (`additionalProperties: false`).
        rules: Cross-field rules, checked when every property is valid.
    """

    props: Mapping[str, Prop]
    strict: bool = True
    rules: tuple[Rule, ...] = ()


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
    schema: Schema | None = field(default=None)


class InputError(ValueError):
    """A request the schema refuses; the message is the server's `message`."""


# -- shared enums ------------------------------------------------------------------------

_NANO_RATIOS = ("auto", "1:1", "16:9", "9:16", "3:4", "4:3", "3:2", "2:3", "5:4", "4:5", "21:9")
_GPT2_RATIOS = (
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
)
_GPT25_RATIOS = (
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
)
_GPT25_MODE_RATIOS = (
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
)
_SEEDREAM_RATIOS = ("1:1", "4:3", "3:4", "16:9", "9:16", "2:3", "3:2", "21:9")
_SEEDANCE_RATIOS = ("1:1", "4:3", "3:4", "16:9", "9:16", "21:9", "adaptive")
_K = ("1K", "2K", "4K")
_BACKGROUNDS = ("auto", "opaque", "transparent")

_STR = Prop("string")
_BOOL = Prop("boolean")
_URLS = Prop("array")
_SEED = Prop("integer", minimum=0, maximum=MAX_SEED)


def _prompt(max_length: int, min_length: int = 1, *, required: bool = True) -> Prop:
    return Prop("string", required=required, min_length=min_length, max_length=max_length)


def _enum(*values: str, required: bool = False) -> Prop:
    return Prop("string", required=required, enum=values)


# -- cross-field rules -------------------------------------------------------------------


def _background_needs_1k(data: Mapping[str, Any]) -> str | None:
    if "background" in data and data.get("resolution", "1K") != "1K":
        return (
            f"background is only available at resolution '1K', got resolution "
            f"{data['resolution']!r}; remove background or use resolution '1K'"
        )
    return None


def _blocked(resolution: str, ratios: tuple[str, ...], default_ratio: str) -> Rule:
    def rule(data: Mapping[str, Any]) -> str | None:
        ratio = data.get("aspect_ratio", default_ratio)
        if data.get("resolution", "1K") == resolution and ratio in ratios:
            return (
                f"resolution {resolution!r} is not available for aspect_ratio {ratio!r} "
                f"(not with {', '.join(ratios)})"
            )
        return None

    return rule


def _auto_needs_1k(data: Mapping[str, Any]) -> str | None:
    if data.get("aspect_ratio", "auto") == "auto" and data.get("resolution", "1K") != "1K":
        return (
            f"aspect_ratio 'auto' is only available at resolution '1K', got resolution "
            f"{data['resolution']!r}; pick an explicit aspect_ratio"
        )
    return None


def _transparent_format(data: Mapping[str, Any]) -> str | None:
    if data.get("background") == "transparent" and data.get("output_format", "webp") == "jpeg":
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


# -- the schemas -------------------------------------------------------------------------

_GPT2_T2I = Schema(
    {
        "prompt": _prompt(20000),
        "aspect_ratio": _enum(*_GPT2_RATIOS),
        "resolution": _enum(*_K),
        "background": _enum(*_BACKGROUNDS),
    },
    rules=(
        _background_needs_1k,
        _auto_needs_1k,
        _blocked("2K", ("5:4", "4:5", "3:1", "1:3", "9:21"), "auto"),
        _blocked("4K", ("1:1", "3:1", "1:3", "9:21"), "auto"),
    ),
)
_GPT2_T2I_BETA = Schema(
    {
        "prompt": _prompt(20000),
        "size": Prop("string", pattern=r"auto|[0-9]{3,5}x[0-9]{3,5}"),
    }
)
_GPT2_T2I_EXT = Schema(
    {
        "prompt": _prompt(20000),
        "aspect_ratio": _enum(*_GPT2_RATIOS),
        "resolution": _enum(*_K),
        "quality": _enum("low", "medium", "high", required=True),
    }
)
_GPT2_I2I = Schema(
    {
        "prompt": _prompt(20000),
        "input_urls": Prop("array", required=True, min_items=1, max_items=16),
        "aspect_ratio": _enum(*_GPT2_RATIOS),
        "resolution": _enum(*_K),
        "background": _enum(*_BACKGROUNDS),
    },
    rules=(_background_needs_1k, _blocked("4K", ("3:1", "1:3", "9:21"), "auto")),
)
_GPT2_I2I_EXT = Schema(
    {
        "prompt": _prompt(20000),
        "image_urls": Prop("array", required=True, min_items=1, max_items=6),
        "aspect_ratio": _enum(*_GPT2_RATIOS),
        "resolution": _enum(*_K),
        "quality": _enum("low", "medium", "high", required=True),
    }
)
_GPT25_T2I = Schema(
    {
        "prompt": _prompt(8000),
        "aspect_ratio": _enum(*_GPT25_RATIOS),
        "resolution": _enum(*_K),
        "background": _enum("transparent", "opaque", "auto"),
    },
    rules=(_background_needs_1k,),
)
_GPT25_I2I = Schema(
    {**_GPT25_T2I.props, "image_urls": Prop("array", required=True, min_items=1, max_items=16)},
    rules=(_background_needs_1k,),
)
_GPT25_MODE = Schema(
    {
        "prompt": _prompt(8000),
        "image_urls": Prop(
            "array", min_items=1, max_items=16, pattern=r"[hH][tT][tT][pP][sS]?://.+"
        ),
        "aspect_ratio": _enum(*_GPT25_MODE_RATIOS),
        "quality": _enum("low", "medium", "high", "xhigh", "max", "auto"),
        "background": _enum("auto", "transparent", "opaque"),
        "output_format": _enum("png", "jpeg", "webp"),
    },
    rules=(_transparent_format,),
)
_SEEDREAM_T2I = Schema(
    {
        "prompt": _prompt(5000, 4),
        "aspect_ratio": _enum(*_SEEDREAM_RATIOS),
        "quality": _enum("basic", "high"),
        "output_format": _enum("png", "jpeg"),
    }
)
_SEEDREAM_I2I = Schema(
    {**_SEEDREAM_T2I.props, "image_urls": Prop("array", required=True, min_items=1, max_items=10)}
)
_SEEDANCE = Schema(
    {
        "prompt": _prompt(20000, 3),
        "aspect_ratio": _enum(*_SEEDANCE_RATIOS),
        "duration": Prop("integer", minimum=4, maximum=15),
        "resolution": _enum("480p", "720p", "1080p", "4k"),
        "first_frame_url": _STR,
        "last_frame_url": _STR,
        "reference_image_urls": Prop("array", max_items=9),
        "reference_video_urls": Prop("array", max_items=3),
        "reference_audio_urls": Prop("array", max_items=3),
        "generate_audio": _BOOL,
        "return_last_frame": _BOOL,
        "web_search": _BOOL,
        "nsfw_checker": _BOOL,
    },
    rules=(_last_needs_first, _frames_or_references),
)
_SEEDANCE_FAST = Schema(
    {
        "prompt": _prompt(20000, 3),
        "aspect_ratio": _enum(*_SEEDANCE_RATIOS),
        "duration": Prop("integer", minimum=4, maximum=15),
        "resolution": _STR,
        "reference_image_urls": _URLS,
        "generate_audio": _BOOL,
        "web_search": _BOOL,
    },
    strict=False,
)
_HAPPYHORSE_10 = Schema(
    {
        "prompt": _prompt(20000),
        "aspect_ratio": _enum("1:1", "16:9", "3:4", "4:3", "9:16"),
        "duration": Prop("integer", minimum=3, maximum=15),
        "resolution": _enum("720p", "1080p"),
        "seed": _SEED,
    }
)
_HAPPYHORSE_11 = Schema(
    {
        "prompt": _prompt(20000),
        "resolution": _enum("720p", "1080p"),
        "aspect_ratio": _enum("16:9", "9:16", "3:4", "4:3", "4:5", "5:4", "1:1", "9:21", "21:9"),
        "duration": Prop("integer", minimum=3, maximum=15),
    }
)
_KLING_T2V = Schema(
    {
        "prompt": _prompt(20000),
        "resolution": _enum("720p", "1080p", "4K"),
        "aspect_ratio": _enum("16:9", "9:16", "1:1"),
        "duration": Prop("integer", minimum=3, maximum=15),
        "sound": _BOOL,
    }
)
_KLING_I2V = Schema(
    {
        "image_urls": Prop("array", required=True, min_items=1, max_items=2),
        "prompt": _prompt(20000, required=False),
        "resolution": _enum("720p", "1080p", "4K"),
        "duration": Prop("integer", minimum=3, maximum=15),
        "sound": _BOOL,
    }
)


def _one(schema: Schema | None) -> dict[str, Schema | None]:
    return {DEFAULT_ROUTE: schema}


MODELS: tuple[TaskModel, ...] = (
    # -- image
    TaskModel(
        "Nano-Banana",
        "image",
        _one(
            Schema(
                {
                    "prompt": _prompt(5000),
                    "aspect_ratio": _enum(*_NANO_RATIOS),
                    "output_format": _enum("png", "jpeg"),
                }
            )
        ),
    ),
    TaskModel(
        "Nano-Banana-2",
        "image",
        _one(
            Schema(
                {
                    "prompt": Prop("string", required=True, min_length=1),
                    "image_input": _URLS,
                    "aspect_ratio": _STR,
                    "resolution": _enum(*_K),
                    "output_format": _STR,
                }
            )
        ),
    ),
    TaskModel(
        "Nano-Banana-Pro",
        "image",
        _one(
            Schema(
                {
                    "prompt": _prompt(10000),
                    "image_input": Prop("array", max_items=8),
                    "aspect_ratio": _enum(*_NANO_RATIOS),
                    "resolution": _enum(*_K),
                    "output_format": _enum("png", "jpg"),
                }
            )
        ),
    ),
    TaskModel(
        "gpt-image-2/text-to-image",
        "image",
        {DEFAULT_ROUTE: _GPT2_T2I, "beta": _GPT2_T2I_BETA, "ext": _GPT2_T2I_EXT},
        aliases=("gpt-image-2",),
    ),
    TaskModel(
        "gpt-image-2/image-to-image",
        "image",
        {DEFAULT_ROUTE: _GPT2_I2I, "ext": _GPT2_I2I_EXT},
        aliases=("gpt-image-2-image-to-image",),
    ),
    TaskModel("gpt-image-2.5-flare/text-to-image", "image", _one(_GPT25_T2I)),
    TaskModel("gpt-image-2.5-sunburst/text-to-image", "image", _one(_GPT25_T2I)),
    TaskModel("gpt-image-2.5-flare/image-to-image", "image", _one(_GPT25_I2I)),
    TaskModel("gpt-image-2.5-sunburst/image-to-image", "image", _one(_GPT25_I2I)),
    TaskModel("gpt-image-2.5-flare", "image", _one(_GPT25_MODE)),
    TaskModel("gpt-image-2.5-sunburst", "image", _one(_GPT25_MODE)),
    TaskModel(
        "qwen-image-2.0",
        "image",
        _one(
            Schema(
                {
                    "prompt": _prompt(20000),
                    "size": _enum("2688*1536", "2368*1728", "2048*2048", "1728*2368", "1536*2688"),
                    "negative_prompt": _STR,
                    "prompt_extend": _BOOL,
                    "watermark": _BOOL,
                    "seed": _SEED,
                }
            )
        ),
    ),
    TaskModel("seedream-5.0-pro/text-to-image", "image", _one(_SEEDREAM_T2I)),
    TaskModel("seedream-5.0-pro/image-to-image", "image", _one(_SEEDREAM_I2I)),
    TaskModel("flux-1.1-pro", "image", _one(None)),
    TaskModel("flux-schnell/text-to-image", "image", _one(None)),
    # -- video
    TaskModel("seedance-2.0", "video", _one(_SEEDANCE), aliases=("seedance-2-0",)),
    TaskModel("seedance-2.0-fast", "video", _one(_SEEDANCE_FAST)),
    TaskModel("seedance-2.5/text-to-video", "video", _one(None)),
    TaskModel("seedance-2.5/image-to-video", "video", _one(None)),
    TaskModel("seedance-2.5/reference-to-video", "video", _one(None)),
    TaskModel("seedance-2-5", "video", _one(None)),
    TaskModel("happyhorse-1-0", "video", _one(_HAPPYHORSE_10), first_frame=True),
    TaskModel("happyhorse-1.1/text-to-video", "video", _one(_HAPPYHORSE_11), first_frame=True),
    TaskModel("kling-3.0-omni/text-to-video", "video", _one(_KLING_T2V)),
    TaskModel("kling-3.0-omni/image-to-video", "video", _one(_KLING_I2V)),
    TaskModel("veo-3.1/text-to-video", "video", _one(None)),
    TaskModel("veo-3.1/image-to-video", "video", _one(None)),
    # -- audio
    TaskModel("qwen-audio-3.0-tts-plus", "audio", _one(None)),
    TaskModel("qwen-audio-3.0-tts-flash", "audio", _one(None)),
    TaskModel("elevenlabs/text-to-dialogue", "audio", _one(None)),
    TaskModel("minimax-music-1.5", "audio", _one(None)),
    TaskModel("minimax-music-2.6", "audio", _one(None)),
)

_BY_NAME: dict[str, TaskModel] = {
    name: spec for spec in MODELS for name in (spec.id, *spec.aliases)
}
# Keys that belong in the top-level `callback` object; in `input` the server refuses them.
CALLBACK_KEYS: frozenset[str] = frozenset(
    {
        "callback",
        "callback_url",
        "callbackUrl",
        "callBackUrl",
        "webhook",
        "webhook_url",
        "notify_url",
    }
)


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


_TYPE_NAMES = {bool: "boolean", int: "integer", float: "number", str: "string"}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _is(value: Any, kind: JsonType) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, list)


def _check_prop(path: str, value: Any, prop: Prop) -> list[str]:
    if not _is(value, prop.type):
        return [f"{path}: expected {prop.type}, but got {_json_type(value)}"]
    problems: list[str] = []
    if prop.enum is not None and value not in prop.enum:
        allowed = ", ".join(json.dumps(v) for v in prop.enum)
        problems.append(f"{path}: value must be one of {allowed}, got {json.dumps(value)}")
    if prop.minimum is not None and value < prop.minimum:
        problems.append(f"{path}: must be >= {prop.minimum:g} but found {value}")
    if prop.maximum is not None and value > prop.maximum:
        problems.append(f"{path}: must be <= {prop.maximum:g} but found {value}")
    if isinstance(value, str):
        if prop.min_length is not None and len(value) < prop.min_length:
            problems.append(f"{path}: length must be >= {prop.min_length}, but got {len(value)}")
        if prop.max_length is not None and len(value) > prop.max_length:
            problems.append(f"{path}: length must be <= {prop.max_length}, but got {len(value)}")
        if prop.pattern is not None and not re.fullmatch(prop.pattern, value):
            problems.append(f"{path}: {value!r} does not match pattern '^({prop.pattern})$'")
    if isinstance(value, list):
        if prop.min_items is not None and len(value) < prop.min_items:
            problems.append(
                f"{path}: minimum {prop.min_items} items required, but found {len(value)} items"
            )
        if prop.max_items is not None and len(value) > prop.max_items:
            problems.append(
                f"{path}: maximum {prop.max_items} items allowed, but found {len(value)} items"
            )
        for index, item in enumerate(value):
            if not isinstance(item, str):
                problems.append(f"{path}[{index}]: expected string, but got {_json_type(item)}")
            elif prop.pattern is not None and not re.fullmatch(prop.pattern, item):
                problems.append(
                    f"{path}[{index}]: {item!r} does not match pattern '^({prop.pattern})$'"
                )
    return problems


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
        raise InputError(f"input: expected object, but got {_json_type(data)}")
    misplaced = sorted(CALLBACK_KEYS & data.keys())
    if misplaced:
        raise InputError(
            f"input: callback fields are not model inputs ({', '.join(misplaced)}); "
            'send them as the top-level "callback": {"url": ..., "when": "final"}'
        )
    schema = resolved.schema
    if schema is None:
        return
    problems: list[str] = []
    missing = [name for name, prop in schema.props.items() if prop.required and name not in data]
    if missing:
        problems.append("input: missing properties: " + ", ".join(f"'{m}'" for m in missing))
    extra = [name for name in data if name not in schema.props]
    if schema.strict and extra:
        problems.append(
            "input: additional properties "
            + ", ".join(f"'{e}'" for e in extra)
            + " not allowed (allowed: "
            + ", ".join(schema.props)
            + ")"
        )
    for name, value in data.items():
        prop = schema.props.get(name)
        if prop is not None:
            problems.extend(_check_prop(f"input.{name}", value, prop))
    if not problems:
        problems.extend(message for rule in schema.rules if (message := rule(data)) is not None)
    if problems:
        raise InputError(f"invalid input for model {where!r}: " + "; ".join(problems))
