"""Tests for `langchain_hiapi.image_config`: validation, merging and the extra_body wire form."""

from __future__ import annotations

import copy
import json
from typing import Any, get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from langchain_hiapi.image_config import (
    ASPECT_RATIOS,
    IMAGE_MODELS,
    IMAGE_SIZES,
    MODEL_IMAGE_SIZES,
    AspectRatio,
    ImageConfig,
    ImageSize,
    build_extra_body,
    check_image_size_for_model,
    coerce_image_config,
    merge_image_config,
)

ALL_RATIOS = "1:1, 2:3, 3:2, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9, auto"


# ----------------------------------------------------------------------------- constants


def test_constants_match_the_contract() -> None:
    assert ASPECT_RATIOS == (
        "1:1",
        "2:3",
        "3:2",
        "3:4",
        "4:3",
        "4:5",
        "5:4",
        "9:16",
        "16:9",
        "21:9",
        "auto",
    )
    assert IMAGE_SIZES == ("1K", "2K", "4K")
    assert MODEL_IMAGE_SIZES == {
        "Nano-Banana": ("1K",),
        "Nano-Banana-2": ("1K", "2K", "4K"),  # Gemini 3.1 flash image: 4K as well
        "Nano-Banana-Pro": ("1K", "2K", "4K"),
    }
    assert frozenset({"Nano-Banana", "Nano-Banana-2", "Nano-Banana-Pro", "gpt-image-2"}) == (
        IMAGE_MODELS
    )
    assert get_args(AspectRatio) == ASPECT_RATIOS
    assert get_args(ImageSize) == IMAGE_SIZES


def test_json_schema_lists_the_allowed_values() -> None:
    schema = ImageConfig.model_json_schema()
    assert schema["additionalProperties"] is False
    ratio_enum = schema["properties"]["aspect_ratio"]["anyOf"][0]["enum"]
    assert tuple(ratio_enum) == ASPECT_RATIOS
    assert tuple(schema["properties"]["image_size"]["anyOf"][0]["enum"]) == IMAGE_SIZES


# ----------------------------------------------------------------------------- ImageConfig


@pytest.mark.parametrize("ratio", ASPECT_RATIOS)
@pytest.mark.parametrize("size", [*IMAGE_SIZES, None])
def test_every_allowed_value_is_accepted(ratio: str, size: str | None) -> None:
    config = ImageConfig.model_validate({"aspect_ratio": ratio, "image_size": size})
    assert config.aspect_ratio == ratio
    assert config.image_size == size


def test_defaults_are_unset() -> None:
    config = ImageConfig()
    assert config.aspect_ratio is None
    assert config.image_size is None
    assert config.to_wire() == {}


def test_config_is_frozen() -> None:
    config = ImageConfig(aspect_ratio="1:1")
    with pytest.raises(ValidationError):
        config.aspect_ratio = "16:9"
    assert config.aspect_ratio == "1:1"


def test_direct_construction_raises_a_readable_validation_error() -> None:
    with pytest.raises(ValidationError) as info:
        ImageConfig(aspect_ratio="7:3")  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    assert (
        f"image_config.aspect_ratio: '7:3' is not supported; allowed values: {ALL_RATIOS}"
        in str(info.value)
    )
    # The custom check replaces pydantic's literal_error dump.
    assert "literal_error" not in str(info.value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            {"aspect_ratio": "7:3"},
            f"image_config.aspect_ratio: '7:3' is not supported; allowed values: {ALL_RATIOS}",
        ),
        (
            {"image_size": "8K"},
            "image_config.image_size: '8K' is not supported; allowed values: 1K, 2K, 4K",
        ),
        (
            {"aspect_ratio": 16},
            "image_config.aspect_ratio: expected a string, got int 16; "
            f"allowed values: {ALL_RATIOS}",
        ),
        (
            {"image_size": 2},
            "image_config.image_size: expected a string, got int 2; allowed values: 1K, 2K, 4K",
        ),
        (
            {"aspectRatio": "1:1"},
            "image_config: 'aspectRatio' is camelCase; use the snake_case key 'aspect_ratio' "
            "(allowed keys: aspect_ratio, image_size)",
        ),
        (
            {"imageSize": "1K"},
            "image_config: 'imageSize' is camelCase; use the snake_case key 'image_size' "
            "(allowed keys: aspect_ratio, image_size)",
        ),
        (
            {"quality": "high"},
            "image_config: unknown key 'quality'; allowed keys: aspect_ratio, image_size",
        ),
    ],
)
def test_coerce_rejects_bad_input_with_a_clean_message(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=r".") as info:
        coerce_image_config(value)
    # A plain ValueError with exactly the readable text, not pydantic's dump.
    assert type(info.value) is ValueError
    assert str(info.value) == message


def test_case_slip_gets_a_hint() -> None:
    with pytest.raises(ValueError, match=r"did you mean '2K'\?"):
        coerce_image_config({"image_size": "2k"})
    with pytest.raises(ValueError, match=r"did you mean 'auto'\?"):
        coerce_image_config({"aspect_ratio": "AUTO"})


def test_both_bad_fields_are_reported() -> None:
    with pytest.raises(ValueError, match=r"'7:3'") as info:
        coerce_image_config({"aspect_ratio": "7:3", "image_size": "9K"})
    assert "image_config.image_size: '9K'" in str(info.value)


@pytest.mark.parametrize("value", [True, 1.5, ["1:1"], {"ratio": "1:1"}, b"1:1"])
def test_wrong_types_are_rejected(value: Any) -> None:
    with pytest.raises(ValueError, match=r"image_config\.aspect_ratio: expected a string"):
        coerce_image_config({"aspect_ratio": value})


@given(st.text(max_size=12).filter(lambda s: s not in ASPECT_RATIOS))
def test_any_other_ratio_string_is_rejected(value: str) -> None:
    with pytest.raises(ValueError, match=r"image_config\.aspect_ratio") as info:
        coerce_image_config({"aspect_ratio": value})
    assert repr(value) in str(info.value)
    assert ALL_RATIOS in str(info.value)


# ----------------------------------------------------------------------------- coerce


def test_coerce_accepts_none_instances_and_mappings() -> None:
    assert coerce_image_config(None) is None
    config = ImageConfig(image_size="2K")
    assert coerce_image_config(config) is config
    assert coerce_image_config({"aspect_ratio": "16:9"}) == ImageConfig(aspect_ratio="16:9")
    assert coerce_image_config({}) == ImageConfig()


@pytest.mark.parametrize("value", ["16:9", 5, ["1:1"], ("aspect_ratio", "1:1")])
def test_coerce_rejects_other_types(value: Any) -> None:
    with pytest.raises(TypeError, match=r"image_config must be an ImageConfig, a dict") as info:
        coerce_image_config(value)
    assert type(value).__name__ in str(info.value)


def test_coerce_does_not_mutate_the_input() -> None:
    value = {"aspect_ratio": "1:1"}
    coerce_image_config(value)
    assert value == {"aspect_ratio": "1:1"}


# ----------------------------------------------------------------------------- per model


@pytest.mark.parametrize(("model", "sizes"), list(MODEL_IMAGE_SIZES.items()))
@pytest.mark.parametrize("size", IMAGE_SIZES)
def test_image_size_per_model(model: str, sizes: tuple[str, ...], size: str) -> None:
    config = coerce_image_config({"image_size": size})
    if size in sizes:
        check_image_size_for_model(config, model)
    else:
        with pytest.raises(ValueError, match=r".") as info:
            check_image_size_for_model(config, model)
        assert str(info.value) == (
            f"image_config.image_size: {size!r} is not supported by model {model!r}; "
            f"allowed values: {', '.join(sizes)}"
        )


def test_image_size_check_is_case_insensitive_for_known_models() -> None:
    with pytest.raises(ValueError, match=r"not supported by model 'nano-banana'"):
        check_image_size_for_model(ImageConfig(image_size="2K"), "nano-banana")


@pytest.mark.parametrize("model", ["gpt-image-2", "gemini-3-pro-image-preview", "some-new-model"])
@pytest.mark.parametrize("size", IMAGE_SIZES)
def test_unknown_models_accept_every_size(model: str, size: str) -> None:
    check_image_size_for_model(coerce_image_config({"image_size": size}), model)


def test_no_size_means_nothing_to_check() -> None:
    check_image_size_for_model(None, "Nano-Banana")
    check_image_size_for_model(ImageConfig(aspect_ratio="21:9"), "Nano-Banana")


# ----------------------------------------------------------------------------- merge


def test_merge_override_wins_and_base_fills_in() -> None:
    base = ImageConfig(aspect_ratio="1:1", image_size="2K")
    merged = merge_image_config(base, ImageConfig(aspect_ratio="16:9"))
    assert merged == ImageConfig(aspect_ratio="16:9", image_size="2K")
    assert base == ImageConfig(aspect_ratio="1:1", image_size="2K")


def test_merge_explicit_none_clears_the_base_value() -> None:
    base = ImageConfig(aspect_ratio="1:1", image_size="2K")
    merged = merge_image_config(base, coerce_image_config({"image_size": None}))
    assert merged == ImageConfig(aspect_ratio="1:1")
    assert merged is not None
    assert merged.to_wire() == {"aspect_ratio": "1:1"}


def test_merge_with_none() -> None:
    config = ImageConfig(aspect_ratio="3:4")
    assert merge_image_config(None, None) is None
    assert merge_image_config(config, None) is config
    assert merge_image_config(None, config) is config


# ----------------------------------------------------------------------------- extra_body


def test_nothing_to_send_gives_none() -> None:
    assert build_extra_body(None, None) is None
    assert build_extra_body(ImageConfig(), None) is None
    assert build_extra_body(None, {}) is None


def test_typed_config_only_set_fields() -> None:
    assert build_extra_body(ImageConfig(aspect_ratio="16:9"), None) == {
        "google": {"image_config": {"aspect_ratio": "16:9"}}
    }
    assert build_extra_body(ImageConfig(aspect_ratio="1:1", image_size="1K"), None) == {
        "google": {"image_config": {"aspect_ratio": "1:1", "image_size": "1K"}}
    }


def test_deep_merge_with_thinking_config() -> None:
    user = {
        "google": {"thinking_config": {"thinking_budget": 1024, "include_thoughts": True}},
        "other": [1, {"a": 2}],
    }
    snapshot = copy.deepcopy(user)
    body = build_extra_body(ImageConfig(image_size="2K"), user)
    assert body == {
        "google": {
            "thinking_config": {"thinking_budget": 1024, "include_thoughts": True},
            "image_config": {"image_size": "2K"},
        },
        "other": [1, {"a": 2}],
    }
    assert user == snapshot
    # The result shares nothing mutable with the input.
    assert body is not None
    body["google"]["thinking_config"]["thinking_budget"] = 1
    body["other"][1]["a"] = 3
    assert user == snapshot
    json.dumps(body)


def test_typed_config_wins_over_user_image_config() -> None:
    user = {"google": {"image_config": {"aspect_ratio": "4:3", "image_size": "1K", "x": 1}}}
    snapshot = copy.deepcopy(user)
    body = build_extra_body(ImageConfig(aspect_ratio="16:9"), user)
    assert body == {
        "google": {"image_config": {"aspect_ratio": "16:9", "image_size": "1K", "x": 1}}
    }
    assert user == snapshot


def test_user_extra_body_alone_is_passed_through() -> None:
    user = {"google": {"thinking_config": {"thinking_level": "low"}}}
    body = build_extra_body(None, user)
    assert body == user
    assert body is not user


@pytest.mark.parametrize(
    ("extra_body", "path", "snake"),
    [
        ({"google": {"imageConfig": {}}}, "extra_body.google.imageConfig", "image_config"),
        (
            {"google": {"image_config": {"aspectRatio": "1:1"}}},
            "extra_body.google.image_config.aspectRatio",
            "aspect_ratio",
        ),
        (
            {"google": {"image_config": {"imageSize": "1K"}}},
            "extra_body.google.image_config.imageSize",
            "image_size",
        ),
        ({"google": {"thinkingConfig": {}}}, "extra_body.google.thinkingConfig", "thinking_config"),
        (
            {"google": {"thinking_config": {"thinkingBudget": 1}}},
            "extra_body.google.thinking_config.thinkingBudget",
            "thinking_budget",
        ),
        (
            {"google": {"thinking_config": {"includeThoughts": True}}},
            "extra_body.google.thinking_config.includeThoughts",
            "include_thoughts",
        ),
        (
            {"google": {"thinking_config": {"thinkingLevel": "low"}}},
            "extra_body.google.thinking_config.thinkingLevel",
            "thinking_level",
        ),
        ({"google": {"safetySettings": []}}, "extra_body.google.safetySettings", "safety_settings"),
        ({"imageConfig": {}}, "extra_body.imageConfig", "image_config"),
        ({"other": {"thinkingConfig": {}}}, "extra_body.other.thinkingConfig", "thinking_config"),
        (
            {"google": {"items": [{"aspectRatio": "1:1"}]}},
            "extra_body.google.items[0].aspectRatio",
            "aspect_ratio",
        ),
    ],
)
def test_camel_case_keys_are_rejected(extra_body: dict[str, Any], path: str, snake: str) -> None:
    with pytest.raises(ValueError, match=r"snake_case") as info:
        build_extra_body(ImageConfig(aspect_ratio="1:1"), extra_body)
    assert path in str(info.value)
    assert repr(snake) in str(info.value)


def test_uppercase_keys_outside_google_are_left_alone() -> None:
    body = build_extra_body(None, {"metadata": {"UserId": "42"}})
    assert body == {"metadata": {"UserId": "42"}}


def test_malformed_user_extra_body() -> None:
    with pytest.raises(TypeError, match=r"extra_body must be a dict"):
        build_extra_body(None, ["google"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"extra_body\.google must be an object"):
        build_extra_body(ImageConfig(aspect_ratio="1:1"), {"google": "x"})
    with pytest.raises(ValueError, match=r"extra_body\.google\.image_config must be an object"):
        build_extra_body(None, {"google": {"image_config": "16:9"}})
