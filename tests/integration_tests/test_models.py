"""Model listing on cassettes."""

from __future__ import annotations

import pytest

from langchain_hiapi.models import HiAPIModel, alist_models, list_models

pytestmark = pytest.mark.vcr


def check_catalogue(models: list[HiAPIModel]) -> None:
    by_id = {model.id: model for model in models}
    assert len(by_id) == len(models)
    nano = by_id["Nano-Banana-Pro"]
    assert nano.kind == "chat"
    assert nano.profile is not None
    assert nano.profile["image_outputs"] is True
    assert by_id["kling-v3"].kind == "video"
    assert by_id["flux-1.1-pro"].kind == "images"
    for model in models:
        assert model.supported_endpoint_types


def test_models_list_sync() -> None:
    check_catalogue(list_models())


async def test_models_list_async() -> None:
    check_catalogue(await alist_models())
