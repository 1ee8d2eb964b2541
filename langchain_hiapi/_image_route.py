"""Which HiAPI route a `ChatHiAPI` call takes: chat completions or the task API.

HiAPI's current docs put the image models on `POST /v1/tasks`; its older docs put the
Nano-Banana family and gpt-image-2 on `/v1/chat/completions`, and whether that route still
answers for them is not settled. `image_route="auto"` therefore tries chat first for a model
the catalogue lists on both, and falls back to the task API when the chat route answers that
it does not serve the model. The fallback is remembered per (base URL, model) for the life
of the process, so later calls go straight to the task API.

Everything here is pure except `RouteMemory`, a small lock-protected dict.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal, Protocol, get_args

from langchain_hiapi.errors import BadRequestError, HiAPIError, ModelNotFoundError, NotFoundError

__all__ = [
    "IMAGE_ROUTES",
    "ROUTE_MEMORY",
    "ImageRoute",
    "RouteMemory",
    "RoutePlan",
    "ServedOn",
    "chat_refuses_model",
    "check_image_route",
    "plan_route",
]

logger = logging.getLogger("langchain_hiapi")

ImageRoute = Literal["auto", "chat", "tasks"]
"""`"chat"`: `/v1/chat/completions`; `"tasks"`: `POST /v1/tasks`; `"auto"`: by the catalogue."""
IMAGE_ROUTES: tuple[str, ...] = get_args(ImageRoute)

# Error codes of a chat answer that means "this route does not sell this model" and that
# the gateway rejects before any upstream call (so nothing was billed).
_NOT_SERVED_CODES = frozenset({"model_not_found", "model_price_error"})


class ServedOn(Protocol):
    """What routing reads from a catalogue entry (`catalogue.ModelInfo`)."""

    @property
    def served_on(self) -> Collection[str]: ...


@dataclass(frozen=True)
class RoutePlan:
    """Where to send one call.

    Attributes:
        route: `"chat"` or `"tasks"`.
        fallback: Re-send on the task route if chat answers it does not serve the model.
    """

    route: Literal["chat", "tasks"]
    fallback: bool = False


def check_image_route(value: Any, where: str = "image_route") -> ImageRoute:
    """Validates an `image_route` value.

    Raises:
        ValueError: The value is not one of `auto`, `chat`, `tasks`.
    """
    if value not in IMAGE_ROUTES:
        msg = f"{where}: {value!r} is not supported; allowed values: {', '.join(IMAGE_ROUTES)}"
        raise ValueError(msg)
    return value  # type: ignore[no-any-return]


def plan_route(
    requested: ImageRoute,
    info: ServedOn | None,
    remembered: Literal["chat", "tasks"] | None,
    *,
    aspect_ratio: str | None = None,
) -> RoutePlan:
    """Chooses the route of one call.

    Args:
        requested: The `image_route` asked for.
        info: The model's catalogue entry, `None` for a model the catalogue does not know
            (text models, new models): those go to chat.
        remembered: The route remembered for this base URL and model, if any.
        aspect_ratio: The requested aspect ratio; `"auto"` exists only on the task API.

    Returns:
        The plan.
    """
    if requested != "auto":
        return RoutePlan(requested)
    if remembered is not None:
        return RoutePlan(remembered)
    served = set(info.served_on) if info is not None else set()
    if "tasks" not in served:
        return RoutePlan("chat")
    if "chat" not in served or aspect_ratio == "auto":
        return RoutePlan("tasks")  # task-only models, and the one option only tasks have
    return RoutePlan("chat", fallback=True)


def chat_refuses_model(error: HiAPIError) -> bool:
    """Whether a chat-route error means "this route does not serve the model".

    True for `model_not_found` (new-api's 503 "no available channel"), a 404 and a 400
    `model_price_error`: the gateway refuses these before calling any upstream, so the
    request can be re-sent elsewhere without paying twice. Every other error (a blocked
    prompt, an empty upstream answer, a timeout, ...) may have been billed and is not.
    """
    if isinstance(error, (ModelNotFoundError, NotFoundError)):
        return True
    return isinstance(error, BadRequestError) and error.code in _NOT_SERVED_CODES


class RouteMemory:
    """Routes learned by the `"auto"` fallback, per (base URL, model), process-wide."""

    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], Literal["chat", "tasks"]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(base_url: str, model: str) -> tuple[str, str]:
        return base_url.rstrip("/"), model

    def get(self, base_url: str, model: str) -> Literal["chat", "tasks"] | None:
        """The remembered route, or `None`."""
        with self._lock:
            return self._routes.get(self._key(base_url, model))

    def remember_fallback(self, base_url: str, model: str) -> bool:
        """Sends the model to the task API from now on; logs it at INFO the first time.

        Returns:
            Whether this was new.
        """
        key = self._key(base_url, model)
        with self._lock:
            if self._routes.get(key) == "tasks":
                return False
            self._routes[key] = "tasks"
        logger.info(
            "HiAPI at %s does not serve %s on chat completions; using the task API"
            " (POST /v1/tasks) for it from now on in this process.",
            key[0],
            model,
        )
        return True

    def clear(self) -> None:
        """Forgets every route (tests)."""
        with self._lock:
            self._routes.clear()


ROUTE_MEMORY = RouteMemory()
"""The process-wide memory `ChatHiAPI` uses."""
