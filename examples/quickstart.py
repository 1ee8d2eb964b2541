"""Generate an image with ChatHiAPI and save it as a file.

    python examples/quickstart.py "a cute cat on a windowsill"
    python examples/quickstart.py "a cute cat on a windowsill" --route tasks

`--route` picks HiAPI's route: `chat` (chat completions), `tasks` (the task API,
`POST /v1/tasks`) or `auto` (the default: chat first for models HiAPI documents on both,
the task API when chat answers it no longer serves the model).

With HIAPI_API_KEY set this calls HiAPI. Without it, it starts the bundled offline emulator
(`langchain_hiapi.testing`) and says so: the image is then a small placeholder PNG showing
your prompt's first words and the aspect ratio, but every byte still goes through the real
HTTP path.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from langchain_hiapi import ChatHiAPI, TaskInputError, save_images
from langchain_hiapi.testing import hiapi_or_emulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prompt", nargs="?", default="a cute cat on a windowsill")
    parser.add_argument(
        "--model", default="Nano-Banana", help="Nano-Banana, Nano-Banana-2, Nano-Banana-Pro"
    )
    parser.add_argument("--aspect-ratio", help="e.g. 16:9 (the model's default if unset)")
    parser.add_argument("--image-size", help="1K, 2K or 4K (the model's default if unset)")
    parser.add_argument("--route", choices=("auto", "chat", "tasks"), default="auto")
    parser.add_argument("--out", default="examples/output", help="directory for the images")
    args = parser.parse_args(argv)

    options = {"aspect_ratio": args.aspect_ratio, "image_size": args.image_size}
    with hiapi_or_emulator(detail="placeholder image, no real generation") as settings:
        llm = ChatHiAPI(
            model=args.model,
            image_route=args.route,
            image_config={k: v for k, v in options.items() if v is not None},
            task_poll_interval=0.05 if settings else 2.5,  # the emulator answers at once
            **settings,
        )
        try:
            message = llm.invoke(args.prompt)
        except (TaskInputError, ValueError) as error:
            print(f"Cannot send this request: {error}", file=sys.stderr)
            return 2
    paths = save_images(message, Path(args.out), prefix="quickstart")
    metadata = message.response_metadata
    if metadata.get("route") == "tasks":
        print(f"Route: task API (task {metadata['task_id']}, URL expires {metadata['expire_at']})")
    else:
        print("Route: chat completions")
    if message.text.strip():
        print("Model says:", message.text.strip())
    if not paths:
        print("The reply held no image.", file=sys.stderr)
        return 1
    for path in paths:
        print("Saved", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
