"""A catalogue entry (`ModelInfo`) and the builders the model family modules use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from langchain_core.language_models.model_profile import ModelProfile
from pydantic import BaseModel

from langchain_hiapi.catalogue._schema import OpenTaskInput

__all__ = [
    "CHAT",
    "DEFAULT_ROUTE",
    "IMAGES",
    "Endpoint",
    "ModelInfo",
    "ModelKind",
    "chat_image_profile",
    "elsewhere",
    "task",
]

ModelKind = Literal["image", "video", "audio", "text"]
Endpoint = Literal["tasks", "chat", "images"]

DEFAULT_ROUTE = "default"
CHAT = frozenset({"chat"})
IMAGES = frozenset({"images"})


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
        profile: The LangChain model profile (read it with `get_profile`, which copies).
        chat_image_sizes: The `image_config.image_size` values the model accepts on chat
            completions; `None` when any size may be sent (the gateway decides).
    """

    id: str
    kind: ModelKind
    aliases: tuple[str, ...] = ()
    routes: Mapping[str, type[BaseModel]] = field(default_factory=dict, hash=False)
    served_on: frozenset[str] = frozenset({"tasks"})
    image_inputs_field: str | None = None
    endpoint_ids: Mapping[str, str] = field(default_factory=dict, hash=False)
    profile: ModelProfile | None = field(default=None, hash=False, compare=False, repr=False)
    chat_image_sizes: tuple[str, ...] | None = None

    @property
    def documented(self) -> bool:
        """Whether the input fields are known (otherwise inputs pass through unchecked)."""
        default = self.routes.get(DEFAULT_ROUTE)
        return default is not None and default is not OpenTaskInput

    def id_for(self, endpoint: str) -> str:
        """The model id to send on `endpoint` (`tasks`, `chat` or `images`)."""
        return self.endpoint_ids.get(endpoint, self.id)


def chat_image_profile(name: str, *, reasoning: bool) -> ModelProfile:
    """The profile of an image model on chat completions: text and images in and out."""
    return {
        "name": name,
        "text_inputs": True,
        "image_inputs": True,
        "image_url_inputs": True,
        "pdf_inputs": False,
        "audio_inputs": False,
        "video_inputs": False,
        "text_outputs": True,
        "image_outputs": True,
        "audio_outputs": False,
        "video_outputs": False,
        "reasoning_output": reasoning,
        "tool_calling": False,
        "tool_choice": False,
        "structured_output": False,
    }


def _generation_profile(name: str, kind: ModelKind, *, image_inputs: bool) -> ModelProfile:
    """A generation model (tasks, images API): a prompt (and maybe images) in, media out."""
    profile: ModelProfile = {
        "name": name,
        "text_inputs": True,
        "image_inputs": image_inputs,
        "text_outputs": False,
        "tool_calling": False,
        "structured_output": False,
    }
    if kind == "image":
        profile["image_outputs"] = True
    elif kind == "video":
        profile["video_outputs"] = True
    elif kind == "audio":
        profile["audio_outputs"] = True
    return profile


def task(
    id: str,
    kind: ModelKind,
    routes: Mapping[str, type[BaseModel]] | type[BaseModel] = OpenTaskInput,
    *,
    aliases: tuple[str, ...] = (),
    also: frozenset[str] = frozenset(),
    image_inputs: bool | None = None,
    endpoint_ids: Mapping[str, str] | None = None,
    profile: ModelProfile | None = None,
    chat_image_sizes: tuple[str, ...] | None = None,
) -> ModelInfo:
    """An entry for a model on the task API (and on the endpoints in `also`).

    Args:
        id: The canonical id.
        kind: What it makes.
        routes: The input model of the default route, or route name -> input model.
        aliases: Other accepted spellings.
        also: Other endpoints serving it (`CHAT`, `IMAGES`).
        image_inputs: Whether it takes images (default: whether the default route's input
            model names an `images_field`).
        endpoint_ids: Ids to send on other endpoints when they differ from `id`.
        profile: The LangChain profile; by default derived from `kind` and image inputs.
        chat_image_sizes: The `image_size` values accepted on chat, if restricted.
    """
    table = dict(routes) if isinstance(routes, Mapping) else {DEFAULT_ROUTE: routes}
    images_field = getattr(table[DEFAULT_ROUTE], "images_field", None)
    takes_images = images_field is not None if image_inputs is None else image_inputs
    return ModelInfo(
        id=id,
        kind=kind,
        aliases=aliases,
        routes=MappingProxyType(table),
        served_on=frozenset({"tasks"}) | also,
        image_inputs_field=images_field,
        endpoint_ids=MappingProxyType(dict(endpoint_ids or {})),
        profile=profile or _generation_profile(id, kind, image_inputs=takes_images),
        chat_image_sizes=chat_image_sizes,
    )


def elsewhere(id: str, kind: ModelKind, served_on: frozenset[str]) -> ModelInfo:
    """An entry for a model that is not on the task API (e.g. only on the images API)."""
    profile = _generation_profile(id, kind, image_inputs=False)
    return ModelInfo(id=id, kind=kind, served_on=served_on, profile=profile)
