"""A task tool's answer: the artifact (outputs, URLs, expiry, paths) and a short text."""

from __future__ import annotations

import base64
import datetime
from typing import Any, TypedDict

from langchain_hiapi._generation_flows import TaskRun
from langchain_hiapi._task_convert import IMAGE_OUTPUT_TYPES
from langchain_hiapi._task_records import TaskOutput

__all__ = ["TaskOutputInfo", "TaskToolArtifact", "expiry_text", "run_artifact", "run_summary"]


class TaskOutputInfo(TypedDict):
    """One output in a `TaskToolArtifact`."""

    type: str
    url: str
    expire_at: int | None
    path: str | None


class TaskToolArtifact(TypedDict, total=False):
    """The artifact of a task tool call (`ToolMessage.artifact`), a plain dict.

    Attributes:
        task_id: The task.
        model: The model that ran it.
        outputs: Every output: `type`, `url`, `expire_at` (Unix seconds) and the `path`
            it was saved to (`None` without `save_dir`).
        paths: The files written under `save_dir`, in output order.
        expire_at: The earliest `expire_at` of the outputs.
        images: With `include_base64=True`: the image outputs as standard image blocks
            (`url`, `base64`, `mime_type`).
    """

    task_id: str
    model: str
    outputs: list[TaskOutputInfo]
    paths: list[str]
    expire_at: int | None
    images: list[dict[str, Any]]


def expiry_text(expire_at: int | None) -> str:
    """`expires <UTC time>`, or `no expiry given`."""
    if expire_at is None:
        return "no expiry given"
    moment = datetime.datetime.fromtimestamp(expire_at, datetime.timezone.utc)
    return f"expires {moment:%Y-%m-%d %H:%M} UTC"


def _image_block(output: TaskOutput, data: bytes, content_type: str) -> dict[str, Any]:
    mime = content_type.split(";", 1)[0].strip().lower() or "application/octet-stream"
    return {
        "type": "image",
        "url": output.url,
        "base64": base64.b64encode(data).decode("ascii"),
        "mime_type": mime,
        "extras": {"expire_at": output.expire_at, "output_type": output.type},
    }


def run_artifact(
    run: TaskRun, model: str, *, saved: bool, include_base64: bool
) -> TaskToolArtifact:
    """The artifact of a finished run (reads downloaded images when base64 is asked for).

    Args:
        run: The run.
        model: The model the tool was asked to use.
        saved: Whether `run.files` are the saved files (else temporary ones).
        include_base64: Put image outputs' bytes into `images`.

    Returns:
        The artifact dict.
    """
    outputs: list[TaskOutputInfo] = []
    images = []
    for output in run.task.outputs:
        fetched = run.files.get(output.url)
        outputs.append(
            TaskOutputInfo(
                type=output.type,
                url=output.url,
                expire_at=output.expire_at,
                path=str(fetched.path) if fetched is not None and saved else None,
            )
        )
        if include_base64 and fetched is not None and output.type in IMAGE_OUTPUT_TYPES:
            images.append(_image_block(output, fetched.path.read_bytes(), fetched.content_type))
    expiries = [o.expire_at for o in run.task.outputs if o.expire_at is not None]
    artifact = TaskToolArtifact(
        task_id=run.task.id,
        model=run.task.model or model,
        outputs=outputs,
        paths=[o["path"] for o in outputs if o["path"] is not None],
        expire_at=min(expiries) if expiries else None,
    )
    if include_base64:
        artifact["images"] = images
    return artifact


def run_summary(artifact: TaskToolArtifact) -> str:
    """A short text for the agent: what came out, where it is saved, when URLs expire."""
    parts = []
    for output in artifact["outputs"]:
        where = f"saved to {output['path']}" if output["path"] else f"at {output['url']}"
        parts.append(f"{output['type'] or 'output'} {where} ({expiry_text(output['expire_at'])})")
    return (
        f"HiAPI task {artifact['task_id']} finished with {artifact['model']}: "
        + "; ".join(parts)
        + "."
    )
