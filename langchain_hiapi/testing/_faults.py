"""Scripted replies (faults) and recorded requests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reply:
    """One scripted reply, consumed by the next request to any endpoint (FIFO).

    A Reply with the default `status` and no `body` produces the emulator's normal answer,
    changed only by the tweaks set (`delay`, stream flags).

    Attributes:
        status: HTTP status. A non-200 status without `body` sends the contract's error
            body for that status.
        body: Body sent verbatim: a dict or list (JSON-encoded), str (UTF-8) or bytes.
        headers: Extra response headers, e.g. `{"Retry-After": "1"}`.
        content_type: Content-Type of a scripted body.
        delay: Seconds slept before replying (read-timeout tests).
        stream_cut_after: Stream: send this many `data:` events, then close the socket
            mid-body (no terminating chunk). Non-stream: send half the body, then close.
        done_without_finish: Stream: content deltas, then `data: [DONE]` with no finish
            chunk and no usage chunk (an upstream failure mid-stream).
        malformed_json: Stream: one `data:` line that is not valid JSON. Non-stream: a 200
            with a truncated JSON body.
        disconnect_after_processing: Handle the request normally (a task is created and
            billed, an idempotency key is stored), then close the connection without
            sending any response: the client cannot tell whether it worked.
        create_delay: `POST /v1/tasks`: seconds the creation takes after the
            `Idempotency-Key` is claimed, so a concurrent retry with the same key sees
            409 `IDEMPOTENCY_KEY_PROCESSING` (unlike `delay`, which waits before the
            request is looked at).
        prompt_blocked: Chat: the prompt is blocked the way gateways before 2025-12-27
            answered: a 200 with `"choices": []`, or a stream with a `choices: []` chunk,
            the usage chunk and `[DONE]` but no finish chunk. (Today's 400 `prompt_blocked`
            answers a prompt holding `[blocked]`.)
    """

    status: int = 200
    body: dict[str, Any] | list[Any] | bytes | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    delay: float = 0.0
    stream_cut_after: int | None = None
    done_without_finish: bool = False
    malformed_json: bool = False
    disconnect_after_processing: bool = False
    create_delay: float = 0.0
    prompt_blocked: bool = False

    @property
    def scripted(self) -> bool:
        """Whether this reply replaces the normal answer (rather than tweaking it)."""
        return self.body is not None or self.status != 200


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the emulator received it.

    Attributes:
        method: HTTP method.
        path: Request target as sent, e.g. `/v1/chat/completions`.
        headers: Header names in lower case (a repeated header keeps its last value).
        body: Raw body bytes.
        json: Parsed JSON body, or None when the body is empty or not JSON.
    """

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any
