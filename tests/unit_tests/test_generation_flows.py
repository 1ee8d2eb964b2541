"""The generation flow (create, wait, download the wanted outputs) driven by hand, no I/O."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from langchain_hiapi._files import FetchedFile
from langchain_hiapi._flows import Call, Fetch, Notify, Now, Sleep
from langchain_hiapi._generation_flows import TaskRun, all_outputs, generate_flow, no_outputs
from langchain_hiapi._task_flows import PollSchedule, build_create
from langchain_hiapi.errors import InvalidResponseError, TaskFailedError
from tests._support.task_world import ok

ID = "tk-hiapi-01HZTQ8BX2N3GM3YFK4Z9D7VQR"
OUTPUTS = [
    {"url": "https://cdn.test/0.mp4", "type": "video", "expireAt": 1},  # long expired
    {"url": "https://cdn.test/1.png", "type": "first_frame", "expireAt": 1},
]


def drive(flow: Any, *, status: str = "success", outputs: Any = OUTPUTS) -> tuple[Any, list[Any]]:
    """Answers every step like a server whose task ends on the first poll."""
    steps: list[Any] = []
    answer: Any = None
    try:
        while True:
            step = flow.send(answer)
            steps.append(step)
            answer = None
            if isinstance(step, Call) and step.method == "POST":
                answer = ok({"taskId": ID})
            elif isinstance(step, Call):
                data = {"taskId": ID, "model": "seedance-2.0", "status": status}
                data["output" if status == "success" else "error"] = (
                    outputs if status == "success" else {"code": "TASK_FAILED", "message": "no"}
                )
                answer = ok(data)
            elif isinstance(step, Now):
                answer = 0.0
            elif isinstance(step, Fetch):
                answer = FetchedFile(Path(step.dest_dir) / f"{step.stem}.bin", "video/mp4", 3)
    except StopIteration as stop:
        return stop.value, steps


def flow(**kwargs: Any) -> Any:
    request = build_create("seedance-2.0", {"prompt": "a boat"})
    options: dict[str, Any] = {"timeout": 60, "dest_dir": "out", "schedule": PollSchedule()}
    return generate_flow(request, **{**options, **kwargs})


def test_downloads_every_wanted_output_named_after_the_task() -> None:
    run, steps = drive(flow(prefix="clip"))
    assert isinstance(run, TaskRun)
    fetches = [s for s in steps if isinstance(s, Fetch)]
    assert [f.url for f in fetches] == ["https://cdn.test/0.mp4", "https://cdn.test/1.png"]
    assert [f.stem for f in fetches] == [f"clip-{ID}-1", f"clip-{ID}-2"]
    assert list(run.files) == ["https://cdn.test/0.mp4", "https://cdn.test/1.png"]
    # A task that just finished is not judged by a clock: expireAt 1 is still fetched.
    assert [s for s in steps if isinstance(s, Sleep)]  # paused before the first poll


def test_selection_and_no_directory() -> None:
    _, steps = drive(flow(wanted=lambda o: o.type == "video"))
    assert [s.url for s in steps if isinstance(s, Fetch)] == ["https://cdn.test/0.mp4"]
    _, steps = drive(flow(wanted=lambda o: o.type == "video", prefix="v"))
    assert [s.stem for s in steps if isinstance(s, Fetch)] == [f"v-{ID}"]
    for kwargs in ({"dest_dir": None, "wanted": all_outputs}, {"wanted": no_outputs}):
        run, steps = drive(flow(**kwargs))
        assert run.files == {}
        assert not [s for s in steps if isinstance(s, Fetch)]


def test_status_updates_and_failures() -> None:
    seen: list[Any] = []
    _, steps = drive(flow(on_update=seen.append))
    notified = [s.value.status for s in steps if isinstance(s, Notify)]
    assert notified == ["queued", "success"]
    with pytest.raises(TaskFailedError):
        drive(flow(), status="fail")
    with pytest.raises(InvalidResponseError, match="lists no outputs"):
        drive(flow(), outputs=[])
