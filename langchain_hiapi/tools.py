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
import base64
import binascii
import os
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypedDict, get_args

import httpx
from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.messages import BaseMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import ArgsSchema, BaseTool, ToolException
from langchain_core.utils import from_env, secret_from_env
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.v1 import ValidationError as ValidationErrorV1

from langchain_hiapi._client import DEFAULT_BASE_URL, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT
from langchain_hiapi._images import GeneratedImage, get_images, save_images
from langchain_hiapi._localfiles import LocalFileError, default_image_dirs, read_image_file
from langchain_hiapi._secrets import check_api_key_type, strip_base_url_credentials
from langchain_hiapi._tool_errors import ToolExceptionHandlerOutput, input_error, tool_error
from langchain_hiapi.catalogue import lookup, task_input_model
from langchain_hiapi.chat_models import ChatHiAPI
from langchain_hiapi.errors import HiAPIError, TaskInputError
from langchain_hiapi.image_config import (
    ASPECT_RATIOS,
    IMAGE_SIZES,
    MODEL_IMAGE_SIZES,
    AspectRatio,
    ImageConfig,
    ImageSize,
    check_image_size_for_model,
    coerce_image_config,
    merge_image_config,
)
from langchain_hiapi.images_api import agenerate_images, generate_images
from langchain_hiapi.limits import DEFAULT_LIMITS, Limits

__all__ = [
    "HiAPIImageGenerationTool",
    "ImageEditInput",
    "ImageGenerationInput",
    "ImageToolArtifact",
    "image_dimensions",
]

MAX_INPUT_IMAGE_BYTES = DEFAULT_LIMITS.max_input_image_bytes
"""Largest input image by default (`Limits.max_input_image_bytes`; Gemini's limit for
inline data in one request)."""

# Input MIME types the gateway passes to Gemini's image models (see the wire contract).
_INPUT_MIME_TYPES = ("image/png", "image/jpeg", "image/webp", "image/heic", "image/heif")
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"})
_HEIF_BRANDS = frozenset({b"mif1", b"msf1", b"heif"})
# The model's own words are echoed to the agent, but never at length.
_MAX_NOTE_CHARS = 300
_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE})


# --------------------------------------------------------------------------- arguments


class ImageGenerationInput(BaseModel):
    """Arguments of the image tool when it only draws new images."""

    # An argument the tool does not offer (e.g. `images` for a text-to-image model) is an
    # error the agent reads, never silently dropped.
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(
        min_length=1,
        description=(
            "What to draw, in detail: subject, setting, style, composition, colours and any"
            " text to render in the image."
        ),
    )
    aspect_ratio: AspectRatio | None = Field(
        default=None,
        description="Width:height of the image. Omit for the default (1:1).",
    )
    image_size: ImageSize | None = Field(
        default=None,
        description=(
            "Resolution: 1K = 1024 px, 2K = 2048 px, 4K = 4096 px on the long side."
            " Omit for the default (1K); not every model offers every size."
        ),
    )


class ImageEditInput(ImageGenerationInput):
    """Arguments of the image tool, including input images to edit or combine."""

    images: list[str] | None = Field(
        default=None,
        description=(
            "Only to edit or combine existing images: local file paths (for example paths"
            " returned by an earlier call of this tool), http(s) URLs or data: URIs."
            " Omit to draw a new image."
        ),
    )


class ImageToolArtifact(TypedDict):
    """The artifact of a successful call (`ToolMessage.artifact`).

    Attributes:
        images: Standard image content blocks (`type`, `mime_type`, `id`, and `url` when
            HiAPI gave one). `base64` only with `include_base64=True` or
            `return_images_in_content=True`, or when an image has neither a URL nor a
            saved file (it would be lost otherwise): agent state and checkpoints stay small.
        paths: Files written under `save_dir`, in image order (empty without `save_dir`).
        sizes: `(width, height)` per image, `None` where the header could not be read.
        urls: The image URLs (task API), `None` where HiAPI gave none (chat route).
        expire_at: When the earliest URL expires (Unix seconds), if any.
        task_id: The HiAPI task, on the task route.
        route: Where the image was made: `chat`, `tasks` or `images`.
        model: The model id the request was sent to.
        text: The model's own text in the reply, if any.
    """

    images: list[dict[str, Any]]
    paths: list[str]
    sizes: list[tuple[int, int] | None]
    urls: list[str | None]
    expire_at: int | None
    task_id: str | None
    route: str
    model: str
    text: str


def _validation_error_message(error: ValidationError | ValidationErrorV1) -> str:
    """Turns an argument validation error into one line an LLM can act on."""
    problems: list[str] = []
    for raw in error.errors():
        item: dict[str, Any] = dict(raw)  # pydantic v1 and v2 error dicts differ in keys
        where = ".".join(str(part) for part in item.get("loc", ())) or "arguments"
        problem = f"{where}: {item.get('msg', 'invalid value')}"
        if "input" in item and not isinstance(item["input"], dict):
            problem += f" (got {item['input']!r})"
        problems.append(problem)
    return (
        "Invalid arguments for the image tool: "
        + "; ".join(problems)
        + ". Fix the arguments and call the tool again."
    )


# --------------------------------------------------------------------------- images


def image_dimensions(data: bytes) -> tuple[int, int] | None:
    """Reads an image's pixel size from its header (PNG, JPEG, GIF or WebP).

    Args:
        data: The image file bytes.

    Returns:
        `(width, height)`, or `None` for another format or a damaged header.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_dimensions(data)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_dimensions(data)
    return None


def _jpeg_dimensions(data: bytes) -> tuple[int, int] | None:
    # Walk the marker segments up to the first start-of-frame, which holds the size.
    pos = 2
    length = len(data)
    while pos + 4 <= length:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            pos += 2
            continue
        (segment,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker in _JPEG_SOF:
            if pos + 9 > length:
                return None
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return int(width), int(height)
        if marker == 0xDA or segment < 2:  # image data before any frame header
            return None
        pos += 2 + segment
    return None


def _webp_dimensions(data: bytes) -> tuple[int, int] | None:
    kind = data[12:16]
    if kind == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if kind == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    if kind == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _sniff_input_mime(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        if data[8:12] in _HEIC_BRANDS:
            return "image/heic"
        if data[8:12] in _HEIF_BRANDS:
            return "image/heif"
    return None


def _image_block(
    image: GeneratedImage, source: dict[str, Any], *, with_data: bool
) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "image", "mime_type": image.mime_type}
    if image.id:
        block["id"] = image.id
    if source.get("url"):
        block["url"] = source["url"]
    if source.get("extras"):
        block["extras"] = source["extras"]
    if with_data:
        block["base64"] = base64.b64encode(image.data).decode("ascii")
    return block


def _sources(message: BaseMessage, images: Sequence[GeneratedImage]) -> list[dict[str, Any]]:
    """The reply's image blocks matching `images` (for their URL and expiry), else `{}`s."""
    content = message.content if isinstance(message.content, list) else []
    blocks = [b for b in content if isinstance(b, dict) and b.get("type") == "image"]
    if len(blocks) != len(images):
        return [{} for _ in images]
    return blocks


def _expire_at(source: dict[str, Any]) -> int | None:
    extras = source.get("extras")
    value = extras.get("expire_at") if isinstance(extras, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# --------------------------------------------------------------------------- the tool


@dataclass(frozen=True)
class _Request:
    messages: list[BaseMessage]
    image_config: ImageConfig | None


class HiAPIImageGenerationTool(BaseTool):
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
        Install `langchain-hiapi` and set environment variable `HIAPI_API_KEY`.

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

    name: str = "generate_image"
    description: str = ""
    """Filled in from the model and options unless given."""
    args_schema: ArgsSchema | None = ImageEditInput
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    handle_tool_error: bool | str | Callable[[ToolException], ToolExceptionHandlerOutput] | None = (
        True
    )
    """`True`: a `ToolException` becomes the tool's text result, not a crash."""
    handle_validation_error: (
        bool | str | Callable[[ValidationError | ValidationErrorV1], str] | None
    ) = _validation_error_message
    """Invalid arguments from the LLM become a text result naming the allowed values."""

    model: str = "Nano-Banana"
    """HiAPI image model: `Nano-Banana`, `Nano-Banana-2`, `Nano-Banana-Pro`, `gpt-image-2`,
    any task-API image model (`seedream-5.0-pro/text-to-image`, ...) or images-API model."""
    image_route: Literal["auto", "chat", "tasks", "images"] = "auto"
    """Where requests go: `"auto"` by the catalogue (see the class docs), or forced."""
    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("HIAPI_API_KEY", default=None)
    )
    """HiAPI key; read from `HIAPI_API_KEY` when not given."""
    base_url: str = Field(
        default_factory=from_env(["HIAPI_BASE_URL", "HIAPI_API_BASE"], default=DEFAULT_BASE_URL)
    )
    """API base URL; read from `HIAPI_BASE_URL` (or `HIAPI_API_BASE`), else
    `https://api.hiapi.ai/v1`."""
    timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT
    """Request timeout in seconds or an `httpx.Timeout`."""
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0)
    """Retries for rate limits, 5xx and connection errors (see `ChatHiAPI`)."""
    image_config: ImageConfig | None = None
    """Default image options; the call's `aspect_ratio` / `image_size` override them."""
    llm: ChatHiAPI | None = None
    """A ready `ChatHiAPI` to use instead of the connection fields above."""
    save_dir: Path | None = None
    """Directory where images are saved (unique names, never overwriting a file)."""
    file_prefix: str = "image"
    """Start of saved file names: `<file_prefix>-<n>.<ext>`."""
    return_images_in_content: bool = False
    """Also put the image blocks into the content, for vision-capable agent models."""
    include_base64: bool = False
    """Put the images' base64 into the artifact (it always has URLs and paths)."""
    allow_input_images: bool = True
    """Offer the `images` argument (editing). `False` keeps the LLM away from local files."""
    image_dirs: list[Path] | None = None
    """Directories local input images may be read from. Default: the current working
    directory and `save_dir` (never the whole disk); `/proc`, `/sys`, `/dev`, devices,
    FIFOs and anything but regular image files are always refused."""
    limits: Limits | None = None
    """Byte limits (input images, replies, downloads); default: the chat model's."""

    _chat: ChatHiAPI | None = PrivateAttr(default=None)
    _chat_settings: tuple[Any, ...] | None = PrivateAttr(default=None)

    @field_validator("image_config", mode="before")
    @classmethod
    def _coerce_image_config(cls, value: Any) -> ImageConfig | None:
        return coerce_image_config(value)

    @field_validator("api_key", mode="before")
    @classmethod
    def _check_api_key_type(cls, value: Any) -> Any:
        return check_api_key_type(value)

    @field_validator("base_url", mode="before")
    @classmethod
    def _strip_credentials(cls, value: Any) -> Any:
        return strip_base_url_credentials(value)

    @field_validator("file_prefix")
    @classmethod
    def _check_prefix(cls, value: str) -> str:
        # Checked up front: save_images would only refuse it after the image was paid for.
        if not value or any(sep in value for sep in {"/", "\\", "\0", os.sep}):
            msg = f"file_prefix must be a file name without path separators, got {value!r}"
            raise ValueError(msg)
        return value

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
        editing = self.allow_input_images and self._takes_images()
        if not editing and self.args_schema is ImageEditInput:
            self.args_schema = ImageGenerationInput
        if not self.description:
            self.description = _describe(
                self.model, editing=editing, task_schema=self._task_schema()
            )

    @property
    def chat_model(self) -> ChatHiAPI:
        """The `ChatHiAPI` every request goes through.

        `llm` when given; otherwise one built from the connection fields, rebuilt when one
        of them changes (so `tool.api_key = ...` takes effect on the next call).
        """
        if self.llm is not None:
            return self.llm
        settings = (
            self.model,
            self.api_key,
            self.base_url,
            self.timeout,
            self.max_retries,
            self.limits,
            self.image_route,
        )
        if self._chat is None or self._chat_settings != settings:
            self._chat = ChatHiAPI(
                model=self.model,
                api_key=self.api_key,
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=self.max_retries,
                limits=self.limits,
                image_route="auto" if self.image_route == "images" else self.image_route,
            )
            self._chat_settings = settings
        return self._chat

    def close(self) -> None:
        """Ends the tool's use of its connection pool (a `llm` you passed is left alone)."""
        if self._chat is not None:
            self._chat.close()

    async def aclose(self) -> None:
        """Async `close`."""
        if self._chat is not None:
            await self._chat.aclose()

    def __enter__(self) -> HiAPIImageGenerationTool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> HiAPIImageGenerationTool:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @property
    def uses_images_api(self) -> bool:
        """Whether requests go to `/v1/images/generations` (images-API-only models)."""
        if self.image_route != "auto":
            return self.image_route == "images"
        info = lookup(self.chat_model.model_name)
        return info is not None and info.served_on == frozenset({"images"})

    def _task_schema(self) -> type[BaseModel] | None:
        """The task input schema when the model goes to the task API only, else `None`."""
        if self.uses_images_api or self.chat_model.image_route == "chat":
            return None
        info = lookup(self.chat_model.model_name)
        if info is None or not info.documented:
            return None
        if self.chat_model.image_route == "auto" and "chat" in info.served_on:
            return None
        try:
            return task_input_model(self.chat_model.model_name)
        except TaskInputError as exc:
            raise ValueError(str(exc)) from None

    def _takes_images(self) -> bool:
        """Whether the model can take input images on the route it will use."""
        if self.uses_images_api:
            return False
        info = lookup(self.chat_model.model_name)
        chat_first = self.chat_model.image_route == "chat" or (
            self.chat_model.image_route == "auto" and (info is None or "chat" in info.served_on)
        )
        if chat_first or info is None:
            return True
        if not info.documented:
            return False  # no known image field on the task API: editing would fail
        schema = task_input_model(self.chat_model.model_name)
        fields = schema.model_fields if schema is not None else {}
        return any(name in fields for name in _IMAGE_FIELDS)

    # ----------------------------------------------------------------- running

    def _run(
        self,
        prompt: str,
        aspect_ratio: str | None = None,
        image_size: str | None = None,
        images: list[str] | None = None,
        run_manager: CallbackManagerForToolRun | None = None,
    ) -> tuple[str | list[str | dict[str, Any]], ImageToolArtifact]:
        """Generates the image(s) for one tool call.

        Args:
            prompt: What to draw.
            aspect_ratio: Width:height, e.g. `"16:9"`.
            image_size: `"1K"`, `"2K"` or `"4K"`.
            images: Input images to edit (paths, URLs or data URIs).
            run_manager: Callbacks of this tool run.

        Returns:
            The content for the model and the `ImageToolArtifact`.

        Raises:
            ToolException: For every error an agent can act on.
        """
        request = self._prepare(prompt, aspect_ratio, image_size, images)
        config: RunnableConfig = {"callbacks": run_manager.get_child()} if run_manager else {}
        try:
            if self.uses_images_api:
                generated = generate_images(prompt, **self._images_api_kwargs(request))
                return self._result(generated, note="", finish_reason=None)
            message = self.chat_model.invoke(
                request.messages, config=config, **self._call_kwargs(request)
            )
        except HiAPIError as exc:
            raise self._tool_error(exc) from exc
        except ValueError as exc:  # refused before sending (TaskInputError included)
            raise input_error(exc) from None
        return self._finish(message)

    async def _arun(
        self,
        prompt: str,
        aspect_ratio: str | None = None,
        image_size: str | None = None,
        images: list[str] | None = None,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
    ) -> tuple[str | list[str | dict[str, Any]], ImageToolArtifact]:
        """Async `_run`: the request is native async, file I/O runs in a thread.

        Args:
            prompt: What to draw.
            aspect_ratio: Width:height, e.g. `"16:9"`.
            image_size: `"1K"`, `"2K"` or `"4K"`.
            images: Input images to edit (paths, URLs or data URIs).
            run_manager: Callbacks of this tool run.

        Returns:
            The content for the model and the `ImageToolArtifact`.

        Raises:
            ToolException: For every error an agent can act on.
        """
        if images:  # reading files must not block the event loop
            request = await asyncio.to_thread(
                self._prepare, prompt, aspect_ratio, image_size, images
            )
        else:
            request = self._prepare(prompt, aspect_ratio, image_size, images)
        config: RunnableConfig = {"callbacks": run_manager.get_child()} if run_manager else {}
        try:
            if self.uses_images_api:
                generated = await agenerate_images(prompt, **self._images_api_kwargs(request))
                if self.save_dir is not None:
                    return await asyncio.to_thread(self._result, generated, "", None)
                return self._result(generated, note="", finish_reason=None)
            message = await self.chat_model.ainvoke(
                request.messages, config=config, **self._call_kwargs(request)
            )
        except HiAPIError as exc:
            raise self._tool_error(exc) from exc
        except ValueError as exc:  # refused before sending (TaskInputError included)
            raise input_error(exc) from None
        if self.save_dir is not None:  # decoding and fsync'ed writes: off the loop
            return await asyncio.to_thread(self._finish, message)
        return self._finish(message)

    # ----------------------------------------------------------------- steps

    def _prepare(
        self,
        prompt: str,
        aspect_ratio: str | None,
        image_size: str | None,
        images: Sequence[str] | None,
    ) -> _Request:
        """Validates the options and builds the message; raises `ToolException`."""
        given = {"aspect_ratio": aspect_ratio, "image_size": image_size}
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
            budget = _InputBudget(self.effective_limits())
            blocks = [self._input_block(ref, index, budget) for index, ref in enumerate(images)]
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

    def _input_block(self, ref: str, index: int, budget: _InputBudget) -> dict[str, Any]:
        """Turns one `images` entry into a standard image block."""
        where = f"images[{index}]"
        if not isinstance(ref, str):
            msg = f"{where}: expected a path, an http(s) URL or a data: URI."
            raise ToolException(msg)
        ref = ref.strip()
        if ref.lower().startswith(("http://", "https://")):
            return {"type": "image", "url": ref}  # the gateway downloads it
        if ref.lower().startswith("data:"):
            return _data_uri_block(ref, where, budget)
        try:
            data, mime = read_image_file(
                ref,
                self.allowed_image_dirs(),
                budget.per_image,
                where=where,
                sniff=_sniff_input_mime,
            )
        except LocalFileError as exc:
            raise ToolException(str(exc)) from None
        budget.take(len(data), where)
        return {
            "type": "image",
            "base64": base64.b64encode(data).decode("ascii"),
            "mime_type": mime,
        }

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

    def _finish(
        self, message: BaseMessage
    ) -> tuple[str | list[str | dict[str, Any]], ImageToolArtifact]:
        """Turns the reply into the content and artifact; raises `ToolException`."""
        note = _short(message.text.strip())
        try:
            images = get_images(message)
        except ValueError as exc:
            msg = f"HiAPI returned an image that could not be decoded: {exc}"
            raise ToolException(msg) from None
        metadata = message.response_metadata
        return self._result(
            images,
            note,
            metadata.get("finish_reason"),
            sources=_sources(message, images),
            task_id=metadata.get("task_id"),
            route=str(metadata.get("route") or "chat"),
        )

    def _result(
        self,
        images: list[GeneratedImage],
        note: str,
        finish_reason: Any,
        *,
        sources: list[dict[str, Any]] | None = None,
        task_id: str | None = None,
        route: str = "images",
    ) -> tuple[str | list[str | dict[str, Any]], ImageToolArtifact]:
        """Builds the content and artifact from decoded images; raises `ToolException`."""
        if not images:
            msg = f"HiAPI ({self.model}) returned no image for this prompt."
            finish = finish_reason
            if finish == "content_filter":
                msg += (
                    " The output was stopped by the safety filter (finish_reason=content_filter)."
                )
            if note:
                msg += f' The model said: "{note}".'
            msg += " Rephrase the prompt as an explicit request to draw an image and try again."
            raise ToolException(msg)
        sources = sources or [{} for _ in images]
        # Without a URL or a file the bytes are the image's only copy: keep them.
        keep_data = self.include_base64 or self.return_images_in_content
        blocks = [
            _image_block(
                image,
                source,
                with_data=keep_data or (self.save_dir is None and not source.get("url")),
            )
            for image, source in zip(images, sources, strict=True)
        ]
        paths: list[str] = []
        if self.save_dir is not None:
            try:
                saved = save_images(
                    images_as_blocks(images), self.save_dir, prefix=self.file_prefix
                )
            except OSError as exc:
                msg = f"The image was generated but could not be saved in {self.save_dir}: {exc}"
                raise ToolException(msg) from None
            paths = [str(p) for p in saved]
        sizes = [image_dimensions(image.data) for image in images]
        text = _summary(
            self.model, images, sizes, paths, note, inline=self.return_images_in_content
        )
        expiries = [e for e in (_expire_at(source) for source in sources) if e is not None]
        artifact = ImageToolArtifact(
            images=blocks,
            paths=paths,
            sizes=sizes,
            urls=[source.get("url") for source in sources],
            expire_at=min(expiries) if expiries else None,
            task_id=task_id,
            route=route,
            model=self.model,
            text=note,
        )
        if self.return_images_in_content:
            return [{"type": "text", "text": text}, *blocks], artifact
        return text, artifact

    def _tool_error(self, exc: HiAPIError) -> ToolException | HiAPIError:
        """Maps a HiAPI error to a `ToolException` with advice, or returns it to re-raise."""
        return tool_error(
            exc,
            model=self.chat_model.model_name,
            max_retries=self.chat_model.max_retries,
            what="image",
            arguments="the arguments (prompt, aspect_ratio, image_size, images)",
        )


# --------------------------------------------------------------------------- helpers


# Image-input fields of the task schemas (an image-to-image model has one of them).
_IMAGE_FIELDS = ("image_input", "input_urls", "image_urls", "reference_image_urls")


def images_as_blocks(images: Sequence[GeneratedImage]) -> list[dict[str, Any]]:
    """Standard base64 image blocks for decoded images (what `save_images` writes)."""
    return [
        {
            "type": "image",
            "base64": base64.b64encode(image.data).decode("ascii"),
            "mime_type": image.mime_type,
        }
        for image in images
    ]


class _InputBudget:
    """Bytes of input images of one call: each at most one limit, all at most another."""

    def __init__(self, limits: Limits) -> None:
        self.per_image = limits.max_input_image_bytes
        self.total = limits.max_input_images_bytes
        self.used = 0

    def check_one(self, size: int, where: str) -> None:
        if size > self.per_image:
            msg = (
                f"{where}: the image is larger than {self.per_image} bytes"
                " (Limits.max_input_image_bytes)."
            )
            raise ToolException(msg)

    def take(self, size: int, where: str) -> None:
        self.check_one(size, where)
        self.used += size
        if self.used > self.total:
            msg = (
                f"{where}: the input images together are larger than {self.total} bytes"
                " (Limits.max_input_images_bytes). Pass fewer or smaller images."
            )
            raise ToolException(msg)


def _data_uri_block(ref: str, where: str, budget: _InputBudget) -> dict[str, Any]:
    header, sep, payload = ref.partition(",")
    params = header[len("data:") :].split(";")
    mime = params[0].strip().lower()
    if not sep or "base64" not in (p.strip().lower() for p in params[1:]):
        msg = f"{where}: a data URI must look like data:image/png;base64,<data>."
        raise ToolException(msg)
    if mime not in _INPUT_MIME_TYPES:
        allowed = ", ".join(_INPUT_MIME_TYPES)
        msg = f"{where}: unsupported image type {mime[:60]!r}; allowed: {allowed}."
        raise ToolException(msg)
    # Checked before decoding: the decoded size is about 3/4 of the base64 length.
    budget.check_one(len(payload) // 4 * 3, where)
    try:
        decoded = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        msg = f"{where}: the data URI holds invalid base64 data."
        raise ToolException(msg) from None
    budget.take(len(decoded), where)
    return {"type": "image", "base64": payload, "mime_type": mime}


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_NOTE_CHARS else text[: _MAX_NOTE_CHARS - 1] + "…"


def _summary(
    model: str,
    images: Sequence[GeneratedImage],
    sizes: Sequence[tuple[int, int] | None],
    paths: Sequence[str],
    note: str,
    *,
    inline: bool,
) -> str:
    count = len(images)
    parts = []
    for index, (image, size) in enumerate(zip(images, sizes, strict=True)):
        item = f"{size[0]}x{size[1]} {image.mime_type}" if size else image.mime_type
        if paths:
            item += f", saved to {paths[index]}"
        parts.append(item)
    noun = "image" if count == 1 else "images"
    text = f"Generated {count} {noun} with {model}: " + "; ".join(parts) + "."
    if inline:
        text += " The image data follows."
    elif not paths:
        text += " The image was handed to the application (not saved to a file)."
    if note:
        text += f' The model said: "{note}"'
    return text


def _sizes_for(model: str) -> tuple[str, ...]:
    lowered = model.lower()
    for name, sizes in MODEL_IMAGE_SIZES.items():
        if name.lower() == lowered:
            return sizes
    return IMAGE_SIZES


def _choices(schema: type[BaseModel], field: str, offered: Sequence[str]) -> str:
    """The tool's values the task schema accepts for `field`, as text."""
    if field not in schema.model_fields:
        return "not available for this model (omit it)"
    annotation = schema.model_fields[field].annotation
    values = [a for arg in get_args(annotation) or (annotation,) for a in get_args(arg)]
    values += [v for v in get_args(annotation) if isinstance(v, str)]
    allowed = [v for v in offered if v in values] if values else list(offered)
    return ", ".join(allowed)


def _describe(model: str, *, editing: bool, task_schema: type[BaseModel] | None = None) -> str:
    what = "Generate a new image from a text prompt"
    if editing:
        what += ", or edit / combine existing images (pass them in `images`)"
    if task_schema is not None:
        ratios = _choices(task_schema, "aspect_ratio", ASPECT_RATIOS)
        sizes = _choices(task_schema, "resolution", IMAGE_SIZES)
    else:
        ratios, sizes = ", ".join(ASPECT_RATIOS), ", ".join(_sizes_for(model))
    return (
        f"{what}, with HiAPI's {model} image model. Returns the pixel size and the saved"
        " file path of each image. Write a detailed prompt (subject, style, composition,"
        f" colours, any text to render). aspect_ratio: one of {ratios};"
        f" image_size for this model: {sizes}."
    )


# Pixel sizes the images-API models take, by orientation of the requested aspect ratio.
_IMAGES_API_SIZES = {"square": "1024x1024", "landscape": "1536x1024", "portrait": "1024x1536"}


def images_api_size(config: ImageConfig | None) -> str | None:
    """Maps an aspect ratio onto the `size` the images API understands (None: its default).

    The images API has no aspect_ratio/image_size; its models take a few pixel sizes.
    """
    ratio = config.aspect_ratio if config else None
    if ratio is None or ratio == "auto":
        return None
    width, height = (int(part) for part in ratio.split(":"))
    if width == height:
        return _IMAGES_API_SIZES["square"]
    return _IMAGES_API_SIZES["landscape" if width > height else "portrait"]
