"""Typed image options for HiAPI's Nano-Banana models and their wire form.

HiAPI reads image options from a *literal* `extra_body` key of the JSON body:
`{"extra_body": {"google": {"image_config": {"aspect_ratio": "16:9", "image_size": "2K"}}}}`.
The gateway passes the values to Gemini unchecked and answers camelCase keys with an
opaque HTTP 500, so everything is validated here, before a request is sent, with
messages that name the field, the value and the allowed values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

AspectRatio = Literal[
    "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9", "auto"
]
"""An aspect ratio (width:height) HiAPI documents, or `"auto"`."""
ImageSize = Literal["1K", "2K", "4K"]
"""An output size: 1K = 1024 px, 2K = 2048 px, 4K = 4096 px on the long side."""

# Derived from the Literals so the runtime tuples and the typed schema cannot drift apart.
ASPECT_RATIOS: tuple[str, ...] = get_args(AspectRatio)
"""Aspect ratios HiAPI documents for its image models."""

IMAGE_SIZES: tuple[str, ...] = get_args(ImageSize)
"""Output sizes HiAPI documents (1K = 1024 px on the long side, 2K = 2048 px, 4K = 4096 px)."""

if TYPE_CHECKING:
    # Read from the catalogue on first access (module `__getattr__`), not on import.
    MODEL_IMAGE_SIZES: dict[str, tuple[str, ...]]
    IMAGE_MODELS: frozenset[str]

_FIELD_VALUES: dict[str, tuple[str, ...]] = {
    "aspect_ratio": ASPECT_RATIOS,
    "image_size": IMAGE_SIZES,
}
# camelCase spellings that Google's own SDKs use; the gateway rejects them with a 500.
_CAMEL_KEYS: dict[str, str] = {
    "imageConfig": "image_config",
    "aspectRatio": "aspect_ratio",
    "imageSize": "image_size",
    "thinkingConfig": "thinking_config",
    "thinkingBudget": "thinking_budget",
    "includeThoughts": "include_thoughts",
    "thinkingLevel": "thinking_level",
}
_UPPER = re.compile(r"(?<!^)(?=[A-Z])")
# Prefix of the readable messages raised from validators: pydantic prepends this to them.
_PYDANTIC_VALUE_ERROR = "Value error, "


def __getattr__(name: str) -> Any:
    """The model facts, from the catalogue (loaded here on first use, not on import).

    `MODEL_IMAGE_SIZES`: output sizes per chat image model that restricts them; other
    models accept every `IMAGE_SIZES` value. `IMAGE_MODELS`: the models that answer with
    images on the chat-completions route.
    """
    if name not in ("MODEL_IMAGE_SIZES", "IMAGE_MODELS"):
        # Checked first: the import system probes attributes such as `__path__`.
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from langchain_hiapi import catalogue

    if name == "MODEL_IMAGE_SIZES":
        return catalogue.chat_image_sizes()
    return catalogue.chat_image_models()


def _snake_case(key: str) -> str:
    return _UPPER.sub("_", key).lower()


def _allowed(values: tuple[str, ...]) -> str:
    return ", ".join(values)


class ImageConfig(BaseModel):
    """Image options for the Nano-Banana models (sent as `extra_body.google.image_config`).

    Every field is optional; unset fields are not sent and the model's default applies
    (1:1 at 1K). Instances are immutable.

    Example:
        .. code-block:: python

            from langchain_hiapi import ChatHiAPI, ImageConfig

            llm = ChatHiAPI(
                model="Nano-Banana-Pro",
                image_config=ImageConfig(aspect_ratio="16:9", image_size="2K"),
            )
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    aspect_ratio: AspectRatio | None = None
    """Width:height of the image, e.g. `"16:9"`, or `"auto"` to let the model choose."""

    image_size: ImageSize | None = None
    """Output size: `"1K"`, `"2K"` or `"4K"` (Nano-Banana-2 and Nano-Banana-Pro)."""

    @model_validator(mode="before")
    @classmethod
    def _check_keys(cls, data: Any) -> Any:
        # Runs before pydantic's own extra="forbid" check so that the message says what
        # to write instead (the gateway only answers camelCase with an opaque 500).
        if isinstance(data, Mapping):
            for key in data:
                if not isinstance(key, str):
                    msg = f"image_config: keys must be strings, got {key!r}"
                    raise ValueError(msg)
                if key in _FIELD_VALUES:
                    continue
                allowed = _allowed(tuple(_FIELD_VALUES))
                snake = _snake_case(key)
                if snake in _FIELD_VALUES:
                    msg = (
                        f"image_config: {key!r} is camelCase; use the snake_case key "
                        f"{snake!r} (allowed keys: {allowed})"
                    )
                else:
                    msg = f"image_config: unknown key {key!r}; allowed keys: {allowed}"
                raise ValueError(msg)
        return data

    @field_validator("aspect_ratio", "image_size", mode="before")
    @classmethod
    def _check_value(cls, value: Any, info: ValidationInfo) -> Any:
        # A custom check instead of pydantic's literal_error dump: one readable line.
        if value is None:
            return None
        field = str(info.field_name)
        allowed = _FIELD_VALUES[field]
        if not isinstance(value, str):
            msg = (
                f"image_config.{field}: expected a string, got {type(value).__name__} "
                f"{value!r}; allowed values: {_allowed(allowed)}"
            )
            raise ValueError(msg)
        if value not in allowed:
            msg = f"image_config.{field}: {value!r} is not supported; allowed values: "
            msg += _allowed(allowed)
            hint = next((v for v in allowed if v.lower() == value.strip().lower()), None)
            if hint is not None:
                msg += f" (did you mean {hint!r}?)"
            raise ValueError(msg)
        return value

    def to_wire(self) -> dict[str, str]:
        """Returns the fields that are set, as sent in `extra_body.google.image_config`."""
        return self.model_dump(exclude_none=True)


def _readable(exc: ValidationError) -> str:
    """Joins the messages of a ValidationError without pydantic's decoration."""
    lines = []
    for error in exc.errors(include_url=False):
        ctx_error = (error.get("ctx") or {}).get("error")
        if ctx_error is not None:
            lines.append(str(ctx_error))
            continue
        text = str(error.get("msg", ""))
        text = text.removeprefix(_PYDANTIC_VALUE_ERROR)
        location = ".".join(str(part) for part in error.get("loc", ()))
        lines.append(f"image_config.{location}: {text}" if location else f"image_config: {text}")
    return "; ".join(lines)


def coerce_image_config(value: ImageConfig | Mapping[str, Any] | None) -> ImageConfig | None:
    """Turns a user-supplied image config into an `ImageConfig`.

    Args:
        value: An `ImageConfig`, a mapping such as `{"aspect_ratio": "16:9"}`, or `None`.

    Returns:
        The validated config, or `None` when `value` is `None`.

    Raises:
        TypeError: If `value` is not one of the accepted types.
        ValueError: If a key or value is not supported; the message names the field,
            the value and the allowed values.
    """
    if value is None or isinstance(value, ImageConfig):
        return value
    if not isinstance(value, Mapping):
        msg = (
            "image_config must be an ImageConfig, a dict such as "
            f"{{'aspect_ratio': '16:9', 'image_size': '2K'}} or None; got {type(value).__name__}"
        )
        raise TypeError(msg)
    try:
        return ImageConfig.model_validate(dict(value))
    except ValidationError as exc:
        # Re-raised as a plain ValueError so callers see one clean line, not pydantic's dump.
        raise ValueError(_readable(exc)) from None


def is_image_model(model: str) -> bool:
    """Whether `model` is one of the image models of the chat route (case-insensitive).

    Args:
        model: A HiAPI model id.

    Returns:
        `True` for `Nano-Banana`, `Nano-Banana-2`, `Nano-Banana-Pro` and `gpt-image-2`.
    """
    from langchain_hiapi import catalogue

    lowered = model.lower()
    return any(name.lower() == lowered for name in catalogue.chat_image_models())


def check_image_size_for_model(config: ImageConfig | None, model: str) -> None:
    """Checks that the model supports the requested `image_size`.

    Known models are matched case-insensitively; unknown model ids accept every
    `IMAGE_SIZES` value (the gateway decides).

    Args:
        config: The effective image config (may be `None`).
        model: The model id the request is sent to.

    Raises:
        ValueError: If the model does not support `config.image_size`.
    """
    if config is None or config.image_size is None:
        return
    from langchain_hiapi import catalogue

    lowered = model.lower()
    for name, sizes in catalogue.chat_image_sizes().items():
        if name.lower() == lowered:
            if config.image_size not in sizes:
                msg = (
                    f"image_config.image_size: {config.image_size!r} is not supported by "
                    f"model {model!r}; allowed values: {_allowed(sizes)}"
                )
                raise ValueError(msg)
            return


def merge_image_config(
    base: ImageConfig | None, override: ImageConfig | None
) -> ImageConfig | None:
    """Merges a per-call image config over the model's default one.

    Fields explicitly set in `override` win, including an explicit `None`, which clears
    the base value (`{"image_size": None}` sends no size at all).

    Args:
        base: The config set on the model.
        override: The config passed for one call.

    Returns:
        The merged config, or `None` when both are `None`.
    """
    if override is None:
        return base
    if base is None:
        return override
    merged: dict[str, Any] = {name: getattr(base, name) for name in base.model_fields_set}
    merged.update({name: getattr(override, name) for name in override.model_fields_set})
    return ImageConfig(**merged)


def _plain_copy(value: Any) -> Any:
    """Copies nested mappings and lists into fresh dicts and lists (inputs stay untouched)."""
    if isinstance(value, Mapping):
        return {key: _plain_copy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_copy(item) for item in value]
    return value


def _check_snake_case(value: Any, path: str, *, under_google: bool) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            key_path = f"{path}.{key}"
            if isinstance(key, str) and (
                key in _CAMEL_KEYS or (under_google and key != key.lower())
            ):
                snake = _CAMEL_KEYS.get(key, _snake_case(key))
                msg = (
                    f"{key_path}: HiAPI only accepts snake_case keys (camelCase makes the "
                    f"gateway fail with HTTP 500); use {snake!r} instead of {key!r}"
                )
                raise ValueError(msg)
            _check_snake_case(
                item,
                key_path,
                under_google=under_google or (path == "extra_body" and key == "google"),
            )
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_snake_case(item, f"{path}[{index}]", under_google=under_google)


def build_extra_body(
    image_config: ImageConfig | None, extra_body: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """Builds the value of the literal `extra_body` key of the request body.

    The typed image config becomes `{"google": {"image_config": {...}}}` (set fields
    only) and is deep-merged into a copy of the user's `extra_body`, e.g. one carrying
    `{"google": {"thinking_config": {"thinking_budget": 1024, "include_thoughts": True}}}`.
    Where both set the same `image_config` field, the typed config wins; other keys of an
    `image_config` given in `extra_body` are kept and sent unchecked (an escape hatch for
    options this package does not know yet).

    Args:
        image_config: The effective typed image config.
        extra_body: The user's raw `extra_body`; never mutated.

    Returns:
        A new dict, or `None` when there is nothing to send.

    Raises:
        TypeError: If `extra_body` is not a mapping.
        ValueError: If `extra_body` uses a camelCase key (the message names the key path
            and the snake_case spelling) or `google`/`image_config` is not an object.
    """
    if extra_body is not None and not isinstance(extra_body, Mapping):
        msg = f"extra_body must be a dict or None, got {type(extra_body).__name__}"
        raise TypeError(msg)
    _check_snake_case(extra_body or {}, "extra_body", under_google=False)
    body: dict[str, Any] = _plain_copy(extra_body) if extra_body else {}
    google = body.get("google")
    if google is not None and not isinstance(google, dict):
        msg = f"extra_body.google must be an object, got {type(google).__name__}"
        raise ValueError(msg)
    user_config = (google or {}).get("image_config")
    if user_config is not None and not isinstance(user_config, dict):
        # The gateway would answer this with an opaque 500 (convert_request_failed).
        msg = f"extra_body.google.image_config must be an object, got {type(user_config).__name__}"
        raise ValueError(msg)
    wire = image_config.to_wire() if image_config is not None else {}
    if wire:
        google = body.setdefault("google", {})
        google["image_config"] = {**(user_config or {}), **wire}
    return body or None
