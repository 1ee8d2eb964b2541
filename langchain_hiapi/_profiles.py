"""LangChain model profiles for the HiAPI models this package knows."""

from __future__ import annotations

from langchain_core.language_models.model_profile import ModelProfile

_IMAGE_MODEL_BASE: ModelProfile = {
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
    "tool_calling": False,
    "tool_choice": False,
    "structured_output": False,
}

PROFILES: dict[str, ModelProfile] = {
    "Nano-Banana": {
        **_IMAGE_MODEL_BASE,
        "name": "Nano-Banana (gemini-2.5-flash-image)",
        "reasoning_output": False,
    },
    "Nano-Banana-2": {
        **_IMAGE_MODEL_BASE,
        "name": "Nano-Banana-2 (gemini-3.1-flash-image-preview)",
        "reasoning_output": True,
    },
    "Nano-Banana-Pro": {
        **_IMAGE_MODEL_BASE,
        "name": "Nano-Banana-Pro (gemini-3-pro-image-preview)",
        "reasoning_output": True,
    },
    "gpt-image-2": {**_IMAGE_MODEL_BASE, "name": "gpt-image-2", "reasoning_output": False},
}


def get_profile(model: str) -> ModelProfile | None:
    """Returns a copy of the profile of a known model, or None."""
    profile = PROFILES.get(model)
    return ModelProfile(**profile) if profile is not None else None
