"""Ids chosen by the server (video ids, task ids) on their way into a URL path.

A gateway, or whoever controls a reply, must not be able to retarget a request with an id
such as `../../v1/models`, `x?y=1` or one carrying CR/LF: ids are checked against the
documented shape and percent-escaped before they become a path segment.
"""

from __future__ import annotations

import re
from urllib.parse import quote

__all__ = ["MAX_ID_CHARS", "path_segment"]

MAX_ID_CHARS = 256
# Letters, digits and `._:-` (ULIDs, `task_...`, `video_...`, upstream ids with colons).
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")


def path_segment(value: object, what: str) -> str:
    """Checks an id and returns it escaped for use as one URL path segment.

    Args:
        value: The id.
        what: What it is, for the message (e.g. `video id`).

    Returns:
        The id, percent-escaped (valid ids come back unchanged).

    Raises:
        ValueError: Not a string of letters, digits and `._:-` starting with a letter or
            digit, longer than `MAX_ID_CHARS`, or containing `..`. The message shows the
            id with control characters escaped.
    """
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string, got {type(value).__name__}")
    if not value or len(value) > MAX_ID_CHARS or not _ID.fullmatch(value) or ".." in value:
        shown = value[:80].encode("unicode_escape").decode("ascii").replace("'", "\\'")
        raise ValueError(
            f"{what} '{shown}' is not a valid id: expected 1-{MAX_ID_CHARS} letters, digits "
            "or '._:-' (no '/', '..', whitespace or control characters)"
        )
    return quote(value, safe=":")
