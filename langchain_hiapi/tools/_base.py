"""What every HiAPI tool shares: connection settings, agent-readable errors, closing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import httpx
from langchain_core.tools import BaseTool, ToolException
from langchain_core.utils import from_env, secret_from_env
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic.v1 import ValidationError as ValidationErrorV1

from langchain_hiapi._client import DEFAULT_BASE_URL, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT
from langchain_hiapi._files import check_file_prefix
from langchain_hiapi._secrets import check_api_key_type, strip_base_url_credentials
from langchain_hiapi.limits import Limits
from langchain_hiapi.tools._errors import ToolExceptionHandlerOutput, validation_error_message

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["HiAPIToolBase"]


class HiAPIToolBase(BaseTool):
    """Connection fields, error handling and closing shared by the HiAPI tools."""

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

    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("HIAPI_API_KEY", default=None)
    )
    """HiAPI key; read from `HIAPI_API_KEY` when not given."""
    base_url: str = Field(
        default_factory=from_env(["HIAPI_BASE_URL", "HIAPI_API_BASE"], default=DEFAULT_BASE_URL)
    )
    """API base URL; read from `HIAPI_BASE_URL` (or `HIAPI_API_BASE`), else
    `https://api.hiapi.ai/v1`."""
    timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT
    """Per-request timeout in seconds or an `httpx.Timeout`."""
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0)
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

    @field_validator("api_key", mode="before")
    @classmethod
    def _check_api_key_type(cls, value: Any) -> Any:
        return check_api_key_type(value)

    @field_validator("base_url", mode="before")
    @classmethod
    def _strip_credentials(cls, value: Any) -> Any:
        return strip_base_url_credentials(value)

    @field_validator("file_prefix", check_fields=False)
    @classmethod
    def _check_prefix(cls, value: str) -> str:
        # Checked up front: a bad name would only fail after the output was paid for.
        return check_file_prefix(value, "file_prefix")

    def close(self) -> None:
        """Ends the tool's use of the connections it opened (ones you passed stay open)."""

    async def aclose(self) -> None:
        """Async `close`."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
