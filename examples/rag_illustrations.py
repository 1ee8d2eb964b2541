"""Illustrate a handful of documents concurrently and collect them in an HTML page.

    python examples/rag_illustrations.py --concurrency 3

Each document gets an illustration prompt; the missing images are generated with
`chain.abatch(..., config={"max_concurrency": N})` behind a tqdm progress bar, and
`index.html` shows every document with its image. Images are named by a hash of the
model, prompt and image options, so a re-run only generates what is missing (no double
spend): change a prompt and only that image is drawn again.

With HIAPI_API_KEY set this calls HiAPI. Without it, it starts the bundled offline emulator
(`langchain_hiapi.testing`) and says so: the images are then small placeholder PNGs.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import html
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.messages import BaseMessage
from langchain_core.prompts import ChatPromptTemplate
from tqdm import tqdm

from langchain_hiapi import ChatHiAPI, get_images
from langchain_hiapi.testing import hiapi_or_emulator

DEFAULT_OUT = Path(__file__).resolve().parent / "output" / "rag_illustrations"

DOCUMENTS = [
    Document(
        page_content="Lighthouses guided ships for centuries; most are automated today.",
        metadata={"title": "The last lighthouse keepers", "palette": "red and white"},
    ),
    Document(
        page_content="Terraced tea gardens cling to misty hillsides and are picked by hand.",
        metadata={"title": "A morning in the tea hills", "palette": "green"},
    ),
    Document(
        page_content="Night trains are back: sleeper routes now link a dozen capitals.",
        metadata={"title": "The return of the night train", "palette": "blue"},
    ),
    Document(
        page_content="Urban beekeepers keep hives on rooftops; city honey tastes of linden.",
        metadata={"title": "Bees on the rooftops", "palette": "yellow"},
    ),
    Document(
        page_content="Repair cafés help neighbours fix lamps, toasters and bicycles for free.",
        metadata={"title": "Fix it, don't bin it", "palette": "orange"},
    ),
]

PROMPT = ChatPromptTemplate.from_messages(
    [
        (
            "human",
            "Editorial illustration for an article titled '{title}'. The article says:"
            " {summary} Flat vector style, {palette} palette, no text in the image.",
        )
    ]
)


class ProgressCallback(BaseCallbackHandler):
    """Advances a tqdm bar whenever one image request finishes (or fails)."""

    run_inline = True  # called on the event loop thread, not in an executor

    def __init__(self, bar: tqdm[Any]) -> None:
        self.bar = bar

    def on_llm_end(self, *args: Any, **kwargs: Any) -> None:
        self.bar.update(1)

    def on_llm_error(self, *args: Any, **kwargs: Any) -> None:
        self.bar.update(1)


def prompt_inputs(doc: Document) -> dict[str, str]:
    return {
        "title": doc.metadata["title"],
        "summary": doc.page_content,
        "palette": doc.metadata["palette"],
    }


def image_stem(doc: Document, model: str, image_config: dict[str, str]) -> str:
    """`<slug>-<hash>`: the hash covers everything that changes the image."""
    prompt_text = PROMPT.format(**prompt_inputs(doc))
    key = json.dumps([model, prompt_text, image_config], sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    slug = re.sub(r"[^a-z0-9]+", "-", doc.metadata["title"].lower()).strip("-")[:40]
    return f"{slug}-{digest}"


def existing_image(images_dir: Path, stem: str) -> Path | None:
    # Any extension: the service may answer with PNG or JPEG.
    return next((p for p in sorted(images_dir.glob(f"{stem}.*")) if p.is_file()), None)


async def generate(
    llm: ChatHiAPI, inputs: list[dict[str, str]], concurrency: int
) -> list[BaseMessage | Exception]:
    """Runs `PROMPT | llm` over the inputs, at most `concurrency` at a time."""
    chain = PROMPT | llm
    with tqdm(total=len(inputs), desc="Illustrating", unit="image") as bar:
        return await chain.abatch(
            inputs,
            config={"max_concurrency": concurrency, "callbacks": [ProgressCallback(bar)]},
            return_exceptions=True,  # one failure must not throw away the images paid for
        )


def illustrate(
    llm: ChatHiAPI, docs: list[Document], images_dir: Path, concurrency: int
) -> dict[int, Path]:
    """Generates the missing images; returns the image path per document index."""
    config = llm.image_config.to_wire() if llm.image_config else {}
    stems = [image_stem(doc, llm.model_name, config) for doc in docs]
    images_dir.mkdir(parents=True, exist_ok=True)
    found = {i: existing_image(images_dir, stem) for i, stem in enumerate(stems)}
    paths = {i: path for i, path in found.items() if path is not None}
    todo = [i for i in range(len(docs)) if i not in paths]
    print(f"{len(paths)} image(s) already there, {len(todo)} to generate.")
    if not todo:
        return paths
    replies = asyncio.run(generate(llm, [prompt_inputs(docs[i]) for i in todo], concurrency))
    for i, reply in zip(todo, replies, strict=True):
        title = docs[i].metadata["title"]
        if isinstance(reply, Exception):
            print(f"Failed: {title}: {reply}", file=sys.stderr)
            continue
        images = get_images(reply)
        if not images:
            print(f"No image for: {title}", file=sys.stderr)
            continue
        # GeneratedImage.save writes a temporary file and renames it: never half-written.
        paths[i] = images[0].save(images_dir / f"{stems[i]}{images[0].extension}")
    return paths


def write_page(out_dir: Path, docs: list[Document], paths: dict[int, Path]) -> Path:
    """Writes `index.html` (atomically) with relative links to the images."""
    cards = []
    for i, doc in enumerate(docs):
        title = html.escape(doc.metadata["title"])
        if i in paths:
            src = html.escape(paths[i].relative_to(out_dir).as_posix(), quote=True)
            figure = f'<img src="{src}" alt="{title}" loading="lazy">'
        else:
            figure = "<p><em>No illustration yet.</em></p>"
        text = html.escape(doc.page_content)
        cards.append(f"<article><h2>{title}</h2>\n{figure}\n<p>{text}</p></article>")
    page = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Illustrated articles</title><style>"
        "body{font-family:sans-serif;max-width:60rem;margin:auto}"
        "article{margin:2rem 0}img{max-width:100%;border-radius:8px}"
        "</style></head><body>\n<h1>Illustrated articles</h1>\n"
        + "\n".join(cards)
        + "\n</body></html>\n"
    )
    target = out_dir / "index.html"
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=out_dir, delete=False, suffix=".tmp"
    ) as handle:
        handle.write(page)
    os.replace(handle.name, target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="Nano-Banana")
    parser.add_argument("--aspect-ratio", default="16:9")
    parser.add_argument("--concurrency", type=int, default=3, help="requests in flight at most")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    args = parser.parse_args(argv)

    out_dir: Path = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    with hiapi_or_emulator(detail="placeholder images, no real generation") as settings:
        llm = ChatHiAPI(
            model=args.model, image_config={"aspect_ratio": args.aspect_ratio}, **settings
        )
        paths = illustrate(llm, DOCUMENTS, out_dir / "images", args.concurrency)
    page = write_page(out_dir, DOCUMENTS, paths)
    print(f"Wrote {page} ({len(paths)}/{len(DOCUMENTS)} illustrated).")
    return 0 if len(paths) == len(DOCUMENTS) else 1


if __name__ == "__main__":
    sys.exit(main())
