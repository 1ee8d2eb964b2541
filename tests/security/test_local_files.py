"""Item 2: the image tool reads local files only where the user allowed, and only images.

The paths are what a prompt-injected agent might pass; every refusal must be a tool error
the agent reads (never a crash, never a hang) and nothing may be sent to the gateway.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.messages import ToolMessage
from pydantic import SecretStr

from langchain_hiapi import ChatHiAPI, HiAPIImageGenerationTool
from langchain_hiapi.limits import Limits
from tests._support.wire import png_bytes

KEY = "sk-security-files-0123456789"
PNG = png_bytes(4, 4)
UNREADABLE = "is not a readable PNG, JPEG, WebP, HEIC or HEIF image file"
OUTSIDE = "outside the allowed image directories"
IMAGE_REPLY = {
    "id": "c",
    "object": "chat.completion",
    "model": "Nano-Banana",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "![image](data:image/png;base64," + base64.b64encode(PNG).decode() + ")",
            },
            "finish_reason": "stop",
        }
    ],
}


class Gateway:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json=IMAGE_REPLY)


@pytest.fixture
def gateway() -> Gateway:
    return Gateway()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cwd = tmp_path / "work"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


def tool(gateway: Gateway, **kwargs: Any) -> HiAPIImageGenerationTool:
    transport = httpx.MockTransport(gateway)
    llm = ChatHiAPI(
        api_key=SecretStr(KEY),
        http_client=httpx.Client(transport=transport),
        http_async_client=httpx.AsyncClient(transport=transport),
        max_retries=0,
    )
    return HiAPIImageGenerationTool(llm=llm, **kwargs)


def edit(t: HiAPIImageGenerationTool, *images: str) -> ToolMessage:
    message = t.invoke(
        {
            "type": "tool_call",
            "id": "1",
            "name": t.name,
            "args": {"prompt": "edit", "images": list(images)},
        }
    )
    assert isinstance(message, ToolMessage)
    return message


def refused(message: ToolMessage, gateway: Gateway, text: str) -> None:
    assert message.status == "error", message.content
    assert text in str(message.content)
    assert gateway.requests == []


def sent_images(gateway: Gateway) -> int:
    (request,) = gateway.requests
    content = json.loads(request.content)["messages"][0]["content"]
    return sum(1 for part in content if part.get("type") == "image_url")


# ------------------------------------------------------------------------------ where


def test_default_dirs_are_the_working_directory_and_save_dir(
    workdir: Path, tmp_path: Path, gateway: Gateway
) -> None:
    saves = tmp_path / "saves"
    saves.mkdir()
    (workdir / "a.png").write_bytes(PNG)
    (saves / "b.png").write_bytes(PNG)
    t = tool(gateway, save_dir=saves)
    assert [p.resolve() for p in t.allowed_image_dirs()] == [workdir.resolve(), saves.resolve()]
    message = edit(t, "a.png", str(saves / "b.png"))
    assert message.status == "success", message.content
    assert sent_images(gateway) == 2


@pytest.mark.parametrize(
    "ref", ["../elsewhere.png", "{tmp}/elsewhere.png", "/etc/passwd", "~/.ssh/id_rsa"]
)
def test_files_outside_the_allowed_dirs_are_refused(
    workdir: Path, tmp_path: Path, gateway: Gateway, ref: str
) -> None:
    (tmp_path / "elsewhere.png").write_bytes(PNG)
    refused(edit(tool(gateway), ref.format(tmp=tmp_path)), gateway, OUTSIDE)


def test_the_filesystem_root_is_never_a_default(
    monkeypatch: pytest.MonkeyPatch, gateway: Gateway
) -> None:
    monkeypatch.chdir("/")
    t = tool(gateway)
    assert t.allowed_image_dirs() == []
    refused(edit(t, "/etc/hostname"), gateway, OUTSIDE)


@pytest.mark.parametrize(
    "ref", ["/proc/self/environ", "/proc/self/cmdline", "/sys/kernel/notes", "/dev/zero"]
)
def test_pseudo_filesystems_are_refused_even_under_an_allowed_root(
    gateway: Gateway, ref: str
) -> None:
    refused(edit(tool(gateway, image_dirs=[Path("/")]), ref), gateway, OUTSIDE)


def test_symlinks_out_of_the_allowed_dirs_are_refused(
    workdir: Path, tmp_path: Path, gateway: Gateway
) -> None:
    (tmp_path / "secret.png").write_bytes(PNG)
    (workdir / "to-secret.png").symlink_to(tmp_path / "secret.png")
    (workdir / "to-dev").symlink_to("/dev/urandom")
    (workdir / "to-proc").symlink_to("/proc/self/environ")
    for ref in ("to-secret.png", "to-dev", "to-proc"):
        refused(edit(tool(gateway), ref), gateway, OUTSIDE)


# ------------------------------------------------------------------------------ what


def test_missing_file_and_non_image_get_the_same_answer(workdir: Path, gateway: Gateway) -> None:
    (workdir / "notes.txt").write_text("HIAPI_API_KEY=do-not-leak")
    (workdir / "empty.png").write_bytes(b"")
    (workdir / "sub").mkdir()
    answers = {
        ref: str(edit(tool(gateway), ref).content).replace(repr(ref), "<ref>")
        for ref in ("missing.png", "notes.txt", "empty.png", "sub")
    }
    assert len(set(answers.values())) == 1, answers
    assert UNREADABLE in answers["notes.txt"]
    assert "do-not-leak" not in answers["notes.txt"]
    assert gateway.requests == []


def test_fifos_are_refused_without_hanging(workdir: Path, gateway: Gateway) -> None:
    os.mkfifo(workdir / "pipe.png")
    results: list[ToolMessage] = []
    worker = threading.Thread(
        target=lambda: results.append(edit(tool(gateway), "pipe.png")), daemon=True
    )
    worker.start()
    worker.join(timeout=10)  # a blocking open() of a FIFO would never return
    assert not worker.is_alive(), "reading a FIFO hung"
    refused(results[0], gateway, UNREADABLE)


def test_non_regular_files_are_refused(workdir: Path, gateway: Gateway) -> None:
    import socket

    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(workdir / "sock.png"))
        refused(edit(tool(gateway), "sock.png"), gateway, UNREADABLE)


@pytest.mark.parametrize(
    ("ref", "text"),
    [
        ("a\0b.png", "NUL"),
        ("x" * 5000, "too long"),
        ("d/" + "y" * 300 + ".png", "too long"),
    ],
)
def test_odd_paths_are_tool_errors(workdir: Path, gateway: Gateway, ref: str, text: str) -> None:
    refused(edit(tool(gateway), ref), gateway, text)


def test_symlink_loops_are_tool_errors(workdir: Path, gateway: Gateway) -> None:
    (workdir / "loop-a").symlink_to(workdir / "loop-b")
    (workdir / "loop-b").symlink_to(workdir / "loop-a")
    refused(edit(tool(gateway), "loop-a"), gateway, UNREADABLE)


def test_a_path_swapped_after_the_check_is_caught_on_the_open_descriptor(
    workdir: Path, tmp_path: Path, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / "album").mkdir()
    (workdir / "album" / "a.png").write_bytes(PNG)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "a.png").write_bytes(PNG)
    real_open = os.open

    def racing_open(path: Any, flags: int, *args: Any) -> int:
        # Between the check and the open, the directory becomes a symlink elsewhere.
        (workdir / "album").rename(workdir / "album-old")
        (workdir / "album").symlink_to(outside)
        return real_open(path, flags, *args)

    monkeypatch.setattr("langchain_hiapi._localfiles.os.open", racing_open)
    refused(edit(tool(gateway), "album/a.png"), gateway, UNREADABLE)


# ------------------------------------------------------------------------------ how much


def test_reads_are_bounded_by_bytes_read(workdir: Path, gateway: Gateway) -> None:
    limits = Limits(max_input_image_bytes=len(PNG))
    (workdir / "ok.png").write_bytes(PNG)
    (workdir / "big.png").write_bytes(PNG + b"\0")
    assert edit(tool(gateway, limits=limits), "ok.png").status == "success"
    gateway.requests.clear()
    refused(edit(tool(gateway, limits=limits), "big.png"), gateway, "larger than")


def test_all_input_images_of_a_call_are_bounded_together(workdir: Path, gateway: Gateway) -> None:
    limits = Limits(max_input_images_bytes=2 * len(PNG))
    (workdir / "a.png").write_bytes(PNG)
    data_uri = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert edit(tool(gateway, limits=limits), "a.png", data_uri).status == "success"
    gateway.requests.clear()
    message = edit(tool(gateway, limits=limits), "a.png", data_uri, "a.png")
    refused(message, gateway, "Limits.max_input_images_bytes")


def test_oversize_data_uris_are_refused_before_decoding(gateway: Gateway) -> None:
    limits = Limits(max_input_image_bytes=1024)
    data_uri = "data:image/png;base64," + "A" * 8192
    refused(edit(tool(gateway, limits=limits), data_uri), gateway, "Limits.max_input_image_bytes")
