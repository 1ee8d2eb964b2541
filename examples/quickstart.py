"""Generate an image with ChatHiAPI and save it as a file.

    python examples/quickstart.py "a cute cat on a windowsill"

With HIAPI_API_KEY set this calls HiAPI. Without it, it starts the bundled offline emulator
(`langchain_hiapi.testing`) and says so: the image is then a small placeholder PNG, but
every byte still goes through the real HTTP path.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from langchain_hiapi import ChatHiAPI, save_images
from langchain_hiapi.testing import hiapi_or_emulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prompt", nargs="?", default="a cute cat on a windowsill")
    parser.add_argument(
        "--model", default="Nano-Banana", help="Nano-Banana, Nano-Banana-2, Nano-Banana-Pro"
    )
    parser.add_argument("--aspect-ratio", default="1:1")
    parser.add_argument("--image-size", default="1K")
    parser.add_argument("--out", default="examples/output", help="directory for the images")
    args = parser.parse_args(argv)

    with hiapi_or_emulator(detail="placeholder image, no real generation") as settings:
        llm = ChatHiAPI(
            model=args.model,
            image_config={"aspect_ratio": args.aspect_ratio, "image_size": args.image_size},
            **settings,
        )
        message = llm.invoke(args.prompt)
    paths = save_images(message, Path(args.out), prefix="quickstart")
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
