"""Wire shapes of the task API: the `{code, message, data}` envelope and its errors.

The contract's first variant of the error envelope is the docs' one, so every task-API
error (auth, rate limit, balance and idempotency included) is
`{"code": <HTTP status>, "message": ..., "data": null, "error_code": ...}`. Where no
source names the `error_code` for a status, the emulator uses an UPPER_SNAKE name in the
style of the documented ones (see `DEFAULT_TASK_ERRORS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from langchain_hiapi.testing._table import status_table

# Contract codes where documented (402: the seedream skill's name), emulator names otherwise.
DEFAULT_TASK_ERRORS = status_table("""
400 INVALID_REQUEST invalid request
401 UNAUTHORIZED invalid or missing API key
402 INSUFFICIENT_QUOTA insufficient balance, please top up
403 PERMISSION_DENIED the API key does not have permission for this request
404 NOT_FOUND task not found
409 IDEMPOTENCY_KEY_PROCESSING a request with this Idempotency-Key is still in progress
422 IDEMPOTENCY_KEY_MISMATCH Idempotency-Key was already used with a different request body
429 RATE_LIMIT_EXCEEDED rate limit exceeded, slow down
500 INTERNAL_ERROR internal server error
502 BAD_GATEWAY bad gateway
503 SERVICE_UNAVAILABLE the platform is temporarily unavailable, retry later
504 GATEWAY_TIMEOUT gateway timeout
""")


@dataclass(eq=False)
class TaskError(Exception):
    """An error answer of the task API.

    Attributes:
        status: HTTP status (also the envelope's `code`).
        message: The envelope's `message`; defaults to the status's.
        error_code: The envelope's `error_code`; defaults to the status's.
        headers: Extra response headers, e.g. `Retry-After`.
    """

    status: int
    message: str = ""
    error_code: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        default_code, default_message = DEFAULT_TASK_ERRORS.get(
            self.status, ("UPSTREAM_ERROR", f"upstream error (status {self.status})")
        )
        self.message = self.message or default_message
        self.error_code = self.error_code or default_code
        self.headers = dict(self.headers)
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        """The error envelope."""
        return {
            "code": self.status,
            "message": self.message,
            "data": None,
            "error_code": self.error_code,
        }


def invalid(message: str) -> TaskError:
    """A 400 `INVALID_REQUEST` with `message`."""
    return TaskError(400, message, "INVALID_REQUEST")


def success(data: Any) -> dict[str, Any]:
    """The success envelope around `data`."""
    return {"code": 200, "message": "success", "data": data}


def hiapi_error_body(code: str, request_id: str) -> dict[str, Any]:
    """The blogs' `{"error": {"code", "type": "hiapi_error", "request_id"}}` shape."""
    return {"error": {"code": code, "type": "hiapi_error", "request_id": request_id}}
