"""Which HiAPI route a `ChatHiAPI` call takes: chat completions or the task API.

HiAPI's current docs put the image models on `POST /v1/tasks`; its older docs put the
Nano-Banana family and gpt-image-2 on `/v1/chat/completions`, and whether that route still
answers for them is not settled. `image_route="auto"` therefore tries chat first for a model
the catalogue lists on both, and falls back to the task API when the chat route answers that
it does not serve the model. The fallback is remembered per (base URL, model) for the life
of the process, so later calls go straight to the task API.

Everything here is pure except `RouteMemory`, a small lock-protected dict. The catalogue
(its schemas above all) loads on first use: `import langchain_hiapi` stays fast for chat.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_args

from langchain_hiapi._chat_request import validate_model
from langchain_hiapi.errors import (
    BadRequestError,
    HiAPIError,
    ModelNotFoundError,
    NotFoundError,
    StreamError,
)
from langchain_hiapi.image_config import coerce_image_config, merge_image_config

if TYPE_CHECKING:
    from langchain_hiapi._stream import StreamAssembler
    from langchain_hiapi.catalogue import ModelInfo
    from langchain_hiapi.chat_models import ChatHiAPI

__all__ = [
    "IMAGE_ROUTES",
    "ROUTE_KWARGS",
    "ROUTE_MEMORY",
    "ChatAttempt",
    "ImageRoute",
    "RouteMemory",
    "RoutePlan",
    "ServedOn",
    "call_model",
    "chat_refuses_model",
    "check_image_route",
    "lookup_model",
    "plan_route",
    "start_attempt",
]

logger = logging.getLogger("langchain_hiapi")

ImageRoute = Literal["auto", "chat", "tasks"]
"""`"chat"`: `/v1/chat/completions`; `"tasks"`: `POST /v1/tasks`; `"auto"`: by the catalogue."""
IMAGE_ROUTES: tuple[str, ...] = get_args(ImageRoute)
# Per-call arguments that choose or feed the route; never sent as chat body fields.
ROUTE_KWARGS = frozenset({"image_route", "task_input"})

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


def lookup_model(model: str) -> ModelInfo | None:
    """The catalogue entry of a model id, or `None` (loads the catalogue on first use)."""
    from langchain_hiapi.catalogue import lookup

    return lookup(model)


def call_model(llm: ChatHiAPI, kwargs: Mapping[str, Any]) -> str:
    """The model id of one call: the call's `model=`, else the model's own (checked)."""
    return validate_model(kwargs.get("model") or llm.model_name)


@dataclass
class ChatAttempt:
    """One call's try of the chat route.

    Used as a context manager around the chat request: it swallows the one error that
    moves the call to the task route (a refusal of the model before any output, when the
    plan allows the fallback), remembers that fallback, and sets `fell_back`. Any other
    error passes; a broken stream first gets the text that had arrived.

    Attributes:
        plan: The route plan.
        base_url: The gateway (the fallback is remembered per base URL and model).
        model: The call's model id.
        info: Its catalogue entry, if any.
        stream: The stream being watched (`watching`), if any.
        fell_back: Whether the chat error was swallowed for the task route.
    """

    plan: RoutePlan
    base_url: str
    model: str
    info: ModelInfo | None
    stream: StreamAssembler | None = None
    fell_back: bool = False

    @property
    def on_chat(self) -> bool:
        """Whether the call tries the chat route."""
        return self.plan.route == "chat"

    def chat_kwargs(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """The call's chat arguments: route options removed, the chat id of the model.

        A catalogue model documented on chat under another id (`gpt-image-2/text-to-image`
        is `gpt-image-2` there) is sent under that id.
        """
        call = {k: v for k, v in kwargs.items() if k not in ROUTE_KWARGS}
        info = self.info
        if info is not None and "chat" in info.served_on and info.id_for("chat") != self.model:
            call["model"] = info.id_for("chat")
        return call

    def watching(self, stream: StreamAssembler) -> ChatAttempt:
        """This attempt, watching `stream` (no fallback once it has produced output)."""
        self.stream = stream
        return self

    def __enter__(self) -> ChatAttempt:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if not isinstance(exc, HiAPIError):
            return False
        stream = self.stream
        if isinstance(exc, StreamError) and stream is not None and not exc.partial_text:
            # The client knows the stream broke; only the assembler knows what had arrived.
            exc.partial_text = stream.partial_text
        if (stream is not None and stream.started) or not self.plan.fallback:
            return False
        if not chat_refuses_model(exc):
            return False
        ROUTE_MEMORY.remember_fallback(self.base_url, self.info.id if self.info else self.model)
        self.fell_back = True
        return True


def start_attempt(llm: ChatHiAPI, kwargs: Mapping[str, Any]) -> ChatAttempt:
    """Chooses chat or tasks for one call (pure, before anything is sent)."""
    requested = check_image_route(kwargs.get("image_route") or llm.image_route)
    model = call_model(llm, kwargs)
    config = merge_image_config(llm.image_config, coerce_image_config(kwargs.get("image_config")))
    info = lookup_model(model)
    remembered = ROUTE_MEMORY.get(llm.base_url, info.id if info else model)
    aspect_ratio = config.aspect_ratio if config else None
    plan = plan_route(requested, info, remembered, aspect_ratio=aspect_ratio)
    return ChatAttempt(plan, llm.base_url, model, info)
