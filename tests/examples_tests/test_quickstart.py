"""README command one: the quickstart runs offline and writes a real PNG."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests._support.wire import png_size

ROOT = Path(__file__).resolve().parents[2]


def quickstart(*args: str) -> subprocess.CompletedProcess[str]:
    """Run examples/quickstart.py with `args`, without any HiAPI key or base URL (offline)."""
    env = {k: v for k, v in os.environ.items() if k not in ("HIAPI_API_KEY", "HIAPI_BASE_URL")}
    return subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "examples" / "quickstart.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def saved_png_size(result: subprocess.CompletedProcess[str], folder: Path) -> tuple[int, int]:
    """The size of the one PNG the run saved in `folder` and reported as saved."""
    files = sorted(folder.glob("*.png"))
    assert len(files) == 1
    assert f"Saved {files[0]}" in result.stdout
    return png_size(files[0].read_bytes())


def test_quickstart_offline_writes_png(tmp_path: Path) -> None:
    result = quickstart(
        "a cute cat on a windowsill",
        *("--model", "Nano-Banana-Pro", "--aspect-ratio", "16:9", "--out", str(tmp_path)),
    )
    assert result.returncode == 0, result.stderr
    assert "offline HiAPI emulator" in result.stdout
    width, height = saved_png_size(result, tmp_path)
    assert width / height == 16 / 9 or abs(width / height - 16 / 9) < 0.03


def test_quickstart_route_tasks_offline_writes_png(tmp_path: Path) -> None:
    result = quickstart(
        "a lighthouse at dusk",
        *("--model", "Nano-Banana-Pro", "--aspect-ratio", "9:16", "--image-size", "2K"),
        *("--route", "tasks", "--out", str(tmp_path)),
    )
    assert result.returncode == 0, result.stderr
    assert "Route: task API (task tk-hiapi-" in result.stdout
    width, height = saved_png_size(result, tmp_path)
    assert abs(width / height - 9 / 16) < 0.03


def test_quickstart_refuses_what_the_route_cannot_send(tmp_path: Path) -> None:
    result = quickstart(
        "a cat", *("--route", "chat", "--aspect-ratio", "auto", "--out", str(tmp_path))
    )
    assert result.returncode == 2
    assert "'auto' is only available on the task route" in result.stderr
    assert not list(tmp_path.iterdir())
