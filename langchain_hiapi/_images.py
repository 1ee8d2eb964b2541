"""Old home of the image helpers, kept importable until every caller has switched.

`GeneratedImage`, `get_images` and `save_images` live in `langchain_hiapi.images`, the
Markdown data-URI splitting in `_markdown_media`, and decoding and sniffing in `_media`.
"""

from __future__ import annotations

from langchain_hiapi._markdown_media import DataURIPart, DataURIStreamSplitter, split_data_uris
from langchain_hiapi._media import decode_base64, decode_data_uri, sniff_mime
from langchain_hiapi.images import GeneratedImage, get_images, save_images

__all__ = [
    "DataURIPart",
    "DataURIStreamSplitter",
    "GeneratedImage",
    "get_images",
    "save_images",
    "split_data_uris",
]

# The old private names, until images_api imports them from `_media`.
_sniff_mime = sniff_mime
_decode_base64 = decode_base64
_decode_data_url = decode_data_uri
