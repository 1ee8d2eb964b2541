"""The emulator stays standard-library only, and the package proper never imports it."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import langchain_hiapi

PACKAGE = Path(langchain_hiapi.__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_emulator_imports_only_the_standard_library() -> None:
    files = sorted((PACKAGE / "testing").glob("*.py"))
    assert len(files) > 10
    for path in files:
        for name in _imports(path):
            top = name.partition(".")[0]
            allowed = top in sys.stdlib_module_names or name.startswith("langchain_hiapi.testing")
            assert allowed, f"{path.name} imports {name}"


def test_package_proper_does_not_import_the_emulator() -> None:
    for path in PACKAGE.rglob("*.py"):
        if "testing" in path.relative_to(PACKAGE).parts:
            continue
        for name in _imports(path):
            assert not name.startswith("langchain_hiapi.testing"), f"{path} imports {name}"
