"""Old home of the image helpers, kept importable until every caller has switched.

`GeneratedImage`, `get_images` and `save_images` live in `langchain_hiapi.images`, the
Markdown data-URI splitting in `_markdown_media`, and decoding and sniffing in `_media`.
"""

from __future__ import annotations

from langchain_hiapi._markdown_media import DataURIPart, DataURIStreamSplitter, split_data_uris
from langchain_hiapi.images import GeneratedImage, get_images, save_images

__all__ = [
    "DataURIPart",
    "DataURIStreamSplitter",
    "GeneratedImage",
    "get_images",
    "save_images",
    "split_data_uris",
]
