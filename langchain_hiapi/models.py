"""Listing HiAPI's models: `GET /v1/models` as typed records.

Example:
    ```python
    from langchain_hiapi import list_models

    for model in list_models():
        print(model.id, model.kind, model.supported_endpoint_types)
    ```
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from langchain_core.language_models.model_profile import ModelProfile
from pydantic import SecretStr

from langchain_hiapi._client import (
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    HiAPIClient,
    RetryPolicy,
)
from langchain_hiapi._profiles import get_profile
from langchain_hiapi._secrets import check_api_key_type
from langchain_hiapi.errors import InvalidResponseError
from langchain_hiapi.limits import DEFAULT_LIMITS, Limits

__all__ = ["MODELS_PATH", "HiAPIModel", "alist_models", "list_models", "parse_models"]

MODELS_PATH = "/models"

# new-api's endpoint type names (constant/endpoint_type.go).
_VIDEO_ENDPOINT = "openai-video"
_IMAGES_ENDPOINT = "image-generation"
# Model ids known to use those endpoints, for gateways that list no endpoint types.
_VIDEO_IDS = frozenset(
    {"kling-v3", "seedance-1-0-pro", "seedance-1-5-pro", "seedance-2-0", "wan2.7-t2v", "wan2.7-i2v"}
)
_IMAGES_IDS = frozenset({"gpt-image-1.5", "flux-1.1-pro", "qwen-image-2.0", "gpt-image-2-beta"})

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
        if _VIDEO_ENDPOINT in types or (not types and self.id in _VIDEO_IDS):
            return "video"
        if _IMAGES_ENDPOINT in types or (not types and self.id in _IMAGES_IDS):
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
                profile=get_profile(entry["id"]),
            )
        )
    return models


# ---------------------------------------------------------------- shared client helpers
# Used by `video` and `images_api` too: one way to turn keyword settings into a client.


def _make_client(
    *,
    api_key: str | SecretStr | None,
    base_url: str | None,
    timeout: httpx.Timeout | float | None,
    max_retries: int,
    http_client: httpx.Client | None = None,
    http_async_client: httpx.AsyncClient | None = None,
    sleep: Callable[[float], None] = time.sleep,
    asleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    limits: Limits | None = None,
    allowed_download_hosts: Sequence[str] = (),
) -> HiAPIClient:
    """Builds a client like `ChatHiAPI` does: key and URL from the environment by default."""
    if api_key is None:
        api_key = os.environ.get("HIAPI_API_KEY") or None
    key = SecretStr(api_key) if isinstance(api_key, str) else check_api_key_type(api_key)
    return HiAPIClient(
        base_url=base_url
        or os.environ.get("HIAPI_BASE_URL")
        or os.environ.get("HIAPI_API_BASE")
        or DEFAULT_BASE_URL,
        api_key=key,
        timeout=timeout,
        retry_policy=RetryPolicy(max_retries=max_retries),
        http_client=http_client,
        http_async_client=http_async_client,
        sleep=sleep,
        asleep=asleep,
        limits=limits or DEFAULT_LIMITS,
        allowed_download_hosts=allowed_download_hosts,
    )


def list_models(
    *,
    client: HiAPIClient | None = None,
    api_key: str | SecretStr | None = None,
    base_url: str | None = None,
    timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
    max_retries: int = DEFAULT_MAX_RETRIES,
) -> list[HiAPIModel]:
    """Lists the models the API key can use (`GET /v1/models`).

    Args:
        client: A client to reuse (left open). Otherwise one is built from the other
            arguments and closed afterwards.
        api_key: HiAPI key; defaults to `HIAPI_API_KEY`.
        base_url: API base URL; defaults to `HIAPI_BASE_URL`, else
            `https://api.hiapi.ai/v1`.
        timeout: Request timeout.
        max_retries: Retries for rate limits, 5xx and connection errors.

    Returns:
        The models, with LangChain profiles for the ones this package knows.

    Raises:
        HiAPIError: The request failed (typed by status and code), or the reply is
            not a model list.
    """
    if client is not None:
        return parse_models(client.request_json("GET", MODELS_PATH))
    with _make_client(
        api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
    ) as owned:
        return parse_models(owned.request_json("GET", MODELS_PATH))


async def alist_models(
    *,
    client: HiAPIClient | None = None,
    api_key: str | SecretStr | None = None,
    base_url: str | None = None,
    timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
    max_retries: int = DEFAULT_MAX_RETRIES,
) -> list[HiAPIModel]:
    """Async `list_models` (same arguments, same result)."""
    if client is not None:
        return parse_models(await client.arequest_json("GET", MODELS_PATH))
    async with _make_client(
        api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
    ) as owned:
        return parse_models(await owned.arequest_json("GET", MODELS_PATH))
