"""Each example runs offline end to end and writes what it promises."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from langchain_hiapi.testing import HiAPIEmulator

Loader = Callable[[str], ModuleType]


def assert_png(path: Path) -> tuple[int, int]:
    """Checks the PNG signature and a well-formed IHDR chunk; returns (width, height)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    length, tag = struct.unpack(">I4s", data[8:16])
    assert (length, tag) == (13, b"IHDR")
    ihdr = data[16:29]
    (crc,) = struct.unpack(">I", data[29:33])
    assert crc == zlib.crc32(b"IHDR" + ihdr)
    width, height = struct.unpack(">II", ihdr[:8])
    assert width > 0
    assert height > 0
    return width, height


def test_prompt_to_image_chain_saves_a_png(
    load_example: Loader, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = load_example("prompt_to_image_chain")
    assert example.main(["--out", str(tmp_path), "--aspect-ratio", "16:9"]) == 0
    out = capsys.readouterr().out
    assert "offline HiAPI emulator" in out
    [image] = list(tmp_path.iterdir())
    assert image.name == "chain-1.png"
    assert f"Saved {image}" in out
    width, height = assert_png(image)
    assert width > height  # the aspect ratio went through the chain


def test_prompt_to_image_chain_never_overwrites(load_example: Loader, tmp_path: Path) -> None:
    example = load_example("prompt_to_image_chain")
    assert example.main(["--out", str(tmp_path)]) == 0
    first = (tmp_path / "chain-1.png").read_bytes()
    assert example.main(["--out", str(tmp_path), "--subject", "a blue whale"]) == 0
    assert (tmp_path / "chain-1.png").read_bytes() == first
    assert_png(tmp_path / "chain-2.png")


def test_agent_draws_calls_the_tool_and_reports_the_path(
    load_example: Loader, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = load_example("agent_draws")
    assert example.main(["Please draw a green dragon", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "offline HiAPI emulator" in out
    [image] = list(tmp_path.iterdir())
    assert_png(image)
    assert "[agent -> generate_image] {'prompt': 'Please draw a green dragon'" in out
    assert "[generate_image -> agent, success] Generated 1 image" in out
    # The agent's final answer is built from the tool result, which names the file.
    final = out.strip().splitlines()[-1]
    assert final.startswith("[agent] ")
    assert str(image) in final
    assert "base64" not in out


def _img_sources(page: str) -> list[str]:
    return re.findall(r'<img src="([^"]+)"', page)


def test_rag_illustrations_page_and_no_double_spend(load_example: Loader, tmp_path: Path) -> None:
    example = load_example("rag_illustrations")
    documents = example.DOCUMENTS
    with HiAPIEmulator() as emu, pytest.MonkeyPatch.context() as mp:
        # A "real key" run against our own emulator, so its requests can be counted.
        mp.setenv("HIAPI_API_KEY", emu.api_key)
        mp.setenv("HIAPI_BASE_URL", emu.base_url)
        argv = ["--out", str(tmp_path), "--concurrency", "2"]
        assert example.main(argv) == 0
        assert len(emu.requests) == len(documents)
        page = (tmp_path / "index.html").read_text(encoding="utf-8")
        sources = _img_sources(page)
        assert len(sources) == len(documents)
        for src in sources:
            assert not src.startswith(("/", "http", "data:"))  # relative links
            assert_png(tmp_path / src)
        for doc in documents:
            assert doc.metadata["title"].replace("'", "&#x27;") in page
        mtimes = {src: (tmp_path / src).stat().st_mtime_ns for src in sources}

        # Re-run: everything exists, nothing is requested, no image is rewritten.
        assert example.main(argv) == 0
        assert len(emu.requests) == len(documents)
        assert {src: (tmp_path / src).stat().st_mtime_ns for src in sources} == mtimes
        assert _img_sources((tmp_path / "index.html").read_text(encoding="utf-8")) == sources

        # Only a missing image is generated again, under the same name.
        (tmp_path / sources[1]).unlink()
        assert example.main(argv) == 0
        assert len(emu.requests) == len(documents) + 1
        assert_png(tmp_path / sources[1])
    assert not [p for p in (tmp_path / "images").iterdir() if p.name.startswith(".")]


def test_rag_illustrations_changed_prompt_is_a_new_image(load_example: Loader) -> None:
    example = load_example("rag_illustrations")
    doc = example.DOCUMENTS[0]
    stem = example.image_stem(doc, "Nano-Banana", {"aspect_ratio": "16:9"})
    assert stem.startswith("the-last-lighthouse-keepers-")
    assert example.image_stem(doc, "Nano-Banana", {"aspect_ratio": "16:9"}) == stem
    assert example.image_stem(doc, "Nano-Banana-Pro", {"aspect_ratio": "16:9"}) != stem
    assert example.image_stem(doc, "Nano-Banana", {"aspect_ratio": "1:1"}) != stem


def test_rag_illustrations_runs_offline(
    load_example: Loader, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = load_example("rag_illustrations")
    assert example.main(["--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "offline HiAPI emulator" in out
    assert f"Wrote {tmp_path / 'index.html'} (5/5 illustrated)." in out
    assert len(list((tmp_path / "images").glob("*.png"))) == 5
