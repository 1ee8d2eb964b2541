"""Route choice for ChatHiAPI (chat vs task API) and the remembered "auto" fallback."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest

from langchain_hiapi._image_route import (
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
