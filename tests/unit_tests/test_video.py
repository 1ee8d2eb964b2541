"""Video tasks over httpx.MockTransport: requests, polling, errors, saving and the tool."""

from __future__ import annotations

import json
import os
from collections import deque
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from langchain_core.callbacks import AsyncCallbackHandler, BaseCallbackHandler
from langchain_core.messages import ToolMessage

from langchain_hiapi._images import GeneratedImage
from langchain_hiapi.errors import ConflictError, InvalidResponseError, RateLimitError
from langchain_hiapi.video import (
    DEFAULT_VIDEO_MODEL,
    VIDEO_PROGRESS_EVENT,
    GeneratedVideo,
    HiAPIVideoClient,
    HiAPIVideoGenerationTool,
    VideoGenerationError,
    VideoTask,
    VideoTimeoutError,
    _PollSchedule,
    build_video_request,
    generate_video,
    parse_video,
    save_video,
)
from tests.unit_tests._wire import png_bytes

KEY = "sk-video-unit-key"
BASE = "https://api.hiapi.ai/v1"
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41" + b"\x00\x00\x00\x10mdat" + b"\x01" * 8
VID = "task_abc123"


def video(status: str, progress: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "id": VID,
        "object": "video",
        "model": "kling-v3",
        "status": status,
        "progress": progress,
        "created_at": 1764590000,
        "seconds": "5",
        "size": "1280*720",
        **extra,
    }


LIFECYCLE = [
    video("queued"),
    video("in_progress", 30),
    video("in_progress", 70),
    video("completed", 100, completed_at=1764590060, expires_at=1764676460),
]


def error_response(status: int, code: str, message: str = "failed") -> httpx.Response:
    body = {"error": {"message": message, "type": "new_api_error", "param": "", "code": code}}
    return httpx.Response(status, json=body)


class FakeVideoAPI:
    """MockTransport handler: the create reply, then one state per poll, then the bytes.

    `errors` are sent first, in order, whatever the request.
    """

    def __init__(
        self,
        states: list[dict[str, Any]] | None = None,
        *,
        content: bytes = MP4,
        content_type: str = "video/mp4",
        errors: list[httpx.Response] | None = None,
    ) -> None:
        self.states = deque(states if states is not None else LIFECYCLE)
        self.last = self.states[-1] if self.states else video("queued")
        self.content = content
        self.content_type = content_type
        self.errors = deque(errors or [])
        self.requests: list[httpx.Request] = []

    @property
    def calls(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.errors:
            answer = self.errors.popleft()
            return httpx.Response(
                answer.status_code, headers=answer.headers, content=answer.content
            )
        if request.url.path.endswith("/content"):
            return httpx.Response(
                200, content=self.content, headers={"Content-Type": self.content_type}
            )
        state = self.states.popleft() if self.states else self.last
        return httpx.Response(200, json=state)


class Sleeps:
    """Records sleeps instead of sleeping; moves a fake clock on."""

    def __init__(self) -> None:
        self.slept: list[float] = []
        self.now = 1000.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


def make_client(api: FakeVideoAPI, sleeps: Sleeps, **kwargs: Any) -> HiAPIVideoClient:
    transport = httpx.MockTransport(api)
    return HiAPIVideoClient(
        api_key=KEY,
        base_url=BASE,
        http_client=httpx.Client(transport=transport),
        http_async_client=httpx.AsyncClient(transport=transport),
        sleep=sleeps.sleep,
        asleep=sleeps.asleep,
        clock=sleeps.clock,
        **kwargs,
    )


async def generate(
    videos: HiAPIVideoClient, prompt: str, *, use_async: bool, **kwargs: Any
) -> GeneratedVideo:
    if use_async:
        return await videos.agenerate(prompt, **kwargs)
    return videos.generate(prompt, **kwargs)


# ------------------------------------------------------------------------- request body


def test_build_request_minimal() -> None:
    assert build_video_request("a fox") == {"model": DEFAULT_VIDEO_MODEL, "prompt": "a fox"}


def test_build_request_full() -> None:
    body = build_video_request(
        "a fox",
        model="kling-v3",
        seconds=5,
        size="1920*1080",
        input_reference="https://example.com/fox.png",
        model_kwargs={"seed": 7, "model": "ignored"},
    )
    assert body == {
        "seed": 7,
        "model": "kling-v3",  # the argument wins over model_kwargs
        "prompt": "a fox",
        "seconds": "5",  # a string on the wire
        "size": "1920*1080",  # sent as given
        "input_reference": "https://example.com/fox.png",
    }


@pytest.mark.parametrize("seconds", ["5", 5, "05"])
def test_build_request_seconds_forms(seconds: int | str) -> None:
    assert build_video_request("x", seconds=seconds)["seconds"] == "5"


@pytest.mark.parametrize("seconds", [0, -1, "five", "5.5", True, 2.5])
def test_build_request_bad_seconds(seconds: Any) -> None:
    with pytest.raises(ValueError, match="seconds"):
        build_video_request("x", seconds=seconds)


@pytest.mark.parametrize("prompt", ["", "   ", None])
def test_build_request_needs_prompt(prompt: Any) -> None:
    with pytest.raises(ValueError, match="prompt"):
        build_video_request(prompt)


def test_build_request_bad_size() -> None:
    with pytest.raises(ValueError, match="size"):
        build_video_request("x", size=" ")


def test_input_reference_forms(tmp_path: Path) -> None:
    png = png_bytes(2, 2)
    path = tmp_path / "start.png"
    path.write_bytes(png)
    from_bytes = build_video_request("x", input_reference=png)["input_reference"]
    from_path = build_video_request("x", input_reference=path)["input_reference"]
    from_image = build_video_request("x", input_reference=GeneratedImage(png, "image/png"))
    assert from_bytes.startswith("data:image/png;base64,iVBOR")
    assert from_path == from_bytes == from_image["input_reference"]
    data_uri = "data:image/jpeg;base64,/9j/"
    assert build_video_request("x", input_reference=data_uri)["input_reference"] == data_uri


def test_input_reference_rejects_plain_strings_and_non_images() -> None:
    with pytest.raises(ValueError, match=r"pathlib\.Path"):
        build_video_request("x", input_reference="start.png")
    with pytest.raises(ValueError, match="PNG, JPEG"):
        build_video_request("x", input_reference=b"not an image")


# ------------------------------------------------------------------------------- replies


def test_parse_video_contract_object() -> None:
    task = parse_video(LIFECYCLE[-1])
    assert task == VideoTask(
        id=VID,
        status="completed",
        progress=100,
        model="kling-v3",
        created_at=1764590000,
        completed_at=1764590060,
        expires_at=1764676460,
        seconds="5",
        size="1280*720",
    )
    assert task.done
    assert task.raw["object"] == "video"
    assert not parse_video(LIFECYCLE[1]).done


def test_parse_video_failed_with_error() -> None:
    body = video("failed", 40, error={"message": "moderation", "code": "content_policy"})
    task = parse_video(body)
    assert task.status == "failed"
    assert (task.error_message, task.error_code) == ("moderation", "content_policy")
    assert task.done


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("QUEUED", "queued"),
        ("pending", "queued"),
        ("processing", "in_progress"),
        ("succeeded", "completed"),
        ("cancelled", "failed"),
        ("unknown", "in_progress"),  # new-api's VideoStatusUnknown: keep polling
        ("", "in_progress"),
    ],
)
def test_parse_video_status_variants(raw: str, status: str) -> None:
    assert parse_video(video(raw)).status == status


@pytest.mark.parametrize(
    ("progress", "expected"),
    [
        ("45%", 45),
        (" 7 % ", 7),
        (45.9, 45),
        (250, 100),
        (-3, 0),
        (None, 0),
        ("soon", 0),
        (float("nan"), 0),
        (float("inf"), 0),
        ("inf", 0),
        (True, 0),
    ],
)
def test_parse_video_progress_forms(progress: Any, expected: int) -> None:
    assert parse_video(video("in_progress", progress=progress)).progress == expected


def test_parse_video_old_task_id_and_fail_reason() -> None:
    task = parse_video(
        {"task_id": "t1", "status": "failure", "fail_reason": "quota", "error": None}
    )
    assert (task.id, task.status, task.error_message, task.error_code) == (
        "t1",
        "failed",
        "quota",
        None,
    )


def test_parse_video_numeric_error_code() -> None:
    task = parse_video(video("failed", error={"message": "busy", "code": 429}))
    assert task.error_code == "429"


def test_parse_video_without_id() -> None:
    with pytest.raises(InvalidResponseError, match="`id`"):
        parse_video({"status": "queued"})


# ------------------------------------------------------------------------------ schedule


def test_poll_schedule_backs_off_to_a_cap() -> None:
    sleeps = Sleeps()
    schedule = _PollSchedule(
        interval=2, max_interval=5, backoff=1.5, max_wait=None, clock=sleeps.clock
    )
    task = parse_video(LIFECYCLE[1])
    assert [schedule.delay(task) for _ in range(5)] == [2, 3, 4.5, 5, 5]


def test_poll_schedule_deadline() -> None:
    sleeps = Sleeps()
    schedule = _PollSchedule(interval=4, max_interval=4, backoff=1, max_wait=10, clock=sleeps.clock)
    task = parse_video(LIFECYCLE[1])
    delays = []
    for _ in range(3):
        delays.append(schedule.delay(task))
        sleeps.sleep(delays[-1])
    with pytest.raises(VideoTimeoutError) as info:
        schedule.delay(task)
    assert delays == [4, 4, 2]  # the last sleep ends exactly at the deadline
    assert info.value.task is task
    assert info.value.waited == 10
    assert VID in str(info.value)


# ------------------------------------------------------------------------- generate flow


def test_generate_full_cycle(tmp_path: Path) -> None:
    api, sleeps = FakeVideoAPI(), Sleeps()
    seen: list[tuple[str, int]] = []
    with make_client(api, sleeps) as videos:
        result = videos.generate(
            "a red fox",
            model="kling-v3",
            seconds=5,
            size="1280*720",
            save_dir=tmp_path / "out",
            on_progress=lambda task: seen.append((task.status, task.progress)),
        )
    assert api.calls == [
        "POST /v1/videos",
        f"GET /v1/videos/{VID}",
        f"GET /v1/videos/{VID}",
        f"GET /v1/videos/{VID}",
        f"GET /v1/videos/{VID}/content",
    ]
    assert json.loads(api.requests[0].content) == {
        "model": "kling-v3",
        "prompt": "a red fox",
        "seconds": "5",
        "size": "1280*720",
    }
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in api.requests)
    assert seen == [("queued", 0), ("in_progress", 30), ("in_progress", 70), ("completed", 100)]
    assert sleeps.slept == [2.0, 3.0, 4.5]  # default interval, growing by 1.5
    assert result.path == tmp_path / "out" / f"video-{VID}.mp4"
    assert result.path.read_bytes() == MP4
    assert (result.mime_type, result.num_bytes) == ("video/mp4", len(MP4))
    assert result.task.status == "completed"
    assert sorted(os.listdir(tmp_path / "out")) == [f"video-{VID}.mp4"]  # no temp file left


async def test_agenerate_matches_sync(tmp_path: Path) -> None:
    api, sleeps = FakeVideoAPI(), Sleeps()
    seen: list[int] = []

    async def on_progress(task: VideoTask) -> None:
        seen.append(task.progress)

    async with make_client(api, sleeps) as videos:
        result = await videos.agenerate(
            "a red fox", model="kling-v3", save_dir=tmp_path, on_progress=on_progress
        )
    assert api.calls == [
        "POST /v1/videos",
        *[f"GET /v1/videos/{VID}"] * 3,
        f"GET /v1/videos/{VID}/content",
    ]
    assert seen == [0, 30, 70, 100]
    assert sleeps.slept == [2.0, 3.0, 4.5]
    assert result.path.read_bytes() == MP4


async def test_apoll_accepts_sync_callback_and_id() -> None:
    api, sleeps = FakeVideoAPI(LIFECYCLE[1:]), Sleeps()
    seen: list[str] = []
    task = await make_client(api, sleeps).apoll(VID, on_progress=lambda t: seen.append(t.status))
    assert task.status == "completed"
    assert seen == ["in_progress", "in_progress", "completed"]


def test_poll_by_id_reports_first_state() -> None:
    api, sleeps = FakeVideoAPI(LIFECYCLE[2:]), Sleeps()
    seen: list[int] = []
    task = make_client(api, sleeps).poll(VID, on_progress=lambda t: seen.append(t.progress))
    assert task.status == "completed"
    assert seen == [70, 100]
    assert len(sleeps.slept) == 1


def test_already_completed_task_is_not_polled() -> None:
    api, sleeps = FakeVideoAPI([]), Sleeps()
    done = parse_video(LIFECYCLE[-1])
    assert make_client(api, sleeps).poll(done) is done
    assert api.requests == []
    assert sleeps.slept == []


@pytest.mark.parametrize("use_async", [False, True])
async def test_failed_task_raises_typed_error(tmp_path: Path, use_async: bool) -> None:
    failed = video("failed", 50, error={"message": "prompt rejected", "code": "content_policy"})
    api, sleeps = FakeVideoAPI([video("queued"), video("in_progress", 50), failed]), Sleeps()
    videos = make_client(api, sleeps)
    with pytest.raises(VideoGenerationError) as info:
        await generate(videos, "x", use_async=use_async, save_dir=tmp_path)
    error = info.value
    assert error.code == "content_policy"
    assert error.message == "prompt rejected"
    assert error.task.id == VID
    assert f"video task {VID} failed" in str(error)
    assert "content_policy" in str(error)
    assert not any(call.endswith("/content") for call in api.calls)  # nothing downloaded
    assert os.listdir(tmp_path) == []


def test_failed_task_without_message() -> None:
    api, sleeps = FakeVideoAPI([video("queued"), video("failed")]), Sleeps()
    with pytest.raises(VideoGenerationError, match="no reason given"):
        make_client(api, sleeps).generate("x", save_dir=".")


@pytest.mark.parametrize("code", ["upstream_busy", "upstream_unavailable", "upstream_timeout"])
def test_409_is_retried(tmp_path: Path, code: str) -> None:
    api = FakeVideoAPI(errors=[error_response(409, code)])
    sleeps = Sleeps()
    result = make_client(api, sleeps).generate("x", save_dir=tmp_path)
    assert result.path.exists()
    assert api.calls[:2] == ["POST /v1/videos", "POST /v1/videos"]  # the create was re-sent
    assert len(sleeps.slept) == 4  # one retry pause + three poll pauses


def test_409_after_retries_is_conflict_error() -> None:
    api = FakeVideoAPI(errors=[error_response(409, "upstream_busy")] * 3)
    with pytest.raises(ConflictError) as info:
        make_client(api, Sleeps(), max_retries=2).create("x")
    assert info.value.code == "upstream_busy"
    assert len(api.requests) == 3


async def test_429_rate_limited_is_typed() -> None:
    api = FakeVideoAPI(errors=[error_response(429, "rate_limited", "slow down")])
    with pytest.raises(RateLimitError) as info:
        await make_client(api, Sleeps(), max_retries=0).acreate("x")
    assert info.value.code == "rate_limited"


def test_poll_error_mid_way_is_retried() -> None:
    api, sleeps = FakeVideoAPI(), Sleeps()
    videos = make_client(api, sleeps)
    task = videos.create("x")
    api.errors.append(error_response(409, "upstream_unavailable"))
    assert videos.poll(task).status == "completed"
    assert api.calls.count(f"GET /v1/videos/{VID}") == 4  # one failed poll re-sent


@pytest.mark.parametrize("use_async", [False, True])
async def test_deadline_raises_timeout_with_last_state(use_async: bool) -> None:
    api, sleeps = FakeVideoAPI([video("queued"), video("in_progress", 10)]), Sleeps()
    videos = make_client(api, sleeps, max_wait=20, poll_interval=5, poll_backoff=1)
    with pytest.raises(VideoTimeoutError) as info:
        await generate(videos, "x", use_async=use_async)
    assert info.value.task.status == "in_progress"
    assert info.value.task.progress == 10
    assert info.value.waited == 20
    assert sleeps.slept == [5, 5, 5, 5]
    assert api.calls.count(f"GET /v1/videos/{VID}") == 4


def test_client_rejects_bad_polling_settings() -> None:
    with pytest.raises(ValueError, match="max_wait"):
        HiAPIVideoClient(api_key=KEY, max_wait=0)
    with pytest.raises(ValueError, match="poll_backoff"):
        HiAPIVideoClient(api_key=KEY, poll_backoff=0.5)


# ------------------------------------------------------------------------------ download


def test_download_json_body_is_not_a_video() -> None:
    body = json.dumps({"error": {"message": "video expired"}}).encode()
    api = FakeVideoAPI(content=body, content_type="application/json")
    with pytest.raises(InvalidResponseError, match="video expired"):
        make_client(api, Sleeps()).download(VID)


def test_download_empty_body() -> None:
    api = FakeVideoAPI(content=b"")
    with pytest.raises(InvalidResponseError, match="empty"):
        make_client(api, Sleeps()).download(VID)


@pytest.mark.parametrize(
    ("content", "content_type", "mime"),
    [
        (MP4, "application/octet-stream", "video/mp4"),
        (MP4, "", "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "", "video/quicktime"),
        (b"\x1a\x45\xdf\xa3webm", "binary/octet-stream", "video/webm"),
        (b"????", "", "application/octet-stream"),
        (MP4, "video/mp4; codecs=avc1", "video/mp4"),
    ],
)
def test_download_mime_type(content: bytes, content_type: str, mime: str) -> None:
    api = FakeVideoAPI(content=content, content_type=content_type)
    assert make_client(api, Sleeps()).download(VID) == (content, mime)


# --------------------------------------------------------------------------------- saving


def test_save_video_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "clip.mp4").write_bytes(b"old")
    first = save_video(b"one", tmp_path, stem="clip")
    second = save_video(b"two", tmp_path, stem="clip")
    assert (first.name, second.name) == ("clip-2.mp4", "clip-3.mp4")
    assert (tmp_path / "clip.mp4").read_bytes() == b"old"
    assert (first.read_bytes(), second.read_bytes()) == (b"one", b"two")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip-2.mp4", "clip-3.mp4", "clip.mp4"]


@pytest.mark.parametrize(
    ("mime", "ext"), [("video/webm", ".webm"), ("video/quicktime", ".mov"), ("x/y", ".bin")]
)
def test_save_video_extension(tmp_path: Path, mime: str, ext: str) -> None:
    assert save_video(b"v", tmp_path, stem="v", mime_type=mime).suffix == ext


@pytest.mark.parametrize("stem", ["", "a/b", "..", f"a{os.sep}b"])
def test_save_video_rejects_paths(tmp_path: Path, stem: str) -> None:
    with pytest.raises(ValueError, match="stem"):
        save_video(b"v", tmp_path, stem=stem)


def test_save_video_failure_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_claim(temp: Path, final: Path) -> bool:
        raise OSError("disk full")

    monkeypatch.setattr("langchain_hiapi.video._claim", broken_claim)
    with pytest.raises(OSError, match="disk full"):
        save_video(b"v", tmp_path, stem="v")
    assert list(tmp_path.iterdir()) == []


def test_saved_name_is_sanitised(tmp_path: Path) -> None:
    # Issue 14 (item 6): an id like "../../etc/passwd x" is now refused by parse_video
    # (tests/security); the ids it accepts still become safe file names.
    weird = video("completed", 100, id="upstream:task.v2-1")
    api = FakeVideoAPI([weird])
    task = parse_video(weird)
    result = make_client(api, Sleeps()).save(task, tmp_path, prefix="clip")
    assert result.path.parent == tmp_path
    assert result.path.name == "clip-upstream_task_v2-1.mp4"


# ------------------------------------------------------------------------------ function


def test_generate_video_reads_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    api, sleeps = FakeVideoAPI(), Sleeps()
    monkeypatch.setenv("HIAPI_API_KEY", "sk-from-env")
    monkeypatch.setenv("HIAPI_BASE_URL", "https://gateway.example/v1")
    result = generate_video(
        "x",
        save_dir=tmp_path,
        http_client=httpx.Client(transport=httpx.MockTransport(api)),
        sleep=sleeps.sleep,
        clock=sleeps.clock,
    )
    assert result.path.exists()
    assert {str(r.url.host) for r in api.requests} == {"gateway.example"}
    assert api.requests[0].headers["authorization"] == "Bearer sk-from-env"


# ---------------------------------------------------------------------------------- tool


class EventRecorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any], UUID]] = []
        self.tool_run_ids: list[UUID] = []

    def on_tool_start(self, serialized: Any, input_str: str, *, run_id: UUID, **kw: Any) -> None:
        self.tool_run_ids.append(run_id)

    def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kw: Any) -> None:
        self.events.append((name, data, run_id))


class AsyncEventRecorder(AsyncCallbackHandler):
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any], UUID]] = []
        self.tool_run_ids: list[UUID] = []

    async def on_tool_start(
        self, serialized: Any, input_str: str, *, run_id: UUID, **kw: Any
    ) -> None:
        self.tool_run_ids.append(run_id)

    async def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kw: Any) -> None:
        self.events.append((name, data, run_id))


def make_tool(api: FakeVideoAPI, tmp_path: Path, **kwargs: Any) -> HiAPIVideoGenerationTool:
    return HiAPIVideoGenerationTool(
        video_client=make_client(api, Sleeps()), save_dir=tmp_path, **kwargs
    )


def tool_call(tool: HiAPIVideoGenerationTool, **args: Any) -> dict[str, Any]:
    return {"type": "tool_call", "id": "call_1", "name": tool.name, "args": args}


def check_events(recorder: EventRecorder | AsyncEventRecorder) -> None:
    assert [name for name, _, _ in recorder.events] == [VIDEO_PROGRESS_EVENT] * 4
    assert [data["progress"] for _, data, _ in recorder.events] == [0, 30, 70, 100]
    assert recorder.events[-1][1] == {
        "video_id": VID,
        "status": "completed",
        "progress": 100,
        "model": "kling-v3",
    }
    # Attached to the tool's run, as dispatch_custom_event would do.
    assert {run_id for _, _, run_id in recorder.events} == set(recorder.tool_run_ids)


def test_tool_schema_and_defaults() -> None:
    tool = HiAPIVideoGenerationTool(api_key=KEY)
    assert tool.name == "hiapi_video_generation"
    assert tool.response_format == "content_and_artifact"
    assert tool.model == DEFAULT_VIDEO_MODEL
    schema = tool.tool_call_schema.model_json_schema()
    assert set(schema["properties"]) == {"prompt", "seconds", "size", "input_reference"}
    assert schema["required"] == ["prompt"]


def test_tool_invoke_sync(tmp_path: Path) -> None:
    api = FakeVideoAPI()
    tool = make_tool(api, tmp_path, model="kling-v3", size="1920*1080")
    recorder = EventRecorder()
    message = tool.invoke(tool_call(tool, prompt="a fox", seconds=5), {"callbacks": [recorder]})
    assert isinstance(message, ToolMessage)
    path = tmp_path / f"video-{VID}.mp4"
    assert message.content == f"Generated a 5s video with kling-v3, saved to {path}."
    assert message.artifact == {
        "path": str(path),
        "video_id": VID,
        "model": "kling-v3",
        "mime_type": "video/mp4",
        "seconds": "5",
        "size": "1280*720",
        "num_bytes": len(MP4),
    }
    assert path.read_bytes() == MP4
    body = json.loads(api.requests[0].content)
    assert body == {"model": "kling-v3", "prompt": "a fox", "seconds": "5", "size": "1920*1080"}
    check_events(recorder)


async def test_tool_invoke_async(tmp_path: Path) -> None:
    api = FakeVideoAPI()
    tool = make_tool(api, tmp_path, seconds=4)
    recorder = AsyncEventRecorder()
    message = await tool.ainvoke(
        tool_call(tool, prompt="a fox", size="720*1280", input_reference="https://x.test/a.png"),
        {"callbacks": [recorder]},
    )
    assert isinstance(message, ToolMessage)
    assert message.artifact["path"] == str(tmp_path / f"video-{VID}.mp4")
    assert json.loads(api.requests[0].content) == {
        "model": DEFAULT_VIDEO_MODEL,
        "prompt": "a fox",
        "seconds": "4",
        "size": "720*1280",
        "input_reference": "https://x.test/a.png",
    }
    check_events(recorder)


async def test_tool_progress_in_astream_events(tmp_path: Path) -> None:
    tool = make_tool(FakeVideoAPI(), tmp_path)
    events = [
        event
        async for event in tool.astream_events({"prompt": "a fox"}, version="v2")
        if event["event"] == "on_custom_event"
    ]
    assert [e["name"] for e in events] == [VIDEO_PROGRESS_EVENT] * 4
    assert [e["data"]["status"] for e in events][-1] == "completed"


def test_tool_failed_task_raises(tmp_path: Path) -> None:
    failed = video("failed", error={"message": "nope", "code": "content_policy"})
    tool = make_tool(FakeVideoAPI([video("queued"), failed]), tmp_path)
    with pytest.raises(VideoGenerationError, match="nope"):
        tool.invoke(tool_call(tool, prompt="x"))


def test_tool_builds_client_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIAPI_API_KEY", "sk-tool-env")
    monkeypatch.setenv("HIAPI_BASE_URL", "https://tool.example/v1/")
    tool = HiAPIVideoGenerationTool(max_wait=60)
    videos = tool._videos()
    assert videos is tool._videos()  # built once
    assert videos.client.base_url == "https://tool.example/v1"
    assert videos.max_wait == 60
    assert "sk-tool-env" not in repr(tool)
