"""Release packaging: license metadata, and an sdist that holds source only."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _build_sdist(out: Path) -> list[str]:
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "hatchling", "build", "-t", "sdist", "-d", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (archive,) = out.glob("*.tar.gz")
    with tarfile.open(archive) as tar:
        return [name.split("/", 1)[1] for name in tar.getnames() if "/" in name]


def test_sdist_holds_source_and_license_but_no_local_state(tmp_path: Path) -> None:
    # Local state a developer or CI leaves in the checkout must never be published.
    junk = [ROOT / ".venv" / "junk-marker.py", ROOT / "benchmarks" / "results" / "junk.json"]
    created = [p for p in junk if not p.exists()]
    for path in created:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("junk\n")
    try:
        names = _build_sdist(tmp_path)
    finally:
        for path in created:
            path.unlink()
    assert "LICENSE" in names
    assert "CHANGELOG.md" in names
    assert "langchain_hiapi/__init__.py" in names
    assert "langchain_hiapi/py.typed" in names
    assert not [n for n in names if "junk" in n or n.startswith(".venv")]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_license_metadata_is_spdx() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    assert 'license = "MIT"' in text
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
