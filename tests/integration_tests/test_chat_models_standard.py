"""langchain-tests' standard integration suite for ChatHiAPI, replayed from cassettes."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_tests.integration_tests import ChatModelIntegrationTests

from langchain_hiapi import ChatHiAPI


@pytest.mark.vcr
class TestChatHiAPIStandard(ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatHiAPI

    @property
    def chat_model_params(self) -> dict[str, Any]:
        # base_url and api_key come from the environment (see conftest.py).
        return {"model": "gpt-4o-mini", "temperature": 0}

    @property
    def enable_vcr_tests(self) -> bool:
        return True

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
    def supports_pdf_inputs(self) -> bool:
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
