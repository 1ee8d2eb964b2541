"""Route choice for ChatHiAPI (chat vs task API) and the remembered "auto" fallback."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from langchain_hiapi._image_route import (
    ROUTE_MEMORY,
    ChatAttempt,
    RouteMemory,
    RoutePlan,
    chat_refuses_model,
    check_image_route,
    plan_route,
)
from langchain_hiapi.errors import (
    BadRequestError,
    InternalServerError,
    ModelNotFoundError,
    NotFoundError,
    RateLimitError,
    StreamError,
    error_from_response,
)


@dataclass(frozen=True)
class Info:
    served_on: frozenset[str]


BOTH = Info(frozenset({"chat", "tasks"}))
TASKS_ONLY = Info(frozenset({"tasks"}))
CHAT_ONLY = Info(frozenset({"chat"}))
IMAGES_AND_TASKS = Info(frozenset({"images", "tasks"}))


@pytest.mark.parametrize(
    ("requested", "info", "remembered", "aspect", "expected"),
    [
        ("chat", TASKS_ONLY, None, None, RoutePlan("chat")),
        ("tasks", None, None, None, RoutePlan("tasks")),
        ("tasks", CHAT_ONLY, None, None, RoutePlan("tasks")),
        ("auto", None, None, None, RoutePlan("chat")),  # text and unknown models
        ("auto", CHAT_ONLY, None, None, RoutePlan("chat")),
        ("auto", TASKS_ONLY, None, None, RoutePlan("tasks")),
        ("auto", IMAGES_AND_TASKS, None, None, RoutePlan("tasks")),
        ("auto", BOTH, None, None, RoutePlan("chat", fallback=True)),
        ("auto", BOTH, None, "16:9", RoutePlan("chat", fallback=True)),
        ("auto", BOTH, None, "auto", RoutePlan("tasks")),  # only tasks know "auto"
        ("auto", BOTH, "tasks", None, RoutePlan("tasks")),
        ("chat", BOTH, "tasks", None, RoutePlan("chat")),  # an explicit route wins
    ],
)
def test_plan_route(
    requested: str, info: Info | None, remembered: str | None, aspect: str | None, expected: object
) -> None:
    assert plan_route(requested, info, remembered, aspect_ratio=aspect) == expected  # type: ignore[arg-type]


def _error(status: int, code: str, message: str = "m") -> object:
    body = f'{{"error": {{"message": "{message}", "type": "new_api_error", "code": "{code}"}}}}'
    return error_from_response(status, body.encode(), {})


@pytest.mark.parametrize(
    ("status", "code", "refused"),
    [
        (503, "model_not_found", True),
        (404, "", True),
        (400, "model_price_error", True),
        (500, "empty_response", False),  # billed: never re-sent
        (400, "prompt_blocked", False),  # billed
        (400, "invalid_request", False),
        (429, "", False),
        (500, "", False),
        (401, "", False),
    ],
)
def test_chat_refuses_model(status: int, code: str, refused: bool) -> None:
    error = _error(status, code)
    assert chat_refuses_model(error) is refused  # type: ignore[arg-type]


def test_error_classes_behind_the_refusal() -> None:
    assert isinstance(_error(503, "model_not_found"), ModelNotFoundError)
    assert isinstance(_error(404, ""), NotFoundError)
    assert isinstance(_error(400, "model_price_error"), BadRequestError)
    assert isinstance(_error(500, "empty_response"), InternalServerError)
    assert isinstance(_error(429, ""), RateLimitError)


def test_check_image_route_names_the_allowed_values() -> None:
    assert check_image_route("tasks") == "tasks"
    with pytest.raises(ValueError, match="image_route: 'task' is not supported; allowed values"):
        check_image_route("task")


def test_route_memory_is_per_base_url_and_model_and_logs_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    memory = RouteMemory()
    caplog.set_level(logging.INFO, logger="langchain_hiapi")
    assert memory.get("http://a/v1", "Nano-Banana") is None
    assert memory.remember_fallback("http://a/v1/", "Nano-Banana") is True
    assert memory.remember_fallback("http://a/v1", "Nano-Banana") is False
    assert memory.get("http://a/v1", "Nano-Banana") == "tasks"
    assert memory.get("http://b/v1", "Nano-Banana") is None
    assert memory.get("http://a/v1", "Nano-Banana-Pro") is None
    logged = [r for r in caplog.records if "task API" in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].levelno == logging.INFO
    assert "Nano-Banana" in logged[0].getMessage()
    memory.clear()
    assert memory.get("http://a/v1", "Nano-Banana") is None


# ------------------------------------------------------------------ one call's chat attempt


class _Stream:
    """What an attempt reads from the stream it watches."""

    def __init__(self, *, started: bool, partial_text: str = "") -> None:
        self.started = started
        self.partial_text = partial_text


def _attempt(plan: RoutePlan, memory_base: str = "http://127.0.0.1:9/v1") -> ChatAttempt:
    return ChatAttempt(plan, memory_base, "Nano-Banana-Pro", None)


@pytest.fixture
def clean_memory() -> Iterator[None]:
    ROUTE_MEMORY.clear()
    yield
    ROUTE_MEMORY.clear()


@pytest.mark.usefixtures("clean_memory")
def test_attempt_swallows_a_refusal_and_remembers_the_fallback() -> None:
    attempt = _attempt(RoutePlan("chat", fallback=True))
    with attempt:
        raise ModelNotFoundError("no channel", status_code=503, code="model_not_found")
    assert attempt.fell_back
    assert ROUTE_MEMORY.get("http://127.0.0.1:9/v1", "Nano-Banana-Pro") == "tasks"


@pytest.mark.usefixtures("clean_memory")
@pytest.mark.parametrize(
    ("plan", "error", "stream"),
    [
        # No fallback planned: the refusal is the caller's error.
        (RoutePlan("chat"), ModelNotFoundError("no", status_code=503), None),
        # An error that may have been billed never moves the call.
        (RoutePlan("chat", fallback=True), RateLimitError("slow", status_code=429), None),
        # Output had started: the call cannot move any more.
        (
            RoutePlan("chat", fallback=True),
            ModelNotFoundError("no", status_code=503),
            _Stream(started=True),
        ),
    ],
)
def test_attempt_passes_every_other_error(
    plan: RoutePlan, error: Exception, stream: _Stream | None
) -> None:
    attempt = _attempt(plan)
    if stream is not None:
        attempt.watching(stream)  # type: ignore[arg-type]
    with pytest.raises(type(error)), attempt:
        raise error
    assert not attempt.fell_back
    assert ROUTE_MEMORY.get("http://127.0.0.1:9/v1", "Nano-Banana-Pro") is None


def test_attempt_passes_non_hiapi_errors() -> None:
    attempt = _attempt(RoutePlan("chat", fallback=True))
    with pytest.raises(ValueError, match="bad option"), attempt:
        raise ValueError("bad option")
    assert not attempt.fell_back


def test_attempt_gives_a_broken_stream_its_partial_text() -> None:
    attempt = _attempt(RoutePlan("chat", fallback=True))
    attempt.watching(_Stream(started=False, partial_text="Once upon"))  # type: ignore[arg-type]
    with pytest.raises(StreamError) as caught, attempt:
        raise StreamError("stream ended early")
    assert caught.value.partial_text == "Once upon"
    assert not attempt.fell_back
    kept = _attempt(RoutePlan("chat")).watching(_Stream(started=True, partial_text="x"))  # type: ignore[arg-type]
    with pytest.raises(StreamError) as caught, kept:
        raise StreamError("cut", partial_text="the client's own")
    assert caught.value.partial_text == "the client's own"


def test_attempt_chat_kwargs_drop_route_options_and_use_the_chat_id() -> None:
    from langchain_hiapi.catalogue import lookup

    info = lookup("gpt-image-2/text-to-image")
    assert info is not None
    attempt = ChatAttempt(RoutePlan("chat"), "http://127.0.0.1:9/v1", info.id, info)
    call = attempt.chat_kwargs({"image_route": "chat", "task_input": {}, "temperature": 0})
    assert call == {"temperature": 0, "model": info.id_for("chat")}
    assert info.id_for("chat") != info.id
    plain = ChatAttempt(RoutePlan("chat"), "http://127.0.0.1:9/v1", "gpt-4o-mini", None)
    assert plain.chat_kwargs({"temperature": 0}) == {"temperature": 0}
    assert plain.on_chat
    assert not ChatAttempt(RoutePlan("tasks"), "u", "m", None).on_chat
