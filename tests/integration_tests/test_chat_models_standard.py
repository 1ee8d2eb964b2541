"""langchain-tests' standard integration suite for ChatHiAPI, replayed from cassettes."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests

from tests._support.standard import ChatHiAPICapabilities


@pytest.mark.vcr
class TestChatHiAPIStandard(ChatHiAPICapabilities, ChatModelIntegrationTests):
    @property
    def chat_model_params(self) -> dict[str, Any]:
        # base_url and api_key come from the environment (see conftest.py).
        return {"model": "gpt-4o-mini", "temperature": 0}

    @property
    def enable_vcr_tests(self) -> bool:
        return True

    @property
    def supports_pdf_inputs(self) -> bool:
        return True
