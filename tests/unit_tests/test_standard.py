"""langchain-tests' standard unit suite for ChatHiAPI."""

from __future__ import annotations

import os
from typing import Any
from unittest import mock

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.load import dumpd, load
from langchain_tests.unit_tests import ChatModelUnitTests
from syrupy.assertion import SnapshotAssertion

from langchain_hiapi import ChatHiAPI
from tests._support.standard import ChatHiAPICapabilities


class TestChatHiAPIStandard(ChatHiAPICapabilities, ChatModelUnitTests):
    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "gpt-4o-mini", "api_key": "test-api-key", "temperature": 0}

    @property
    def has_structured_output(self) -> bool:
        return True

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"HIAPI_API_KEY": "env-api-key", "HIAPI_BASE_URL": "https://example.test/v1"},
            {"model": "Nano-Banana"},
            {"api_key": "env-api-key", "base_url": "https://example.test/v1"},
        )

    @pytest.mark.xfail(
        reason=(
            "the standard test loads with allowed_objects='all', which admits only the classes"
            " listed in langchain-core's own serialization mapping (langchain_core.load."
            "mapping); a partner package outside it cannot be admitted without editing"
            " langchain-core. The round trip with an explicit allowlist is tested in"
            " test_serdes_round_trip_with_allowlist and test_dumps_then_loads_round_trips"
        ),
        raises=ValueError,
        strict=True,
    )
    def test_serdes(self, model: BaseChatModel, snapshot: SnapshotAssertion) -> None:
        super().test_serdes(model, snapshot)

    def test_serdes_round_trip_with_allowlist(
        self, model: BaseChatModel, snapshot: SnapshotAssertion
    ) -> None:
        env_params, _, _ = self.init_from_env_params
        with mock.patch.dict(os.environ, env_params):
            serialized = dumpd(model)
            assert serialized == snapshot(name="serialized")
            revived = load(
                serialized,
                valid_namespaces=["langchain_hiapi"],
                allowed_objects=[ChatHiAPI],
                secrets_from_env=True,
            )
        assert isinstance(revived, ChatHiAPI)
        # The key is not serialized: it comes back from the environment.
        assert revived.api_key is not None
        assert revived.api_key.get_secret_value() == env_params["HIAPI_API_KEY"]
        assert model.model_dump(exclude={"api_key"}) == revived.model_dump(exclude={"api_key"})
