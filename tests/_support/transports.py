"""A recording `httpx.MockTransport` handler and a `ChatHiAPI` built on a mock transport."""

from __future__ import annotations

import json
from typing import Any

import httpx

from langchain_hiapi import ChatHiAPI


class Recorder:
    """A MockTransport handler that records requests and replays queued answers (last repeats)."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        # A fresh Response each time: the client takes the body out of the one it reads.
        answer.read()
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


def mock_chat(transport: httpx.MockTransport, **kwargs: Any) -> ChatHiAPI:
    """A `ChatHiAPI` whose sync and async clients both use `transport`; no retries by default."""
    kwargs.setdefault("max_retries", 0)
    return ChatHiAPI(
        http_client=httpx.Client(transport=transport),
        http_async_client=httpx.AsyncClient(transport=transport),
        **kwargs,
    )
