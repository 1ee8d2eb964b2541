"""Typed errors raised by langchain-hiapi.

Every error the package raises for a failed HiAPI call is a :class:`HiAPIError`. HTTP error
replies become an :class:`APIStatusError` subclass chosen by status and error code (see
:func:`error_from_response`); failures without a reply are :class:`APIConnectionError`;
a 2xx reply we cannot use is :class:`InvalidResponseError`; a broken event stream is
:class:`StreamError`.

The task API (``/v1/tasks``) adds its own envelope, ``{"code", "message", "data",
"error_code"}``; its business codes map to :class:`InvalidRequestError`,
:class:`ModelUnavailableError` and :class:`IdempotencyKeyMismatchError`, and a 2xx envelope whose
``code`` is not a 2xx status is an error too (:func:`envelope_error`). Waiting for tasks raises
:class:`TaskFailedError` and :class:`TaskWaitTimeout`; a bad ``input`` for a known model is a
:class:`TaskInputError` (a ``ValueError``: nothing was sent).

Errors are built from the *response* only, never from the request, so they cannot contain the
API key.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Re-exported lazily (see `__getattr__`): the mapping module imports the classes below.
    from langchain_hiapi._error_mapping import envelope_error, error_from_response

__all__ = [
    "APIConnectionError",
    "APITimeoutError",
    "HiAPIError",
    "InvalidResponseError",
    "LocalFileError",
    "ResponseTooLargeError",
    "StreamError",
    "UnsafeURLError",
    "envelope_error",
    "error_from_response",
]
# The gateway's error replies, by status and code.
__all__ += [
    "APIStatusError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "IdempotencyKeyMismatchError",
    "InsufficientQuotaError",
    "InternalServerError",
    "InvalidRequestError",
    "ModelNotFoundError",
    "ModelUnavailableError",
    "NotFoundError",
    "PermissionDeniedError",
    "PromptBlockedError",
    "RateLimitError",
]
# Tasks and webhooks.
__all__ += [
    "OutputExpiredError",
    "TaskFailedError",
    "TaskInputError",
    "TaskWaitTimeout",
    "WebhookVerificationError",
]

# The gateway's generic error type says nothing, so `str(err)` prefers the code.
_GENERIC_TYPES = frozenset({"new_api_error"})
# new-api answers 401 "Invalid token" for a used-up key too, which users read as a typo.
_AUTH_HINT = (
    "HiAPI gives this answer for a wrong key and also for a key that has expired, been "
    "disabled or used up its quota; check the key's status and balance in the HiAPI console"
)
PROMPT_BLOCKED = "prompt_blocked"
"""Error type and code of a prompt the upstream's safety filter blocked."""


def _restore(cls: type[HiAPIError], state: dict[str, Any]) -> HiAPIError:
    """Rebuild an error from its ``__dict__`` (pickle / copy support)."""
    err = cls.__new__(cls)
    Exception.__init__(err, state.get("message", ""))
    err.__dict__.update(state)
    return err


class HiAPIError(Exception):
    """Base class of every error raised by langchain-hiapi for a HiAPI call.

    Attributes:
        message: Human-readable message from the gateway (a trailing ``(request id: X)``
            is moved to ``request_id``). May be Chinese; kept as sent.
        status_code: HTTP status, or ``None`` when no response was received.
        type: Error ``type`` from the body (e.g. ``new_api_error``), ``None`` when absent/empty.
        code: Error ``code`` from the body; a string or a number, ``None`` when absent/empty.
        param: Error ``param`` from the body, ``None`` when absent/empty.
        request_id: Gateway request id, from the message suffix or a response header.
        body: Parsed JSON body, or the (possibly truncated) body text, or ``None``.
        headers: Response headers (never request headers).
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        type: str | None = None,  # shadows the builtin on purpose: mirrors the wire field
        code: str | int | None = None,
        param: str | None = None,
        request_id: str | None = None,
        body: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message, self.status_code, self.type = message, status_code, type
        self.code, self.param, self.request_id = code, param, request_id
        self.body = body
        self.headers: dict[str, str] = dict(headers) if headers is not None else {}

    def __str__(self) -> str:
        head = "HiAPI"
        if self.status_code is not None:
            head += f" {self.status_code}"
        label = self.code
        if label is None and self.type and self.type not in _GENERIC_TYPES:
            label = self.type
        if label is not None and (label := " ".join(str(label).split())):
            head += f" {label}"
        # One line even when an upstream message spans several (``.message`` keeps them).
        message = " ".join(self.message.split())
        text = f"{head}: {message}" if message else head
        if self.request_id:
            text += f" (request id: {self.request_id})"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only __init__ breaks the default Exception pickling; rebuild from state.
        return (_restore, (type(self), dict(self.__dict__)))


class APIStatusError(HiAPIError):
    """The gateway answered with a non-2xx status not covered by a subclass."""

    status_code: int


class BadRequestError(APIStatusError):
    """HTTP 400: the request was rejected."""


class PromptBlockedError(BadRequestError):
    """The prompt was blocked by the upstream's safety filter (the prompt is billed).

    Raised for every shape the gateway uses: HTTP 400 with type and code
    ``prompt_blocked``, an HTTP 200 reply with ``"choices": []`` (gateways before
    2025-12-27), and a stream that sends a ``choices: []`` chunk and no finish reason.
    ``status_code`` is the HTTP status of the reply (400 or 200).
    """


class InvalidRequestError(BadRequestError):
    """Code ``INVALID_REQUEST`` (task API): the server rejected the request as sent.

    A schema violation, an unknown ``input`` field, a bad enum value or an unknown route;
    ``message`` is the server's explanation (it lists the routes for an unknown route). Fix
    the request; retrying it unchanged fails the same way.
    """


class AuthenticationError(APIStatusError):
    """HTTP 401: invalid, expired, disabled or quota-exhausted API key.

    The gateway answers ``Invalid token`` for all of these alike, so the message says so.
    """

    def __str__(self) -> str:
        return f"{super().__str__()} ({_AUTH_HINT})"


class PermissionDeniedError(APIStatusError):
    """HTTP 403: access denied (banned user, forbidden group or model, IP not allowed)."""


class InsufficientQuotaError(PermissionDeniedError):
    """Not enough quota or balance for the request; top up, do not retry.

    HTTP 402 (HiAPI's task API), or a quota/balance code at any status: new-api's 403
    ``pre_consume_token_quota_failed`` (the key's remaining quota is below the pre-charge) or
    ``insufficient_user_quota`` (the account), the task API's ``INSUFFICIENT_QUOTA``; or a
    403 whose message says the balance or quota is insufficient.
    """


class NotFoundError(APIStatusError):
    """HTTP 404."""


class ModelNotFoundError(NotFoundError):
    """Code ``model_not_found`` at any status (HiAPI sends it with 503): unknown model."""


class ConflictError(APIStatusError):
    """HTTP 409 (video tasks: ``upstream_busy``, ``upstream_unavailable``, ...)."""


class RateLimitError(APIStatusError):
    """HTTP 429: rate limited by the gateway or the upstream."""


class ModelUnavailableError(APIStatusError):
    """Code ``MODEL_UNAVAILABLE`` (task API): the model cannot take work right now.

    Transient: the client retries it like a 503; when retries run out, try again later or
    pick another model.
    """


class IdempotencyKeyMismatchError(APIStatusError):
    """HTTP 422 ``IDEMPOTENCY_KEY_MISMATCH``: the key was already used with another body.

    Never retried: two different requests were given the same key. Use a fresh key (or
    none: ``HiAPITasks.create`` makes one per call).
    """


class InternalServerError(APIStatusError):
    """HTTP 5xx."""


class APIConnectionError(HiAPIError):
    """No response was received: connection refused or reset, DNS failure, ..."""


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, write, read or waiting for a pooled connection)."""


class InvalidResponseError(HiAPIError):
    """A 2xx reply whose body is not the JSON we need (non-JSON, binary, wrong shape)."""


class TaskFailedError(HiAPIError):
    """A task ended in ``fail`` (raised by ``wait`` and ``run``).

    Attributes:
        task: The failed task (a ``langchain_hiapi.tasks.Task``) as last reported.
        code: The task's ``error.code`` (e.g. ``TASK_FAILED``), if any.
        message: The task's ``error.message``, or a generic text.
    """

    def __init__(self, task: Any) -> None:
        message = getattr(task, "error_message", None) or "no reason given"
        super().__init__(message, code=getattr(task, "error_code", None))
        self.task = task
        self.task_id: str = getattr(task, "id", "") or ""

    def __str__(self) -> str:
        code = f"{self.code}: " if self.code is not None else ""
        status = getattr(self.task, "status", "fail")
        return f"task {self.task_id} ended {status!r}: {code}{' '.join(self.message.split())}"


class TaskWaitTimeout(HiAPIError):  # noqa: N818  (the name issue 11 gives it)
    """A task was still running when ``wait``/``run``/``wait_many`` reached its timeout.

    The task is **not** cancelled: it may still finish (and be billed). Resume with
    ``tasks.wait(task_id)``.

    Attributes:
        task_id: The task that did not finish (the first one, for ``wait_many``).
        task: Its last seen state (a ``langchain_hiapi.tasks.Task``), or ``None``.
        task_ids: Every task still running (one id for ``wait``).
        waited: Seconds spent waiting.
    """

    def __init__(
        self,
        task_id: str,
        *,
        task: Any = None,
        task_ids: tuple[str, ...] = (),
        waited: float = 0.0,
    ) -> None:
        ids = task_ids or (task_id,)
        status = getattr(task, "status", None)
        state = f"still {status!r}" if status else "not finished"
        if len(ids) == 1:
            message = (
                f"task {task_id} is {state} after {waited:.0f} s; it was not cancelled and "
                f'may still finish (and be billed): resume with tasks.wait("{task_id}")'
            )
        else:
            shown = ", ".join(f'"{i}"' for i in ids[:5]) + (", ..." if len(ids) > 5 else "")
            message = (
                f"{len(ids)} tasks are not finished after {waited:.0f} s; they were not "
                f"cancelled and may still finish (and be billed): resume with "
                f"tasks.wait_many([{shown}])"
            )
        super().__init__(message)
        self.task_id = task_id
        self.task = task
        self.task_ids = tuple(ids)
        self.waited = waited

    def __str__(self) -> str:
        return self.message


class OutputExpiredError(HiAPIError):
    """A task output's URL expired (``expireAt`` has passed); it cannot be downloaded.

    Attributes:
        task_id: The task the output belongs to.
        output_type: The output's ``type`` (``image``, ``video``, ...).
        expire_at: When it expired (Unix seconds).
    """

    def __init__(self, task_id: str, output_type: str, expire_at: int, now: float) -> None:
        when = datetime.datetime.fromtimestamp(expire_at, datetime.timezone.utc)
        super().__init__(
            f"the {output_type or 'output'} of task {task_id} expired at expire_at={expire_at} "
            f"({when:%Y-%m-%d %H:%M:%S} UTC, {max(now - expire_at, 0):.0f} s ago); outputs are "
            "kept about 7 days - download earlier, or create the task with "
            'storage="persistent"'
        )
        self.task_id = task_id
        self.output_type = output_type
        self.expire_at = expire_at

    def __str__(self) -> str:
        return self.message


class WebhookVerificationError(HiAPIError):
    """A task callback failed verification (signature, timestamp or body).

    Missing, malformed or wrong signature, a stale timestamp, or a body that is not a task.
    Answer such a request with a 4xx and do not act on it.
    """

    def __str__(self) -> str:
        return f"webhook rejected: {self.message}"


class TaskInputError(ValueError):
    """A task ``input`` that the model's documented schema rejects; nothing was sent.

    Attributes:
        model: The model the input was checked against.
        route: The route whose schema applied (``"default"`` when none was chosen).
        field: The first offending field, as ``input.<name>`` (``None`` when the problem is
            not one field, e.g. an unknown route).
        problems: One message per problem found.
    """

    def __init__(
        self,
        message: str,
        *,
        model: str = "",
        route: str = "default",
        field: str | None = None,
        problems: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.model = model
        self.route = route
        self.field = field
        self.problems = problems or (message,)


class LocalFileError(ValueError):
    """A local input image was refused; the message is meant for the agent."""


class StreamError(HiAPIError):
    """An event stream was malformed or ended early.

    Attributes:
        partial_text: Text received before the failure (filled in by the chat layer).
        partial_message: The partial message assembled so far, if any (chat layer).
    """

    def __init__(
        self,
        message: str,
        *,
        partial_text: str = "",
        partial_message: object | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.partial_text = partial_text
        self.partial_message = partial_message


class ResponseTooLargeError(InvalidResponseError):
    """A reply, stream or download went past one of the byte limits.

    Raised instead of growing memory (or a file) without bound. The limit is a field of
    :class:`langchain_hiapi.Limits` (or a download's ``max_bytes``); raise it there if the
    content is legitimate. A reply too large to use is an `InvalidResponseError`.

    Attributes:
        limit_name: The `Limits` field that was exceeded, e.g. ``max_response_bytes``.
        limit: Its value in bytes.
    """

    def __init__(self, message: str, *, limit_name: str, limit: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.limit_name = limit_name
        self.limit = limit


class UnsafeURLError(HiAPIError):
    """A URL the gateway returned (or a redirect) was refused by the download policy.

    Only ``https`` URLs on public addresses, the gateway's own origin and the hosts in
    ``allowed_download_hosts`` are fetched; loopback, private, link-local and cloud
    metadata addresses are refused before any connection is made.

    Attributes:
        url: The refused URL without its query string (which may carry a signature).
    """

    def __init__(self, message: str, *, url: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.url = url


def __getattr__(name: str) -> Any:
    # The mapping functions moved to `_error_mapping`; their public names stay here.
    if name in ("envelope_error", "error_from_response"):
        from langchain_hiapi import _error_mapping

        return getattr(_error_mapping, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
