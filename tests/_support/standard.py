"""ChatHiAPI capability flags declared by both langchain-tests standard suites."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from langchain_hiapi import ChatHiAPI


class ChatHiAPICapabilities:
    """Mixin placed before `ChatModelUnitTests` / `ChatModelIntegrationTests` in the bases."""

    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatHiAPI

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @property
    def supports_model_override(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "gpt-4o"
