"""The README documents both image routes and the three generation tools (issue 12)."""

from __future__ import annotations

from pathlib import Path

README = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")


def test_readme_shows_both_routes() -> None:
    assert 'image_route="tasks"' in README
    assert 'image_route="chat"' in README
    for route in ('**`"tasks"`**', '**`"auto"`**', '**`"chat"`**'):
        assert route in README
    assert "--route tasks" in README


def test_readme_shows_the_three_tools() -> None:
    for tool in ("HiAPIImageGenerationTool(", "HiAPIVideoGenerationTool(", "HiAPITaskTool("):
        assert tool in README
