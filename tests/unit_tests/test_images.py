"""Tests for `langchain_hiapi.images`: `GeneratedImage`, `get_images` and `save_images`."""

from __future__ import annotations

import base64
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage

from langchain_hiapi._files import MIME_EXTENSIONS
from langchain_hiapi.images import GeneratedImage, get_images, save_images

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(40))
PNG_B64 = base64.b64encode(PNG).decode()
JPEG_B64 = base64.b64encode(JPEG).decode()


def image(payload: str = PNG_B64, mime: str = "image/png", alt: str = "image") -> str:
    return f"![{alt}](data:{mime};base64,{payload})"


# ----------------------------------------------------------------------------- get_images


def test_get_images_reads_standard_blocks() -> None:
    message = AIMessage(
        content=[
            "",
            {"type": "image", "id": "r-img1", "base64": PNG_B64, "mime_type": "image/png"},
            "and ",
            {"type": "image", "source_type": "base64", "data": JPEG_B64, "mime_type": "image/jpeg"},
        ]
    )
    images = get_images(message)
    assert images == [
        GeneratedImage(PNG, "image/png", "r-img1"),
        GeneratedImage(JPEG, "image/jpeg", None),
    ]
    assert [i.extension for i in images] == [".png", ".jpg"]


def test_get_images_reads_openai_parts_and_data_urls() -> None:
    content: list[Any] = [
        {"type": "text", "text": "edit this"},
        {"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{JPEG_B64}"}},
        {"type": "image_url", "image_url": f"data:image/png;base64,{PNG_B64}"},
        {"type": "image_url", "image_url": {"url": "https://example.com/x.png"}},
        {"type": "image", "url": f"data:image/webp;base64,{PNG_B64}"},
        {"type": "image", "url": "https://example.com/y.png"},
        {"type": "image", "file_id": "file-1"},
    ]
    images = get_images(HumanMessage(content=content))
    assert [(i.data, i.mime_type) for i in images] == [
        (JPEG, "image/jpeg"),
        (PNG, "image/png"),
        (PNG, "image/webp"),
    ]


def test_get_images_falls_back_to_markdown_in_text() -> None:
    message = AIMessage(
        content="Here\n" + image(JPEG_B64, "image/jpeg") + "\n[media](data:audio/wav;base64,AAAA)"
    )
    assert get_images(message) == [GeneratedImage(JPEG, "image/jpeg")]
    blocks = [{"type": "text", "text": "x " + image()}]
    assert get_images(blocks) == [GeneratedImage(PNG, "image/png")]
    assert get_images(image()) == [GeneratedImage(PNG, "image/png")]


def test_get_images_on_aggregated_stream_chunks() -> None:
    first = AIMessageChunk(content="")
    second = AIMessageChunk(
        content=[{"type": "image", "id": "c-img1", "base64": PNG_B64, "mime_type": "image/png"}]
    )
    assert get_images(first + second) == [GeneratedImage(PNG, "image/png", "c-img1")]


def test_get_images_sniffs_missing_mime_type() -> None:
    blocks = [
        {"type": "image", "base64": JPEG_B64},
        {"type": "image", "base64": base64.b64encode(b"RIFF\0\0\0\0WEBPVP8 ").decode()},
        {"type": "image", "base64": base64.b64encode(b"????").decode()},
    ]
    assert [i.mime_type for i in get_images(blocks)] == [
        "image/jpeg",
        "image/webp",
        "application/octet-stream",
    ]
    assert get_images(blocks)[2].extension == ".bin"


def test_get_images_tolerates_wrapped_base64() -> None:
    wrapped = "\n".join(PNG_B64[i : i + 20] for i in range(0, len(PNG_B64), 20))
    assert (
        get_images([{"type": "image", "base64": wrapped, "mime_type": "image/png"}])[0].data == PNG
    )


@pytest.mark.parametrize("bad", ["not base64!!", "A", ""])
def test_invalid_base64_names_the_block(bad: str) -> None:
    message = AIMessage(
        content=["x", {"type": "image", "id": "r-img2", "base64": bad, "mime_type": "image/png"}]
    )
    with pytest.raises(ValueError, match=r"content block 1 \(type 'image', id 'r-img2'\)"):
        get_images(message)


def test_invalid_base64_in_image_url() -> None:
    with pytest.raises(ValueError, match=r"content block 0 \(type 'image_url'\)"):
        get_images([{"type": "image_url", "image_url": {"url": "data:image/png;base64,%%%"}}])


def test_get_images_rejects_other_types() -> None:
    with pytest.raises(TypeError, match=r"get_images expects"):
        get_images(42)  # type: ignore[arg-type]


def test_no_images() -> None:
    assert get_images(AIMessage(content="just text")) == []
    assert get_images([]) == []


def test_generated_image_repr_and_extensions() -> None:
    img = GeneratedImage(PNG * 100, "image/png", "x")
    assert "PNG" not in repr(img)
    assert f"{len(PNG) * 100} bytes" in repr(img)
    # Issue 14 (item 7): the extension needs bytes of the declared type.
    assert GeneratedImage(JPEG, "IMAGE/JPEG").extension == ".jpg"
    heic = b"\0\0\0\x18ftypheic\0\0\0\0"
    assert GeneratedImage(heic, "image/heic").extension == ".heic"
    assert GeneratedImage(b"x", "image/heic").extension == ".bin"
    assert GeneratedImage(b"x", "application/x-unknown").extension == ".bin"
    assert MIME_EXTENSIONS["image/webp"] == ".webp"


# ----------------------------------------------------------------------------- saving


def test_save_writes_atomically_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "cat.png"
    target.write_bytes(b"old")
    result = GeneratedImage(PNG, "image/png").save(str(target))
    assert result == target
    assert target.read_bytes() == PNG
    assert os.listdir(tmp_path) == ["cat.png"]


def test_save_failure_leaves_no_temp_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "cat.png"
    target.write_bytes(b"old")

    def broken_replace(src: Any, dst: Any) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match=r"disk on fire"):
        GeneratedImage(PNG, "image/png").save(target)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["cat.png"]


def _two_images() -> AIMessage:
    return AIMessage(
        content=[
            {"type": "image", "id": "a", "base64": PNG_B64, "mime_type": "image/png"},
            "text",
            {"type": "image", "id": "b", "base64": JPEG_B64, "mime_type": "image/jpeg"},
        ]
    )


def test_save_images_creates_the_directory_and_names_files(tmp_path: Path) -> None:
    folder = tmp_path / "out" / "nested"
    paths = save_images(_two_images(), folder)
    assert paths == [folder / "image-1.png", folder / "image-2.jpg"]
    assert paths[0].read_bytes() == PNG
    assert paths[1].read_bytes() == JPEG
    assert sorted(os.listdir(folder)) == ["image-1.png", "image-2.jpg"]


def test_save_images_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "cat-1.png").write_bytes(b"keep me")
    (tmp_path / "cat-3.jpg").write_bytes(b"keep me too")
    first = save_images(_two_images(), tmp_path, prefix="cat")
    second = save_images(_two_images(), tmp_path, prefix="cat")
    assert first == [tmp_path / "cat-2.png", tmp_path / "cat-4.jpg"]
    assert second == [tmp_path / "cat-5.png", tmp_path / "cat-6.jpg"]
    assert (tmp_path / "cat-1.png").read_bytes() == b"keep me"
    assert (tmp_path / "cat-3.jpg").read_bytes() == b"keep me too"
    assert (tmp_path / "cat-6.jpg").read_bytes() == JPEG
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]


def test_save_images_without_hard_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_link(src: Any, dst: Any) -> None:
        raise PermissionError("hard links not supported")

    monkeypatch.setattr(os, "link", no_link)
    (tmp_path / "image-1.png").write_bytes(b"keep me")
    paths = save_images(_two_images(), tmp_path)
    assert paths == [tmp_path / "image-2.png", tmp_path / "image-3.jpg"]
    assert (tmp_path / "image-1.png").read_bytes() == b"keep me"
    assert paths[0].read_bytes() == PNG
    assert sorted(os.listdir(tmp_path)) == ["image-1.png", "image-2.png", "image-3.jpg"]


def test_save_images_write_failure_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match=r"disk full"):
        save_images(_two_images(), tmp_path)
    assert os.listdir(tmp_path) == []


def test_save_images_concurrently_gives_unique_files(tmp_path: Path) -> None:
    message = _two_images()
    results: list[list[Path]] = []
    lock = threading.Lock()

    def work() -> None:
        paths = save_images(message, tmp_path)
        with lock:
            results.append(paths)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    all_paths = [p for paths in results for p in paths]
    assert len(all_paths) == 16
    assert len(set(all_paths)) == 16
    assert len(os.listdir(tmp_path)) == 16
    for path in all_paths:
        assert path.read_bytes() == (PNG if path.suffix == ".png" else JPEG)


@pytest.mark.parametrize("prefix", ["", "a/b", "..\\x", "a\0b", ".hidden", "my cat"])
def test_save_images_rejects_bad_prefixes(tmp_path: Path, prefix: str) -> None:
    with pytest.raises(ValueError, match=r"prefix"):
        save_images(_two_images(), tmp_path, prefix=prefix)
    assert os.listdir(tmp_path) == []


def test_save_images_with_a_bad_block_writes_nothing(tmp_path: Path) -> None:
    message = AIMessage(
        content=[
            {"type": "image", "base64": PNG_B64, "mime_type": "image/png"},
            {"type": "image", "base64": "@@@", "mime_type": "image/png"},
        ]
    )
    folder = tmp_path / "out"
    with pytest.raises(ValueError, match=r"content block 1"):
        save_images(message, folder)
    assert not folder.exists()
