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
from tests._support.catalogue_inputs import BAD_INPUTS, VALID_INPUTS


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


@pytest.mark.parametrize(("model", "route", "value"), VALID_INPUTS)
def test_valid_inputs_pass_unchanged(model: str, route: str | None, value: dict[str, Any]) -> None:
    result = validate_task_input(model, value, route)
    assert result == value
    assert result is not value


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
