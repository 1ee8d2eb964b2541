"""Turn a prompt into a short video with HiAPI's task API, showing a progress bar.

    python examples/prompt_to_video.py "a red fox running through fresh snow" --duration 5

With HIAPI_API_KEY set this calls HiAPI (`POST /v1/tasks`): a real video takes a minute or
more, and the bar follows the task through queued -> handling -> archiving -> success.
Without it, it starts the bundled offline emulator (`langchain_hiapi.testing`) and says so:
the "video" is then a tiny placeholder MP4, but every request (create, status polls,
download) still goes through the real HTTP path.

Needs the examples extra for the bar: pip install "langchain-hiapi[examples]".
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tqdm import tqdm

from langchain_hiapi import Task, TaskInputError
from langchain_hiapi.testing import hiapi_or_emulator
from langchain_hiapi.video import (
    DEFAULT_VIDEO_MODEL,
    VIDEO_MODELS,
    VideoGenerationError,
    VideoTimeoutError,
    generate_video,
)

# The bar's steps: where each status the task API reports puts a task.
STAGES = {"queued": 1, "handling": 2, "archiving": 3, "success": 4}
# Polled quickly, the emulator's tasks (one poll per stage) finish in well under a second.
EMULATOR_POLL_INTERVAL = 0.05


@contextlib.contextmanager
def endpoint() -> Iterator[dict[str, Any]]:
    """Yields `generate_video` client settings: the real service, or a fast-polled emulator."""
    with hiapi_or_emulator(detail="placeholder video, no real generation") as settings:
        if settings:
            settings = {**settings, "poll_interval": EMULATOR_POLL_INTERVAL}
        yield settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prompt", nargs="?", default="a red fox running through fresh snow")
    parser.add_argument("--model", default=DEFAULT_VIDEO_MODEL, choices=sorted(VIDEO_MODELS))
    parser.add_argument("--duration", type=int, default=5, help="seconds")
    parser.add_argument("--aspect-ratio", default=None, help="e.g. 16:9 (model default if unset)")
    parser.add_argument("--resolution", default=None, help="e.g. 720p (model default if unset)")
    parser.add_argument("--image", type=Path, help="first frame (image-to-video)")
    parser.add_argument("--out", default="examples/output", help="directory for the video")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds before giving up")
    args = parser.parse_args(argv)

    with (
        endpoint() as settings,
        tqdm(total=len(STAGES), unit="step", desc="submitting", file=sys.stderr) as bar,
    ):

        def on_progress(task: Task) -> None:
            bar.set_description(f"{task.id[:22]} {task.status}")
            bar.update(max(STAGES.get(task.status, bar.n) - bar.n, 0))

        try:
            video = generate_video(
                args.prompt,
                model=args.model,
                duration=args.duration,
                aspect_ratio=args.aspect_ratio,
                resolution=args.resolution,
                first_frame=args.image,
                save_dir=Path(args.out),
                prefix="prompt-to-video",
                on_progress=on_progress,
                timeout=args.timeout,
                **settings,
            )
        except (TaskInputError, ValueError) as error:
            bar.close()
            print(f"Cannot send this request: {error}", file=sys.stderr)
            return 2
        except VideoGenerationError as error:
            bar.close()
            print(f"The video failed: {error}", file=sys.stderr)
            return 1
        except VideoTimeoutError as error:
            bar.close()
            print(f"Gave up waiting: {error}", file=sys.stderr)
            return 3
    print(f"Saved {video.path} ({video.num_bytes} bytes, {video.mime_type})")
    print(f"Task {video.task.id}; the URL {video.url} expires at {video.expire_at} (Unix time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
