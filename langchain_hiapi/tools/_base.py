"""What every HiAPI tool shares: connection settings, agent-readable errors, closing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, Literal

from langchain_core.tools import BaseTool, ToolException
from pydantic import ValidationError, field_validator
from pydantic.v1 import ValidationError as ValidationErrorV1

from langchain_hiapi._client import DEFAULT_TIMEOUT
from langchain_hiapi._connection import (
    ApiKey,
    BaseUrl,
    ConnectionOwner,
    Timeout,
    api_key_field,
    base_url_field,
    max_retries_field,
)
from langchain_hiapi._files import check_file_prefix
from langchain_hiapi.limits import Limits
from langchain_hiapi.tools._errors import ToolExceptionHandlerOutput, validation_error_message

__all__ = ["HiAPIToolBase"]


class HiAPIToolBase(BaseTool, ConnectionOwner):
    """Connection fields, error handling and closing shared by the HiAPI tools.

    Subclasses say which connection they opened in `_release_connection` (`close`,
    `aclose`, `with` and `async with` come from `ConnectionOwner`).
    """

    public_module: ClassVar[str] = ""
    """The module a tool class was first published in: its `lc_id` stays that path."""

    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    handle_tool_error: bool | str | Callable[[ToolException], ToolExceptionHandlerOutput] | None = (
        True
    )
    """`True`: a `ToolException` becomes the tool's text result, not a crash."""
    handle_validation_error: (
        bool | str | Callable[[ValidationError | ValidationErrorV1], str] | None
    ) = validation_error_message
    """Invalid arguments from the LLM become a text result naming the allowed values."""

    api_key: ApiKey = api_key_field()
    """HiAPI key; read from `HIAPI_API_KEY` when not given."""
    base_url: BaseUrl = base_url_field()
    """API base URL; read from `HIAPI_BASE_URL` (or `HIAPI_API_BASE`), else
    `https://api.hiapi.ai/v1`."""
    timeout: Timeout = DEFAULT_TIMEOUT
    """Per-request timeout in seconds or an `httpx.Timeout`."""
    max_retries: int = max_retries_field()
    """Retries for rate limits, 5xx and lost connections (task creates are idempotent)."""
    save_dir: Path | None = None
    """Where outputs are saved (created if missing; files are never overwritten)."""
    include_base64: bool = False
    """Also put image bytes (base64) into the artifact; off so agent state stays small."""
    limits: Limits | None = None
    """Byte limits (input images, replies, downloads)."""

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """`public_module` split at dots for the package's own tools (their old path)."""
        module = cls.__dict__.get("public_module") or cls.__module__
        return str(module).split(".")

    @field_validator("file_prefix", check_fields=False)
    @classmethod
    def _check_prefix(cls, value: str) -> str:
        # Checked up front: a bad name would only fail after the output was paid for.
        return check_file_prefix(value, "file_prefix")
