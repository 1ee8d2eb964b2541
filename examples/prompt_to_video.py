"""Turn a prompt into a short video with HiAPI, showing a progress bar while it renders.

    python examples/prompt_to_video.py "a red fox running through fresh snow" --model kling-v3

With HIAPI_API_KEY set this calls HiAPI: a real video takes a minute or more, and the bar
follows the task's reported progress. Without it, it starts the bundled offline emulator
(`langchain_hiapi.testing`) and says so: the "video" is then a tiny placeholder MP4, but
every request (create, status polls, download) still goes through the real HTTP path.

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

from langchain_hiapi.testing import hiapi_or_emulator
from langchain_hiapi.video import (
    VIDEO_MODELS,
    HiAPIVideoClient,
    VideoGenerationError,
    VideoTask,
    VideoTimeoutError,
)

# The emulator ends a task after this many status polls; polled quickly, the bar still
# moves through queued -> in_progress -> completed in about half a second.
EMULATOR_POLLS = 10
EMULATOR_POLL_INTERVAL = 0.05


@contextlib.contextmanager
def endpoint() -> Iterator[dict[str, Any]]:
    """Yields HiAPIVideoClient settings: the real service, or the emulator polled quickly."""
    with hiapi_or_emulator(
        detail="placeholder video, no real generation", video_polls=EMULATOR_POLLS
    ) as settings:
        if settings:
            settings = {
                **settings,
                "poll_interval": EMULATOR_POLL_INTERVAL,
                "max_poll_interval": EMULATOR_POLL_INTERVAL,
            }
        yield settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prompt", nargs="?", default="a red fox running through fresh snow")
    parser.add_argument("--model", default="kling-v3", choices=sorted(VIDEO_MODELS))
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--size", default="1280*720", help="WIDTH*HEIGHT")
    parser.add_argument("--image", type=Path, help="starting image (e.g. for wan2.7-i2v)")
    parser.add_argument("--out", default="examples/output", help="directory for the video")
    parser.add_argument("--max-wait", type=float, default=900.0, help="seconds before giving up")
    args = parser.parse_args(argv)

    with (
        endpoint() as settings,
        HiAPIVideoClient(max_wait=args.max_wait, **settings) as videos,
        tqdm(total=100, unit="%", desc="submitting", file=sys.stderr) as bar,
    ):

        def on_progress(task: VideoTask) -> None:
            bar.set_description(f"{task.id[:18]} {task.status}")
            bar.update(max(task.progress - bar.n, 0))

        try:
            video = videos.generate(
                args.prompt,
                model=args.model,
                seconds=args.seconds,
                size=args.size,
                input_reference=args.image,
                save_dir=Path(args.out),
                prefix="prompt-to-video",
                on_progress=on_progress,
            )
        except VideoGenerationError as error:
            bar.close()
            print(f"The video failed: {error}", file=sys.stderr)
            return 1
        except VideoTimeoutError as error:
            bar.close()
            print(f"Gave up waiting: {error}", file=sys.stderr)
            return 2
    print(f"Saved {video.path} ({video.num_bytes} bytes, {video.mime_type})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
