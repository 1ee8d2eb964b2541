"""Emulator: video task lifecycle, the images API (b64_json and url) and the model list."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from langchain_hiapi.testing import HiAPIEmulator, Reply
from langchain_hiapi.testing._png import png_size
from langchain_hiapi.testing._video import minimal_mp4

KEY = "video-key"


@pytest.fixture(scope="module")
def emu() -> Iterator[HiAPIEmulator]:
    with HiAPIEmulator(api_key=KEY, video_polls=4) as emulator:
        yield emulator


@pytest.fixture
def client(emu: HiAPIEmulator) -> Iterator[httpx.Client]:
    emu.reset()
    with httpx.Client(
        base_url=emu.base_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=5
    ) as c:
        yield c


def _video(**extra: Any) -> dict[str, Any]:
    return {"model": "kling-v3", "prompt": "a red fox in snow", **extra}


def _create(client: httpx.Client, **extra: Any) -> dict[str, Any]:
    response = client.post("/videos", json=_video(**extra))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# ---------------------------------------------------------------------------- video


def test_video_lifecycle_queued_progress_completed(client: httpx.Client) -> None:
    created = _create(client, seconds="5", size="1920*1080")
    assert created["object"] == "video"
    assert created["status"] == "queued"
    assert created["progress"] == 0
    assert created["id"].startswith("task_")
    assert created["task_id"] == created["id"]
    assert created["seconds"] == "5"
    assert created["size"] == "1920*1080"
    assert "error" not in created

    states = [client.get(f"/videos/{created['id']}").json() for _ in range(5)]
    assert [s["status"] for s in states] == [
        "in_progress",
        "in_progress",
        "in_progress",
        "completed",
        "completed",  # polling a finished task changes nothing
    ]
    progress = [s["progress"] for s in states]
    assert progress[:3] == sorted(progress[:3])
    assert 0 < progress[0] < progress[2] < 100
    assert progress[3] == 100
    done = states[3]
    assert done["completed_at"] >= done["created_at"]
    assert done["expires_at"] > done["completed_at"]

    content = client.get(f"/videos/{created['id']}/content")
    assert content.status_code == 200
    assert content.headers["content-type"] == "video/mp4"
    assert content.content[4:8] == b"ftyp"
    assert int(content.headers["content-length"]) == len(content.content)


def test_video_content_before_completion_is_400(client: httpx.Client) -> None:
    created = _create(client)
    response = client.get(f"/videos/{created['id']}/content")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "task_not_ready"


def test_video_fail_flag_ends_failed_with_error(client: httpx.Client) -> None:
    created = _create(client, prompt="a fox [fail]")
    states = [client.get(f"/videos/{created['id']}").json() for _ in range(4)]
    assert states[-1]["status"] == "failed"
    assert set(states[-1]["error"]) == {"message", "code"}
    assert states[-1]["error"]["code"] == "content_policy_violation"
    assert "expires_at" not in states[-1]
    assert client.get(f"/videos/{created['id']}/content").status_code == 400


def test_video_unknown_id_404(client: httpx.Client) -> None:
    response = client.get("/videos/task_nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "task_not_exist"
    assert client.get("/videos/task_nope/content").status_code == 404


@pytest.mark.parametrize(
    ("extra", "status", "code"),
    [
        ({"model": "sora-9"}, 503, "model_not_found"),
        ({"model": ""}, 400, "invalid_request"),
        ({"prompt": " "}, 400, "invalid_request"),
        ({"seconds": "five"}, 400, "invalid_request"),
        ({"seconds": 0}, 400, "invalid_request"),
        ({"size": "big"}, 400, "invalid_request"),
        ({"model": "wan2.7-i2v"}, 400, "invalid_request"),  # needs input_reference
        ({"input_reference": "/local/file.png"}, 400, "invalid_request"),
    ],
)
def test_video_create_validation(
    client: httpx.Client, extra: dict[str, Any], status: int, code: str
) -> None:
    response = client.post("/videos", json=_video(**extra))
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_video_accepts_int_seconds_and_image_reference(client: httpx.Client) -> None:
    created = _create(
        client,
        model="wan2.7-i2v",
        seconds=4,
        size="720x1280",
        input_reference="data:image/png;base64,iVBORw0KGgo=",
    )
    assert created["seconds"] == "4"
    assert created["size"] == "720x1280"


def test_video_needs_auth(emu: HiAPIEmulator) -> None:
    response = httpx.post(emu.base_url + "/videos", json=_video())
    assert response.status_code == 401


def test_video_scripted_409_and_429(emu: HiAPIEmulator, client: httpx.Client) -> None:
    emu.queue(
        Reply(status=409),
        Reply(
            status=429,
            body={
                "error": {"message": "slow down", "type": "new_api_error", "code": "rate_limited"}
            },
        ),
    )
    first = client.post("/videos", json=_video())
    assert first.status_code == 409
    assert first.json()["error"]["code"] == "upstream_busy"
    second = client.post("/videos", json=_video())
    assert second.status_code == 429
    assert second.json()["error"]["code"] == "rate_limited"
    assert client.post("/videos", json=_video()).status_code == 200


def test_video_ids_are_unique(client: httpx.Client) -> None:
    ids = {_create(client)["id"] for _ in range(3)}
    assert len(ids) == 3


def test_video_polls_must_be_positive() -> None:
    with pytest.raises(ValueError, match="polls"):
        HiAPIEmulator(video_polls=0)


def test_minimal_mp4_boxes_are_well_formed() -> None:
    data = minimal_mp4("seed")
    offset, kinds = 0, []
    while offset < len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        kinds.append(data[offset + 4 : offset + 8])
        assert size >= 8
        offset += size
    assert offset == len(data)
    assert kinds == [b"ftyp", b"free", b"mdat"]
    assert minimal_mp4("seed") == data
    assert minimal_mp4("other") != data


def test_single_poll_completes(emu: HiAPIEmulator) -> None:
    with HiAPIEmulator(video_polls=1) as fast:
        headers = {"Authorization": f"Bearer {fast.api_key}"}
        created = httpx.post(fast.base_url + "/videos", json=_video(), headers=headers).json()
        state = httpx.get(f"{fast.base_url}/videos/{created['id']}", headers=headers).json()
        assert state["status"] == "completed"


# --------------------------------------------------------------------------- images


def _generate(client: httpx.Client, **extra: Any) -> httpx.Response:
    body = {"model": "gpt-image-1.5", "prompt": "a blue square", **extra}
    return client.post("/images/generations", json=body)


def test_images_b64_json(client: httpx.Client) -> None:
    response = _generate(client, n=2, size="1536x1024", response_format="b64_json")
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body["created"], int)
    assert len(body["data"]) == 2
    for item in body["data"]:
        assert set(item) == {"b64_json"}
        png = base64.b64decode(item["b64_json"])
        width, height = png_size(png) or (0, 0)
        assert width > height  # the aspect of 1536x1024, drawn small


def test_images_url_served_without_auth(emu: HiAPIEmulator, client: httpx.Client) -> None:
    response = _generate(client, model="flux-1.1-pro", n=2)  # flux answers with URLs
    urls = [item["url"] for item in response.json()["data"]]
    assert len(set(urls)) == 2
    for url in urls:
        assert url.startswith(emu.base_url + "/images/files/")
        fetched = httpx.get(url)  # like a signed CDN link: no key
        assert fetched.status_code == 200
        assert fetched.headers["content-type"] == "image/png"
        assert png_size(fetched.content) is not None
    assert httpx.get(emu.base_url + "/images/files/img-999999.png").status_code == 404


def test_images_full_size(client: httpx.Client) -> None:
    with HiAPIEmulator(full_size=True) as big:
        response = httpx.post(
            big.base_url + "/images/generations",
            json={"model": "qwen-image-2.0", "prompt": "red", "size": "640x480"},
            headers={"Authorization": f"Bearer {big.api_key}"},
        )
        url = response.json()["data"][0]["url"]
        assert png_size(httpx.get(url).content) == (640, 480)


@pytest.mark.parametrize(
    ("extra", "status", "code"),
    [
        ({"model": "dall-e-9"}, 503, "model_not_found"),
        ({"prompt": ""}, 400, "invalid_request"),
        ({"n": 0}, 400, "invalid_request"),
        ({"n": 11}, 400, "invalid_request"),
        ({"n": True}, 400, "invalid_request"),
        ({"size": "huge"}, 400, "invalid_request"),
        ({"size": "10x10"}, 400, "invalid_request"),
        ({"response_format": "png"}, 400, "invalid_request"),
    ],
)
def test_images_validation(
    client: httpx.Client, extra: dict[str, Any], status: int, code: str
) -> None:
    response = _generate(client, **extra)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_images_need_auth(emu: HiAPIEmulator) -> None:
    response = httpx.post(emu.base_url + "/images/generations", json={"prompt": "x"})
    assert response.status_code == 401


# --------------------------------------------------------------------------- models


def test_model_list_has_video_and_images_models(client: httpx.Client) -> None:
    data = {m["id"]: m for m in client.get("/models").json()["data"]}
    for model in ("kling-v3", "seedance-1-0-pro", "seedance-1-5-pro", "seedance-2-0"):
        assert data[model]["supported_endpoint_types"] == ["openai-video"]
    for model in ("wan2.7-t2v", "wan2.7-i2v"):
        assert data[model]["supported_endpoint_types"] == ["openai-video"]
    for model in ("gpt-image-1.5", "flux-1.1-pro", "qwen-image-2.0", "gpt-image-2-beta"):
        assert data[model]["supported_endpoint_types"] == ["image-generation"]
    assert data["flux-1.1-pro"]["owned_by"] == "black-forest-labs"
    assert data["Nano-Banana"]["supported_endpoint_types"] == ["openai", "gemini"]
