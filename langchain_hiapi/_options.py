"""Keyword-argument bundles: a parameter list written once, shared by sync and async twins.

A public sync/async pair (`HiAPITasks.create` / `AsyncHiAPITasks.create`) takes
`**options: Unpack[SomeOptions]`, a `TypedDict` the type checker reads. `Keywords` adds what
a `TypedDict` cannot hold: the defaults, a check of the keywords a call passes (an unknown
one is a `TypeError`, as with written-out parameters), and the signature `inspect`, `help`
and the API reference show (the keywords written out, with their defaults).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, ForwardRef, TypeVar

__all__ = ["Keywords"]

F = TypeVar("F", bound=Callable[..., Any])


def _annotation_text(annotation: Any) -> Any:
    """A `TypedDict` field's annotation as the source text (what `inspect` shows)."""
    return annotation.__forward_arg__ if isinstance(annotation, ForwardRef) else annotation


class Keywords:
    """The keyword arguments of a `TypedDict`, with their defaults.

    Args:
        options: The `TypedDict` class (its fields, in order, are the keywords).
        defaults: A default for every field.

    Raises:
        TypeError: `defaults` does not name exactly the fields of `options`.
    """

    def __init__(self, options: type, defaults: Mapping[str, Any]) -> None:
        fields = dict(options.__annotations__)
        if set(defaults) != set(fields):
            raise TypeError(f"defaults must name exactly the fields of {options.__name__}")
        self.defaults = {name: defaults[name] for name in fields}
        self.parameters = [
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=default,
                annotation=_annotation_text(fields[name]),
            )
            for name, default in self.defaults.items()
        ]

    def resolve(self, where: str, options: Mapping[str, Any]) -> dict[str, Any]:
        """A call's keywords completed with the defaults.

        Args:
            where: The function's name, for the error.
            options: The keywords passed.

        Returns:
            Every keyword's value.

        Raises:
            TypeError: An unknown keyword (the allowed ones are named).
        """
        for name in options:
            if name not in self.defaults:
                raise TypeError(
                    f"{where}() got an unexpected keyword argument {name!r}; "
                    f"allowed: {', '.join(self.defaults)}"
                )
        return {**self.defaults, **options}

    def signature(self, function: F) -> F:
        """Decorator: shows `function`'s `**options` as these keywords written out."""
        own = inspect.signature(function)
        kept = [p for p in own.parameters.values() if p.kind is not p.VAR_KEYWORD]
        function.__signature__ = own.replace(parameters=[*kept, *self.parameters])  # type: ignore[attr-defined]
        return function
