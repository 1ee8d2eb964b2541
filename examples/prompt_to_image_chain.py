"""Prompt -> image chain in LCEL: a ChatPromptTemplate piped into ChatHiAPI, saved as PNG.

    python examples/prompt_to_image_chain.py --subject "a lighthouse" --style watercolour

With HIAPI_API_KEY set this calls HiAPI. Without it, it starts the bundled offline emulator
(`langchain_hiapi.testing`) and says so: the image is then a small placeholder PNG, but
every byte still goes through the real HTTP path.
"""

from __future__ import annotations

import argparse
import base64
import io
import sys
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda

from langchain_hiapi import ChatHiAPI, GeneratedImage, get_images, save_images
from langchain_hiapi.testing import hiapi_or_emulator

DEFAULT_OUT = Path(__file__).resolve().parent / "output" / "prompt_to_image_chain"

PROMPT = ChatPromptTemplate.from_messages(
    [
        (
            "human",
            "Draw {subject} as a {style} illustration. Composition: {composition}."
            " No text or watermark in the image.",
        )
    ]
)


def as_png(image: GeneratedImage) -> GeneratedImage:
    """Returns the image as PNG; converts other formats when Pillow is installed."""
    if image.mime_type == "image/png":
        return image
    try:
        from PIL import Image  # optional: only needed if the model answers with JPEG/WebP
    except ImportError:
        print(f"Note: got {image.mime_type}; install Pillow to convert it to PNG. Kept as is.")
        return image
    buffer = io.BytesIO()
    Image.open(io.BytesIO(image.data)).save(buffer, format="PNG")
    return GeneratedImage(buffer.getvalue(), "image/png", image.id)


def build_chain(llm: ChatHiAPI, out_dir: Path) -> Runnable[dict[str, Any], list[Path]]:
    """prompt | llm | save: the last step writes the reply's images and returns the paths."""

    def save(message: BaseMessage) -> list[Path]:
        blocks = [
            {
                "type": "image",
                "base64": base64.b64encode(png.data).decode(),
                "mime_type": png.mime_type,
            }
            for png in map(as_png, get_images(message))
        ]
        # save_images picks unique names and never leaves a half-written file.
        return save_images(blocks, out_dir, prefix="chain")

    return PROMPT | llm | RunnableLambda(save)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subject", default="a red lighthouse on a rocky coast")
    parser.add_argument("--style", default="watercolour")
    parser.add_argument("--composition", default="wide shot, lighthouse on the left third")
    parser.add_argument("--model", default="Nano-Banana")
    parser.add_argument("--aspect-ratio", default="16:9")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="directory for the images")
    args = parser.parse_args(argv)

    with hiapi_or_emulator(detail="placeholder image, no real generation") as settings:
        llm = ChatHiAPI(
            model=args.model, image_config={"aspect_ratio": args.aspect_ratio}, **settings
        )
        chain = build_chain(llm, args.out)
        paths = chain.invoke(
            {"subject": args.subject, "style": args.style, "composition": args.composition}
        )
    if not paths:
        print("The reply held no image.", file=sys.stderr)
        return 1
    for path in paths:
        print("Saved", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
