"""`HiAPIImageGenerationTool`: HiAPI image generation and editing as an agent tool.

The tool is a thin layer over `ChatHiAPI` (no second HTTP stack): it turns the arguments
an LLM fills in into one call to an image model, and the reply into a short text for the
agent plus an artifact with the image URLs, their `expire_at` and the saved file paths.
It routes by the catalogue: task-API models (the default for image models not served on
chat) through ChatHiAPI's task route, chat models through chat completions (falling back
to the task API when chat no longer serves them), images-API-only models through
`/v1/images/generations`. Errors an agent can act on (a blocked prompt, a failed task, an
input the model refuses, no quota, a rate limit, a reply without an image) become tool
errors the agent reads as text.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.messages import BaseMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import ArgsSchema, ToolException
from pydantic import PrivateAttr, ValidationError, field_validator, model_validator
from pydantic.v1 import ValidationError as ValidationErrorV1

from langchain_hiapi._localfiles import default_image_dirs
from langchain_hiapi.catalogue import lookup
from langchain_hiapi.chat_models import ChatHiAPI
from langchain_hiapi.errors import HiAPIError
from langchain_hiapi.image_config import (
    ImageConfig,
    check_image_size_for_model,
    coerce_image_config,
    merge_image_config,
)
from langchain_hiapi.images import GeneratedImage
from langchain_hiapi.images_api import agenerate_images, generate_images
from langchain_hiapi.limits import DEFAULT_LIMITS, Limits
from langchain_hiapi.tools._base import HiAPIToolBase
from langchain_hiapi.tools._errors import (
    agent_errors,
    image_validation_error_message,
    tool_error,
)
from langchain_hiapi.tools._image_args import (
    ImageArgs,
    ImageEditInput,
    ImageGenerationInput,
    describe_image_tool,
    images_api_size,
    takes_images,
    task_schema,
)
from langchain_hiapi.tools._image_inputs import InputBudget, input_block
from langchain_hiapi.tools._image_result import (
    ImageToolResult,
    ResultStyle,
    image_result,
    message_result,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["HiAPIImageGenerationTool"]

T = TypeVar("T")

# The tool fields its ChatHiAPI is built from (a change rebuilds it).
_CHAT_SETTINGS = ("model", "api_key", "base_url", "timeout", "max_retries", "limits", "image_route")


@dataclass(frozen=True)
class _Request:
    messages: list[BaseMessage]
    image_config: ImageConfig | None


def _child_config(
    run_manager: CallbackManagerForToolRun | AsyncCallbackManagerForToolRun | None,
) -> RunnableConfig:
    return {"callbacks": run_manager.get_child()} if run_manager else {}


async def _off_loop(offload: bool, func: Callable[..., T], *args: Any) -> T:
    """`func(*args)`, in a thread when it reads or writes files (the loop must not block)."""
    return await asyncio.to_thread(func, *args) if offload else func(*args)


class HiAPIImageGenerationTool(HiAPIToolBase):
    """Generates and edits images with any HiAPI image model, for agents.

    The tool holds a `ChatHiAPI` (built from `model`, `api_key`, `base_url`, `timeout`,
    `max_retries` and `image_route`, or passed as `llm`) and routes by the catalogue:
    task-API models (Nano-Banana-Pro, gpt-image-2, Seedream, ...; the default for image
    models not served on chat) go to `POST /v1/tasks`, chat models to chat completions
    (with `ChatHiAPI`'s fallback to the task API), images-API-only models (`gpt-image-1.5`)
    to `/v1/images/generations`. Called with a `ToolCall`, it returns a `ToolMessage`
    whose content is a short text for the model (image count, pixel size, saved paths; no
    base64 unless `return_images_in_content=True`) and whose artifact
    (`ImageToolArtifact`) holds the image blocks, URLs, `expire_at` and paths.

    Errors an agent can act on come back as the tool's text result with
    `status="error"` (a blocked prompt, a failed task with its code, an input the model
    refuses, insufficient quota, a rate limit after the retries, an unknown model, a
    reply without an image, a missing input file). An invalid API key or a denied account
    still raises: no agent can fix those.

    Setup:
        Install `langchain-hiapi` and set environment variable `HIAPI_API_KEY` (or pass
        `api_key`, or a ready `llm`).

        ```bash
        pip install -U langchain-hiapi
        export HIAPI_API_KEY="your-api-key"
        ```

    Key init args:
        model:
            HiAPI image model: `Nano-Banana` (default), `Nano-Banana-2`,
            `Nano-Banana-Pro`, `gpt-image-2`, any task-API image model
            (`seedream-5.0-pro/text-to-image`, ...) or an images-API model.
        image_route:
            `"auto"` (by the catalogue, as above), or `"chat"`, `"tasks"`, `"images"`.
        image_config:
            Default `aspect_ratio` / `image_size`; the call's arguments override them.
        save_dir:
            Directory the images are saved in (unique names, never overwriting a file).
        return_images_in_content:
            Also put the image blocks into the tool message, for vision-capable agents.
        include_base64:
            Put the images' base64 into the artifact (it always has URLs and paths).
        allow_input_images:
            Offer the `images` argument (editing); `False` keeps the LLM away from files.
        image_dirs:
            Directories local input images may be read from (default: the working
            directory and `save_dir`).
        limits:
            Byte limits (input images, replies, downloads); default: the chat model's.
        llm:
            A ready `ChatHiAPI` to send requests through, instead of `api_key`,
            `base_url`, `timeout` and `max_retries` (read from `HIAPI_API_KEY` /
            `HIAPI_BASE_URL` when not given).

    Instantiate:
        ```python
        from langchain_hiapi import HiAPIImageGenerationTool

        tool = HiAPIImageGenerationTool(
            model="Nano-Banana",
            image_config={"image_size": "1K"},
            save_dir="images/",
            # api_key="...",
            # llm=ChatHiAPI(...),
        )
        ```

    Invoke with args:
        ```python
        tool.invoke({"prompt": "a red fox in the snow", "aspect_ratio": "16:9"})
        ```

        ```text
        'Generated 1 image with Nano-Banana: 1344x768 image/png, saved to
        images/image-1.png. The model said: "Here is your fox."'
        ```

    Invoke with ToolCall:
        ```python
        message = tool.invoke(
            {
                "type": "tool_call",
                "id": "1",
                "name": tool.name,
                "args": {"prompt": "a red fox in the snow", "aspect_ratio": "16:9"},
            }
        )
        print(message.content)
        message.artifact["paths"], message.artifact["sizes"]
        ```

        ```text
        Generated 1 image with Nano-Banana: 1344x768 image/png, saved to images/image-2.png.
        (['images/image-2.png'], [(1344, 768)])
        ```

        `message.artifact` also holds the image blocks (base64 only with
        `include_base64=True`), the URLs and `expire_at` of task-API images, the `task_id`
        and the `route` taken.

    Task-API models:
        ```python
        seedream = HiAPIImageGenerationTool(
            model="seedream-5.0-pro/text-to-image", save_dir="images/"
        )
        result = seedream.invoke(
            {
                "type": "tool_call",
                "id": "2",
                "name": seedream.name,
                "args": {"prompt": "a lighthouse at dusk", "aspect_ratio": "16:9"},
            }
        )
        result.artifact["route"], result.artifact["task_id"]
        ```

        ```text
        ('tasks', 'tk-hiapi-01M8F5H6W7JDKXNGX2JM6BSP6F')
        ```

    Edit an image:
        ```python
        tool.invoke(
            {
                "prompt": "give the fox a green scarf",
                "images": [message.artifact["paths"][0]],  # paths, http(s) URLs, data URIs
            }
        )
        ```

        ```text
        'Generated 1 image with Nano-Banana: 1024x1024 image/png, saved to
        images/image-3.png.'
        ```

    Async:
        ```python
        await tool.ainvoke({"prompt": "a lighthouse at dusk"})
        ```

    Use within an agent:
        ```python
        from langchain.agents import create_agent

        from langchain_hiapi import ChatHiAPI

        agent = create_agent(model=ChatHiAPI(model="gpt-4o-mini"), tools=[tool])
        result = agent.invoke(
            {"messages": [{"role": "user", "content": "Draw a lighthouse at dusk"}]}
        )
        result["messages"][-1].text
        ```
    """

    public_module: ClassVar[str] = "langchain_hiapi.tools"

    name: str = "generate_image"
    description: str = ""
    """Filled in from the model and options unless given."""
    args_schema: ArgsSchema | None = ImageEditInput
    handle_validation_error: (
        bool | str | Callable[[ValidationError | ValidationErrorV1], str] | None
    ) = image_validation_error_message
    """Invalid arguments from the LLM become a text result naming the allowed values."""

    model: str = "Nano-Banana"
    """HiAPI image model: `Nano-Banana`, `Nano-Banana-2`, `Nano-Banana-Pro`, `gpt-image-2`,
    any task-API image model (`seedream-5.0-pro/text-to-image`, ...) or images-API model."""
    image_route: Literal["auto", "chat", "tasks", "images"] = "auto"
    """Where requests go: `"auto"` by the catalogue (see the class docs), or forced."""
    image_config: ImageConfig | None = None
    """Default image options; the call's `aspect_ratio` / `image_size` override them."""
    llm: ChatHiAPI | None = None
    """A ready `ChatHiAPI` to use instead of the connection fields above."""
    file_prefix: str = "image"
    """Start of saved file names: `<file_prefix>-<n>.<ext>`."""
    return_images_in_content: bool = False
    """Also put the image blocks into the content, for vision-capable agent models."""
    allow_input_images: bool = True
    """Offer the `images` argument (editing). `False` keeps the LLM away from local files."""
    image_dirs: list[Path] | None = None
    """Directories local input images may be read from. Default: the current working
    directory and `save_dir` (never the whole disk); `/proc`, `/sys`, `/dev`, devices,
    FIFOs and anything but regular image files are always refused."""

    _chat: ChatHiAPI | None = PrivateAttr(default=None)
    _chat_settings: tuple[Any, ...] | None = PrivateAttr(default=None)

    @field_validator("image_config", mode="before")
    @classmethod
    def _coerce_image_config(cls, value: Any) -> ImageConfig | None:
        return coerce_image_config(value)

    @model_validator(mode="before")
    @classmethod
    def _llm_or_settings(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("llm") is not None:
            clashes = sorted(
                k for k in ("model", "api_key", "base_url", "timeout", "max_retries") if k in data
            )
            if clashes:
                msg = (
                    f"Pass either llm or the connection settings {clashes}, not both: the"
                    " tool sends every request through llm."
                )
                raise ValueError(msg)
        return data

    def model_post_init(self, context: Any, /) -> None:
        """Checks the options and builds the schema and description once fields are set."""
        super().model_post_init(context)
        if self.llm is not None:
            self.model = self.llm.model_name
        llm = self.chat_model
        check_image_size_for_model(
            merge_image_config(llm.image_config, self.image_config), llm.model_name
        )
        images_api = self.uses_images_api
        editing = self.allow_input_images and takes_images(
            llm.model_name, llm.image_route, images_api=images_api
        )
        if not editing and self.args_schema is ImageEditInput:
            self.args_schema = ImageGenerationInput
        if not self.description:
            self.description = describe_image_tool(
                self.model,
                editing=editing,
                task_schema=task_schema(llm.model_name, llm.image_route, images_api=images_api),
            )

    @property
    def chat_model(self) -> ChatHiAPI:
        """The `ChatHiAPI` every request goes through.

        `llm` when given; otherwise one built from the connection fields, rebuilt when one
        of them changes (so `tool.api_key = ...` takes effect on the next call).
        """
        if self.llm is not None:
            return self.llm
        route = "auto" if self.image_route == "images" else self.image_route
        settings: tuple[Any, ...] = (self.model, self.api_key, self.base_url, self.timeout)
        settings += (self.max_retries, self.limits, route)
        if self._chat is None or self._chat_settings != settings:
            self._chat = ChatHiAPI(**dict(zip(_CHAT_SETTINGS, settings, strict=True)))
            self._chat_settings = settings
        return self._chat

    def _release_connection(self) -> ChatHiAPI | None:
        # The chat model the tool built (never a `llm` you passed); it stays usable.
        return self._chat

    @property
    def uses_images_api(self) -> bool:
        """Whether requests go to `/v1/images/generations` (images-API-only models)."""
        if self.image_route != "auto":
            return self.image_route == "images"
        info = lookup(self.chat_model.model_name)
        return info is not None and info.served_on == frozenset({"images"})

    # ----------------------------------------------------------------- running

    def _run(
        self,
        prompt: str,
        run_manager: CallbackManagerForToolRun | None = None,
        **args: Unpack[ImageArgs],
    ) -> ImageToolResult:
        """Generates the image(s) for one tool call.

        Args:
            prompt: What to draw.
            run_manager: Callbacks of this tool run.
            **args: `aspect_ratio` (width:height, e.g. `"16:9"`), `image_size` (`"1K"`,
                `"2K"` or `"4K"`), `images` (input images to edit: paths, URLs or data URIs).

        Returns:
            The content for the model and the `ImageToolArtifact`.

        Raises:
            ToolException: For every error an agent can act on.
        """
        request = self._prepare(prompt, args)
        with self._agent_errors():
            if self.uses_images_api:
                return self._result(generate_images(prompt, **self._images_api_kwargs(request)))
            message = self.chat_model.invoke(
                request.messages, config=_child_config(run_manager), **self._call_kwargs(request)
            )
        return self._finish(message)

    async def _arun(
        self,
        prompt: str,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
        **args: Unpack[ImageArgs],
    ) -> ImageToolResult:
        """Async `_run`, same arguments: the request is native async, file I/O in a thread."""
        request = await _off_loop(bool(args.get("images")), self._prepare, prompt, args)
        saving = self.save_dir is not None  # decoding and fsync'ed writes: off the loop
        with self._agent_errors():
            if self.uses_images_api:
                made = await agenerate_images(prompt, **self._images_api_kwargs(request))
                return await _off_loop(saving, self._result, made)
            message = await self.chat_model.ainvoke(
                request.messages, config=_child_config(run_manager), **self._call_kwargs(request)
            )
        return await _off_loop(saving, self._finish, message)

    # ----------------------------------------------------------------- steps

    def _agent_errors(self) -> AbstractContextManager[None]:
        """Errors an agent can act on become tool errors (inputs refused before sending too)."""
        return agent_errors(self._tool_error, refused_inputs=True)

    def _prepare(self, prompt: str, args: ImageArgs) -> _Request:
        """Validates the options and builds the message; raises `ToolException`."""
        images = args.get("images")
        given = {"aspect_ratio": args.get("aspect_ratio"), "image_size": args.get("image_size")}
        try:
            call_config = coerce_image_config({k: v for k, v in given.items() if v is not None})
            config = merge_image_config(self.image_config, call_config)
            effective = merge_image_config(self.chat_model.image_config, config)
            check_image_size_for_model(effective, self.chat_model.model_name)
        except ValueError as exc:
            msg = f"{exc}. Call the tool again with a supported value, or omit it."
            raise ToolException(msg) from None
        if images and not self.allow_input_images:
            msg = "This tool only draws new images; input images are not accepted."
            raise ToolException(msg)
        if images and self.uses_images_api:
            msg = (
                f"{self.chat_model.model_name} (images API) only draws new images; call the"
                " tool again without input images."
            )
            raise ToolException(msg)
        content: str | list[str | dict[str, Any]] = prompt
        if images:
            budget = InputBudget(self.effective_limits())
            dirs = self.allowed_image_dirs()
            blocks = [input_block(ref, index, budget, dirs) for index, ref in enumerate(images)]
            content = [{"type": "text", "text": prompt}, *blocks]
        return _Request([HumanMessage(content=content)], config)

    def _images_api_kwargs(self, request: _Request) -> dict[str, Any]:
        """Arguments for `generate_images`, through the chat model's pooled client."""
        return {
            "model": self.chat_model.model_name,
            "size": images_api_size(request.image_config),
            "client": self.chat_model.client,
        }

    def _call_kwargs(self, request: _Request) -> dict[str, Any]:
        return {"image_config": request.image_config} if request.image_config else {}

    def allowed_image_dirs(self) -> list[Path]:
        """Where local input images may be read from.

        `image_dirs` if set; otherwise the current working directory and `save_dir`
        (never the filesystem root). `/proc`, `/sys` and `/dev` are refused in any case.
        """
        if self.image_dirs is not None:
            return [Path(d) for d in self.image_dirs]
        return default_image_dirs(self.save_dir)

    def effective_limits(self) -> Limits:
        """The byte limits in force: `limits`, else the chat model's, else the defaults."""
        return self.limits or self.chat_model.limits or DEFAULT_LIMITS

    def _finish(self, message: BaseMessage) -> ImageToolResult:
        """Turns the reply into the content and artifact; raises `ToolException`."""
        return message_result(message, self._style())

    def _result(self, images: list[GeneratedImage]) -> ImageToolResult:
        """The content and artifact of images-API images; raises `ToolException`."""
        return image_result(images, self._style())

    def _style(self) -> ResultStyle:
        inline = self.return_images_in_content
        return ResultStyle(self.model, self.save_dir, self.file_prefix, self.include_base64, inline)

    def _tool_error(self, exc: HiAPIError) -> ToolException | HiAPIError:
        """Maps a HiAPI error to a `ToolException` with advice, or returns it to re-raise."""
        return tool_error(
            exc,
            model=self.chat_model.model_name,
            max_retries=self.chat_model.max_retries,
            what="image",
            arguments="the arguments (prompt, aspect_ratio, image_size, images)",
        )
