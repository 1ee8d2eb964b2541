"""`HiAPIImageGenerationTool`: HiAPI image generation and editing as an agent tool.

The tool is a thin layer over `ChatHiAPI` (no second HTTP stack): it turns the arguments
an LLM fills in into one chat call to an image model, and the reply into a short text
for the agent plus an artifact with the image blocks and saved file paths. Errors an
agent can act on (a blocked prompt, no quota, a rate limit, an unknown model, a bad
option, a reply without an image) become tool errors the agent reads as text.
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
from typing import Any, Literal, TypedDict

import httpx
from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.messages import BaseMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import ArgsSchema, BaseTool, ToolException

try:  # langchain-core >= 1.7: an error handler may return content blocks, not only text
    from langchain_core.tools.base import ToolExceptionHandlerOutput
except ImportError:  # pragma: no cover - older langchain-core (the declared floor)
    ToolExceptionHandlerOutput = str  # type: ignore[misc, assignment]
from langchain_core.utils import from_env, secret_from_env
from pydantic import (
    BaseModel,
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
from langchain_hiapi.chat_models import ChatHiAPI
from langchain_hiapi.errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    HiAPIError,
    InsufficientQuotaError,
    ModelNotFoundError,
    PermissionDeniedError,
    PromptBlockedError,
    RateLimitError,
    ResponseTooLargeError,
    UnsafeURLError,
)
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
from langchain_hiapi.images_api import IMAGES_API_MODELS, agenerate_images, generate_images
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
        images: Standard image content blocks (`type`, `base64`, `mime_type`, `id`).
        paths: Files written under `save_dir`, in image order (empty without `save_dir`).
        sizes: `(width, height)` per image, `None` where the header could not be read.
        model: The model id the request was sent to.
        text: The model's own text in the reply, if any.
    """

    images: list[dict[str, Any]]
    paths: list[str]
    sizes: list[tuple[int, int] | None]
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


def _image_block(image: GeneratedImage) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "image",
        "base64": base64.b64encode(image.data).decode("ascii"),
        "mime_type": image.mime_type,
    }
    if image.id:
        block["id"] = image.id
    return block


# --------------------------------------------------------------------------- the tool


@dataclass(frozen=True)
class _Request:
    messages: list[BaseMessage]
    image_config: ImageConfig | None


class HiAPIImageGenerationTool(BaseTool):
    """Generates and edits images with HiAPI's image models, for agents.

    The tool holds a `ChatHiAPI` (built from `model`, `api_key`, `base_url`, `timeout`
    and `max_retries`, or passed as `llm`); images-API models (`gpt-image-1.5`,
    `flux-1.1-pro`, `qwen-image-2.0`, `gpt-image-2-beta`) go to `/v1/images/generations`
    instead. Called with a `ToolCall`, it returns a `ToolMessage` whose content is a short
    text for the model (image count, pixel size, saved paths; no base64 unless
    `return_images_in_content=True`) and whose artifact (`ImageToolArtifact`) holds the
    standard image blocks, the paths and the pixel sizes.

    Errors an agent can act on come back as the tool's text result with
    `status="error"` (a blocked prompt, insufficient quota, a rate limit after the
    retries, an unknown model, an unsupported option, a reply without an image, a
    missing input file). An invalid API key or a denied account still raises: no agent
    can fix those.

    Setup:
        Install `langchain-hiapi` and set environment variable `HIAPI_API_KEY`.

        ```bash
        pip install -U langchain-hiapi
        export HIAPI_API_KEY="your-api-key"
        ```

    Key init args:
        model:
            HiAPI image model: `Nano-Banana` (default), `Nano-Banana-2`,
            `Nano-Banana-Pro`, `gpt-image-2` or an images-API model.
        image_config:
            Default `aspect_ratio` / `image_size`; the call's arguments override them.
        save_dir:
            Directory the images are saved in (unique names, never overwriting a file).
        return_images_in_content:
            Also put the image blocks into the tool message, for vision-capable agents.
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

        `message.artifact["images"]` holds the standard image blocks (base64).

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
    """HiAPI image model: `Nano-Banana`, `Nano-Banana-2`, `Nano-Banana-Pro`, `gpt-image-2`."""
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
        if not self.allow_input_images and self.args_schema is ImageEditInput:
            self.args_schema = ImageGenerationInput
        if not self.description:
            self.description = _describe(self.model, editing=self.allow_input_images)

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
        )
        if self._chat is None or self._chat_settings != settings:
            self._chat = ChatHiAPI(
                model=self.model,
                api_key=self.api_key,
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=self.max_retries,
                limits=self.limits,
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
        """Whether the model is served on `/v1/images/generations` rather than chat."""
        return self.chat_model.model_name in IMAGES_API_MODELS

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
        return self._result(images, note, message.response_metadata.get("finish_reason"))

    def _result(
        self, images: list[GeneratedImage], note: str, finish_reason: Any
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
        blocks = [_image_block(image) for image in images]
        paths: list[str] = []
        if self.save_dir is not None:
            try:
                saved = save_images(blocks, self.save_dir, prefix=self.file_prefix)
            except OSError as exc:
                msg = f"The image was generated but could not be saved in {self.save_dir}: {exc}"
                raise ToolException(msg) from None
            paths = [str(p) for p in saved]
        sizes = [image_dimensions(image.data) for image in images]
        text = _summary(
            self.model, images, sizes, paths, note, inline=self.return_images_in_content
        )
        artifact = ImageToolArtifact(
            images=blocks, paths=paths, sizes=sizes, model=self.model, text=note
        )
        if self.return_images_in_content:
            return [{"type": "text", "text": text}, *blocks], artifact
        return text, artifact

    def _tool_error(self, exc: HiAPIError) -> ToolException | HiAPIError:
        """Maps a HiAPI error to a `ToolException` with advice, or returns it to re-raise."""
        if isinstance(exc, InsufficientQuotaError):
            advice = (
                "The HiAPI account has run out of quota, so no image can be generated now."
                " Do not retry; tell the user the account needs to be topped up."
            )
        elif isinstance(exc, (AuthenticationError, PermissionDeniedError)):
            return exc  # a deployment problem: fail loudly instead of letting the agent try
        elif isinstance(exc, PromptBlockedError):
            advice = (
                "HiAPI blocked this prompt for safety reasons. Do not retry it unchanged;"
                " rephrase it without the problematic content or tell the user it cannot"
                " be drawn."
            )
        elif isinstance(exc, RateLimitError):
            advice = (
                f"HiAPI is rate limiting requests (still after {self.chat_model.max_retries}"
                " retries). Wait a while before calling the tool again, or carry on without"
                " the image."
            )
        elif isinstance(exc, ModelNotFoundError):
            advice = (
                f"The model {self.chat_model.model_name!r} is not available on HiAPI."
                " Retrying will not help; tell the user the image model is unavailable."
            )
        elif isinstance(exc, BadRequestError):
            advice = (
                "HiAPI rejected the request. Check the arguments (prompt, aspect_ratio,"
                " image_size, images) and call the tool again with corrected values."
            )
        elif exc.code == "empty_response":
            advice = (
                "HiAPI's image model returned nothing for this prompt (the attempt was billed)."
                " Do not retry it unchanged; rephrase the prompt or tell the user."
            )
        elif isinstance(exc, UnsafeURLError):
            advice = (
                "HiAPI returned an image URL the download policy refuses (an internal"
                " address or plain http). Retrying will not help; tell the user."
            )
        elif isinstance(exc, ResponseTooLargeError):
            advice = (
                f"The reply was larger than the configured limit ({exc.limit_name}). Try a"
                " smaller image_size, or tell the user the limit needs raising."
            )
        elif isinstance(exc, APITimeoutError):
            advice = "The image request timed out. You may retry once, perhaps at 1K."
        elif isinstance(exc, APIConnectionError):
            advice = "HiAPI could not be reached. You may retry once later."
        else:
            advice = "The image could not be generated. You may retry once."
        return ToolException(f"{advice} ({exc})")


# --------------------------------------------------------------------------- helpers


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


def _describe(model: str, *, editing: bool) -> str:
    what = "Generate a new image from a text prompt"
    if editing:
        what += ", or edit / combine existing images (pass them in `images`)"
    return (
        f"{what}, with HiAPI's {model} image model. Returns the pixel size and the saved"
        " file path of each image. Write a detailed prompt (subject, style, composition,"
        f" colours, any text to render). aspect_ratio: one of {', '.join(ASPECT_RATIOS)};"
        f" image_size for this model: {', '.join(_sizes_for(model))}."
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
