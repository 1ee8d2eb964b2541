"""langchain-tests' standard unit suite for HiAPIImageGenerationTool."""

from __future__ import annotations

from typing import Any

from langchain_tests.unit_tests import ToolsUnitTests

from langchain_hiapi import HiAPIImageGenerationTool


class TestHiAPIImageGenerationToolStandard(ToolsUnitTests):
    @property
    def tool_constructor(self) -> type[HiAPIImageGenerationTool]:
        return HiAPIImageGenerationTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"model": "Nano-Banana-Pro", "api_key": "test-api-key"}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {
            "prompt": "A watercolour lighthouse at dusk",
            "aspect_ratio": "16:9",
            "image_size": "2K",
        }

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"HIAPI_API_KEY": "env-api-key", "HIAPI_BASE_URL": "https://gateway.example/v1"},
            {"model": "Nano-Banana"},
            {"api_key": "env-api-key", "base_url": "https://gateway.example/v1"},
        )
