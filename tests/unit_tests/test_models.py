"""list_models over httpx.MockTransport: parsing, kinds, profiles, errors."""

from __future__ import annotations

import inspect
from typing import Any

import httpx
import pytest

from langchain_hiapi._client import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    HiAPIClient,
    JSONReply,
)
from langchain_hiapi.errors import AuthenticationError, InvalidResponseError
from langchain_hiapi.models import (
    HiAPIModel,
    alist_models,
    list_models,
    list_models_flow,
    parse_models,
)

KEY = "sk-models-unit-key"
BASE = "https://api.hiapi.ai/v1"

CATALOGUE = {
    "object": "list",
    "success": True,
    "data": [
        {
            "id": "Nano-Banana-Pro",
            "object": "model",
            "created": 1764590000,
            "owned_by": "google",
            "supported_endpoint_types": ["openai", "gemini"],
        },
        {
            "id": "gpt-4o-mini",
            "object": "model",
            "created": 1764590000,
            "owned_by": "openai",
            "supported_endpoint_types": ["openai"],
        },
        {
            "id": "flux-1.1-pro",
            "object": "model",
            "created": 1764590000,
            "owned_by": "black-forest-labs",
            "supported_endpoint_types": ["image-generation"],
        },
        {
            "id": "kling-v3",
            "object": "model",
            "created": 1764590000,
            "owned_by": "kling",
            "supported_endpoint_types": ["openai-video"],
        },
    ],
}


def handler(
    body: dict[str, Any], status: int = 200, seen: list[httpx.Request] | None = None
) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, json=body)

    return httpx.MockTransport(answer)


def test_parse_catalogue() -> None:
    models = parse_models(CATALOGUE)
    assert [m.id for m in models] == ["Nano-Banana-Pro", "gpt-4o-mini", "flux-1.1-pro", "kling-v3"]
    assert models[0] == HiAPIModel(
        id="Nano-Banana-Pro",
        owned_by="google",
        created=1764590000,
        supported_endpoint_types=("openai", "gemini"),
    )
    assert [m.kind for m in models] == ["chat", "chat", "images", "video"]


def test_known_models_get_profiles() -> None:
    nano, text, *_ = parse_models(CATALOGUE)
    assert nano.profile is not None
    assert nano.profile["image_outputs"] is True
    assert text.profile is None
    # Profiles are copies: changing one does not change the package's table.
    nano.profile["image_outputs"] = False
    assert parse_models(CATALOGUE)[0].profile["image_outputs"] is True  # type: ignore[index]


def test_records_are_hashable_and_frozen() -> None:
    models = parse_models(CATALOGUE)
    assert len(set(models)) == 4
    with pytest.raises(AttributeError):
        models[0].id = "x"  # type: ignore[misc]


def test_lenient_entries() -> None:
    body = {
        "data": [
            {"id": "bare"},
            {"id": "odd", "created": "yesterday", "owned_by": "", "supported_endpoint_types": None},
            {"id": "mixed", "created": 5.0, "supported_endpoint_types": ["openai", 3]},
            {"no": "id"},
            "junk",
            {"id": 7},
        ]
    }
    models = parse_models(body)
    assert models == [
        HiAPIModel(id="bare"),
        HiAPIModel(id="odd"),
        HiAPIModel(id="mixed", created=5, supported_endpoint_types=("openai",)),
    ]


# The catalogue's ids; the /v1/videos-era ids (kling-v3, ...) are gone from it (issue 16).
@pytest.mark.parametrize(
    ("model_id", "kind"),
    [
        ("kling-3.0-omni/text-to-video", "video"),
        ("seedance-2-0", "video"),
        ("gpt-image-1.5", "images"),
        ("qwen-image-2.0", "images"),
        ("Nano-Banana", "chat"),
        ("x", "chat"),
    ],
)
def test_kind_falls_back_to_known_ids(model_id: str, kind: str) -> None:
    assert HiAPIModel(id=model_id).kind == kind


def test_endpoint_types_win_over_the_catalogue() -> None:
    assert HiAPIModel(id="kling-v3").kind == "chat"  # no longer a known id
    assert HiAPIModel(id="seedance-2.0", supported_endpoint_types=("openai",)).kind == "chat"
    assert HiAPIModel(id="Nano-Banana", supported_endpoint_types=("openai-video",)).kind == "video"


def test_list_models_flow_by_hand() -> None:
    flow = list_models_flow()
    step = next(flow)
    assert (step.method, step.path, step.body) == ("GET", "/models", None)
    with pytest.raises(StopIteration) as done:
        flow.send(JSONReply(200, {}, CATALOGUE))
    assert [m.id for m in done.value.value][:2] == ["Nano-Banana-Pro", "gpt-4o-mini"]


def test_keywords_written_once_but_checked_and_shown() -> None:
    for function in (list_models, alist_models):
        parameters = inspect.signature(function).parameters
        assert list(parameters) == ["client", "api_key", "base_url", "timeout", "max_retries"]
        assert parameters["max_retries"].default == DEFAULT_MAX_RETRIES
        assert parameters["timeout"].default == DEFAULT_TIMEOUT
        assert all(p.kind is p.KEYWORD_ONLY for p in parameters.values())
    with pytest.raises(TypeError, match=r"list_models\(\) got an unexpected keyword .*'retries'"):
        list_models(retries=3)  # type: ignore[call-arg]


async def test_alist_models_rejects_unknown_keywords() -> None:
    with pytest.raises(TypeError, match=r"alist_models\(\) .*'api_base'.*allowed: client"):
        await alist_models(api_base="https://x")  # type: ignore[call-arg]


@pytest.mark.parametrize("body", [{}, {"data": None}, {"data": {"id": "x"}}])
def test_reply_without_data_list(body: dict[str, Any]) -> None:
    with pytest.raises(InvalidResponseError, match="data"):
        parse_models(body)


def test_list_models_sync(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIAPI_API_KEY", KEY)
    monkeypatch.delenv("HIAPI_BASE_URL", raising=False)
    seen: list[httpx.Request] = []
    client = HiAPIClient(
        base_url=BASE,
        api_key=None,
        http_client=httpx.Client(transport=handler(CATALOGUE, seen=seen)),
    )
    assert len(list_models(client=client)) == 4
    assert (seen[0].method, str(seen[0].url)) == ("GET", f"{BASE}/models")


async def test_alist_models_builds_client_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIAPI_API_KEY", KEY)
    monkeypatch.setenv("HIAPI_BASE_URL", "https://gw.example/v1")
    seen: list[httpx.Request] = []
    transport = handler(CATALOGUE, seen=seen)

    # The function builds (and closes) its own client; patch httpx to use the mock.
    real = httpx.AsyncClient

    def fake_async_client(**kwargs: Any) -> httpx.AsyncClient:
        return real(transport=transport, **kwargs)

    monkeypatch.setattr(httpx, "AsyncClient", fake_async_client)
    models = await alist_models()
    assert [m.kind for m in models] == ["chat", "chat", "images", "video"]
    assert str(seen[0].url) == "https://gw.example/v1/models"
    assert seen[0].headers["authorization"] == f"Bearer {KEY}"


def test_list_models_errors_are_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    error = {"error": {"message": "Invalid token", "type": "new_api_error", "code": ""}}
    real = httpx.Client

    def fake_client(**kwargs: Any) -> httpx.Client:
        return real(transport=handler(error, status=401), **kwargs)

    monkeypatch.setattr(httpx, "Client", fake_client)
    with pytest.raises(AuthenticationError):
        list_models(api_key="sk-wrong", base_url=BASE)
