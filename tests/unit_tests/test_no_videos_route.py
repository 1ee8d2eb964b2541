"""The OpenAI-style `/v1/videos` route is gone (issue 12): nothing calls it anywhere.

Videos run on the task API. This checks every recorded cassette (what the package really
sends, over every test that records) and the package, examples and README sources.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
_VIDEOS = re.compile(r"/v1/videos\b|[\"']/videos\b")


def test_no_cassette_request_goes_to_the_videos_route() -> None:
    cassettes = sorted((ROOT / "cassettes").rglob("*.yaml.gz"))
    assert len(cassettes) > 20  # the shipped cassettes are there
    uris = []
    for cassette in cassettes:
        recorded = yaml.safe_load(gzip.decompress(cassette.read_bytes()))
        uris += [request["uri"] for request in recorded["requests"]]
    assert any("/v1/tasks" in uri for uri in uris)
    assert [uri for uri in uris if "/videos" in uri] == []


def test_no_source_names_the_videos_route() -> None:
    sources = [
        *(ROOT / "langchain_hiapi").rglob("*.py"),
        *(ROOT / "examples").rglob("*.py"),
        ROOT / "README.md",
    ]
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sources
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if _VIDEOS.search(line)
    ]
    assert offenders == []
