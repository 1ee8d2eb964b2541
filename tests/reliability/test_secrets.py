"""The API key never shows up in reprs, exception text, DEBUG logs or cassettes."""

from __future__ import annotations

import gzip
import logging
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.load import dumps

from langchain_hiapi import ChatHiAPI
from langchain_hiapi.errors import HiAPIError
from langchain_hiapi.testing import DEFAULT_API_KEY, HiAPIEmulator, Reply
from tests._support.harness import SleepRecorder, closed_port, invoke, stream

SECRET = "sk-reliability-S3CR3T-0f9e8d7c6b5a"
REPO = Path(__file__).resolve().parents[2]
CASSETTES = REPO / "cassettes"
REPLAY_KEY = "hiapi-replay-key"
FORBIDDEN = ("Bearer ", "sk-", DEFAULT_API_KEY, REPLAY_KEY)


@pytest.fixture
def secret_emu() -> Iterator[HiAPIEmulator]:
    with HiAPIEmulator(api_key=SECRET) as emulator:
        yield emulator


def model(base_url: str, api_key: str = SECRET, **kwargs: Any) -> ChatHiAPI:
    llm = ChatHiAPI(model="gpt-4o-mini", base_url=base_url, api_key=api_key, **kwargs)
    recorder = SleepRecorder()
    llm.client._sleep = recorder
    llm.client._asleep = recorder.asleep
    return llm


def exception_texts(err: BaseException) -> Iterator[str]:
    """Every text a user or a log may see for `err`, its causes and contexts."""
    yield "".join(traceback.format_exception(err))
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        yield repr(current.args)
        if isinstance(current, HiAPIError):
            yield repr(current.__dict__)
        current = current.__cause__ or current.__context__


def test_model_repr_and_serialisation_hide_the_key() -> None:
    llm = ChatHiAPI(model="Nano-Banana", api_key=SECRET, base_url="http://127.0.0.1:9/v1")
    texts = [
        repr(llm),
        str(llm),
        repr(llm.client),
        repr(llm.model_dump()),
        dumps(llm),
        repr(llm.bind(temperature=0.1)),
        repr(llm.api_key),
    ]
    for text in texts:
        assert SECRET not in text
    assert llm.api_key is not None and llm.api_key.get_secret_value() == SECRET


async def _run(scenario: str, emu: HiAPIEmulator, mode: str) -> None:
    if scenario == "refused":
        llm = model(f"http://127.0.0.1:{closed_port()}/v1", max_retries=1)
    elif scenario == "wrong-key":
        # The key that was sent (and rejected) is just as secret.
        llm = model(emu.base_url, api_key=SECRET + "-wrong")
    elif scenario == "bad-key-newline":
        llm = model(emu.base_url, api_key=SECRET + "\n")
    elif scenario == "bad-key-unicode":
        llm = model(emu.base_url, api_key=SECRET + "\u00e9")
    elif scenario == "timeout":
        emu.queue(Reply(delay=1.0))
        llm = model(emu.base_url, timeout=0.3)
    else:
        html = Reply(status=502, body="<html>Bad Gateway</html>", content_type="text/html")
        emu.queue(
            {
                "429-storm": Reply(status=429),
                "html": html,
                "cut": Reply(stream_cut_after=2),
                "malformed": Reply(malformed_json=True),
            }[scenario],
            *[Reply(status=429)] * 3,
        )
        llm = model(emu.base_url, max_retries=0)
    try:
        if scenario in ("cut", "malformed"):
            await stream(llm, mode, "hello")
        else:
            await invoke(llm, mode, "hello")
    finally:
        await llm.client.aclose()


async def _fail(scenario: str, emu: HiAPIEmulator, mode: str) -> BaseException:
    """Runs one failing scenario and returns the exception it raised."""
    try:
        await _run(scenario, emu, mode)
    except Exception as exc:
        return exc
    pytest.fail(f"scenario {scenario} did not fail")


SCENARIOS = [
    "refused",
    "wrong-key",
    "bad-key-newline",
    "bad-key-unicode",
    "timeout",
    "429-storm",
    "html",
    "cut",
    "malformed",
]


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_key_not_in_exception_text(
    secret_emu: HiAPIEmulator, mode: str, scenario: str
) -> None:
    err = await _fail(scenario, secret_emu, mode)
    texts = list(exception_texts(err))
    assert len(texts) >= 4
    for text in texts:
        assert SECRET not in text, text
    if scenario.startswith("bad-key"):
        assert isinstance(err, ValueError)
        assert "api_key" in str(err)
        assert secret_emu.requests == []  # rejected before anything was sent
    else:
        assert isinstance(err, HiAPIError)


async def test_key_not_in_debug_logs(
    secret_emu: HiAPIEmulator, caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    for name in (None, "langchain_hiapi", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    llm = model(secret_emu.base_url)
    secret_emu.queue(Reply(status=429), Reply(status=502))
    try:
        await invoke(llm, mode, "hello")  # two retries, then success
        await stream(llm, mode, "hello")
        secret_emu.queue(Reply(stream_cut_after=2))
        with pytest.raises(HiAPIError):
            await stream(llm, mode, "hello")
    finally:
        await llm.client.aclose()
    wrong = model(secret_emu.base_url, api_key=SECRET + "-wrong")
    try:
        with pytest.raises(HiAPIError):
            await invoke(wrong, mode, "hello")
    finally:
        await wrong.client.aclose()
    # The capture is real: our retry decisions and httpcore's wire-level DEBUG lines are in.
    loggers = {record.name.split(".")[0] for record in caplog.records}
    assert {"langchain_hiapi", "httpx", "httpcore"} <= loggers
    assert any("retry 2 of 2" in record.getMessage() for record in caplog.records)
    assert any("send_request_headers" in record.getMessage() for record in caplog.records)
    for record in caplog.records:
        assert SECRET not in record.getMessage()
        assert SECRET not in repr(record.args)
    assert SECRET not in caplog.text
    assert len(secret_emu.requests) == 6  # the key was really sent every time


# ------------------------------------------------------------------------ cassettes


def scan_for_secrets(root: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Reads every file under `root` (gunzipping `*.gz`) and reports forbidden strings.

    Returns:
        The files scanned, and `(file, forbidden string)` for every hit.
    """
    scanned: list[Path] = []
    hits: list[tuple[Path, str]] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        text = data.decode("utf-8", errors="replace")
        scanned.append(path)
        hits.extend((path, needle) for needle in FORBIDDEN if needle in text)
    return scanned, hits


@pytest.mark.parametrize("needle", FORBIDDEN)
@pytest.mark.parametrize("compressed", [False, True])
def test_scanner_finds_a_planted_secret(tmp_path: Path, needle: str, compressed: bool) -> None:
    clean = b"interactions:\n- request:\n    headers:\n      authorization: PLACEHOLDER\n"
    leaked = clean + f"      x-leak: {needle}abc123\n".encode()
    (tmp_path / "nested").mkdir()
    if compressed:
        (tmp_path / "ok.yaml.gz").write_bytes(gzip.compress(clean))
        (tmp_path / "nested" / "leak.yaml.gz").write_bytes(gzip.compress(leaked))
    else:
        (tmp_path / "ok.yaml").write_bytes(clean)
        (tmp_path / "nested" / "leak.yaml").write_bytes(leaked)
    scanned, hits = scan_for_secrets(tmp_path)
    assert len(scanned) == 2
    assert [(p.name, n) for p, n in hits] == [(scanned[0].name, needle)]
    assert scanned[0].parent.name == "nested"


def test_cassettes_hold_no_secrets() -> None:
    expected = sorted(p for p in CASSETTES.rglob("*") if p.is_file())
    assert len(expected) > 50, "the recorded cassettes are missing"
    scanned, hits = scan_for_secrets(CASSETTES)
    # Every cassette present is read (a gzip error or a skipped file would show here).
    assert scanned == expected
    assert all(p.name.endswith(".yaml.gz") for p in scanned if p.name != ".gitkeep"), scanned
    assert hits == []
