"""Video tasks, OpenAI style: `POST /v1/videos`, `GET /v1/videos/{id}[/content]`.

A task moves on a poll-count basis, not a clock, so a test's request sequence is the
same on every run (cassettes replay it exactly): `create` answers `queued`; each
`GET /v1/videos/{id}` is one step of `in_progress` with rising `progress`, and the
`polls`-th one ends the task `completed` (or `failed` when the prompt holds `[fail]`).
"""

from __future__ import annotations

import hashlib
import itertools
import re
import struct
import threading
import time
from dataclasses import dataclass
from typing import Any

from langchain_hiapi.testing._models import VIDEO_MODELS
from langchain_hiapi.testing._wire import ApiError

# Image-to-video models need `input_reference`.
IMAGE_TO_VIDEO: frozenset[str] = frozenset({"wan2.7-i2v"})
FAIL_FLAG = "[fail]"
FAILURE = {
    "message": "video generation failed: the upstream rejected the prompt (content policy)",
    "code": "content_policy_violation",
}
DEFAULT_SECONDS = "5"
DEFAULT_SIZE = "1280*720"
MAX_SECONDS = 20
EXPIRES_AFTER = 24 * 3600
_SIZE = re.compile(r"^([1-9][0-9]{1,4})[x*]([1-9][0-9]{1,4})$")
_ID = re.compile(r"^/v1/videos/([A-Za-z0-9_-]+)(/content)?$")


def _invalid(message: str) -> ApiError:
    return ApiError(400, message, "invalid_request")


def minimal_mp4(seed: str, payload_bytes: int = 2048) -> bytes:
    """Builds a small MP4-shaped file: an `ftyp` box, a `free` box and an `mdat` box.

    Not playable, but every box is well formed, so `file` and MIME sniffers call it MP4.

    Args:
        seed: Text the `mdat` bytes are derived from (same seed, same bytes).
        payload_bytes: Size of the `mdat` payload.

    Returns:
        The file bytes.
    """
    ftyp = b"isom" + struct.pack(">I", 0x200) + b"isomiso2mp41"
    note = b"langchain-hiapi emulator video"
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    mdat = (digest * (payload_bytes // len(digest) + 1))[:payload_bytes]

    def box(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", 8 + len(data)) + kind + data

    return box(b"ftyp", ftyp) + box(b"free", note) + box(b"mdat", mdat)


@dataclass
class _Job:
    id: str
    model: str
    prompt: str
    seconds: str
    size: str
    created_at: int
    fail: bool
    polls: int = 0
    status: str = "queued"
    progress: int = 0
    completed_at: int | None = None

    def to_wire(self) -> dict[str, Any]:
        # new-api's OpenAIVideo: `task_id` still sent for old clients, empty fields omitted.
        body: dict[str, Any] = {
            "id": self.id,
            "task_id": self.id,
            "object": "video",
            "model": self.model,
            "status": self.status,
            "progress": self.progress,
            "created_at": self.created_at,
            "seconds": self.seconds,
            "size": self.size,
        }
        if self.completed_at is not None:
            body["completed_at"] = self.completed_at
            if self.status == "completed":
                body["expires_at"] = self.completed_at + EXPIRES_AFTER
        if self.status == "failed":
            body["error"] = dict(FAILURE)
        return body


def _seconds(value: Any) -> str:
    if value is None:
        return DEFAULT_SECONDS
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not text.isdigit() or not 1 <= int(text) <= MAX_SECONDS:
        raise _invalid(f"seconds must be a whole number from 1 to {MAX_SECONDS}, got {value!r}")
    return str(int(text))


def _size(value: Any) -> str:
    if value is None:
        return DEFAULT_SIZE
    if not isinstance(value, str) or not _SIZE.match(value):
        raise _invalid(f"size must look like 1280*720 or 1280x720, got {value!r}")
    return value


def _reference(model: str, value: Any) -> None:
    if value is None:
        if model in IMAGE_TO_VIDEO:
            raise _invalid(f"{model} needs input_reference (an image URL or data URI)")
        return
    if not isinstance(value, str) or not value.startswith(("http://", "https://", "data:image/")):
        raise _invalid("input_reference must be an http(s) URL or a data:image/... URI")


class VideoStore:
    """The emulator's video tasks.

    Args:
        polls: Status polls until a task ends (at least 1).
    """

    def __init__(self, polls: int = 3) -> None:
        if polls < 1:
            raise ValueError("polls must be >= 1")
        self.polls = polls
        self._lock = threading.Lock()
        self._jobs: dict[str, _Job] = {}
        self._seq = itertools.count(1)

    def reset(self) -> None:
        """Forgets every task."""
        with self._lock:
            self._jobs.clear()

    def create(self, body: Any) -> dict[str, Any]:
        """Validates a `POST /v1/videos` body and queues a task.

        Args:
            body: The parsed JSON body.

        Returns:
            The new task's video object (`queued`).

        Raises:
            ApiError: 400 for a malformed request, 503 `model_not_found` for an unknown
                model.
        """
        if not isinstance(body, dict):
            raise _invalid("invalid request body: expected a JSON object")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise _invalid("model is required")
        if model not in VIDEO_MODELS:
            raise ApiError(
                503,
                f"No available channel for model {model} under group default",
                "model_not_found",
            )
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise _invalid("prompt is required")
        seconds, size = _seconds(body.get("seconds")), _size(body.get("size"))
        _reference(model, body.get("input_reference"))
        with self._lock:
            seq = next(self._seq)
            digest = hashlib.sha256(f"{seq}:{model}:{prompt}".encode()).hexdigest()[:24]
            job = _Job(
                id=f"task_{digest}",
                model=model,
                prompt=prompt,
                seconds=seconds,
                size=size,
                created_at=int(time.time()),
                fail=FAIL_FLAG in prompt,
            )
            self._jobs[job.id] = job
            return job.to_wire()

    def _job(self, video_id: str) -> _Job:
        job = self._jobs.get(video_id)
        if job is None:
            raise ApiError(404, f"task {video_id} does not exist", "task_not_exist")
        return job

    def poll(self, video_id: str) -> dict[str, Any]:
        """Answers `GET /v1/videos/{id}`, moving the task one step on.

        Raises:
            ApiError: 404 `task_not_exist` for an unknown id.
        """
        with self._lock:
            job = self._job(video_id)
            if job.status in ("queued", "in_progress"):
                job.polls += 1
                if job.polls >= self.polls:
                    job.status = "failed" if job.fail else "completed"
                    job.completed_at = int(time.time())
                    if not job.fail:
                        job.progress = 100
                else:
                    job.status = "in_progress"
                    job.progress = min(99, max(1, job.polls * 100 // self.polls))
            return job.to_wire()

    def content(self, video_id: str) -> bytes:
        """Answers `GET /v1/videos/{id}/content` with the video bytes.

        Raises:
            ApiError: 404 for an unknown id, 400 while the task is not `completed`.
        """
        with self._lock:
            job = self._job(video_id)
            if job.status != "completed":
                raise ApiError(
                    400, f"task {video_id} is not completed (status {job.status})", "task_not_ready"
                )
            return minimal_mp4(f"{job.model}:{job.prompt}:{job.seconds}:{job.size}")


def match_video_path(path: str) -> tuple[str, bool] | None:
    """Splits `/v1/videos/{id}` or `/v1/videos/{id}/content` into `(id, is_content)`."""
    match = _ID.match(path)
    if match is None:
        return None
    return match.group(1), match.group(2) is not None
