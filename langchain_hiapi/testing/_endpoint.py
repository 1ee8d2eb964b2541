"""Real HiAPI when a key is set, the emulator otherwise: the switch every example uses."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

from langchain_hiapi.testing._server import HiAPIEmulator

_DEFAULT_BASE_URL = "https://api.hiapi.ai/v1"


@contextlib.contextmanager
def hiapi_or_emulator(
    *,
    detail: str = "placeholder images, no real generation",
    announce: Callable[[str], object] = print,
    **emulator_options: Any,
) -> Iterator[dict[str, str]]:
    """Yields connection settings: `{}` for HiAPI itself, or those of a fresh emulator.

    With `HIAPI_API_KEY` set, clients read the key (and `HIAPI_BASE_URL`) from the
    environment, so nothing is yielded; without it an emulator is started for the block.
    Either way `announce` says plainly which one is used.

    Args:
        detail: What the emulator's answers are, for the announcement.
        announce: Where the announcement goes (`print` by default).
        **emulator_options: Passed to `HiAPIEmulator` (e.g. `task_timing`).

    Yields:
        `base_url` and `api_key` for the emulator, or nothing for the real service.
    """
    if os.environ.get("HIAPI_API_KEY"):
        announce(f"Using HiAPI at {os.environ.get('HIAPI_BASE_URL', _DEFAULT_BASE_URL)}")
        yield {}
        return
    with HiAPIEmulator(**emulator_options) as emulator:
        announce(
            "HIAPI_API_KEY is not set: using the offline HiAPI emulator at"
            f" {emulator.base_url} ({detail})."
        )
        yield {"base_url": emulator.base_url, "api_key": emulator.api_key}
