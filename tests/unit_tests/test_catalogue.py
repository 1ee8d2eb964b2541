"""The task model catalogue: lookups, routes and input validation (issue 11, behaviour 6)."""

from __future__ import annotations

from typing import Any

import pytest

from langchain_hiapi.catalogue import (
    OpenTaskInput,
    TaskInput,
    canonical_model,
    lookup,
    split_route,
    task_input_model,
    task_models,
    validate_task_input,
)
from langchain_hiapi.errors import TaskInputError


def test_lookup_by_id_alias_and_route_suffix() -> None:
    info = lookup("seedance-2.0")
    assert info is not None
    assert info.kind == "video"
    assert lookup("seedance-2-0") is info
    assert lookup("seedance-2.0@fast") is info
    assert lookup("gpt-image-2") is lookup("gpt-image-2/text-to-image")
    assert lookup("no-such-model") is None
    assert lookup(42) is None  # type: ignore[arg-type]
    assert split_route("x@ext") == ("x", "ext")
    assert split_route("x@") == ("x", None)
    assert split_route("x") == ("x", None)


def test_canonical_ids() -> None:
    assert canonical_model("seedance-2-0") == "seedance-2.0"
    assert canonical_model("gpt-image-2@ext") == "gpt-image-2/text-to-image@ext"
    assert canonical_model("gpt-image-2-image-to-image") == "gpt-image-2/image-to-image"
    assert canonical_model("Nano-Banana-Pro") == "Nano-Banana-Pro"
    assert canonical_model("somebody/else") == "somebody/else"


def test_where_models_are_served() -> None:
    for name in ("Nano-Banana", "Nano-Banana-2", "Nano-Banana-Pro"):
        info = lookup(name)
        assert info is not None
        assert info.served_on == {"tasks", "chat"}
        assert info.id_for("chat") == name
    gpt = lookup("gpt-image-2/text-to-image")
    assert gpt is not None
    assert gpt.served_on == {"tasks", "chat"}
    assert gpt.id_for("chat") == "gpt-image-2"
    assert gpt.id_for("tasks") == "gpt-image-2/text-to-image"
    for name in ("qwen-image-2.0", "flux-1.1-pro"):
        info = lookup(name)
        assert info is not None
        assert info.served_on == {"tasks", "images"}
    for name in ("gpt-image-1.5", "gpt-image-2-beta"):
        info = lookup(name)
        assert info is not None
        assert info.served_on == {"images"}
        assert task_input_model(name) is None
        assert validate_task_input(name, {"anything": 1}) == {"anything": 1}


def test_every_task_model_has_a_default_route() -> None:
    models = task_models()
    assert len(models) > 30
    assert len({m.id for m in models}) == len(models)
    for info in models:
        assert "default" in info.routes, info.id
        assert "tasks" in info.served_on
    kinds = {m.kind for m in models}
    assert kinds == {"image", "video", "audio"}
    assert all(m.kind == "video" for m in task_models("video"))
    assert "kling-3.0-omni/image-to-video" in {m.id for m in task_models("video")}
    assert "minimax-music-2.6" in {m.id for m in task_models("audio")}


@pytest.mark.parametrize(
    ("model", "documented"),
    [
        ("Nano-Banana", True),
        ("seedream-5.0-pro/image-to-image", True),
        ("kling-3.0-omni/text-to-video", True),
        ("flux-1.1-pro", False),
        ("flux-schnell/text-to-image", False),
        ("veo-3.1/text-to-video", False),
        ("seedance-2.5/reference-to-video", False),
        ("wan2.7-video", False),
        ("elevenlabs/text-to-dialogue", False),
    ],
)
def test_documented_models(model: str, documented: bool) -> None:
    info = lookup(model)
    assert info is not None
    assert info.documented is documented
    schema = task_input_model(model)
    assert schema is not None
    assert issubclass(schema, TaskInput) is documented
    assert (schema is OpenTaskInput) is not documented


def test_every_documented_schema_is_closed_and_exportable() -> None:
    for info in task_models():
        for route, schema in info.routes.items():
            js = schema.model_json_schema()
            assert js["type"] == "object", (info.id, route)
            if info.documented:
                assert js["additionalProperties"] is False, (info.id, route)


# Inputs the contract's own examples send (the emulator must accept the documented ones too).
VALID_INPUTS: list[tuple[str, str | None, dict[str, Any]]] = [
    ("seedance-2.0", None, {"prompt": "a paper boat", "duration": 5}),
    ("seedance-2-0", None, {"prompt": "a cyan glass data center", "resolution": "1080p"}),
    (
        "seedance-2.0",
        None,
        {"prompt": "boat", "first_frame_url": "asset://1", "last_frame_url": "https://x/2"},
    ),
    ("Nano-Banana-Pro", None, {"prompt": "a cat", "resolution": "2K"}),
    ("Nano-Banana-Pro", None, {"prompt": "a cat", "image_input": []}),
    ("Nano-Banana", None, {"prompt": "a cat", "aspect_ratio": "21:9", "output_format": "jpeg"}),
    ("Nano-Banana-2", None, {"prompt": "a cat", "aspect_ratio": "1:4", "resolution": "4K"}),
    ("gpt-image-2/text-to-image", None, {"prompt": "p", "aspect_ratio": "16:9"}),
    ("gpt-image-2", None, {"prompt": "p", "aspect_ratio": "16:9", "resolution": "4K"}),
    ("gpt-image-2/text-to-image", "default", {"prompt": "p", "background": "transparent"}),
    ("gpt-image-2/text-to-image", "", {"prompt": "p", "resolution": "1K"}),
    ("gpt-image-2/text-to-image", "beta", {"prompt": "p", "size": "1536x1024"}),
    ("gpt-image-2/text-to-image@beta", None, {"prompt": "p", "size": "auto"}),
    (
        "gpt-image-2/text-to-image",
        "ext",
        {"prompt": "p", "resolution": "4K", "quality": "high"},
    ),
    ("gpt-image-2/image-to-image", None, {"prompt": "p", "input_urls": ["https://a"] * 16}),
    (
        "gpt-image-2/image-to-image",
        "ext",
        {"prompt": "p", "image_urls": ["u"], "quality": "low"},
    ),
    ("gpt-image-2.5-flare/text-to-image", None, {"prompt": "p", "aspect_ratio": "27:16"}),
    ("gpt-image-2.5-sunburst/image-to-image", None, {"prompt": "p", "image_urls": ["u"]}),
    ("gpt-image-2.5-flare", None, {"prompt": "p", "quality": "xhigh", "aspect_ratio": "auto"}),
    ("qwen-image-2.0", None, {"prompt": "p", "size": "1536*2688", "seed": 7}),
    ("seedream-5.0-pro/text-to-image", None, {"prompt": "a red fox", "quality": "high"}),
    ("seedream-5.0-pro/image-to-image", None, {"prompt": "make it blue", "image_urls": ["u"]}),
    (
        "seedance-2.0-fast",
        None,
        {"prompt": "a paper boat", "reference_image_urls": ["u"], "duration": 4},
    ),
    ("happyhorse-1-0", None, {"prompt": "p", "duration": 8, "seed": 3}),
    ("happyhorse-1.1/text-to-video", None, {"prompt": "p", "aspect_ratio": "9:21"}),
    ("kling-3.0-omni/text-to-video", None, {"prompt": "p", "resolution": "4K", "sound": True}),
    ("kling-3.0-omni/image-to-video", None, {"image_urls": ["first", "last"]}),
    ("flux-1.1-pro", None, {"prompt": "p", "aspect_ratio": "16:9", "whatever": [1]}),
    ("flux-1.1-pro", "some-route", {"prompt": "p"}),
    ("not-in-the-catalogue", "any", {"prompt": "p", "seed": 1}),
]


@pytest.mark.parametrize(("model", "route", "value"), VALID_INPUTS)
def test_valid_inputs_pass_unchanged(model: str, route: str | None, value: dict[str, Any]) -> None:
    result = validate_task_input(model, value, route)
    assert result == value
    assert result is not value


# Each bad input: the field blamed, and words the message must contain (the emulator, an
# independent reading of the contract, must refuse them too).
BAD_INPUTS: list[tuple[str, str | None, dict[str, Any], str, list[str]]] = [
    (
        "Nano-Banana-Pro",
        None,
        {"prompt": "a", "aspect_ratio": "7:3"},
        "input.aspect_ratio",
        [
            "input.aspect_ratio: '7:3' is not allowed for Nano-Banana-Pro; allowed: 'auto', "
            "'1:1', '16:9', '9:16', '3:4', '4:3', '3:2', '2:3', '5:4', '4:5', '21:9'"
        ],
    ),
    (
        "seedance-2.0",
        None,
        {"prompt": "a boat", "seed": 1},
        "input.seed",
        ["input.seed: not accepted by seedance-2.0 (allowed fields: prompt, aspect_ratio,"],
    ),
    (
        "happyhorse-1.1/text-to-video",
        None,
        {"prompt": "p", "audio": True},
        "input.audio",
        ["not accepted by happyhorse-1.1/text-to-video"],
    ),
    (
        "seedance-2.0",
        None,
        {"prompt": "a boat", "duration": 30},
        "input.duration",
        ["input.duration: 30 is not allowed for seedance-2.0; allowed: 4 to 15"],
    ),
    (
        "seedance-2.0",
        None,
        {"prompt": "a boat", "duration": "5"},
        "input.duration",
        ["expected a JSON integer", "got '5'"],
    ),
    (
        "kling-3.0-omni/text-to-video",
        None,
        {"prompt": "p", "sound": "yes"},
        "input.sound",
        ["expected true or false"],
    ),
    ("Nano-Banana", None, {}, "input.prompt", ["input.prompt: required by Nano-Banana"]),
    (
        "Nano-Banana",
        None,
        {"prompt": "x" * 5001},
        "input.prompt",
        ["5001 characters; Nano-Banana accepts", "at most 5000"],
    ),
    (
        "seedream-5.0-pro/text-to-image",
        None,
        {"prompt": "a red fox", "image_urls": ["u"]},
        "input.image_urls",
        ["not accepted"],
    ),
    (
        "seedream-5.0-pro/text-to-image",
        None,
        {"prompt": "abc"},
        "input.prompt",
        ["at least 4"],
    ),
    (
        "Nano-Banana-Pro",
        None,
        {"prompt": "p", "image_input": ["u"] * 9},
        "input.image_input",
        ["9 items", "at most 8"],
    ),
    (
        "gpt-image-2/image-to-image",
        None,
        {"prompt": "p"},
        "input.input_urls",
        ["input.input_urls: required"],
    ),
    (
        "gpt-image-2/image-to-image",
        None,
        {"prompt": "p", "input_urls": ["u"] * 17},
        "input.input_urls",
        ["17 items", "at most 16"],
    ),
    (
        "gpt-image-2",
        None,
        {"prompt": "p", "resolution": "2K"},
        "input.resolution",
        ["'2K' is not allowed with aspect_ratio 'auto'", "allowed: '1K'"],
    ),
    (
        "gpt-image-2/text-to-image",
        None,
        {"prompt": "p", "resolution": "4K", "aspect_ratio": "1:1"},
        "input.resolution",
        ["'4K' is not available with aspect_ratio '1:1'"],
    ),
    (
        "gpt-image-2/text-to-image",
        None,
        {"prompt": "p", "resolution": "2K", "aspect_ratio": "4:5"},
        "input.resolution",
        ["'2K' is not available with aspect_ratio '4:5'"],
    ),
    (
        "gpt-image-2/text-to-image",
        None,
        {"prompt": "p", "resolution": "2K", "aspect_ratio": "16:9", "background": "opaque"},
        "input.background",
        ["needs resolution '1K'"],
    ),
    (
        "gpt-image-2/image-to-image",
        None,
        {"prompt": "p", "input_urls": ["u"], "resolution": "4K", "aspect_ratio": "9:21"},
        "input.resolution",
        ["'4K' is not available with aspect_ratio '9:21'"],
    ),
    (
        "gpt-image-2/text-to-image",
        "beta",
        {"prompt": "p", "aspect_ratio": "16:9"},
        "input.aspect_ratio",
        ["not accepted by gpt-image-2/text-to-image (route 'beta') (allowed fields: prompt, "],
    ),
    (
        "gpt-image-2/text-to-image",
        "beta",
        {"prompt": "p", "size": "1024X1024"},
        "input.size",
        ["'1024X1024' is not allowed", "lowercase WIDTHxHEIGHT"],
    ),
    (
        "gpt-image-2/text-to-image",
        "ext",
        {"prompt": "p", "background": "auto", "quality": "low"},
        "input.background",
        ["not accepted by gpt-image-2/text-to-image (route 'ext')"],
    ),
    (
        "gpt-image-2/text-to-image@ext",
        None,
        {"prompt": "p"},
        "input.quality",
        ["input.quality: required by gpt-image-2/text-to-image (route 'ext')"],
    ),
    (
        "gpt-image-2/image-to-image",
        "ext",
        {"prompt": "p", "input_urls": ["u"], "quality": "low"},
        "input.image_urls",
        ["input.image_urls: required"],
    ),
    (
        "gpt-image-2.5-flare",
        None,
        {"prompt": "p", "image_urls": ["ftp://x"]},
        "input.image_urls.0",
        ["'ftp://x' is not allowed"],
    ),
    (
        "gpt-image-2.5-sunburst",
        None,
        {"prompt": "p", "background": "transparent", "output_format": "jpeg"},
        "input.output_format",
        ["'jpeg' cannot be transparent", "'png', 'webp'"],
    ),
    (
        "gpt-image-2.5-flare/text-to-image",
        None,
        {"prompt": "x" * 8001},
        "input.prompt",
        ["at most 8000"],
    ),
    (
        "qwen-image-2.0",
        None,
        {"prompt": "p", "size": "2688x1536"},
        "input.size",
        ["'2688x1536' is not allowed for qwen-image-2.0; allowed: '2688*1536'"],
    ),
    (
        "seedance-2.0",
        None,
        {"prompt": "boat", "last_frame_url": "u"},
        "input.last_frame_url",
        ["needs first_frame_url"],
    ),
    (
        "seedance-2.0",
        None,
        {"prompt": "boat", "first_frame_url": "u", "reference_video_urls": ["v"]},
        "input.reference_video_urls",
        ["cannot be combined with first_frame_url"],
    ),
    (
        "kling-3.0-omni/image-to-video",
        None,
        {"image_urls": ["u"], "aspect_ratio": "16:9"},
        "input.aspect_ratio",
        ["not accepted"],
    ),
]


@pytest.mark.parametrize(("model", "route", "value", "field", "words"), BAD_INPUTS)
def test_bad_inputs_name_field_and_allowed_values(
    model: str, route: str | None, value: dict[str, Any], field: str, words: list[str]
) -> None:
    with pytest.raises(TaskInputError) as info:
        validate_task_input(model, value, route)
    err = info.value
    assert err.field == field
    for word in words:
        assert word in str(err)


def test_every_problem_is_reported() -> None:
    with pytest.raises(TaskInputError) as info:
        validate_task_input("qwen-image-2.0", {"prompt": "p", "size": "1x1", "seed": -1})
    assert len(info.value.problems) == 2
    assert "input.size" in str(info.value)
    assert "input.seed: -1 is not allowed for qwen-image-2.0; allowed: 0 to 2147483647" in str(
        info.value
    )


def test_unknown_route_lists_routes() -> None:
    with pytest.raises(
        TaskInputError,
        match=r"route 'pro' is not a route of gpt-image-2/text-to-"
        r"image; routes: 'default', 'beta', 'ext'",
    ):
        validate_task_input("gpt-image-2/text-to-image", {"prompt": "p"}, "pro")
    with pytest.raises(TaskInputError, match="routes: 'default', 'ext'"):
        task_input_model("gpt-image-2/image-to-image", "beta")
    with pytest.raises(TaskInputError, match=r"routes: 'default'$"):
        validate_task_input("seedance-2.0@fast", {"prompt": "boat"})
    with pytest.raises(TaskInputError, match="names route 'ext' but route='beta'"):
        validate_task_input("gpt-image-2/text-to-image@ext", {"prompt": "p"}, "beta")
    assert task_input_model("gpt-image-2/text-to-image", "ext") is task_input_model(
        "gpt-image-2/text-to-image@ext"
    )


@pytest.mark.parametrize("key", ["callback", "callback_url", "storage"])
@pytest.mark.parametrize("model", ["Nano-Banana", "flux-1.1-pro", "unknown-model"])
def test_top_level_fields_inside_input_are_refused(key: str, model: str) -> None:
    with pytest.raises(TaskInputError, match=f"input.{key}: not an input field; pass"):
        validate_task_input(model, {"prompt": "p", key: "x"})


@pytest.mark.parametrize("value", [["prompt"], "prompt", None])
def test_input_must_be_an_object(value: Any) -> None:
    with pytest.raises(TaskInputError, match="input must be a JSON object"):
        validate_task_input("Nano-Banana", value)
