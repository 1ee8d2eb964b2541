"""ChatHiAPI's image routes: chat vs task API, chosen per call and by the catalogue."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from langchain_hiapi import ChatHiAPI


def _refusing_transport(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"nothing may be sent: {request.method} {request.url}")


def make_llm(**kwargs: object) -> ChatHiAPI:
    transport = httpx.MockTransport(_refusing_transport)
    return ChatHiAPI(
        api_key=SecretStr("sk-unit"),
        http_client=httpx.Client(transport=transport),
        http_async_client=httpx.AsyncClient(transport=transport),
        max_retries=0,
        **kwargs,  # type: ignore[arg-type]
    )


def test_auto_aspect_ratio_is_refused_on_the_chat_route_before_sending() -> None:
    llm = make_llm(model="gemini-2.5-flash", image_config={"aspect_ratio": "auto"})
    with pytest.raises(ValueError, match=r"aspect_ratio: 'auto' is only available on the task"):
        llm.invoke("draw")
    with pytest.raises(ValueError, match="use one of: 1:1, 2:3"):
        make_llm(model="gemini-2.5-flash").invoke("x", image_config={"aspect_ratio": "auto"})
