"""Reads the emulator's text tables (the task models, the CLI options)."""

from __future__ import annotations

from collections.abc import Iterator


def records(table: str) -> Iterator[list[str]]:
    """Splits a text table into records: a line, plus the indented lines after it."""
    record: list[str] = []
    for line in table.splitlines():
        if line.strip() and not line[0].isspace() and record:
            yield record
            record = []
        record.extend(line.split())
    if record:
        yield record


def status_table(table: str) -> dict[int, tuple[str, str]]:
    """Reads `status code message...` lines (`-`: no code) into status -> (code, message)."""
    out: dict[int, tuple[str, str]] = {}
    for status, code, *words in records(table):
        out[int(status)] = ("" if code == "-" else code, " ".join(words))
    return out
