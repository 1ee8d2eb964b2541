"""Every Python example in `docs/*.mdx` and in the public classes' docstrings runs.

Each document is run like a notebook: its ```python blocks in order, in one namespace and
on one event loop (top-level `await` allowed), with `HIAPI_BASE_URL` / `HIAPI_API_KEY`
pointing at a fresh `HiAPIEmulator` and a temporary working directory. A block that raises,
or warns, fails the test with the document, the block number and its first line. Output
shown in the docs (```text blocks) is illustrative and never compared.

Every fence must name its language: ```python blocks run, ```text / ```bash / ... are
shown only, and an unlabelled fence is an error (it would be code nobody runs).
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import importlib
import inspect
import re
import textwrap
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from langchain_core.callbacks import BaseCallbackManager
from langchain_core.tools import BaseTool

from langchain_hiapi import _flows
from langchain_hiapi.tasks import AsyncHiAPITasks, HiAPITasks
from langchain_hiapi.testing import HiAPIEmulator

ROOT = Path(__file__).resolve().parents[2]
DOCS_DIR = ROOT / "docs"

PAGES = ("hiapi.mdx", "hiapi_provider.mdx")
"""Integration pages under `docs/` whose examples run."""

DOCSTRINGS = (
    "langchain_hiapi.chat_models:ChatHiAPI",
    "langchain_hiapi.tools:HiAPIImageGenerationTool",
    "langchain_hiapi.video:HiAPIVideoGenerationTool",
    "langchain_hiapi.task_tool:HiAPITaskTool",
    "langchain_hiapi.tasks:HiAPITasks",
    "langchain_hiapi.tasks:AsyncHiAPITasks",
)
"""Classes whose docstring examples (API-reference layout) run."""

RUN_LANGUAGES = frozenset({"python", "py"})
SHOW_LANGUAGES = frozenset({"text", "plaintext", "bash", "shell", "console", "json", "toml"})

# A fence opens and closes at the same indentation (Mintlify <CodeGroup>s indent theirs).
_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<info>[^`\n]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
_PYTHON_OPENING = re.compile(r"^[ \t]*```(?:python|py)\b", re.MULTILINE)


class DocExampleError(AssertionError):
    """A documented example failed; names the document, the block and its first line."""


@dataclass(frozen=True)
class Block:
    """One fenced block of a document."""

    language: str
    code: str
    line: int  # 1-based line of the opening fence in the document text

    @property
    def runs(self) -> bool:
        return self.language in RUN_LANGUAGES


def fenced_blocks(text: str, where: str) -> list[Block]:
    """The fenced blocks of a Markdown/MDX text or docstring, in order.

    Raises:
        DocExampleError: A fence without a language or with one we neither run nor show.
    """
    blocks = []
    for match in _FENCE.finditer(text):
        info = match["info"].strip()
        language = info.split()[0].lower() if info else ""
        line = text.count("\n", 0, match.start()) + 1
        if language not in RUN_LANGUAGES | SHOW_LANGUAGES:
            msg = (
                f"{where}, line {line}: fence language {language or '(none)'!r}; use one of"
                f" {sorted(RUN_LANGUAGES | SHOW_LANGUAGES)} (python blocks run, the rest are"
                " shown only)."
            )
            raise DocExampleError(msg)
        blocks.append(Block(language, textwrap.dedent(match["body"]), line))
    return blocks


def python_blocks(text: str, where: str) -> list[Block]:
    """The ```python blocks, checked against a plain count of python fence openings.

    A block the fence pattern misses (a mismatched indent, say) would silently never run.
    """
    blocks = [b for b in fenced_blocks(text, where) if b.runs]
    expected = len(_PYTHON_OPENING.findall(text))
    if len(blocks) != expected:
        msg = f"{where}: {expected} python fences but {len(blocks)} well-formed python blocks."
        raise DocExampleError(msg)
    return blocks


def run_document(text: str, where: str) -> int:
    """Runs a document's python blocks in order in one namespace; returns how many ran.

    Raises:
        DocExampleError: A block raised or warned, or the document has no python block.
    """
    blocks = python_blocks(text, where)
    if not blocks:
        raise DocExampleError(f"{where}: no ```python example to run.")
    namespace: dict[str, Any] = {"__name__": "__doc_example__"}
    loop = asyncio.new_event_loop()
    try:
        for index, block in enumerate(blocks, 1):
            label = f"{where}, python block {index} (line {block.line}): {_first_line(block)}"
            try:
                with warnings.catch_warnings(), _tool_errors_raise():
                    warnings.simplefilter("error")
                    for category in (DeprecationWarning, PendingDeprecationWarning):
                        warnings.simplefilter("default", category)
                    _run_block(block, namespace, loop, label)
            except DocExampleError:
                raise
            except BaseException as exc:
                msg = f"{label}\nraised {type(exc).__name__}: {exc}\n---\n{block.code}"
                raise DocExampleError(msg) from exc
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    return len(blocks)


@contextlib.contextmanager
def _tool_errors_raise() -> Iterator[None]:
    """Tools the example calls itself raise instead of answering with error text.

    Our tools turn errors an agent can act on (a bad argument, a failed task) into the
    tool's text result, which an example would print happily; called directly by an
    example, that is a broken example. `handle_tool_error` / `handle_validation_error` are
    public fields, switched off for the duration of each such `run` / `arun`. A tool an
    agent calls (inside a parent run) keeps them: reading the error and trying again is
    the agent loop working (the emulator's model fills every optional argument).
    """
    run, arun = BaseTool.run, BaseTool.arun

    @contextlib.contextmanager
    def strict(tool: BaseTool, kwargs: dict[str, Any]) -> Iterator[None]:
        callbacks = kwargs.get("callbacks")
        if isinstance(callbacks, BaseCallbackManager) and callbacks.parent_run_id is not None:
            yield
            return
        saved = tool.handle_tool_error, tool.handle_validation_error
        tool.handle_tool_error = tool.handle_validation_error = False
        try:
            yield
        finally:
            tool.handle_tool_error, tool.handle_validation_error = saved

    def strict_run(self: BaseTool, *args: Any, **kwargs: Any) -> Any:
        with strict(self, kwargs):
            return run(self, *args, **kwargs)

    async def strict_arun(self: BaseTool, *args: Any, **kwargs: Any) -> Any:
        with strict(self, kwargs):
            return await arun(self, *args, **kwargs)

    with (
        mock.patch.object(BaseTool, "run", strict_run),
        mock.patch.object(BaseTool, "arun", strict_arun),
    ):
        yield


def _run_block(
    block: Block, namespace: dict[str, Any], loop: asyncio.AbstractEventLoop, label: str
) -> None:
    code = compile(block.code, label, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    if code.co_flags & inspect.CO_COROUTINE:
        loop.run_until_complete(eval(code, namespace))  # noqa: S307
    else:
        exec(code, namespace)  # noqa: S102


def _first_line(block: Block) -> str:
    return next((line for line in block.code.splitlines() if line.strip()), "").strip()


def docstring_of(target: str) -> str:
    module_name, _, name = target.partition(":")
    doc = inspect.getdoc(getattr(importlib.import_module(module_name), name))
    assert doc, f"{target} has no docstring"
    return doc


# --------------------------------------------------------------------------- fixtures


def _no_sleep(seconds: float) -> None:
    pass


async def _no_async_sleep(seconds: float) -> None:
    await asyncio.sleep(0)


@pytest.fixture
def hiapi_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HiAPIEmulator]:
    """A fresh emulator in the environment, a temporary working directory, and no waiting.

    Task polls sleep through the `sleep` of the task clients and of the flow drivers
    (`ChatHiAPI`'s task route uses the drivers' default); the docs pass none, so the
    defaults (the documented injection points) are swapped for no-ops instead of waiting
    out real poll intervals.
    """
    monkeypatch.setitem(HiAPITasks.__init__.__kwdefaults__, "sleep", _no_sleep)
    monkeypatch.setitem(AsyncHiAPITasks.__init__.__kwdefaults__, "sleep", _no_async_sleep)
    monkeypatch.setitem(_flows.run_sync.__kwdefaults__, "sleep", _no_sleep)
    monkeypatch.setitem(_flows.run_async.__kwdefaults__, "sleep", _no_async_sleep)
    monkeypatch.chdir(tmp_path)
    with HiAPIEmulator() as emulator:
        monkeypatch.setenv("HIAPI_BASE_URL", emulator.base_url)
        monkeypatch.setenv("HIAPI_API_KEY", emulator.api_key)
        yield emulator


# --------------------------------------------------------------------------- the docs


@pytest.mark.parametrize("page", PAGES)
def test_page_examples_run(page: str, hiapi_env: HiAPIEmulator) -> None:
    emulator = hiapi_env
    text = (DOCS_DIR / page).read_text(encoding="utf-8")
    run_document(text, f"docs/{page}")
    assert emulator.requests, f"docs/{page} never called HiAPI"


@pytest.mark.parametrize("target", DOCSTRINGS)
def test_docstring_examples_run(target: str, hiapi_env: HiAPIEmulator) -> None:
    emulator = hiapi_env
    run_document(docstring_of(target), target)
    assert emulator.requests, f"{target}'s examples never called HiAPI"


def test_provider_page_points_at_the_chat_page() -> None:
    text = (DOCS_DIR / "hiapi_provider.mdx").read_text(encoding="utf-8")
    assert "/oss/integrations/chat/hiapi" in text


# --------------------------------------------------------------------------- the harness


def test_a_failing_block_names_the_document_and_the_block() -> None:
    text = (
        "Intro.\n\n```python\nx = 1\n```\n\n```text\nnot run\n```\n\n"
        "```python\n1 / x - 1 / 0\n```\n"
    )
    with pytest.raises(DocExampleError, match=r"doc.md, python block 2 \(line 11\): 1 / x"):
        run_document(text, "doc.md")


def test_blocks_share_one_namespace_and_one_event_loop() -> None:
    text = (
        "```python\nimport asyncio\n\nasync def current():\n    return asyncio.get_running_loop()\n"
        "\nloop = await current()\n```\n"
        "```python\nassert await current() is loop\n```\n"
    )
    assert run_document(text, "doc.md") == 2


def test_a_warning_fails_the_example() -> None:
    text = "```python\nimport warnings\nwarnings.warn('moved to model_kwargs', UserWarning)\n```\n"
    with pytest.raises(DocExampleError, match="UserWarning: moved to model_kwargs"):
        run_document(text, "doc.md")


def test_indented_fences_in_code_groups_run() -> None:
    text = "<CodeGroup>\n    ```python Title\n    value = 2\n    ```\n</CodeGroup>\n"
    assert run_document(text, "doc.mdx") == 1


@pytest.mark.parametrize("fence", ["```\nx = 1\n```\n", "```pyhton\nx = 1\n```\n"])
def test_a_fence_without_a_known_language_is_refused(fence: str) -> None:
    with pytest.raises(DocExampleError, match="fence language"):
        fenced_blocks(fence, "doc.md")


def test_a_python_fence_the_pattern_misses_is_refused() -> None:
    text = "    ```python\n    x = 1\n```\n"  # closing fence at another indent
    with pytest.raises(DocExampleError, match="1 python fences but 0"):
        python_blocks(text, "doc.md")


def test_a_tool_error_fails_the_example() -> None:
    # The tool would answer with the error text; in an example that must fail.
    text = (
        "```python\nfrom langchain_core.tools import ToolException, tool\n\n"
        "@tool\ndef broken(x: int) -> str:\n    '''Fails.'''\n"
        "    raise ToolException('task failed: quota')\n\n"
        "broken.handle_tool_error = True\nbroken.invoke({'x': 1})\n```\n"
    )
    with pytest.raises(DocExampleError, match="ToolException: task failed: quota"):
        run_document(text, "doc.md")


def test_a_tool_called_inside_a_run_may_answer_with_an_error() -> None:
    # As an agent's tool node does: the error text goes back to the model.
    text = (
        "```python\nfrom langchain_core.runnables import RunnableLambda\n"
        "from langchain_core.tools import ToolException, tool\n\n"
        "@tool\ndef broken(x: int) -> str:\n    '''Fails.'''\n"
        "    raise ToolException('try again')\n\n"
        "broken.handle_tool_error = True\n"
        "chain = RunnableLambda(lambda x: broken.invoke({'x': x}))\n"
        "assert chain.invoke(1) == 'try again'\n```\n"
    )
    assert run_document(text, "doc.md") == 1


def test_an_invalid_tool_argument_fails_the_example() -> None:
    text = (
        "```python\nfrom langchain_core.tools import tool\n\n"
        "@tool\ndef double(x: int) -> int:\n    '''Doubles.'''\n    return 2 * x\n\n"
        "double.handle_validation_error = 'bad arguments'\n"
        "double.invoke({'x': 'many'})\n```\n"
    )
    with pytest.raises(DocExampleError, match="ValidationError"):
        run_document(text, "doc.md")


def test_a_document_without_examples_is_refused() -> None:
    with pytest.raises(DocExampleError, match="no ```python example"):
        run_document("```text\noutput\n```\n", "doc.md")
