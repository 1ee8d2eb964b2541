"""Building blocks of the task input schemas, shared by every model family module."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo
from pydantic_core import PydanticCustomError

__all__ = [
    "RULE_ERROR",
    "HttpUrl",
    "OpenTaskInput",
    "Resolution",
    "TaskInput",
    "background_at_1k",
    "label",
    "rule_error",
    "url_list",
]

# The pydantic error type of a broken cross-field rule; its ctx names the field to blame.
RULE_ERROR = "hiapi_rule"


class TaskInput(BaseModel):
    """Base of every documented task input: JSON types only, unknown fields rejected."""

    model_config = ConfigDict(extra="forbid", strict=True)

    images_field: ClassVar[str | None] = None
    """The field holding reference images, if any (`ModelInfo.image_inputs_field`)."""


class OpenTaskInput(BaseModel):
    """Input of a model whose fields are not documented: any JSON object passes."""

    model_config = ConfigDict(extra="allow")


def rule_error(field: str, message: str) -> PydanticCustomError:
    """A cross-field rule broken by `field` (raise it from a `model_validator`)."""
    return PydanticCustomError(RULE_ERROR, "{message}", {"field": field, "message": message})


def label(info: ValidationInfo) -> str:
    """How messages name the model and route (passed by `validate_task_input`)."""
    context = info.context if isinstance(info.context, dict) else {}
    return str(context.get("label", "this model"))


def url_list(low: int, high: int | None, what: str) -> Any:
    """A `Field` for a list of 'low' to 'high' reference URLs."""
    return Field(min_length=low, max_length=high, description=what)


def background_at_1k(model: Any, resolution: str) -> None:
    """The gpt-image rule: a `background` needs resolution '1K'."""
    if model.background is not None and resolution != "1K":
        raise rule_error(
            "background",
            f"input.background: {model.background!r} needs resolution '1K' (got {resolution!r})",
        )


HttpUrl = Annotated[str, Field(pattern=r"^[hH][tT][tT][pP][sS]?://\S+$")]
Resolution = Literal["1K", "2K", "4K"]
