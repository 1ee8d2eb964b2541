"""Keyword bundles: defaults, unknown keywords refused, the signature written out."""

from __future__ import annotations

import inspect
from typing import Any, TypedDict

import pytest

from langchain_hiapi import AsyncHiAPITasks, HiAPITasks
from langchain_hiapi._options import Keywords


class Shape(TypedDict, total=False):
    width: int
    label: str | None


SHAPE = Keywords(Shape, {"label": None, "width": 3})


def test_resolve_fills_defaults_in_field_order() -> None:
    assert SHAPE.resolve("draw", {}) == {"width": 3, "label": None}
    assert SHAPE.resolve("draw", {"label": "x"}) == {"width": 3, "label": "x"}
    assert list(SHAPE.defaults) == ["width", "label"]


def test_unknown_keyword_is_a_type_error_naming_the_allowed_ones() -> None:
    with pytest.raises(TypeError, match=r"draw\(\) got an unexpected keyword argument 'hight'"):
        SHAPE.resolve("draw", {"hight": 2})
    with pytest.raises(TypeError, match="allowed: width, label"):
        SHAPE.resolve("draw", {"hight": 2})


def test_defaults_must_name_every_field() -> None:
    with pytest.raises(TypeError, match="exactly the fields of Shape"):
        Keywords(Shape, {"width": 1})
    with pytest.raises(TypeError, match="exactly the fields of Shape"):
        Keywords(Shape, {"width": 1, "label": None, "extra": 0})


def test_signature_writes_the_keywords_out() -> None:
    @SHAPE.signature
    def draw(name: str, **options: Any) -> str:
        return name

    params = inspect.signature(draw).parameters
    assert list(params) == ["name", "width", "label"]
    assert params["width"].kind is inspect.Parameter.KEYWORD_ONLY
    assert params["width"].default == 3
    assert params["label"].annotation == "str | None"
    assert draw("n") == "n"


def test_task_clients_refuse_unknown_keywords_before_any_request() -> None:
    with HiAPITasks(api_key="sk-test", base_url="http://127.0.0.1:9/v1") as tasks:
        with pytest.raises(TypeError, match=r"create\(\) got an unexpected keyword argument"):
            tasks.create("seedance-2.0", {"prompt": "a boat"}, rout="ext")  # type: ignore[call-arg]
        with pytest.raises(TypeError, match=r"wait_many\(\) got an unexpected keyword argument"):
            tasks.wait_many(["tk-1"], timeot=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"HiAPITasks\(\) got an unexpected keyword argument"):
        HiAPITasks(api_kee="sk-test")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"AsyncHiAPITasks\(\) got an unexpected keyword"):
        AsyncHiAPITasks(pol_interval=1)  # type: ignore[call-arg]


def test_task_client_init_signature_shows_every_setting() -> None:
    params = inspect.signature(HiAPITasks).parameters
    assert params["sleep"].default is not inspect.Parameter.empty
    assert params["poll_interval"].default == 2.5
    assert params["api_key"].default is None
    assert set(inspect.signature(AsyncHiAPITasks).parameters) == set(params)
