"""`HiAPITaskTool`: any HiAPI task model (image, video, audio) as an agent tool.

The tool's argument schema is the model's own `input` schema from the catalogue, so an agent
calls Seedream, Kling, HappyHorse, a TTS model... with exactly the fields the model accepts
(enums, bounds and descriptions included). A call creates the task (with an idempotency key),
waits for it, reporting every status change as a custom event, downloads the outputs to
`save_dir` and answers with a short text plus an artifact holding the output URLs, their
`expire_at` and the saved paths. Errors an agent can act on come back as tool-error text.

`TaskToolBase` (`tools._task_base`) holds what every task-backed tool shares (connection,
waiting, saving, errors); `HiAPIVideoGenerationTool` builds on it too.

Example:
    ```python
    from langchain_hiapi import HiAPITaskTool

    tool = HiAPITaskTool(model="kling-3.0-omni/text-to-video", save_dir="videos/")
    message = tool.invoke(
        {
            "type": "tool_call",
            "id": "1",
            "name": tool.name,
            "args": {"prompt": "a paper boat on a rainy street", "duration": 5},
        }
    )
    print(message.content, message.artifact["paths"])
    ```
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from langchain_core.tools import ArgsSchema
from pydantic import BaseModel, ConfigDict, Field

from langchain_hiapi.catalogue import ModelInfo, OpenTaskInput, lookup, task_input_model
from langchain_hiapi.errors import TaskInputError
from langchain_hiapi.tools._task_base import NAME_CHARS, TaskToolBase

__all__ = ["HiAPITaskTool", "OpenTaskArgs"]

_MAX_NAME = 64


class OpenTaskArgs(BaseModel):
    """Arguments for a model whose input fields are not documented: a prompt and more."""

    model_config = ConfigDict(extra="allow")

    prompt: str = Field(min_length=1, description="What to generate, in detail.")


def _tool_name(model: str) -> str:
    name = NAME_CHARS.sub("_", model.replace("@", "_")).strip("_").lower()
    return f"hiapi_{name}"[:_MAX_NAME]


def _describe(info: ModelInfo | None, model: str, schema: type[BaseModel]) -> str:
    kind = info.kind if info is not None else "media"
    what = {"image": "an image", "video": "a video", "audio": "audio"}.get(kind, "media")
    text = f"Generate {what} with HiAPI's {model} model (takes a while; waits for the result)."
    doc = (schema.__doc__ or "").strip().splitlines()
    if info is not None and info.documented and doc:
        text += f" {doc[0].strip()}"
    text += " Returns where the output was saved and its URL."
    return text


class HiAPITaskTool(TaskToolBase):
    """A tool for any HiAPI task model, with the model's own input schema as arguments.

    `args_schema` is the model's input schema from the catalogue (for an undocumented model:
    a `prompt` plus any other fields). Outputs are saved under `save_dir`; the artifact
    (`TaskToolArtifact`) carries the output URLs, `expire_at`, the paths and, with
    `include_base64=True`, the image outputs' bytes. Status changes go out as the custom
    event `hiapi_task_status`. Errors an agent can act on (blocked prompt, failed task with
    its code, invalid input naming the field, quota, rate limit after retries, a task
    still running at `wait_timeout`) come back as tool-error text; an invalid key raises.

    Setup:
        Install `langchain-hiapi`, then set `HIAPI_API_KEY` or pass `api_key` (or `tasks`).

        ```bash
        pip install -U langchain-hiapi
        ```

    Key init args:
        model:
            Any HiAPI task model: image (`seedream-5.0-pro/text-to-image`, ...), video
            (`kling-3.0-omni/text-to-video`, ...) or audio. An `x@route` suffix selects a
            model route.
        save_dir:
            Where outputs are saved (files are never overwritten). `None`: nothing is
            saved and the artifact carries the URLs (they expire after about 7 days).
        include_base64:
            Also put image outputs' bytes (base64) into the artifact.
        wait_timeout:
            Seconds to wait for the task; a task still running then is reported to the
            agent, not cancelled.
        poll_interval:
            First pause between status polls (it grows, with jitter).
        storage:
            `"persistent"` keeps outputs on HiAPI beyond 7 days (billed).
        name, description:
            Default: `hiapi_<model>` and a text built from the model's kind and schema.
        api_key, base_url, timeout, max_retries:
            Connection settings (`HIAPI_API_KEY` / `HIAPI_BASE_URL` by default), or
            `tasks=HiAPITasks(...)` to use a ready client.

    Instantiate:
        ```python
        from langchain_hiapi import HiAPITaskTool

        tool = HiAPITaskTool(
            model="seedream-5.0-pro/text-to-image",
            save_dir="images/",
            # wait_timeout=600,
            # api_key="...",
        )
        tool.name, sorted(tool.args)
        ```

        ```text
        ('hiapi_seedream-5_0-pro_text-to-image',
         ['aspect_ratio', 'output_format', 'prompt', 'quality'])
        ```

    Invoke with args:
        ```python
        tool.invoke({"prompt": "a red fox in the snow", "quality": "high"})
        ```

        ```text
        'HiAPI task tk-hiapi-01M8F5H6... finished with seedream-5.0-pro/text-to-image:
        image saved to images/output-tk-hiapi-01M8F5H6....png (expires 2026-12-04 18:50 UTC).'
        ```

    Invoke with ToolCall:
        ```python
        args = {"prompt": "a lighthouse at dusk", "aspect_ratio": "16:9"}
        message = tool.invoke({"type": "tool_call", "id": "1", "name": tool.name, "args": args})
        message.artifact["paths"], message.artifact["expire_at"]
        ```

        ```text
        (['images/output-tk-hiapi-01M8F5H6W7JDKXNGX2JM6BSP6F.png'], 1796410253)
        ```

        An argument outside the schema (an unknown field, a value not in an enum) comes
        back to the agent as a tool error naming the field and the allowed values.

    Async:
        ```python
        await tool.ainvoke({"prompt": "a red fox in the snow"})
        ```

    Use within an agent:
        ```python
        from langchain.agents import create_agent

        from langchain_hiapi import ChatHiAPI

        video = HiAPITaskTool(model="kling-3.0-omni/text-to-video", save_dir="videos/")
        agent = create_agent(model=ChatHiAPI(model="gpt-4o-mini"), tools=[tool, video])
        result = agent.invoke(
            {"messages": [{"role": "user", "content": "Draw a lighthouse at dusk"}]}
        )
        result["messages"][-1].text
        ```
    """

    name: str = ""
    """Default: `hiapi_<model>` (e.g. `hiapi_seedream-5_0-pro_text-to-image`)."""
    description: str = ""
    """Default: built from the model's kind and schema."""
    args_schema: ArgsSchema | None = None
    """Default: the model's input schema from the catalogue."""

    public_module: ClassVar[str] = "langchain_hiapi.task_tool"

    def model_post_init(self, context: Any, /) -> None:
        """Fills in the schema, name and description from the catalogue."""
        super().model_post_init(context)
        info = lookup(self.model)
        schema: type[BaseModel] | None = None
        try:
            schema = task_input_model(self.model)
        except TaskInputError as exc:
            raise ValueError(str(exc)) from None
        if schema is None or schema is OpenTaskInput:
            schema = OpenTaskArgs
        if self.args_schema is None:
            self.args_schema = schema
        if not self.name:
            self.name = _tool_name(self.model)
        if not self.description:
            self.description = _describe(info, self.model, schema)

    def task_input(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """The call's arguments without the schema defaults LangChain fills in.

        The server applies the same defaults; sending only what the agent chose keeps the
        request (and its idempotency hash) to what was asked for.
        """
        schema = self.args_schema
        fields = (
            schema.model_fields
            if isinstance(schema, type) and issubclass(schema, BaseModel)
            else {}
        )
        kept: dict[str, Any] = {}
        for name, value in arguments.items():
            field = fields.get(name)
            if value is None:
                continue
            if (
                field is not None
                and not field.is_required()
                and value == field.get_default(call_default_factory=True)
            ):
                continue
            kept[name] = value
        return kept
