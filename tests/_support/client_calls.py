"""Drive one `HiAPIClient` call in sync or async mode (the `mode` fixture's value)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from langchain_hiapi._client import HiAPIClient


async def get_json(c: HiAPIClient, mode: str) -> dict[str, Any]:
    """`GET /models` through `request_json` or `arequest_json`."""
    if mode == "sync":
        return c.request_json("GET", "/models")
    return await c.arequest_json("GET", "/models")


async def stream(c: HiAPIClient, mode: str) -> list[dict[str, Any]]:
    """Every event of a streamed `/chat/completions` call, sync or async."""
    body = {"model": "m", "stream": True}
    if mode == "sync":
        return list(c.stream_events("/chat/completions", body))
    events: AsyncIterator[dict[str, Any]] = c.astream_events("/chat/completions", body)
    return [event async for event in events]
