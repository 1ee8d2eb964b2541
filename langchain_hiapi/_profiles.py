"""LangChain model profiles, read from the catalogue on first use.

The profiles are catalogue data (`langchain_hiapi.catalogue`, one entry per model); this
import-light door lets `ChatHiAPI` load without loading the catalogue's input schemas.
"""

from __future__ import annotations

from langchain_core.language_models.model_profile import ModelProfile

__all__ = ["get_profile"]


def get_profile(model: str) -> ModelProfile | None:
    """Returns a copy of the profile of a known model (id or alias), or None."""
    from langchain_hiapi import catalogue  # loaded on first use, not on import

    return catalogue.get_profile(model)
