"""Byte limits: how much a reply, a stream, a download or a request's input may hold.

A hostile or broken gateway (or a prompt-injected agent) must not be able to grow the
process's memory until `MemoryError`. Every byte count the package reads or sends is
bounded by a field of `Limits`; going past one raises `ResponseTooLargeError` (or, in the
agent tools, a tool error the agent reads). The defaults fit 4K images and long videos.

Example:
    ```python
    from langchain_hiapi import ChatHiAPI, Limits

    llm = ChatHiAPI(model="Nano-Banana-Pro", limits=Limits(max_response_bytes=256 * 2**20))
    ```
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

__all__ = ["DEFAULT_LIMITS", "Limits"]

_MiB = 1024 * 1024
_GiB = 1024 * _MiB


@dataclass(frozen=True)
class Limits:
    """Upper bounds for every byte count; each is configurable.

    Attributes:
        max_response_bytes: A non-streamed 2xx reply body, counted after decompression
            (a chat reply with a 4K image is about 50 MB of base64).
        max_error_body_bytes: A non-2xx reply body. Larger bodies are cut at this size
            (the error keeps its status type); they never reach memory whole.
        max_event_bytes: One server-sent-events line, and one event's data (HiAPI sends a
            whole image as one line; the gateway allows 64 MB).
        max_stream_bytes: A whole event stream, after decompression.
        max_image_download_bytes: One image fetched from a URL the gateway returned.
        max_video_download_bytes: One video download (held in memory while it is saved).
        max_redirects: Redirects followed by one download; each hop is checked again.
        max_input_image_bytes: One input image given to the image tool (a file, or a
            data: URI's decoded bytes).
        max_input_images_bytes: All input images of one tool call together.
    """

    max_response_bytes: int = 128 * _MiB
    max_error_body_bytes: int = 1 * _MiB
    max_event_bytes: int = 80 * _MiB
    max_stream_bytes: int = 256 * _MiB
    max_image_download_bytes: int = 64 * _MiB
    max_video_download_bytes: int = 1 * _GiB
    max_redirects: int = 5
    max_input_image_bytes: int = 20 * _MiB
    max_input_images_bytes: int = 50 * _MiB

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            low = 0 if item.name == "max_redirects" else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"Limits.{item.name} must be an integer >= {low}, got {value!r}")


DEFAULT_LIMITS = Limits()
"""The limits used when none are given."""
