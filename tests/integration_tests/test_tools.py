"""HiAPIImageGenerationTool against HiAPI, replayed from cassettes (see conftest.py).

Record with `HIAPI_RECORD=1 python -m pytest tests/integration_tests/test_tools.py`.
The tools read `HIAPI_BASE_URL` / `HIAPI_API_KEY`, which the session fixture sets.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import ToolMessage
from langchain_tests.integration_tests import ToolsIntegrationTests

from langchain_hiapi import HiAPIImageGenerationTool
from langchain_hiapi.tools import image_dimensions


def _png(width: int, height: int) -> bytes:
    # Deterministic bytes: the request body (with this image) must match the cassette.
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    raw = b"".join(b"\x00" + b"\x1e\x50\xdc" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9))


def _call(tool: HiAPIImageGenerationTool, **args: Any) -> ToolMessage:
    result = tool.invoke({"type": "tool_call", "id": "call_1", "name": tool.name, "args": args})
    assert isinstance(result, ToolMessage)
    return result


@pytest.mark.vcr
class TestHiAPIImageGenerationToolIntegration(ToolsIntegrationTests):
    @property
    def tool_constructor(self) -> type[HiAPIImageGenerationTool]:
        return HiAPIImageGenerationTool

    @property
    def tool_constructor_params(self) -> dict[str, Any]:
        return {"model": "Nano-Banana", "max_retries": 0}

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"prompt": "A red fox sitting in fresh snow", "aspect_ratio": "16:9"}


@pytest.mark.vcr
def test_generate_saves_png_and_reports_its_size(tmp_path: Path) -> None:
    tool = HiAPIImageGenerationTool(model="Nano-Banana", save_dir=tmp_path, max_retries=0)
    message = _call(tool, prompt="A blue lighthouse on a cliff", aspect_ratio="3:2")
    assert message.status == "success"
    [path] = message.artifact["paths"]
    data = Path(path).read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    size = image_dimensions(data)
    assert size is not None
    assert size[0] > size[1]  # 3:2 is landscape
    assert f"{size[0]}x{size[1]} image/png, saved to {path}" in str(message.content)
    # Saved to a file: the artifact keeps no base64 unless asked (issue 12).
    assert "base64" not in message.artifact["images"][0]


@pytest.mark.vcr
async def test_edit_sends_the_input_file(tmp_path: Path) -> None:
    source = tmp_path / "source.png"
    source.write_bytes(_png(8, 8))
    # Input files are read only from allowed directories (issue 14; default: the cwd).
    tool = HiAPIImageGenerationTool(model="Nano-Banana", max_retries=0, image_dirs=[tmp_path])
    message = await tool.ainvoke(
        {
            "type": "tool_call",
            "id": "call_2",
            "name": tool.name,
            "args": {"prompt": "Make the background yellow", "images": [str(source)]},
        }
    )
    assert isinstance(message, ToolMessage)
    assert message.status == "success"
    assert message.artifact["images"][0]["mime_type"] == "image/png"


@pytest.mark.vcr
def test_unsupported_size_is_a_tool_error_without_a_request() -> None:
    # No cassette interaction: validation happens before any request.
    tool = HiAPIImageGenerationTool(model="Nano-Banana", max_retries=0)
    message = _call(tool, prompt="A fox", image_size="2K")
    assert message.status == "error"
    assert "allowed values: 1K" in str(message.content)
