"""Reading a local input image named by an agent, confined to the allowed directories.

An LLM filling in a tool call may have been steered by a prompt injection, so a path it
gives is hostile until checked:

* it must resolve (symlinks followed) inside one of the allowed directories, and never
  into `/proc`, `/sys` or `/dev`;
* the file is opened without following a final symlink and without blocking (a FIFO
  cannot hang the call), and the *opened descriptor* is checked: a regular file, still
  inside the allowed directories (on Linux via `/proc/self/fd`), so swapping a path
  component between the check and the open does not help;
* at most `max_bytes` are read, counted as they are read (`stat()` sizes lie for
  `/proc`-like files), and the bytes must be a PNG, JPEG, WebP, HEIC or HEIF image;
* a missing file, a directory, a device, an unreadable file and an existing non-image
  all get the same answer, so the tool cannot be used to probe which files exist;
* NUL bytes, over-long paths and symlink loops are errors, never crashes.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from langchain_hiapi.errors import LocalFileError

__all__ = [
    "MAX_PATH_CHARS",
    "default_image_dirs",
    "read_image_file",
]

MAX_PATH_CHARS = 4096
_MAX_NAME_BYTES = 255
# Pseudo-filesystems whose "regular files" are process or kernel state.
_FORBIDDEN_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_READ_SIZE = 1 << 20


def default_image_dirs(save_dir: Path | None) -> list[Path]:
    """The directories input images may come from when none are configured.

    The working directory (at call time) and `save_dir` (so a generated image can be
    edited next); the filesystem root is never among them.
    """
    dirs = [Path.cwd()]
    if save_dir is not None:
        dirs.append(Path(save_dir))
    return [d for d in dirs if _real(d) != Path(_real(d).anchor)]


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path.expanduser()))


def _shown(ref: str) -> str:
    return repr(ref if len(ref) <= 200 else ref[:200] + "…")


def _inside(path: Path, directories: Sequence[Path]) -> bool:
    if any(path == root or path.is_relative_to(root) for root in _FORBIDDEN_ROOTS):
        return False
    return any(path.is_relative_to(directory) for directory in directories)


def _fd_path(fd: int) -> Path | None:
    """Where an open descriptor really points (Linux), or `None` if unknown."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return Path(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        return None


def read_image_file(
    ref: str,
    directories: Sequence[Path],
    max_bytes: int,
    *,
    where: str,
    sniff: Callable[[bytes], str | None],
) -> tuple[bytes, str]:
    """Reads an image file named by an agent, under the rules of the module docstring.

    Args:
        ref: The path as the agent gave it (`~` is expanded).
        directories: Where files may be read from.
        max_bytes: The most bytes read.
        where: The argument, for messages (e.g. `images[0]`).
        sniff: Returns the image MIME type of some bytes, or `None`.

    Returns:
        `(bytes, MIME type)`.

    Raises:
        LocalFileError: Refused; the message says why in words an agent can act on.
    """
    unreadable = LocalFileError(
        f"{where}: {_shown(ref)} is not a readable PNG, JPEG, WebP, HEIC or HEIF image file."
        " Give an existing image file path, an http(s) URL or a data: URI, or omit images"
        " to draw a new image."
    )
    if "\0" in ref:
        raise LocalFileError(f"{where}: the path contains a NUL character.")
    if len(ref) > MAX_PATH_CHARS or any(
        len(part.encode("utf-8", "surrogateescape")) > _MAX_NAME_BYTES for part in Path(ref).parts
    ):
        raise LocalFileError(f"{where}: the path is too long.")
    try:
        real = _real(Path(ref))
        allowed = [_real(Path(d)) for d in directories]
    except (OSError, RuntimeError, ValueError):  # no home directory, a symlink loop, ...
        raise unreadable from None
    if not _inside(real, allowed):
        shown_dirs = ", ".join(str(d) for d in directories) or "none"
        raise LocalFileError(
            f"{where}: {_shown(ref)} is outside the allowed image directories ({shown_dirs})."
        )
    try:
        fd = os.open(real, _OPEN_FLAGS)
    except (OSError, ValueError):
        raise unreadable from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise unreadable
        opened = _fd_path(fd)
        if opened is not None and not _inside(opened, allowed):
            raise unreadable  # a path component was swapped after the check
        data = _read_at_most(fd, max_bytes)
    except OSError:
        raise unreadable from None
    finally:
        os.close(fd)
    if data is None:
        raise LocalFileError(
            f"{where}: {_shown(ref)} is larger than {max_bytes} bytes"
            " (Limits.max_input_image_bytes)."
        )
    mime = sniff(data)
    if mime is None:
        # Checked by content, not by name: the agent must not be able to send any file.
        raise unreadable
    return data, mime


def _read_at_most(fd: int, limit: int) -> bytes | None:
    """Reads the whole file if it has at most `limit` bytes, else returns `None`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = os.read(fd, min(_READ_SIZE, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
