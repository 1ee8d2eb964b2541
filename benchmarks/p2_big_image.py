"""P2: one big generated image, streamed (a single multi-MB SSE line) and not streamed.

Time runs from sending the request to holding the decoded image bytes. Peak memory is
measured in a fresh subprocess per contender (`python p2_big_image.py --memory ...`) as
the tracemalloc peak of one request after a warm-up request, relative to the base64 size.
"""

from __future__ import annotations

import argparse
import base64
import gc
import hashlib
import json
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from _common import IMAGE_MODEL, IMAGE_PROMPT, PYTHON, Emulator, clean_env, time_rounds

IMAGE_CONFIG = {"aspect_ratio": "1:1", "image_size": "2K"}
MARK = ";base64,"


def _body(*, stream: bool) -> dict[str, Any]:
    return {
        "model": IMAGE_MODEL,
        "messages": [{"role": "user", "content": IMAGE_PROMPT}],
        "extra_body": {"google": {"image_config": IMAGE_CONFIG}},
        "stream": stream,
    }


def _decode_markdown(text: str) -> bytes:
    """What a user of a plain client does: slice the base64 out of the text, decode it."""
    start = text.index(MARK) + len(MARK)
    return base64.b64decode(text[start : text.index(")", start)])


def contenders(emu: Emulator) -> dict[str, Callable[[], bytes]]:
    """Each contender returns the decoded image bytes (imports are done here, not timed)."""
    from langchain_openai import ChatOpenAI

    from langchain_hiapi import ChatHiAPI, get_images

    raw = httpx.Client(headers=emu.auth, timeout=120)
    stream_body, plain_body = _body(stream=True), _body(stream=False)

    def raw_stream() -> bytes:
        with raw.stream("POST", emu.chat_url, json=stream_body) as reply:
            reply.raise_for_status()
            for line in reply.iter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                for choice in json.loads(line[6:])["choices"]:
                    content = choice["delta"].get("content")
                    if content and MARK in content:
                        return _decode_markdown(content)
        raise RuntimeError("no image in the stream")

    def raw_invoke() -> bytes:
        reply = raw.post(emu.chat_url, json=plain_body)
        reply.raise_for_status()
        return _decode_markdown(reply.json()["choices"][0]["message"]["content"])

    hiapi = ChatHiAPI(
        model=IMAGE_MODEL,
        base_url=emu.base_url,
        api_key=emu.api_key,
        image_config=IMAGE_CONFIG,
    )

    def hiapi_stream() -> bytes:
        full = None
        for chunk in hiapi.stream(IMAGE_PROMPT):
            full = chunk if full is None else full + chunk
        assert full is not None
        return get_images(full)[0].data

    def hiapi_invoke() -> bytes:
        return get_images(hiapi.invoke(IMAGE_PROMPT))[0].data

    openai = ChatOpenAI(
        model=IMAGE_MODEL,
        base_url=emu.base_url,
        api_key=emu.api_key,
        extra_body={"extra_body": {"google": {"image_config": IMAGE_CONFIG}}},
        timeout=120,
    )

    def openai_stream() -> bytes:
        full = None
        for chunk in openai.stream(IMAGE_PROMPT):
            full = chunk if full is None else full + chunk
        assert full is not None
        return _decode_markdown(str(full.content))

    def openai_invoke() -> bytes:
        return _decode_markdown(str(openai.invoke(IMAGE_PROMPT).content))

    return {
        "raw httpx stream": raw_stream,
        "raw httpx invoke": raw_invoke,
        "ChatHiAPI stream": hiapi_stream,
        "ChatHiAPI invoke": hiapi_invoke,
        "ChatOpenAI stream": openai_stream,
        "ChatOpenAI invoke": openai_invoke,
    }


def measure_memory(emu: Emulator, name: str) -> dict[str, Any]:
    """In this (fresh) process: warm up, then the tracemalloc peak of one request."""
    fn = contenders(emu)[name]
    first = fn()  # warm-up: connection, lazy imports, first-use caches
    del first
    gc.collect()
    tracemalloc.start()
    data = fn()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"peak_bytes": peak, "retained_bytes": current, "image_bytes": len(data)}


def _memory_in_subprocess(emu: Emulator, name: str) -> dict[str, Any]:
    args = [PYTHON, str(Path(__file__).resolve()), "--memory", name]
    args += ["--base-url", emu.base_url, "--api-key", emu.api_key]
    done = subprocess.run(
        args, capture_output=True, text=True, env=clean_env(), timeout=300, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"memory worker for {name} failed: {done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run(emu: Emulator, *, rounds: int, memory: bool = True) -> dict[str, Any]:
    fns = contenders(emu)
    digests = {name: hashlib.sha256(fn()).hexdigest() for name, fn in fns.items()}  # warm-up
    if len(set(digests.values())) != 1:
        raise RuntimeError(f"contenders decoded different images: {digests}")
    # The size of the base64 text, from the reply the raw client sees.
    plain = httpx.post(emu.chat_url, json=_body(stream=False), headers=emu.auth, timeout=120)
    content = plain.json()["choices"][0]["message"]["content"]
    start = content.index(MARK) + len(MARK)
    b64_chars = content.index(")", start) - start
    image_bytes = len(base64.b64decode(content[start : start + b64_chars]))
    del plain, content
    results = time_rounds(fns, rounds)
    for mode in ("stream", "invoke"):
        floor = results[f"raw httpx {mode}"]["median"]
        for name, entry in results.items():
            if name.endswith(mode):
                entry["ratio_vs_raw"] = entry["median"] / floor
    if memory:
        for name, entry in results.items():
            mem = _memory_in_subprocess(emu, name)
            mem["peak_over_base64"] = mem["peak_bytes"] / b64_chars
            entry["memory"] = mem
    return {
        "description": (
            f"{IMAGE_MODEL} 2K noise PNG ({image_bytes} bytes, {b64_chars} base64 chars in one "
            f"SSE line / one JSON string); seconds from request to decoded image bytes, "
            f"{rounds} rounds; memory = tracemalloc peak of one request in a fresh process"
        ),
        "image_bytes": image_bytes,
        "base64_chars": b64_chars,
        "rounds": rounds,
        "contenders": results,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--memory", required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    args = parser.parse_args()
    result = measure_memory(Emulator(args.base_url, args.api_key), args.memory)
    sys.stdout.write(json.dumps(result) + "\n")
