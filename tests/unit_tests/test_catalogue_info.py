"""Catalogue entries beyond task inputs: endpoints, image sizes on chat, LangChain profiles."""

from __future__ import annotations

import pytest

from langchain_hiapi import catalogue, image_config
from langchain_hiapi._profiles import get_profile
from tests._support.harness import python_c


def test_profiles_for_images_api_and_video_models() -> None:
    # Moved from test_chat_models; the video model is a current task-API id now that the
    # /v1/videos-era ids (`wan2.7-i2v`, `kling-v3`, ...) are gone (issue 16).
    flux = get_profile("flux-1.1-pro")
    assert flux is not None
    assert flux["image_outputs"] is True
    assert flux["tool_calling"] is False
    i2v = get_profile("kling-3.0-omni/image-to-video")
    assert i2v is not None
    assert i2v["video_outputs"] is True
    assert i2v["image_inputs"] is True
    assert get_profile("no-such-model") is None


@pytest.mark.parametrize(
    "stale", ["kling-v3", "seedance-1-0-pro", "seedance-1-5-pro", "wan2.7-t2v", "wan2.7-i2v"]
)
def test_videos_route_era_ids_are_gone(stale: str) -> None:
    assert catalogue.lookup(stale) is None
    assert get_profile(stale) is None


def test_profiles_by_alias_and_kind() -> None:
    chat = get_profile("gpt-image-2")
    assert chat is not None
    assert chat == get_profile("gpt-image-2/text-to-image")
    assert chat["name"] == "gpt-image-2"
    assert chat["text_outputs"] is True and chat["image_outputs"] is True
    pro = get_profile("Nano-Banana-Pro")
    assert pro is not None and pro["reasoning_output"] is True
    seedance = get_profile("seedance-2-0")
    assert seedance is not None
    assert seedance["name"] == "seedance-2.0"
    assert seedance["video_outputs"] is True and seedance["text_outputs"] is False
    music = get_profile("minimax-music-2.6")
    assert music is not None and music["audio_outputs"] is True
    text_only = get_profile("seedream-5.0-pro/text-to-image")
    assert text_only is not None and text_only["image_inputs"] is False
    # A copy: changing it leaves the catalogue alone.
    chat["image_outputs"] = False
    assert get_profile("gpt-image-2")["image_outputs"] is True  # type: ignore[index]


@pytest.mark.parametrize(
    ("model", "field"),
    [
        ("Nano-Banana", None),
        ("Nano-Banana-2", "image_input"),
        ("Nano-Banana-Pro", "image_input"),
        ("gpt-image-2/text-to-image", None),
        ("gpt-image-2/image-to-image", "input_urls"),
        ("gpt-image-2.5-flare/image-to-image", "image_urls"),
        ("gpt-image-2.5-sunburst", "image_urls"),
        ("seedream-5.0-pro/image-to-image", "image_urls"),
        ("seedance-2.0", "reference_image_urls"),
        ("seedance-2.0-fast", "reference_image_urls"),
        ("kling-3.0-omni/image-to-video", "image_urls"),
        ("veo-3.1/image-to-video", None),
    ],
)
def test_image_inputs_field_comes_from_the_input_schema(model: str, field: str | None) -> None:
    info = catalogue.lookup(model)
    assert info is not None
    assert info.image_inputs_field == field
    if field is not None:
        assert field in info.routes["default"].model_fields
        assert info.profile is not None and info.profile["image_inputs"] is True


def test_endpoint_listings() -> None:
    assert catalogue.chat_image_models() == {
        "Nano-Banana",
        "Nano-Banana-2",
        "Nano-Banana-Pro",
        "gpt-image-2",
    }
    assert catalogue.chat_image_sizes() == {
        "Nano-Banana": ("1K",),
        "Nano-Banana-2": ("1K", "2K", "4K"),
        "Nano-Banana-Pro": ("1K", "2K", "4K"),
    }
    assert catalogue.images_api_models() == {
        "gpt-image-1.5",
        "flux-1.1-pro",
        "qwen-image-2.0",
        "gpt-image-2-beta",
    }
    on_images = catalogue.all_models("images")
    assert {m.id for m in on_images} == catalogue.images_api_models()
    assert [m.id for m in catalogue.all_models("images", "video")] == []
    everything = catalogue.all_models()
    assert [m for m in everything if "tasks" in m.served_on] == catalogue.task_models()
    assert [m.id for m in everything if "tasks" not in m.served_on] == [
        "gpt-image-1.5",
        "gpt-image-2-beta",
    ]


def test_image_config_reads_its_model_facts_from_the_catalogue() -> None:
    assert catalogue.chat_image_sizes() == image_config.MODEL_IMAGE_SIZES
    assert catalogue.chat_image_models() == image_config.IMAGE_MODELS
    # A fresh dict each time: a caller changing it changes nothing else.
    image_config.MODEL_IMAGE_SIZES["Nano-Banana"] = ("4K",)
    assert image_config.MODEL_IMAGE_SIZES["Nano-Banana"] == ("1K",)
    with pytest.raises(AttributeError, match="NO_SUCH_FACT"):
        image_config.NO_SUCH_FACT  # type: ignore[attr-defined]  # noqa: B018


def test_image_config_and_profiles_do_not_load_the_catalogue_on_import() -> None:
    code = (
        "import sys\n"
        "import langchain_hiapi.image_config, langchain_hiapi._profiles\n"
        "assert 'langchain_hiapi.catalogue' not in sys.modules\n"
        "from langchain_hiapi.image_config import is_image_model\n"
        "assert is_image_model('nano-banana-pro') and not is_image_model('gpt-4o-mini')\n"
        "assert 'langchain_hiapi.catalogue' in sys.modules\n"
    )
    result = python_c(code)
    assert result.returncode == 0, result.stderr
