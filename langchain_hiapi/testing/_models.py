"""The emulator's model catalogue."""

from __future__ import annotations

from typing import Any

# Name sent -> name the gateway reports (the upstream model).
IMAGE_MODELS: dict[str, str] = {
    "Nano-Banana": "gemini-2.5-flash-image",
    "Nano-Banana-2": "gemini-3.1-flash-image-preview",
    "Nano-Banana-Pro": "gemini-3-pro-image-preview",
    "gpt-image-2": "gpt-image-2",
}

TEXT_MODELS: tuple[str, ...] = (
    "gpt-4o-mini",
    "gpt-4o",
    "gpt-4.1-mini",
    "gpt-4.1",
    "gemini-2.5-flash",
    "gemini-2.5-pro",
    "deepseek-v3",
    "deepseek-r1",
)

# Images API models (`POST /v1/images/generations`) -> owner.
IMAGES_API_MODELS: dict[str, str] = {
    "gpt-image-1.5": "openai",
    "gpt-image-2-beta": "openai",
    "flux-1.1-pro": "black-forest-labs",
    "qwen-image-2.0": "alibaba",
}

# Video models (listed with the OpenAI-video endpoint type by new-api) -> owner.
VIDEO_MODELS: dict[str, str] = {
    "kling-v3": "kling",
    "seedance-1-0-pro": "bytedance",
    "seedance-1-5-pro": "bytedance",
    "seedance-2-0": "bytedance",
    "wan2.7-t2v": "alibaba",
    "wan2.7-i2v": "alibaba",
}

# Always emit `reasoning_content`.
ALWAYS_REASONING: frozenset[str] = frozenset({"deepseek-r1"})
# Emit `reasoning_content` when `extra_body.google.thinking_config.include_thoughts` is true.
GEMINI_THINKING: frozenset[str] = frozenset(
    {"gemini-2.5-flash", "gemini-2.5-pro", "Nano-Banana-2", "Nano-Banana-Pro"}
)

_OWNERS = {"gpt": "openai", "gemini": "google", "deepseek": "deepseek", "Nano": "google"}
_CREATED = 1764590000


def _owner(name: str) -> str:
    return next((owner for prefix, owner in _OWNERS.items() if name.startswith(prefix)), "custom")


def model_list() -> dict[str, Any]:
    """Returns the `GET /v1/models` body."""
    data = [
        {
            "id": name,
            "object": "model",
            "created": _CREATED,
            "owned_by": _owner(name),
            "supported_endpoint_types": ["openai", "gemini"]
            if name.startswith("Nano")
            else ["openai"],
        }
        for name in (*IMAGE_MODELS, *TEXT_MODELS)
    ]
    # new-api's endpoint types for the images API and the OpenAI-style video API.
    data.extend(
        {
            "id": name,
            "object": "model",
            "created": _CREATED,
            "owned_by": owner,
            "supported_endpoint_types": ["image-generation"],
        }
        for name, owner in IMAGES_API_MODELS.items()
    )
    data.extend(
        {
            "id": name,
            "object": "model",
            "created": _CREATED,
            "owned_by": owner,
            "supported_endpoint_types": ["openai-video"],
        }
        for name, owner in VIDEO_MODELS.items()
    )
    return {"object": "list", "success": True, "data": data}
