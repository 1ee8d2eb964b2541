"""HiAPI's models: ids, aliases, routes, input schemas, where each is served, profiles.

The one place in the package that knows models. Each model family has its own module
holding its task input schemas and its entries (`_nano_banana`, `_gpt_image`, `_image`,
`_seedance`, `_video`, `_audio`): adding a model edits that one file. Each documented
model has a pydantic input model per route (strict JSON types, unknown fields rejected,
enums, bounds and defaults from the contract, cross-field rules as validators);
`validate_task_input` checks an `input` against it before anything is sent, and the models'
JSON schemas are what a tool shows an agent. Models whose fields no source documents are
listed by id only and pass through unchecked, like every model this package does not know.
An entry also says which endpoints serve the model (tasks, chat completions, the images
API, under which id), which `image_config.image_size` values it takes on chat, and its
LangChain model profile.

Decisions that hold for every family, following the contract's rule table (`hiapi-task-api.md`,
"How the package settles the conflicts"); each family module lists its own:

- **Ids and aliases.** Canonical ids are the newest dated source's; older spellings are
  aliases. `HiAPITasks.create` sends the canonical id, as HiAPI's own skills do after their
  "canonical runtime migration".
- **Id-only** models: their `default` route is the open `OpenTaskInput` schema: anything
  passes, and any route name is accepted.
- **Reserved keys**: `callback`, `callback_url` and `storage` inside `input` are refused for
  every model (the contract: they are top-level fields; HiAPI rejects them in `input`).
- **Profiles**: models on chat completions have a chat profile; every other model a
  generation profile (a prompt, maybe images, in; its media out; no tools). No source lists
  HiAPI's text models, so none has an entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.language_models.model_profile import ModelProfile
from pydantic import BaseModel, ValidationError

from langchain_hiapi.catalogue import _audio, _gpt_image, _image, _nano_banana, _seedance, _video
from langchain_hiapi.catalogue._describe import describe
from langchain_hiapi.catalogue._gpt_image import (
    GptImage2ImageToImageExtInput,
    GptImage2ImageToImageInput,
    GptImage2TextToImageBetaInput,
    GptImage2TextToImageExtInput,
    GptImage2TextToImageInput,
    GptImage25ImageToImageInput,
    GptImage25Input,
    GptImage25TextToImageInput,
)
from langchain_hiapi.catalogue._image import (
    QwenImage2Input,
    Seedream5ProImageToImageInput,
    Seedream5ProTextToImageInput,
)
from langchain_hiapi.catalogue._info import DEFAULT_ROUTE, Endpoint, ModelInfo, ModelKind
from langchain_hiapi.catalogue._nano_banana import (
    NanoBanana2Input,
    NanoBananaInput,
    NanoBananaProInput,
)
from langchain_hiapi.catalogue._schema import OpenTaskInput, TaskInput
from langchain_hiapi.catalogue._seedance import Seedance20FastInput, Seedance20Input
from langchain_hiapi.catalogue._video import (
    HappyHorse10Input,
    HappyHorse11TextToVideoInput,
    Kling30OmniImageToVideoInput,
    Kling30OmniTextToVideoInput,
)
from langchain_hiapi.errors import TaskInputError

__all__ = [
    "DEFAULT_ROUTE",
    "Endpoint",
    "GptImage2ImageToImageExtInput",
    "GptImage2ImageToImageInput",
    "GptImage2TextToImageBetaInput",
    "GptImage2TextToImageExtInput",
    "GptImage2TextToImageInput",
    "GptImage25ImageToImageInput",
    "GptImage25Input",
    "GptImage25TextToImageInput",
    "HappyHorse10Input",
    "HappyHorse11TextToVideoInput",
    "Kling30OmniImageToVideoInput",
    "Kling30OmniTextToVideoInput",
    "ModelInfo",
    "ModelKind",
    "NanoBanana2Input",
    "NanoBananaInput",
    "NanoBananaProInput",
    "OpenTaskInput",
    "QwenImage2Input",
    "Seedance20FastInput",
    "Seedance20Input",
    "Seedream5ProImageToImageInput",
    "Seedream5ProTextToImageInput",
    "TaskInput",
    "all_models",
    "canonical_model",
    "chat_image_models",
    "chat_image_sizes",
    "get_profile",
    "images_api_models",
    "lookup",
    "split_route",
    "task_input_model",
    "task_models",
    "validate_task_input",
]

# Top-level create fields that HiAPI rejects inside `input`, and what to use instead.
_RESERVED_KEYS = {
    "callback": "pass callback_url= to create() (sent as the top-level `callback`)",
    "callback_url": "pass callback_url= to create() (sent as the top-level `callback`)",
    "storage": 'pass storage="persistent" to create() (a top-level field)',
}

_MODELS: tuple[ModelInfo, ...] = (
    *_nano_banana.MODELS,
    *_gpt_image.MODELS,
    *_image.MODELS,
    *_seedance.MODELS,
    *_video.MODELS,
    *_audio.MODELS,
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


def all_models(endpoint: str | None = None, kind: str | None = None) -> list[ModelInfo]:
    """Every model in the catalogue, in catalogue order.

    Args:
        endpoint: Only models served there (`tasks`, `chat`, `images`), if given.
        kind: Only this kind (`image`, `video`, `audio`, `text`), if given.

    Returns:
        The entries.
    """
    return [
        info
        for info in _MODELS
        if (endpoint is None or endpoint in info.served_on) and (kind is None or info.kind == kind)
    ]


def task_models(kind: str | None = None) -> list[ModelInfo]:
    """The models served on the task API, in catalogue order.

    Args:
        kind: Only this kind (`image`, `video`, `audio`), if given.

    Returns:
        The entries.
    """
    return all_models("tasks", kind)


def chat_image_models() -> frozenset[str]:
    """The ids (as sent on chat completions) of the image models served there."""
    return frozenset(info.id_for("chat") for info in all_models("chat", "image"))


def chat_image_sizes() -> dict[str, tuple[str, ...]]:
    """Chat id -> the `image_config.image_size` values, for models that restrict them."""
    return {
        info.id_for("chat"): info.chat_image_sizes
        for info in all_models("chat")
        if info.chat_image_sizes is not None
    }


def images_api_models() -> frozenset[str]:
    """The ids of the models served on `POST /v1/images/generations`."""
    return frozenset(info.id_for("images") for info in all_models("images"))


def get_profile(model: str) -> ModelProfile | None:
    """A copy of the LangChain profile of a known model (id or alias), or `None`."""
    info = lookup(model)
    if info is None or info.profile is None:
        return None
    return ModelProfile(**info.profile)


# ------------------------------------------------------------------------------ validation


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
        problems = [describe(schema, error, label) for error in exc.errors()]
        messages = tuple(message for _, message in problems)
        raise TaskInputError(
            "; ".join(messages),
            model=info.id,
            route=chosen,
            field=problems[0][0],
            problems=messages,
        ) from None
    return data
