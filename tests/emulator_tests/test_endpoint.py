"""hiapi_or_emulator: the real service with a key, a fresh emulator without one."""

from __future__ import annotations

import httpx
import pytest

from langchain_hiapi.testing import hiapi_or_emulator


def test_without_key_starts_an_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HIAPI_API_KEY", raising=False)
    said: list[str] = []
    with hiapi_or_emulator(detail="test", announce=said.append) as settings:
        reply = httpx.get(
            settings["base_url"] + "/models",
            headers={"Authorization": f"Bearer {settings['api_key']}"},
        )
        assert reply.status_code == 200
    url = settings["base_url"]
    assert said == [f"HIAPI_API_KEY is not set: using the offline HiAPI emulator at {url} (test)."]


def test_with_key_uses_the_real_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIAPI_API_KEY", "k")
    monkeypatch.setenv("HIAPI_BASE_URL", "https://example.test/v1")
    said: list[str] = []
    with hiapi_or_emulator(announce=said.append) as settings:
        assert settings == {}
    assert said == ["Using HiAPI at https://example.test/v1"]
