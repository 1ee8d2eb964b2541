"""Tests for `langchain_hiapi._files`: the file-name rule and atomic writes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from langchain_hiapi._files import check_file_prefix, safe_stem, write_atomic

# ------------------------------------------------------------------------ file-name rule


@pytest.mark.parametrize(
    ("text", "stem"),
    [
        ("task_01J9.abc-def", "task_01J9.abc-def"),
        ("../../etc/passwd", "etc_passwd"),
        ("a/b\\c\0d", "a_b_c_d"),
        (".hidden", "hidden"),
        ("__x__", "x"),
        ("猫 photo", "photo"),
        ("a" * 119 + ".bbb", "a" * 119),  # cut at 120, then no trailing '.'
        ("...", "fallback"),
        ("", "fallback"),
    ],
)
def test_safe_stem_makes_any_text_follow_the_rule(text: str, stem: str) -> None:
    assert safe_stem(text, "fallback") == stem
    assert check_file_prefix(stem, "x") == stem  # what it makes always passes the check


@pytest.mark.parametrize("value", ["image", "my-cat_2.v1", "A", "a" * 120])
def test_check_file_prefix_accepts_names_following_the_rule(value: str) -> None:
    assert check_file_prefix(value, "file_prefix") == value


@pytest.mark.parametrize(
    "value",
    [
        "",
        "a/b",
        "..\\x",
        "a\0b",
        "../evil",
        ".hidden",
        "..",
        "-rf",
        "cat-",
        "my cat",
        "猫",
        "a" * 121,
    ],
)
def test_check_file_prefix_refuses_everything_else(value: str) -> None:
    with pytest.raises(ValueError, match=r"^file_prefix must be a file name of letters, digits"):
        check_file_prefix(value, "file_prefix")


def test_check_file_prefix_refuses_non_strings() -> None:
    with pytest.raises(ValueError, match=r"^prefix must be a file name"):
        check_file_prefix(None, "prefix")  # type: ignore[arg-type]


# ------------------------------------------------------------------------- atomic write


def test_write_atomic_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    assert write_atomic(str(target), b"new") == target
    assert target.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_write_atomic_failure_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def broken_replace(src: Any, dst: Any) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match=r"disk on fire"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.bin"]
