"""The client's catalogue against the emulator's own reading of the contract's schemas.

The two are written independently (the emulator is the server's double), so any input one
accepts and the other refuses is a transcription error on one side: documented inputs must
pass both, and every input the catalogue refuses must be refused by the emulator too.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic.fields import FieldInfo

from langchain_hiapi import HiAPIError, HiAPITasks
from langchain_hiapi.catalogue import TaskInput, lookup, task_models
from langchain_hiapi.testing import HiAPIEmulator, TaskTiming
from tests._support.catalogue_inputs import BAD_INPUTS, VALID_INPUTS


@pytest.fixture(scope="module")
def tasks() -> Iterator[HiAPITasks]:
    with (
        HiAPIEmulator(task_timing=TaskTiming(0, 0, 0)) as emu,
        HiAPITasks(base_url=emu.base_url, api_key=emu.api_key, max_retries=0) as client,
    ):
        yield client


def sample(field: FieldInfo) -> Any:
    """A plausible value for a required field."""
    annotation = field.annotation
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return args[0]
    if typing.get_origin(annotation) is list or any(typing.get_origin(a) is list for a in args):
        return ["https://example.com/reference.png"]
    if annotation is int:
        return 5
    if annotation is bool:
        return True
    return "a red fox running through fresh snow"


def schema_inputs() -> list[Any]:
    """(model, route, input) for every documented schema: the required fields only, and
    the required fields plus every default."""
    cases = []
    for info in task_models():
        for route, schema in info.routes.items():
            if not issubclass(schema, TaskInput):
                continue
            required = {n: sample(f) for n, f in schema.model_fields.items() if f.is_required()}
            defaults = {
                name: field.get_default(call_default_factory=True)
                for name, field in schema.model_fields.items()
                if not field.is_required()
            }
            full = {**required, **{k: v for k, v in defaults.items() if v is not None}}
            for label, value in (("required", required), ("defaults", full)):
                cases.append(pytest.param(info.id, route, value, id=f"{info.id}@{route}-{label}"))
    return cases


def create(tasks: HiAPITasks, model: str, route: str | None, value: dict[str, Any]) -> None:
    tasks.create(model, value, route=None if route == "default" else route, validate=False)


@pytest.mark.parametrize(("model", "route", "value"), schema_inputs())
def test_every_schema_is_accepted_by_both(
    tasks: HiAPITasks, model: str, route: str, value: dict[str, Any]
) -> None:
    from langchain_hiapi.catalogue import validate_task_input

    validate_task_input(model, value, None if route == "default" else route)
    create(tasks, model, route, value)


@pytest.mark.parametrize(
    ("model", "route", "value"),
    [case for case in VALID_INPUTS if (info := lookup(case[0])) is not None and info.documented],
)
def test_documented_examples_are_accepted_by_the_emulator(
    tasks: HiAPITasks, model: str, route: str | None, value: dict[str, Any]
) -> None:
    create(tasks, model, route, value)


@pytest.mark.parametrize(("model", "route", "value", "field", "words"), BAD_INPUTS)
def test_inputs_the_catalogue_refuses_the_emulator_refuses(
    tasks: HiAPITasks, model: str, route: str | None, value: dict[str, Any], field: str, words: Any
) -> None:
    with pytest.raises(HiAPIError) as info:
        create(tasks, model, route, value)
    assert info.value.status_code == 400
