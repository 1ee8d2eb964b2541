"""Atomic file writes and the file-name rule shared by every download and save.

A file is written to a hidden temporary file in the target directory first and then
published under its final name with a hard link (or an exclusive create plus rename), so a
final name only ever appears with complete content and never replaces an existing file
(`write_atomic` is the one that replaces, still never leaving a half-written file).

The one file-name rule: a name part is 1 to 120 characters of `[A-Za-z0-9_.-]`, neither
starting nor ending with `.`, `_` or `-` (so never hidden, never `..`, never a path).
`safe_stem` makes any text follow it (for ids the server chose); `check_file_prefix`
refuses a user's setting that does not (a prefix is never silently rewritten).
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from langchain_hiapi._media import sniff_image

__all__ = [
    "MIME_EXTENSIONS",
    "DownloadSink",
    "FetchedFile",
    "check_file_prefix",
    "claim",
    "extension_for",
    "publish",
    "safe_download_extension",
    "safe_extension",
    "safe_stem",
    "unlink_quietly",
    "write_atomic",
    "write_temp",
]

MIME_EXTENSIONS: dict[str, str] = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/heic": ".heic",
    "image/heif": ".heif",
    "image/avif": ".avif",
    "image/bmp": ".bmp",
    "image/tiff": ".tiff",
    "image/svg+xml": ".svg",
    "application/pdf": ".pdf",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
    "video/quicktime": ".mov",
    "audio/mpeg": ".mp3",
    "audio/mp3": ".mp3",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/wave": ".wav",
    "audio/ogg": ".ogg",
    "audio/flac": ".flac",
    "audio/aac": ".aac",
    "audio/mp4": ".m4a",
}
"""File extension per MIME type (a naming table); others get `.bin`. Images only ever
get the extension of a raster type their bytes really are (`safe_extension`)."""

# Runnable types (SVG with scripts, HTML, PDF) and mislabelled bytes are saved as inert `.bin`.
_RASTER_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/heic": ".heic",
    "image/heif": ".heif",
}
_MIME_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg"}
_HEIF_FAMILY = frozenset({"image/heic", "image/heif"})


def safe_extension(data: bytes, mime_type: str) -> str:
    """The extension an image may be saved under: nothing active is ever saved as such.

    Only PNG, JPEG, WebP, GIF, HEIC and HEIF keep their extension, and only when the
    bytes are of the declared type (HEIC and HEIF count as one family). Everything else
    (SVG, which can carry scripts; HTML; PDF; a mislabelled or unknown type) is `.bin`.

    Args:
        data: The image bytes (the first few dozen are enough).
        mime_type: The declared MIME type.

    Returns:
        E.g. `.png`, or `.bin`.
    """
    declared = mime_type.split(";", 1)[0].strip().lower()
    declared = _MIME_ALIASES.get(declared, declared)
    actual = sniff_image(data)
    if actual is None or declared not in _RASTER_EXTENSIONS:
        return ".bin"
    if actual == declared or {actual, declared} <= _HEIF_FAMILY:
        return _RASTER_EXTENSIONS[actual]
    return ".bin"


# Extensions trusted from a URL path when the content type says nothing useful (CDNs often
# serve `application/octet-stream`); anything else would let a URL choose e.g. `.exe`.
_URL_EXTENSIONS = frozenset(MIME_EXTENSIONS.values()) | {".jpeg"}
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")
_MAX_STEM_CHARS = 120


def unlink_quietly(path: Path) -> None:
    """Removes `path`, ignoring a file that is already gone."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _open_temp(directory: Path, stem: str) -> tuple[Path, int]:
    """Creates a new hidden temporary file in `directory`; returns its path and descriptor."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temp = directory / f".{stem}.{secrets.token_hex(6)}.tmp"
        try:
            # 0o666 so the umask applies as for any new file (mkstemp would force 0o600).
            return temp, os.open(temp, flags, 0o666)
        except FileExistsError:
            continue


def write_temp(directory: Path, stem: str, data: bytes) -> Path:
    """Writes `data` to a new hidden temporary file in `directory` and returns its path."""
    temp, fd = _open_temp(directory, stem)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        unlink_quietly(temp)
        raise
    return temp


def write_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Writes `data` to `path` atomically, replacing an existing file.

    The bytes go to a hidden temporary file in the same directory, which is then renamed
    over `path`, so `path` never holds a half-written file.

    Args:
        path: The file to write (its directory must exist).
        data: The content.

    Returns:
        `path` as a `Path`.
    """
    target = Path(path)
    temp = write_temp(target.parent, target.name, data)
    try:
        os.replace(temp, target)
    except BaseException:
        unlink_quietly(temp)
        raise
    return target


def claim(temp: Path, final: Path) -> bool:
    """Publishes the complete `temp` file as `final` unless `final` exists.

    A hard link is atomic and fails when the name is taken, so the final name only ever
    appears with complete content. Where hard links are unsupported, the name is
    reserved with O_EXCL (an empty file for an instant) and the data renamed over it.
    """
    try:
        os.link(temp, final)
        return True
    except FileExistsError:
        return False
    except OSError:
        pass
    try:
        fd = os.open(final, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        return False
    os.close(fd)
    os.replace(temp, final)
    return True


def publish(temp: Path, folder: Path, stem: str, extension: str) -> Path:
    """Publishes `temp` as `<stem><ext>`, else `<stem>-2<ext>`, ... (never overwriting).

    The temporary file is removed in every case.
    """
    try:
        number = 1
        while True:
            suffix = "" if number == 1 else f"-{number}"
            final = folder / f"{stem}{suffix}{extension}"
            if claim(temp, final):
                return final
            number += 1
    finally:
        unlink_quietly(temp)


def safe_stem(text: str, fallback: str = "file") -> str:
    """Makes any text follow the file-name rule (see the module docstring).

    Args:
        text: Anything (a task id, an output type); other characters become `_`.
        fallback: Used when nothing usable is left.

    Returns:
        The stem.
    """
    stem = _UNSAFE_NAME_CHARS.sub("_", text).strip("._-")[:_MAX_STEM_CHARS].rstrip("._-")
    return stem or fallback


def check_file_prefix(value: str, field: str) -> str:
    """Checks a user's file-name prefix against the file-name rule, before any request.

    Args:
        value: The prefix, e.g. `image` for `image-1.png`.
        field: The setting's name, for the message (e.g. `file_prefix`).

    Returns:
        `value`, unchanged.

    Raises:
        ValueError: It breaks the rule; the message names `field` and the rule.
    """
    if not isinstance(value, str) or not value or safe_stem(value, "") != value:
        msg = (
            f"{field} must be a file name of letters, digits, '_', '.' and '-' (at most "
            f"{_MAX_STEM_CHARS}, not starting or ending with '.', '_' or '-'), got {value!r}"
        )
        raise ValueError(msg)
    return value


_RASTER_BY_EXTENSION = {extension: mime for mime, extension in _RASTER_EXTENSIONS.items()}
# Video and audio play in a player, they do not run: their extension is kept.
_MEDIA_EXTENSIONS = frozenset(
    {".mp4", ".webm", ".mov", ".mp3", ".wav", ".ogg", ".flac", ".aac", ".m4a"}
)
_HEAD_BYTES = 64


def safe_download_extension(extension: str, head: bytes) -> str:
    """The extension a downloaded file may really get (nothing active is saved as such).

    Args:
        extension: What the content type or URL suggests (see `extension_for`).
        head: The first bytes of the file.

    Returns:
        A raster image extension only when the bytes are that image type; video and
        audio extensions as suggested; `.bin` for everything else (SVG, PDF, HTML, ...).
    """
    if extension in _RASTER_BY_EXTENSION:
        return safe_extension(head, _RASTER_BY_EXTENSION[extension])
    if extension in _MEDIA_EXTENSIONS:
        return extension
    return ".bin"


def extension_for(content_type: str, url: str) -> str:
    """The extension (with its dot) for a download: from the content type, else the URL.

    Args:
        content_type: The reply's `Content-Type` (parameters ignored).
        url: The URL the file came from (only a known media extension of its path counts).

    Returns:
        E.g. `.png`; `.bin` when neither says anything known.
    """
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime in MIME_EXTENSIONS:
        return MIME_EXTENSIONS[mime]
    try:
        path = urlsplit(url).path
    except ValueError:
        path = ""
    extension = posixpath.splitext(path)[1].lower()
    if extension in _URL_EXTENSIONS:
        return ".jpg" if extension == ".jpeg" else extension
    return ".bin"


@dataclass(frozen=True)
class FetchedFile:
    """A file downloaded to disk.

    Attributes:
        path: Where it was written.
        content_type: The `Content-Type` it was served with (may be empty).
        size: Its size in bytes.
    """

    path: Path
    content_type: str
    size: int


class DownloadSink:
    """Streams a download into a hidden temporary file, bounded, then publishes it.

    Shared by the sync and async download paths, which differ only in how they read chunks.

    Args:
        dest_dir: The target directory; created if missing.
        stem: The final file name without extension (made safe with `safe_stem`).
        max_bytes: Largest accepted size; `write` raises `ValueError` beyond it.
    """

    def __init__(self, dest_dir: str | os.PathLike[str], stem: str, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError("max_bytes must be >= 0")
        self.folder = Path(dest_dir)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.stem = safe_stem(stem)
        self.max_bytes = max_bytes
        self.size = 0
        self.head = b""  # the first bytes, to check the extension against the content
        self.temp, fd = _open_temp(self.folder, self.stem)
        self._handle: BinaryIO | None = os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        """Appends a chunk.

        Raises:
            ValueError: The file would exceed `max_bytes` (nothing is kept).
        """
        if self._handle is None:
            raise ValueError("the download was already discarded or published")
        self.size += len(chunk)
        if self.size > self.max_bytes:
            self.discard()
            raise ValueError(f"download exceeds max_bytes={self.max_bytes}")
        if len(self.head) < _HEAD_BYTES:
            self.head += chunk[: _HEAD_BYTES - len(self.head)]
        self._handle.write(chunk)

    def discard(self) -> None:
        """Drops the partial file (safe to call twice)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        unlink_quietly(self.temp)

    def publish(self, content_type: str, url: str) -> FetchedFile:
        """Flushes the file to disk and gives it its final name (see `publish`)."""
        if self._handle is None:
            raise ValueError("the download was already discarded or published")
        try:
            self._handle.flush()
            os.fsync(self._handle.fileno())
        finally:
            self._handle.close()
            self._handle = None
        try:
            extension = safe_download_extension(extension_for(content_type, url), self.head)
            path = publish(self.temp, self.folder, self.stem, extension)
        finally:
            unlink_quietly(self.temp)
        return FetchedFile(path=path, content_type=content_type, size=self.size)
