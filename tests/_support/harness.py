"""Small test helpers: model names, a sleep recorder, sync/async calls and a closed port.

Also a pickle round trip (`pickled`) and a fresh interpreter (`python_c`).
"""

from __future__ import annotations

import pickle
import socket
import subprocess
import sys
from typing import Any

TEXT_MODEL = "gpt-4o-mini"
IMAGE_MODEL = "Nano-Banana"
PRO_MODEL = "Nano-Banana-Pro"


class SleepRecorder:
    """Stands in for `time.sleep` / `asyncio.sleep` in a client: records, never waits."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, delay: float) -> None:
        self.delays.append(delay)

    async def asleep(self, delay: float) -> None:
        self.delays.append(delay)


async def invoke(llm: Any, mode: str, *args: Any, **kwargs: Any) -> Any:
    """`invoke` or `ainvoke` depending on `mode`."""
    if mode == "sync":
        return llm.invoke(*args, **kwargs)
    return await llm.ainvoke(*args, **kwargs)


async def stream(
    llm: Any, mode: str, *args: Any, sink: list[Any] | None = None, **kwargs: Any
) -> Any:
    """`stream` or `astream` into `sink` (kept on failure); returns the chunks summed."""
    chunks: list[Any] = [] if sink is None else sink
    if mode == "sync":
        for chunk in llm.stream(*args, **kwargs):
            chunks.append(chunk)
    else:
        async for chunk in llm.astream(*args, **kwargs):
            chunks.append(chunk)
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


async def call(llm: Any, mode: str, kind: str, *args: Any, **kwargs: Any) -> Any:
    """Run `invoke` (kind "invoke") or a summed `stream` (kind "stream") in `mode`."""
    if kind == "invoke":
        return await invoke(llm, mode, *args, **kwargs)
    return await stream(llm, mode, *args, **kwargs)


def chunk_text(chunks: list[Any]) -> str:
    """The prose text carried by message chunks (image blocks skipped)."""
    out = []
    for chunk in chunks:
        content = chunk.content
        if isinstance(content, str):
            out.append(content)
        else:
            out.extend(p for p in content if isinstance(p, str))
            out.extend(
                p["text"] for p in content if isinstance(p, dict) and p.get("type") == "text"
            )
    return "".join(out)


def pickled(obj: Any) -> Any:
    """A pickle round trip (our own bytes, in the same test)."""
    return pickle.loads(pickle.dumps(obj))  # noqa: S301


def python_c(code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter (a clean `sys.modules`); output captured."""
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
