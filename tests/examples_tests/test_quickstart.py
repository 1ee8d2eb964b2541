"""README command one: the quickstart runs offline and writes a real PNG."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.mark.parametrize(
    ("prompt", "options", "says", "ratio"),
    [
        ("a cute cat on a windowsill", "--aspect-ratio 16:9", "offline HiAPI emulator", 16 / 9),
        (
            "a lighthouse at dusk",
            "--aspect-ratio 9:16 --image-size 2K --route tasks",
            "Route: task API (task tk-hiapi-",
            9 / 16,
        ),
    ],
    ids=["chat", "tasks"],
)
def test_quickstart_offline_writes_png(
    tmp_path: Path, prompt: str, options: str, says: str, ratio: float
) -> None:
    cli = [prompt, "--model", "Nano-Banana-Pro", *options.split(), "--out", str(tmp_path)]
    result = quickstart(*cli)
    assert result.returncode == 0, result.stderr
    assert says in result.stdout
    files = sorted(tmp_path.glob("*.png"))
    assert len(files) == 1
    assert f"Saved {files[0]}" in result.stdout
    width, height = png_size(files[0].read_bytes())
    assert abs(width / height - ratio) < 0.03


def test_quickstart_refuses_what_the_route_cannot_send(tmp_path: Path) -> None:
    result = quickstart(
        "a cat", *("--route", "chat", "--aspect-ratio", "auto", "--out", str(tmp_path))
    )
    assert result.returncode == 2
    assert "'auto' is only available on the task route" in result.stderr
    assert not list(tmp_path.iterdir())
