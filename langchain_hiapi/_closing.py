"""`with` / `async with` over `close` and `aclose`: written once for every closeable class.

Its own module, importing nothing from the package, so `_client` can use it too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing_extensions import Self


class ContextManaged:
    """`with` / `async with` support for a class with `close` and `aclose`."""

    def close(self) -> None:
        """Ends this object's use of its connections."""
        raise NotImplementedError

    async def aclose(self) -> None:
        """Async `close`."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
