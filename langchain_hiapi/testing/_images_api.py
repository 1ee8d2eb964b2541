"""The OpenAI images API: `POST /v1/images/generations`, and the files its URLs name.

`response_format: "url"` answers with a URL back into the emulator
(`/v1/images/files/<name>.png`), served without auth like a signed CDN link; the
newest files are kept, older ones expire (404).
"""

from __future__ import annotations

import base64
import itertools
import re
import threading
import time
from collections import OrderedDict
from typing import Any

from langchain_hiapi.testing._font import caption, labelled_png
from langchain_hiapi.testing._image import colour_of
from langchain_hiapi.testing._models import IMAGES_API_MODELS
from langchain_hiapi.testing._wire import ApiError

# Models whose upstream answers with a URL unless asked for `b64_json`.
URL_BY_DEFAULT: frozenset[str] = frozenset({"flux-1.1-pro", "qwen-image-2.0"})
FILES_PREFIX = "/v1/images/files/"
MAX_N = 10
MAX_SIDE = 4096
# Long side of the pixels actually drawn unless `full_size`: keeps tests fast.
SMALL_LONG_SIDE = 64
_KEEP_FILES = 256
_SIZE = re.compile(r"^([1-9][0-9]{1,4})[x*]([1-9][0-9]{1,4})$")


def _invalid(message: str) -> ApiError:
    return ApiError(400, message, "invalid_request")


def _dimensions(size: Any, *, full_size: bool) -> tuple[int, int]:
    if size is None or size == "auto":
        width, height = 1024, 1024
    else:
        match = _SIZE.match(size) if isinstance(size, str) else None
        if match is None:
            raise _invalid(f"size must look like 1024x1024 (or be 'auto'), got {size!r}")
        width, height = int(match.group(1)), int(match.group(2))
        if not (64 <= width <= MAX_SIDE and 64 <= height <= MAX_SIDE):
            raise _invalid(f"size {size!r} is out of range (64 to {MAX_SIDE} pixels a side)")
    if full_size:
        return width, height
    scale = SMALL_LONG_SIDE / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


class ImageFiles:
    """PNG files served at `/v1/images/files/<name>`, newest `_KEEP_FILES` kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: OrderedDict[str, bytes] = OrderedDict()
        self._seq = itertools.count(1)

    def add(self, data: bytes) -> str:
        """Stores a PNG and returns its file name."""
        with self._lock:
            name = f"img-{next(self._seq):06d}.png"
            self._files[name] = data
            while len(self._files) > _KEEP_FILES:
                self._files.popitem(last=False)
            return name

    def get(self, name: str) -> bytes | None:
        """The file's bytes, or None when unknown or expired."""
        with self._lock:
            return self._files.get(name)

    def reset(self) -> None:
        """Forgets every file."""
        with self._lock:
            self._files.clear()


def generate(body: Any, origin: str, files: ImageFiles, *, full_size: bool) -> dict[str, Any]:
    """Answers `POST /v1/images/generations`.

    Args:
        body: The parsed JSON body.
        origin: `http://host:port` the client used, for `url` replies.
        files: Where `url` images are stored.
        full_size: Draw the requested pixel size instead of a small one.

    Returns:
        `{"created", "data": [{"b64_json"} or {"url"}, ...]}`.

    Raises:
        ApiError: 400 for a malformed request, 503 `model_not_found` for an unknown model.
    """
    if not isinstance(body, dict):
        raise _invalid("invalid request body: expected a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _invalid("model is required")
    if model not in IMAGES_API_MODELS:
        raise ApiError(
            503, f"No available channel for model {model} under group default", "model_not_found"
        )
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise _invalid("prompt is required")
    n = body.get("n", 1)
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_N:
        raise _invalid(f"n must be an integer from 1 to {MAX_N}, got {n!r}")
    response_format = body.get("response_format")
    if response_format is None:
        response_format = "url" if model in URL_BY_DEFAULT else "b64_json"
    if response_format not in ("url", "b64_json"):
        raise _invalid(f"response_format must be 'url' or 'b64_json', got {response_format!r}")
    width, height = _dimensions(body.get("size"), full_size=full_size)
    size = body.get("size")
    shape = size if isinstance(size, str) else "1024x1024"
    png = labelled_png(caption(prompt, shape), width, height, colour_of(prompt))
    data: list[dict[str, Any]] = []
    for _ in range(n):
        if response_format == "url":
            data.append({"url": f"{origin}{FILES_PREFIX}{files.add(png)}"})
        else:
            data.append({"b64_json": base64.b64encode(png).decode("ascii")})
    return {"created": int(time.time()), "data": data}
