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

# Models on /v1/images/generations: a prompt in, images out; no chat features.
_IMAGES_API_BASE: ModelProfile = {
    "text_inputs": True,
    "image_inputs": False,
    "text_outputs": False,
    "image_outputs": True,
    "tool_calling": False,
    "structured_output": False,
}
for _name in ("gpt-image-1.5", "flux-1.1-pro", "qwen-image-2.0", "gpt-image-2-beta"):
    PROFILES[_name] = {**_IMAGES_API_BASE, "name": _name}

# Video models (served on the task API): a prompt (and for image-to-video an image) in, video out.
_VIDEO_BASE: ModelProfile = {
    "text_inputs": True,
    "image_inputs": False,
    "text_outputs": False,
    "video_outputs": True,
    "tool_calling": False,
    "structured_output": False,
}
for _name in ("kling-v3", "seedance-1-0-pro", "seedance-1-5-pro", "seedance-2-0", "wan2.7-t2v"):
    PROFILES[_name] = {**_VIDEO_BASE, "name": _name}
PROFILES["wan2.7-i2v"] = {**_VIDEO_BASE, "name": "wan2.7-i2v", "image_inputs": True}


def get_profile(model: str) -> ModelProfile | None:
    """Returns a copy of the profile of a known model, or None."""
    profile = PROFILES.get(model)
    return ModelProfile(**profile) if profile is not None else None
