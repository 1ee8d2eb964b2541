"""Listing HiAPI's models: `GET /v1/models` as typed records.

Example:
    ```python
    from langchain_hiapi import list_models

    for model in list_models():
        print(model.id, model.kind, model.supported_endpoint_types)
    ```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.language_models.model_profile import ModelProfile

from langchain_hiapi import catalogue
from langchain_hiapi._flows import Call, Flow
from langchain_hiapi._oneshot import (
    CONNECTION_DEFAULTS,
    ConnectionOptions,
    arun_once,
    run_once,
)
from langchain_hiapi._options import Keywords
from langchain_hiapi.errors import InvalidResponseError

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from langchain_hiapi._client import HiAPIClient

__all__ = [
    "MODELS_PATH",
    "HiAPIModel",
    "ListModelsOptions",
    "alist_models",
    "list_models",
    "list_models_flow",
    "parse_models",
]

MODELS_PATH = "/models"

# new-api's endpoint type names (constant/endpoint_type.go).
_VIDEO_ENDPOINT = "openai-video"
_IMAGES_ENDPOINT = "image-generation"

ModelKind = Literal["chat", "images", "video"]


@dataclass(frozen=True)
class HiAPIModel:
    """One model of `GET /v1/models`.

    Attributes:
        id: The model id to send as `model`.
        owned_by: The owner the gateway reports (e.g. `openai`, `google`), if any.
        created: Unix time the gateway reports, if any.
        supported_endpoint_types: new-api endpoint types, e.g. `openai`, `gemini`,
            `image-generation` (images API), `openai-video` (video tasks).
        profile: The LangChain model profile when this package knows the model.
    """

    id: str
    owned_by: str | None = None
    created: int | None = None
    supported_endpoint_types: tuple[str, ...] = ()
    # A dict: kept out of equality and hashing so records stay hashable.
    profile: ModelProfile | None = field(default=None, compare=False, repr=False)

    @property
    def kind(self) -> ModelKind:
        """Which API serves the model.

        `video` for video models (run them with `generate_video` on the task API),
        `images` for `/images/generations`, else `chat` for `/chat/completions` (the
        Nano-Banana image models included).
        """
        types = self.supported_endpoint_types
        # A gateway that lists no endpoint types: the catalogue says where the model runs.
        known = catalogue.lookup(self.id) if not types else None
        if _VIDEO_ENDPOINT in types or (known is not None and known.kind == "video"):
            return "video"
        if _IMAGES_ENDPOINT in types or (known is not None and "images" in known.served_on):
            return "images"
        return "chat"


def _opt_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def parse_models(body: Mapping[str, Any]) -> list[HiAPIModel]:
    """Reads a `GET /v1/models` reply.

    Entries without a string `id` are skipped; missing optional fields become `None`
    or `()`.

    Args:
        body: The parsed JSON reply (`{"object": "list", "data": [...]}`).

    Returns:
        The models, in the gateway's order.

    Raises:
        InvalidResponseError: The reply has no `data` list.
    """
    data = body.get("data")
    if not isinstance(data, list):
        raise InvalidResponseError(
            f"GET {MODELS_PATH}: expected a `data` list, got {type(data).__name__}", body=body
        )
    models: list[HiAPIModel] = []
    for entry in data:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str):
            continue
        types = entry.get("supported_endpoint_types")
        owner = entry.get("owned_by")
        models.append(
            HiAPIModel(
                id=entry["id"],
                owned_by=owner if isinstance(owner, str) and owner else None,
                created=_opt_int(entry.get("created")),
                supported_endpoint_types=tuple(t for t in types if isinstance(t, str))
                if isinstance(types, list)
                else (),
                profile=catalogue.get_profile(entry["id"]),
            )
        )
    return models


class ListModelsOptions(ConnectionOptions, total=False):
    """The keywords of `list_models` / `alist_models` (the connection settings)."""


LIST_MODELS_OPTIONS = Keywords(ListModelsOptions, CONNECTION_DEFAULTS)


def list_models_flow(client: HiAPIClient | None = None) -> Flow[list[HiAPIModel]]:
    """The model listing: one `GET /models`, parsed (`client` is not needed)."""
    reply = yield Call("GET", MODELS_PATH)
    return parse_models(reply.json)


@LIST_MODELS_OPTIONS.signature
def list_models(**options: Unpack[ListModelsOptions]) -> list[HiAPIModel]:
    """Lists the models the API key can use (`GET /v1/models`).

    Args:
        **options: The connection keywords:
            `client`: a client to reuse (left open); otherwise one is built from the
            other keywords and closed afterwards.
            `api_key`: HiAPI key; defaults to `HIAPI_API_KEY`.
            `base_url`: API base URL; defaults to `HIAPI_BASE_URL`, else
            `https://api.hiapi.ai/v1`.
            `timeout`: Request timeout.
            `max_retries`: Retries for rate limits, 5xx and connection errors.

    Returns:
        The models, with LangChain profiles for the ones this package knows.

    Raises:
        TypeError: An unknown keyword.
        HiAPIError: The request failed (typed by status and code), or the reply is
            not a model list.
    """
    return run_once(list_models_flow, LIST_MODELS_OPTIONS.resolve("list_models", options))


@LIST_MODELS_OPTIONS.signature
async def alist_models(**options: Unpack[ListModelsOptions]) -> list[HiAPIModel]:
    """Async `list_models` (same arguments, same result)."""
    return await arun_once(list_models_flow, LIST_MODELS_OPTIONS.resolve("alist_models", options))
