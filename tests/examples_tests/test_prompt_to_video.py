"""examples/prompt_to_video.py runs offline on the task API: progress bar, a saved MP4."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from tests._support.wire import png_bytes


@pytest.fixture
def example(load_example: Callable[[str], ModuleType]) -> ModuleType:
    module = load_example("prompt_to_video")
    module.EMULATOR_POLL_INTERVAL = 0.001  # the same requests, without the visual pacing
    return module


def test_offline_run_saves_an_mp4_with_a_progress_bar(
    example: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = example.main(["a red fox running through snow", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "offline HiAPI emulator" in out
    (video,) = tmp_path.iterdir()
    assert video.name.startswith("prompt-to-video-tk-hiapi-")
    assert video.suffix == ".mp4"
    assert video.read_bytes()[4:8] == b"ftyp"
    assert f"Saved {video}" in out
    assert "expires at" in out
    assert "4/4" in err  # the bar reached the end
    for status in ("queued", "success"):
        assert status in err


def test_image_to_video(
    example: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "start.png"
    image.write_bytes(png_bytes(4, 4))
    out_dir = tmp_path / "out"
    code = example.main(
        [
            "make it move",
            "--model",
            "kling-3.0-omni/image-to-video",
            "--image",
            str(image),
            "--out",
            str(out_dir),
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert len(os.listdir(out_dir)) == 1


def test_failed_task_is_reported(
    example: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = example.main(["a fox [fail]", "--out", str(tmp_path)])
    _, err = capsys.readouterr()
    assert code == 1
    assert "The video failed" in err
    assert "TASK_FAILED" in err
    assert not any(tmp_path.iterdir())


def test_an_option_the_model_lacks_is_refused_before_sending(
    example: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "start.png"
    image.write_bytes(png_bytes(4, 4))
    code = example.main(["a fox", "--model", "happyhorse-1-0", "--image", str(image)])
    _, err = capsys.readouterr()
    assert code == 2
    assert "first_frame" in err
