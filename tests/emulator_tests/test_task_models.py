"""Emulator: every model's `input` schema and route as the task-API contract (§2.8, §3) gives it.

Inputs are sent over HTTP to `POST /v1/tasks`; accepted ones answer 200 with a task id,
refused ones 400 `INVALID_REQUEST` whose message names the field and the allowed values.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from langchain_hiapi.testing._task_models import MODELS, InputError, check_input, resolve
from tests._support.emulator import create, created_id, error_of

URL = "https://example.com/a.png"


ACCEPTED: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("Nano-Banana", {"prompt": "a cat", "aspect_ratio": "21:9", "output_format": "jpeg"}, {}),
    ("Nano-Banana-2", {"prompt": "a cat", "image_input": [URL], "resolution": "4K"}, {}),
    ("Nano-Banana-2", {"prompt": "a cat", "aspect_ratio": "8:1", "output_format": "webp"}, {}),
    (
        "Nano-Banana-Pro",
        {"prompt": "a cat", "image_input": [URL] * 8, "resolution": "2K", "output_format": "jpg"},
        {},
    ),
    ("Nano-Banana-Pro", {"prompt": "a cat", "image_input": []}, {}),
    ("gpt-image-2/text-to-image", {"prompt": "a cat"}, {}),
    ("gpt-image-2", {"prompt": "a cat", "aspect_ratio": "16:9", "resolution": "4K"}, {}),
    (
        "gpt-image-2/text-to-image",
        {"prompt": "a cat", "aspect_ratio": "1:1", "background": "transparent"},
        {},
    ),
    (
        "gpt-image-2/text-to-image",
        {"prompt": "a cat", "aspect_ratio": "9:21", "resolution": "1K"},
        {},
    ),
    ("gpt-image-2/text-to-image", {"prompt": "a cat", "size": "1536x1024"}, {"route": "beta"}),
    ("gpt-image-2/text-to-image", {"prompt": "a cat", "size": "auto"}, {"route": "beta"}),
    (
        "gpt-image-2/text-to-image",
        {"prompt": "a cat", "aspect_ratio": "1:1", "resolution": "4K", "quality": "high"},
        {"route": "ext"},
    ),
    ("gpt-image-2/text-to-image@ext", {"prompt": "a cat", "quality": "low"}, {}),
    ("gpt-image-2/text-to-image", {"prompt": "a cat"}, {"route": "default"}),
    ("gpt-image-2/text-to-image", {"prompt": "a cat"}, {"route": ""}),
    ("gpt-image-2/image-to-image", {"prompt": "a cat", "input_urls": [URL] * 16}, {}),
    ("gpt-image-2-image-to-image", {"prompt": "a cat", "input_urls": [URL]}, {}),
    (
        "gpt-image-2/image-to-image",
        {"prompt": "a cat", "image_urls": [URL] * 6, "quality": "medium"},
        {"route": "ext"},
    ),
    ("gpt-image-2.5-flare/text-to-image", {"prompt": "a cat", "aspect_ratio": "27:16"}, {}),
    ("gpt-image-2.5-sunburst/image-to-image", {"prompt": "a cat", "image_urls": [URL]}, {}),
    (
        "gpt-image-2.5-flare",
        {
            "prompt": "a cat",
            "aspect_ratio": "3840x2160",
            "quality": "xhigh",
            "output_format": "png",
        },
        {},
    ),
    ("gpt-image-2.5-sunburst", {"prompt": "a cat", "background": "transparent"}, {}),
    (
        "qwen-image-2.0",
        {
            "prompt": "a cat",
            "size": "2688*1536",
            "negative_prompt": "",
            "prompt_extend": False,
            "watermark": False,
            "seed": 2147483647,
        },
        {},
    ),
    (
        "seedream-5.0-pro/text-to-image",
        {"prompt": "a cat", "aspect_ratio": "21:9", "quality": "high", "output_format": "jpeg"},
        {},
    ),
    ("seedream-5.0-pro/image-to-image", {"prompt": "a cat", "image_urls": [URL] * 10}, {}),
    ("flux-1.1-pro", {"prompt": "a cat", "anything": {"goes": [1, 2]}}, {}),
    ("flux-schnell/text-to-image", {}, {}),
    ("seedance-2.0", {"prompt": "a paper boat", "duration": 5}, {}),
    ("seedance-2-0", {"prompt": "a paper boat", "aspect_ratio": "adaptive"}, {}),
    ("seedance-2.0", {"prompt": "a paper boat", "duration": 5.0, "resolution": "4k"}, {}),
    (
        "seedance-2.0",
        {
            "prompt": "a boat",
            "first_frame_url": URL,
            "last_frame_url": URL,
            "generate_audio": False,
        },
        {},
    ),
    (
        "seedance-2.0",
        {"prompt": "a boat", "reference_image_urls": [URL] * 9, "reference_audio_urls": [URL]},
        {},
    ),
    ("seedance-2.0-fast", {"prompt": "a boat", "duration": 4, "new_field": True}, {}),
    ("seedance-2.5/reference-to-video", {"prompt": "a boat", "duration": -1}, {}),
    ("happyhorse-1-0", {"prompt": "a horse", "duration": 3, "seed": 0, "resolution": "720p"}, {}),
    ("happyhorse-1.1/text-to-video", {"prompt": "a horse", "aspect_ratio": "9:21"}, {}),
    (
        "kling-3.0-omni/text-to-video",
        {"prompt": "a fox", "resolution": "4K", "aspect_ratio": "1:1", "sound": True},
        {},
    ),
    ("kling-3.0-omni/image-to-video", {"image_urls": [URL, URL], "duration": 15}, {}),
    ("veo-3.1/text-to-video", {"prompt": "a fox", "whatever": 1}, {}),
    ("qwen-audio-3.0-tts-plus", {"text": "hello"}, {}),
    ("minimax-music-2.6", {"lyrics": "la la"}, {}),
]


@pytest.mark.parametrize(("model", "data", "top"), ACCEPTED)
def test_accepted_inputs(
    client: httpx.Client, model: str, data: dict[str, Any], top: dict[str, Any]
) -> None:
    created_id(create(client, model, data, **top))


REFUSED: list[tuple[str, dict[str, Any], dict[str, Any], list[str]]] = [
    # The contract's own examples.
    (
        "seedance-2.0",
        {"prompt": "a paper boat", "seed": 42},
        {},
        ["seedance-2.0", "additional properties 'seed' not allowed"],
    ),
    ("seedance-2-0", {"prompt": "a paper boat", "seed": 42}, {}, ["'seed' not allowed"]),
    (
        "happyhorse-1.1/text-to-video",
        {"prompt": "a horse", "audio": True},
        {},
        ["additional properties 'audio' not allowed"],
    ),
    (
        "happyhorse-1.1/text-to-video",
        {"prompt": "a horse", "seed": 1},
        {},
        ["additional properties 'seed' not allowed"],
    ),
    (
        "qwen-image-2.0",
        {"prompt": "a cat", "size": "2688x1536"},
        {},
        ["input.size", '"2688*1536"', '"2688x1536"'],
    ),
    (
        "qwen-image-2.0",
        {"prompt": "a cat", "aspect_ratio": "1:1"},
        {},
        ["'aspect_ratio' not allowed"],
    ),
    # Missing, types, enums, bounds.
    ("Nano-Banana", {"aspect_ratio": "1:1"}, {}, ["missing properties: 'prompt'"]),
    ("Nano-Banana", {"prompt": "x" * 5001}, {}, ["input.prompt", "length must be <= 5000"]),
    (
        "Nano-Banana",
        {"prompt": "a cat", "output_format": "webp"},
        {},
        ["input.output_format", '"png", "jpeg"'],
    ),
    ("Nano-Banana-Pro", {"prompt": "a cat", "output_format": "jpeg"}, {}, ['"png", "jpg"']),
    (
        "Nano-Banana-Pro",
        {"prompt": "a cat", "image_input": [URL] * 9},
        {},
        ["input.image_input", "maximum 8 items"],
    ),
    ("Nano-Banana-Pro", {"prompt": "a cat", "image_input": [1]}, {}, ["input.image_input[0]"]),
    ("Nano-Banana-2", {"prompt": "a cat", "resolution": "8K"}, {}, ['"1K", "2K", "4K"']),
    (
        "seedance-2.0",
        {"prompt": "a paper boat", "duration": "5"},
        {},
        ["input.duration: expected integer, but got string"],
    ),
    ("seedance-2.0", {"prompt": "a paper boat", "duration": True}, {}, ["expected integer"]),
    ("seedance-2.0", {"prompt": "a paper boat", "duration": 3}, {}, ["must be >= 4 but found 3"]),
    ("seedance-2.0", {"prompt": "a paper boat", "duration": 16}, {}, ["must be <= 15"]),
    ("seedance-2.0", {"prompt": "ab"}, {}, ["length must be >= 3"]),
    ("seedance-2.0", {"prompt": "a boat", "resolution": "2160p"}, {}, ['"480p", "720p"']),
    (
        "seedance-2.0",
        {"prompt": "a boat", "last_frame_url": URL},
        {},
        ["last_frame_url requires first_frame_url"],
    ),
    (
        "seedance-2.0",
        {"prompt": "a boat", "first_frame_url": URL, "reference_image_urls": [URL]},
        {},
        ["first_frame_url", "reference_image_urls", "cannot be combined"],
    ),
    ("seedance-2.0", {"prompt": "a boat", "reference_video_urls": [URL] * 4}, {}, ["maximum 3"]),
    ("seedance-2.0-fast", {"prompt": "a boat", "duration": 20}, {}, ["input.duration"]),
    ("happyhorse-1-0", {"prompt": "a horse", "aspect_ratio": "21:9"}, {}, ['"1:1", "16:9"']),
    ("happyhorse-1-0", {"prompt": "a horse", "seed": -1}, {}, ["must be >= 0"]),
    (
        "kling-3.0-omni/image-to-video",
        {"prompt": "a fox"},
        {},
        ["missing properties: 'image_urls'"],
    ),
    (
        "kling-3.0-omni/image-to-video",
        {"image_urls": [URL], "aspect_ratio": "16:9"},
        {},
        ["'aspect_ratio' not allowed"],
    ),
    ("kling-3.0-omni/image-to-video", {"image_urls": [URL] * 3}, {}, ["maximum 2 items"]),
    ("kling-3.0-omni/text-to-video", {"prompt": "a fox", "aspect_ratio": "4:3"}, {}, ['"16:9"']),
    ("seedream-5.0-pro/text-to-image", {"prompt": "cat"}, {}, ["length must be >= 4"]),
    (
        "seedream-5.0-pro/text-to-image",
        {"prompt": "a cat", "image_urls": [URL]},
        {},
        ["'image_urls' not allowed"],
    ),
    (
        "seedream-5.0-pro/text-to-image",
        {"prompt": "a cat", "resolution": "2K"},
        {},
        ["'resolution' not allowed"],
    ),
    (
        "seedream-5.0-pro/image-to-image",
        {"prompt": "a cat"},
        {},
        ["missing properties: 'image_urls'"],
    ),
    (
        "seedream-5.0-pro/image-to-image",
        {"prompt": "a cat", "image_urls": [URL] * 11},
        {},
        ["maximum 10 items"],
    ),
    # gpt-image-2 cross-field rules of the default route.
    (
        "gpt-image-2/text-to-image",
        {"prompt": "a cat", "aspect_ratio": "1:1", "resolution": "4K"},
        {},
        ["resolution '4K'", "aspect_ratio '1:1'"],
    ),
    (
        "gpt-image-2/text-to-image",
        {"prompt": "a cat", "resolution": "2K"},
        {},
        ["aspect_ratio 'auto'", "resolution '1K'"],
    ),
    (
        "gpt-image-2/text-to-image",
        {"prompt": "a cat", "aspect_ratio": "5:4", "resolution": "2K"},
        {},
        ["resolution '2K'", "aspect_ratio '5:4'"],
    ),
    (
        "gpt-image-2/text-to-image",
        {"prompt": "a cat", "aspect_ratio": "16:9", "resolution": "2K", "background": "opaque"},
        {},
        ["background is only available at resolution '1K'"],
    ),
    (
        "gpt-image-2/text-to-image",
        {"prompt": "a cat", "aspect_ratio": "7:3"},
        {},
        ["input.aspect_ratio", '"auto"', '"9:21"'],
    ),
    (
        "gpt-image-2/text-to-image",
        {"prompt": "a cat", "quality": "high"},
        {},
        ["'quality' not allowed"],
    ),
    (
        "gpt-image-2/image-to-image",
        {"prompt": "a cat", "input_urls": [URL] * 17},
        {},
        ["input.input_urls", "maximum 16 items"],
    ),
    (
        "gpt-image-2/image-to-image",
        {"prompt": "a cat", "input_urls": []},
        {},
        ["minimum 1 items"],
    ),
    (
        "gpt-image-2/image-to-image",
        {"prompt": "a cat", "input_urls": [URL], "aspect_ratio": "3:1", "resolution": "4K"},
        {},
        ["resolution '4K'", "aspect_ratio '3:1'"],
    ),
    # Routes change the schema.
    (
        "gpt-image-2/text-to-image",
        {"prompt": "a cat", "aspect_ratio": "1:1"},
        {"route": "beta"},
        ["gpt-image-2/text-to-image@beta", "'aspect_ratio' not allowed"],
    ),
    (
        "gpt-image-2/text-to-image",
        {"prompt": "a cat", "size": "1024X1024"},
        {"route": "beta"},
        ["input.size", "does not match pattern"],
    ),
    (
        "gpt-image-2/text-to-image",
        {"prompt": "a cat"},
        {"route": "ext"},
        ["missing properties: 'quality'"],
    ),
    (
        "gpt-image-2/text-to-image",
        {"prompt": "a cat", "quality": "high", "background": "auto"},
        {"route": "ext"},
        ["'background' not allowed"],
    ),
    (
        "gpt-image-2/image-to-image",
        {"prompt": "a cat", "input_urls": [URL], "quality": "high"},
        {"route": "ext"},
        ["missing properties: 'image_urls'", "'input_urls' not allowed"],
    ),
    (
        "gpt-image-2/image-to-image",
        {"prompt": "a cat", "image_urls": [URL] * 7, "quality": "high"},
        {"route": "ext"},
        ["maximum 6 items"],
    ),
    (
        "gpt-image-2.5-flare/text-to-image",
        {"prompt": "", "aspect_ratio": "1:1"},
        {},
        ["length must be >= 1"],
    ),
    (
        "gpt-image-2.5-flare/text-to-image",
        {"prompt": "a cat", "resolution": "2K", "background": "auto", "aspect_ratio": "1:1"},
        {},
        ["background is only available"],
    ),
    ("gpt-image-2.5-flare/image-to-image", {"prompt": "a cat"}, {}, ["'image_urls'"]),
    (
        "gpt-image-2.5-sunburst",
        {"prompt": "a cat", "background": "transparent", "output_format": "jpeg"},
        {},
        ["transparent", "output_format"],
    ),
    (
        "gpt-image-2.5-sunburst",
        {"prompt": "a cat", "image_urls": ["ftp://example.com/a.png"]},
        {},
        ["input.image_urls[0]", "does not match pattern"],
    ),
]


@pytest.mark.parametrize(("model", "data", "top", "fragments"), REFUSED)
def test_refused_inputs(
    client: httpx.Client,
    model: str,
    data: dict[str, Any],
    top: dict[str, Any],
    fragments: list[str],
) -> None:
    message = error_of(create(client, model, data, **top), 400, "INVALID_REQUEST")
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize(
    ("model", "route", "fragments"),
    [
        ("gpt-image-2/text-to-image", "pro", ["'pro'", "available routes: default, beta, ext"]),
        ("gpt-image-2", "pro", ["available routes: default, beta, ext"]),
        ("gpt-image-2/image-to-image", "beta", ["available routes: default, ext"]),
        ("seedance-2.0", "ext", ["available routes: default"]),
    ],
)
def test_unknown_route_lists_the_routes(
    client: httpx.Client, model: str, route: str, fragments: list[str]
) -> None:
    message = error_of(
        create(client, model, {"prompt": "a cat"}, route=route), 400, "INVALID_REQUEST"
    )
    for fragment in fragments:
        assert fragment in message


def test_legacy_route_suffix_is_checked_too(client: httpx.Client) -> None:
    message = error_of(
        create(client, "gpt-image-2/text-to-image@pro", {"prompt": "a cat"}), 400, "INVALID_REQUEST"
    )
    assert "available routes: default, beta, ext" in message
    message = error_of(
        create(client, "gpt-image-2/text-to-image@ext", {"prompt": "a"}, route="beta"),
        400,
        "INVALID_REQUEST",
    )
    assert "'ext'" in message
    assert "'beta'" in message


@pytest.mark.parametrize(
    "model", ["no-such-model", "gpt-image-2-pro", "gpt-image-2-image-to-image-pro", "kling-v3"]
)
def test_unknown_or_retired_model(client: httpx.Client, model: str) -> None:
    message = error_of(create(client, model, {"prompt": "a cat"}), 400, "INVALID_REQUEST")
    assert message == f"model '{model}' not found"


@pytest.mark.parametrize("field", ["callback", "callback_url", "callBackUrl", "webhook_url"])
@pytest.mark.parametrize("model", ["seedance-2.0", "flux-1.1-pro"])
def test_callback_fields_inside_input_are_refused(
    client: httpx.Client, model: str, field: str
) -> None:
    data = {"prompt": "a paper boat", field: "http://127.0.0.1:9/hook"}
    message = error_of(create(client, model, data), 400, "INVALID_REQUEST")
    assert field in message
    assert '"callback"' in message


@pytest.mark.parametrize("data", [[], "a cat", None, 3])
def test_input_must_be_an_object(client: httpx.Client, data: Any) -> None:
    message = error_of(create(client, "flux-1.1-pro", data), 400, "INVALID_REQUEST")
    assert "input: expected object" in message


def test_every_model_has_a_default_route() -> None:
    ids = [spec.id for spec in MODELS]
    assert len(ids) == len(set(ids))
    for spec in MODELS:
        assert "default" in spec.routes
        assert spec.kind in ("image", "video", "audio")


def test_checker_reports_every_problem_at_once() -> None:
    resolved = resolve("Nano-Banana-Pro", None)
    with pytest.raises(InputError) as info:
        check_input(resolved, {"aspect_ratio": "9:99", "resolution": 3, "size": "x", "n": 2})
    message = str(info.value)
    assert "missing properties: 'prompt'" in message
    assert "additional properties 'size', 'n' not allowed" in message
    assert "input.aspect_ratio" in message
    assert "input.resolution: expected string, but got integer" in message
