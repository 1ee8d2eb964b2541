"""Emulator: task outputs and their files (PNG at the asked ratio, MP4 with frames, WAV),
404 for files of running, failed or unknown tasks, 403 once expired (like the CDN).
"""

from __future__ import annotations

import io
import struct
import wave
from typing import Any

import httpx

from langchain_hiapi.testing import HiAPIEmulator, TaskTiming
from langchain_hiapi.testing._png import png_size
from tests._support.emulator import (
    FakeClock,
    client_for,
    create,
    created_id,
    download,
    poll_until_done,
)

KEY = "outputs-key"


def _boat(client: httpx.Client, **top: Any) -> str:
    return created_id(create(client, "seedance-2.0", {"prompt": "a paper boat"}, **top))


def test_image_output_is_a_png_at_the_requested_aspect_ratio(
    emu: HiAPIEmulator, client: httpx.Client
) -> None:
    cases = [
        ("Nano-Banana-Pro", {"aspect_ratio": "16:9", "resolution": "1K"}, (256, 144)),
        ("Nano-Banana-Pro", {"aspect_ratio": "9:16", "resolution": "2K"}, (216, 384)),
        ("Nano-Banana", {}, (256, 256)),
        ("gpt-image-2", {"aspect_ratio": "21:9"}, (256, 110)),
        ("qwen-image-2.0", {"size": "2688*1536"}, (256, 146)),
        ("seedream-5.0-pro/text-to-image", {"aspect_ratio": "3:4", "quality": "high"}, (288, 384)),
    ]
    for model, extra, size in cases:
        task_id = created_id(create(client, model, {"prompt": "a red cat", **extra}))
        done = poll_until_done(client, task_id)
        assert done["status"] == "success"
        [output] = done["output"]
        assert output["type"] == "image"
        assert output["url"] == f"http://127.0.0.1:{emu.port}/files/tasks/{task_id}/0.png"
        assert output["expireAt"] == done["completed"] + 7 * 24 * 3600
        file = download(output["url"])
        assert file.status_code == 200
        assert file.headers["content-type"] == "image/png"
        assert png_size(file.content) == size, model


def test_full_size_images() -> None:
    with (
        HiAPIEmulator(api_key=KEY, full_size=True, task_timing=TaskTiming(0, 0, 0)) as emu,
        client_for(emu.base_url, KEY) as client,
    ):
        data = {"prompt": "a cat", "aspect_ratio": "16:9", "resolution": "2K"}
        done = poll_until_done(client, created_id(create(client, "Nano-Banana-Pro", data)))
        assert png_size(download(done["output"][0]["url"]).content) == (2048, 1152)


def test_video_output_with_first_and_last_frames(client: httpx.Client) -> None:
    horse = poll_until_done(
        client, created_id(create(client, "happyhorse-1-0", {"prompt": "a horse"}))
    )
    assert [o["type"] for o in horse["output"]] == ["video", "first_frame"]
    video = download(horse["output"][0]["url"])
    assert video.headers["content-type"] == "video/mp4"
    assert video.content[4:8] == b"ftyp"
    frame = download(horse["output"][1]["url"])
    assert frame.headers["content-type"] == "image/png"
    assert png_size(frame.content) == (256, 144)
    data = {"prompt": "a boat", "aspect_ratio": "9:16", "return_last_frame": True}
    boat = poll_until_done(client, created_id(create(client, "seedance-2.0", data)))
    assert [o["type"] for o in boat["output"]] == ["video", "last_frame"]
    assert png_size(download(boat["output"][1]["url"]).content) == (144, 256)
    plain = poll_until_done(client, _boat(client))
    assert [o["type"] for o in plain["output"]] == ["video"]
    assert len({o["expireAt"] for o in horse["output"]}) == 1


def test_audio_output_is_a_wav(client: httpx.Client) -> None:
    task_id = created_id(create(client, "minimax-music-1.5", {"prompt": "a tune"}))
    [output] = poll_until_done(client, task_id)["output"]
    assert output["type"] == "audio"
    file = download(output["url"])
    assert file.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(file.content)) as reader:
        assert reader.getnchannels() == 1
        assert reader.getnframes() > 0
        samples = reader.readframes(reader.getnframes())
    assert any(struct.unpack_from("<h", samples, i)[0] for i in range(0, len(samples), 2))


def test_files_of_running_failed_or_unknown_tasks_are_404_xml(client: httpx.Client) -> None:
    running = _boat(client)
    failed = created_id(create(client, "seedance-2.0", {"prompt": "a boat [fail]"}))
    poll_until_done(client, failed)
    base = str(client.base_url.copy_with(path="/")).rstrip("/")
    for path in (
        f"/files/tasks/{running}/0.mp4",
        f"/files/tasks/{failed}/0.mp4",
        "/files/tasks/tk-hiapi-01HZTQ8BX2N3GM3YFK4Z9D7VQR/0.png",
        "/files/tasks/",
    ):
        response = download(base + path)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/xml"
        assert b"<Code>NoSuchKey</Code>" in response.content
    done = poll_until_done(client, running)
    assert download(done["output"][0]["url"].replace("0.mp4", "1.mp4")).status_code == 404


def test_expired_outputs_are_403_access_denied() -> None:
    clock = FakeClock()
    timing = TaskTiming(0, 0, 0, clock=clock, output_ttl=60)
    with (
        HiAPIEmulator(api_key=KEY, task_timing=timing) as emu,
        client_for(emu.base_url, KEY) as client,
    ):
        done = poll_until_done(client, _boat(client))
        [output] = done["output"]
        assert output["expireAt"] == int(clock.now) + 60
        clock.advance(60)
        assert download(output["url"]).status_code == 200
        clock.advance(1)
        expired = download(output["url"])
        assert expired.status_code == 403
        assert expired.headers["content-type"] == "application/xml"
        assert b"<Code>AccessDenied</Code>" in expired.content
        assert b"Request has expired" in expired.content
        assert emu.task_stats().file_downloads == 1
