"""`python -m langchain_hiapi.bulk`: run a bulk job from a JSONL file of prompts or inputs."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from langchain_hiapi._bulk_plan import (
    DEFAULT_CONCURRENCY,
    DEFAULT_TASK_TIMEOUT,
    BulkItem,
    BulkResult,
    job_id_for,
    plan_items,
)
from langchain_hiapi.errors import HiAPIError, TaskInputError

__all__ = ["main", "parse_jobfile", "parse_shard"]

DESCRIPTION = """\
Generate one output per line of a JSONL job file through HiAPI's task API, at the rate the
key allows, resumably: run the same command again after a crash or Ctrl-C and finished items
are skipped, created tasks polled, nothing billed twice. A line is a JSON string (a prompt),
an input object ({"prompt": ..., "aspect_ratio": ...}), or {"key": ..., "input": {...}}.
The key comes from HIAPI_API_KEY (and HIAPI_BASE_URL). Exit status 1 if any item failed.
"""


# Failed items listed after the summary; the manifest has them all.
_SHOWN_FAILURES = 20


def _say(text: str, stream: TextIO) -> None:
    stream.write(text + "\n")
    stream.flush()


def parse_jobfile(text: str, source: str = "job file") -> list[BulkItem]:
    """Parses a JSONL job file into items.

    Args:
        text: The file's text.
        source: Its name, for messages.

    Returns:
        The items, in order (blank lines skipped).

    Raises:
        ValueError: A line is not JSON, or not a string or an object (names the line).
    """
    items: list[BulkItem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"{source} line {number}: not JSON ({exc})") from None
        if isinstance(value, str):
            items.append(BulkItem({"prompt": value}))
        elif isinstance(value, dict) and isinstance(value.get("input"), dict):
            unknown = sorted(set(value) - {"key", "input"})
            if unknown:
                raise ValueError(
                    f"{source} line {number}: unknown fields {unknown} next to 'input' "
                    "(allowed: 'key', 'input')"
                )
            key = value.get("key")
            if key is not None and not isinstance(key, str):
                raise ValueError(f"{source} line {number}: 'key' must be a string")
            items.append(BulkItem(value["input"], key))
        elif isinstance(value, dict):
            items.append(BulkItem(value))
        else:
            raise ValueError(
                f"{source} line {number}: expected a prompt string or an object, "
                f"got {type(value).__name__}"
            )
    return items


def parse_shard(text: str) -> tuple[int, int]:
    """Parses `I/N` (shard I of N, counting from 0).

    Raises:
        ValueError: Not of that form, or I outside 0..N-1.
    """
    index, sep, count = text.partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        i = n = -1
    if not sep or n < 1 or not 0 <= i < n:
        raise ValueError(f"--shard must look like I/N with 0 <= I < N (e.g. 0/4), got {text!r}")
    return i, n


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m langchain_hiapi.bulk",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("jobfile", type=Path, help="JSONL file: one prompt or input per line")
    parser.add_argument("--model", required=True, help="task model, e.g. Nano-Banana")
    parser.add_argument("--out", type=Path, required=True, help="directory for the outputs")
    parser.add_argument(
        "--manifest", type=Path, help="JSONL manifest (default: OUT/manifest.jsonl)"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        help=f"items in progress at once (default {DEFAULT_CONCURRENCY})",
    )
    parser.add_argument(
        "--job-id", help="job id for the idempotency keys (default: derived from the job file)"
    )
    parser.add_argument(
        "--shard",
        type=parse_shard,
        help="I/N: run only the items whose line index %% N == I (keys stay those of the "
        "whole job, so machines can split one job file and re-run shards freely)",
    )
    parser.add_argument("--route", help="model route, if not the default")
    parser.add_argument("--storage", choices=("temp", "persistent"))
    parser.add_argument(
        "--task-timeout",
        type=float,
        default=DEFAULT_TASK_TIMEOUT,
        help=f"seconds a task may run before its item counts as failed "
        f"(default {DEFAULT_TASK_TIMEOUT:g}; a re-run polls it again)",
    )
    parser.add_argument(
        "--no-retry-failed",
        action="store_true",
        help="do not try items that failed for good in an earlier run again",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    return parser


class _Progress:
    """A tqdm bar when tqdm is installed, else a plain counter line on stderr."""

    def __init__(self, total: int, stream: TextIO, quiet: bool) -> None:
        self._total = total
        self._stream = stream
        self._quiet = quiet
        self._seen = 0
        self._bar: Any = None
        if not quiet:
            try:
                tqdm = importlib.import_module("tqdm").tqdm
            except ImportError:
                pass
            else:
                self._bar = tqdm(total=total, unit="item", file=stream)

    def update(self, result: BulkResult, failed: int) -> None:
        self._seen += 1
        if self._quiet:
            return
        if self._bar is not None:
            self._bar.set_postfix(failed=failed, refresh=False)
            self._bar.update(1)
            return
        self._stream.write(f"\r{self._seen}/{self._total} items, {failed} failed")
        self._stream.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif not self._quiet and self._seen:
            self._stream.write("\n")


async def _run(args: argparse.Namespace, items: list[BulkItem], job_id: str) -> int:
    from langchain_hiapi.bulk import agenerate_many

    run = agenerate_many(
        items,
        model=args.model,
        save_dir=args.out,
        concurrency=args.concurrency,
        manifest=args.manifest,
        job_id=job_id,
        route=args.route,
        storage=args.storage,
        retry_failed=not args.no_retry_failed,
        task_timeout=args.task_timeout if args.task_timeout > 0 else None,
    )
    progress = _Progress(run.total, sys.stderr, args.quiet)
    failures: list[BulkResult] = []
    try:
        async with run:
            async for result in run:
                if not result.ok:
                    failures.append(result)
                progress.update(result, run.failed)
    finally:
        progress.close()
        for result in failures[:_SHOWN_FAILURES]:
            _say(f"failed: {result.key} (item {result.index}): {result.error}", sys.stderr)
        if len(failures) > _SHOWN_FAILURES:
            more = len(failures) - _SHOWN_FAILURES
            _say(f"... and {more} more (see {run.manifest_path})", sys.stderr)
        earlier = f" ({run.skipped} from an earlier run)" if run.skipped else ""
        _say(
            f"done {run.done}, failed {run.failed}{earlier}, 429s seen {run.rate_limited}; "
            f"manifest: {run.manifest_path}",
            sys.stdout,
        )
    return 1 if run.failed else 0


def main(argv: Sequence[str] | None = None, *, runner: Callable[..., Any] = asyncio.run) -> int:
    """Runs the command line.

    Args:
        argv: Arguments (default: `sys.argv[1:]`).
        runner: Runs the job's coroutine (injectable for tests).

    Returns:
        The exit status: 0 when every item is done, 1 when any failed, 2 for bad arguments
        or input (nothing sent), 130 on Ctrl-C.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        text = args.jobfile.read_text(encoding="utf-8")
        items = parse_jobfile(text, str(args.jobfile))
        if not items:
            parser.error(f"{args.jobfile} has no items")
        # Keys and the job id come from the whole file, so every shard agrees on them.
        planned = plan_items(items, model=args.model, route=args.route, storage=args.storage)
        job_id = args.job_id or job_id_for(planned)
        items = [BulkItem(p.input, p.key) for p in planned]
        if args.shard is not None:
            index, count = args.shard
            items = items[index::count]
    except (OSError, ValueError, TaskInputError) as exc:
        _say(f"error: {exc}", sys.stderr)
        return 2
    try:
        return int(runner(_run(args, items, job_id)))
    except KeyboardInterrupt:
        _say("interrupted: run the same command again to resume", sys.stderr)
        return 130
    except (HiAPIError, ValueError) as exc:
        _say(f"error: {exc}", sys.stderr)
        return 1
