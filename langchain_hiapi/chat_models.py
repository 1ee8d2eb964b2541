"""`ChatHiAPI`: HiAPI's chat-completions route as a LangChain chat model."""

from __future__ import annotations

import asyncio
import copy
import shutil
import tempfile
import time
import warnings
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal, cast

import httpx
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LangSmithParams, LanguageModelInput
from langchain_core.language_models.chat_models import BaseChatModel, generate_from_stream
from langchain_core.language_models.model_profile import ModelProfile
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.base import OutputParserLike
from langchain_core.output_parsers.openai_tools import (
    JsonOutputKeyToolsParser,
    PydanticToolsParser,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass
from langchain_core.utils.utils import get_pydantic_field_names
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from langchain_hiapi import _blocks
from langchain_hiapi._client import DEFAULT_TIMEOUT, HiAPIClient
from langchain_hiapi._connection import (
    ApiKey,
    BaseUrl,
    ConnectionOwner,
    DefaultHeaders,
    Timeout,
    api_key_field,
    base_url_field,
    download_hosts,
    make_client,
    max_retries_field,
    without_private,
)
from langchain_hiapi._convert import MODEL_PROVIDER, messages_to_wire, reply_to_result
from langchain_hiapi._events import async_task_reporter, task_reporter
from langchain_hiapi._flows import run_async, run_sync
from langchain_hiapi._image_route import (
    ROUTE_MEMORY,
    ImageRoute,
    RoutePlan,
    chat_refuses_model,
    check_image_route,
    plan_route,
)
from langchain_hiapi._profiles import get_profile
from langchain_hiapi._secrets import (
    header_secrets,
    masked_headers,
)
from langchain_hiapi._stream import StreamAssembler
from langchain_hiapi._task_convert import message_to_chunk, task_to_message
from langchain_hiapi._version import __version__
from langchain_hiapi.errors import HiAPIError, StreamError
from langchain_hiapi.image_config import (
    ASPECT_RATIOS,
    ImageConfig,
    build_extra_body,
    check_image_size_for_model,
    coerce_image_config,
    is_image_model,
    merge_image_config,
)
from langchain_hiapi.limits import Limits

if TYPE_CHECKING:
    from langchain_hiapi._task_flows import CreateRequest, PollSchedule
    from langchain_hiapi.catalogue import ModelInfo

_blocks.register()

CHAT_PATH = "/chat/completions"
# The gateway forwards at most this many stop sequences (new-api / OpenAI limit).
MAX_STOP_SEQUENCES = 5
# Keyword arguments LangChain passes to `_generate` for its own use; never sent.
_INTERNAL_KWARGS = frozenset(
    {"ls_structured_output_format", "run_manager", "stream", "stream_usage"}
)
# Optional request fields sent as they are when set (the OpenAI parameters users expect).
_BODY_FIELDS = (
    "temperature",
    "max_tokens",
    "max_completion_tokens",
    "top_p",
    "seed",
    "n",
    "presence_penalty",
    "frequency_penalty",
    "logprobs",
    "top_logprobs",
    "logit_bias",
    "reasoning_effort",
    "service_tier",
)
# Constructor names accepted besides the fields and their aliases.
_EXTRA_ALIASES = frozenset({"request_timeout"})
_TOOL_CHOICE_KEYWORDS = frozenset({"auto", "none", "required"})
# Per-call arguments that choose or feed the route; never sent as chat body fields.
_ROUTE_KWARGS = frozenset({"image_route", "task_input"})
# Per-call arguments the task route understands (the rest would be silently lost there).
_TASK_KWARGS = frozenset({"model", "image_config"}) | _ROUTE_KWARGS
DEFAULT_TASK_TIMEOUT = 600.0
"""Seconds ChatHiAPI waits for a task on the task route by default."""
DEFAULT_TASK_POLL_INTERVAL = 2.5
"""First pause between task status polls (`HiAPITasks`' default, `_task_flows.POLL_INITIAL`)."""
# Body keys the model builds itself; model_kwargs setting them would bypass validation.
_RESERVED_BODY_KEYS = frozenset({"model", "messages", "stream", "image_config", "stop"})


class ChatHiAPI(BaseChatModel, ConnectionOwner):
    """HiAPI chat model: text, tool calling, structured output and generated images.

    Speaks HiAPI's OpenAI-compatible `/v1/chat/completions` and, for image models, its task
    API (`/v1/tasks`, see `image_route`) directly over httpx. Generated images arrive as
    standard image content blocks instead of a multi-megabyte base64 Markdown string.

    Setup:
        Install `langchain-hiapi` and set environment variable `HIAPI_API_KEY`.

        ```bash
        pip install -U langchain-hiapi
        export HIAPI_API_KEY="your-api-key"
        ```

    Key init args — completion params:
        model:
            HiAPI model id: `Nano-Banana`, `Nano-Banana-2`, `Nano-Banana-Pro`,
            `gpt-image-2` (images) or any text model HiAPI serves (e.g. `gpt-4o-mini`).
        image_config:
            Image options of image models: `aspect_ratio` (`1:1`, `2:3`, `3:2`, `3:4`,
            `4:3`, `4:5`, `5:4`, `9:16`, `16:9`, `21:9`) and `image_size` (`1K`, `2K`,
            `4K`; `Nano-Banana`: `1K` only). Overridable per call.
        temperature:
            Sampling temperature.
        max_tokens:
            Max number of tokens to generate (`max_completion_tokens` also exists).
        stop:
            Default stop sequences (at most 5).
        logprobs:
            Whether to return logprobs (in `response_metadata["logprobs"]`).
        reasoning_effort:
            Reasoning effort of reasoning models (`"low"`, `"medium"`, `"high"`).
        extra_body:
            Sent as the literal `extra_body` JSON key (e.g. Gemini's
            `{"google": {"thinking_config": {...}}}`), merged with `image_config`.
        model_kwargs:
            Other request fields, sent as they are. Unknown constructor arguments are
            moved here with a warning.

    Key init args — image route params:
        image_route:
            `"auto"` (default: text models to chat, task-only models to the task API,
            models on both to chat with a remembered fallback to tasks), `"chat"` or
            `"tasks"`. Overridable per call.
        task_input:
            Extra task `input` fields on the task route (e.g. `{"quality": "high"}`),
            checked against the model's schema; merged with a per-call `task_input=`.
        download_images:
            Task route: download image outputs into the reply beside their URLs.
        task_timeout:
            Task route: seconds to wait for the task (600 by default).
        task_poll_interval:
            Task route: the first pause between status polls, in seconds.

    Key init args — client params:
        api_key:
            HiAPI API key. If not passed in will be read from env var `HIAPI_API_KEY`.
        base_url:
            API base URL; read from `HIAPI_BASE_URL` (or `HIAPI_API_BASE`), else
            `https://api.hiapi.ai/v1`.
        timeout:
            Timeout for requests: seconds (every phase and the whole call), an
            `httpx.Timeout`, or a `HiAPITimeout` whose `total` bounds the whole call,
            retries included (`request_timeout=` works too); the default allows for slow
            image models.
        max_retries:
            Max number of retries for rate limits, 5xx answers and connection errors
            (jittered backoff, `Retry-After` honoured).
        retry_read_timeouts:
            Also retry a non-streaming call after a read timeout. Off by default: the
            server may already have generated, and billed, the answer.
        adaptive_rate_limit:
            Pace requests at the rate learned from HiAPI's 429s, shared by every client of
            the same key and base URL in the process.
        limits:
            Byte limits for replies, streams and downloads (`langchain_hiapi.Limits`).
        allowed_download_hosts:
            Extra hosts URLs in replies may be downloaded from, besides the gateway's own
            origin and public https hosts.
        default_headers, default_query, proxy, http_client, http_async_client:
            Connection options; your own httpx clients are never closed by the model.

        See full list of supported init args and their descriptions in the params section.

    Instantiate:
        ```python
        from langchain_hiapi import ChatHiAPI

        model = ChatHiAPI(
            model="gpt-4o-mini",
            temperature=0,
            max_tokens=None,
            max_retries=2,
            # api_key="...",
            # base_url="...",
            # other params...
        )
        ```

    Invoke:
        ```python
        messages = [
            (
                "system",
                "You are a helpful translator. Translate the user sentence to French.",
            ),
            ("human", "I love programming."),
        ]
        model.invoke(messages)
        ```

        ```text
        AIMessage(
            content="J'adore la programmation.",
            response_metadata={
                "model_name": "gpt-4o-mini",
                "token_usage": {"prompt_tokens": 23, "completion_tokens": 7, ...},
                "id": "chatcmpl-...",
                "finish_reason": "stop",
                "model_provider": "hiapi",
            },
            id="chatcmpl-...",
            usage_metadata={"input_tokens": 23, "output_tokens": 7, "total_tokens": 30},
        )
        ```

    Stream:
        ```python
        for chunk in model.stream(messages):
            print(chunk.text, end="")
        ```

        ```text
        J'adore la programmation.
        ```

        ```python
        stream = model.stream(messages)
        full = next(stream)
        for chunk in stream:
            full += chunk
        full
        ```

        ```text
        AIMessageChunk(
            content="J'adore la programmation.",
            response_metadata={"finish_reason": "stop", "model_name": "gpt-4o-mini", ...},
            id="chatcmpl-...",
            usage_metadata={"input_tokens": 23, "output_tokens": 7, "total_tokens": 30},
        )
        ```

    Async:
        ```python
        await model.ainvoke(messages)

        # stream:
        async for chunk in model.astream(messages):
            print(chunk.text, end="")

        # batch:
        await model.abatch([messages])
        ```

        ```text
        AIMessage(content="J'adore la programmation.", ...)
        ```

    Tool calling:
        ```python
        from pydantic import BaseModel, Field


        class GetWeather(BaseModel):
            '''Get the current weather in a given location'''

            location: str = Field(..., description="The city and state, e.g. San Francisco, CA")


        class GetPopulation(BaseModel):
            '''Get the current population in a given location'''

            location: str = Field(..., description="The city and state, e.g. San Francisco, CA")


        model_with_tools = model.bind_tools([GetWeather, GetPopulation])
        ai_msg = model_with_tools.invoke("Which city is hotter today: LA or NY?")
        ai_msg.tool_calls
        ```

        ```text
        [
            {
                "name": "GetWeather",
                "args": {"location": "Los Angeles, CA"},
                "id": "call_1",
                "type": "tool_call",
            },
            {
                "name": "GetWeather",
                "args": {"location": "New York, NY"},
                "id": "call_2",
                "type": "tool_call",
            },
        ]
        ```

        `tool_choice` (`"auto"`, `"none"`, `"required"`/`"any"`, a tool name or `True`),
        `parallel_tool_calls` and `strict` are accepted by `bind_tools`.

    Structured output:
        ```python
        from pydantic import BaseModel, Field


        class Joke(BaseModel):
            '''Joke to tell user.'''

            setup: str = Field(description="The setup of the joke")
            punchline: str = Field(description="The punchline to the joke")
            rating: int | None = Field(
                default=None, description="How funny the joke is, from 1 to 10"
            )


        structured_model = model.with_structured_output(Joke)
        structured_model.invoke("Tell me a joke about cats")
        ```

        ```text
        Joke(
            setup="Why was the cat sitting on the computer?",
            punchline="To keep an eye on the mouse!",
            rating=7,
        )
        ```

        `method="json_schema"` (the default) sends the schema as `response_format`;
        `method="function_calling"` forces a tool call and `method="json_mode"` asks for
        any JSON object. `include_raw=True` returns the raw message and the parsing error
        instead of raising.

    JSON mode:
        ```python
        json_model = model.with_structured_output(method="json_mode")
        json_model.invoke("Return a JSON object with a 'joke' key")
        ```

        ```text
        {"joke": "Why did the cat sit on the computer? To keep an eye on the mouse!"}
        ```

    Image output:
        ```python
        from langchain_hiapi import save_images

        image_model = ChatHiAPI(
            model="Nano-Banana-Pro",
            image_config={"aspect_ratio": "16:9", "image_size": "2K"},
        )
        message = image_model.invoke(
            "Draw a cute cat", image_config={"aspect_ratio": "1:1"}  # per-call override
        )
        print(message.text)  # the prose, never base64
        [(block["type"], block.get("mime_type")) for block in message.content_blocks]
        ```

        ```text
        Here is your cat.
        [("text", None), ("image", "image/png")]
        ```

        ```python
        save_images(message, "out/")
        ```

        ```text
        [PosixPath("out/image-1.png")]
        ```

        Put the AI message back into the history and ask for a change to edit the image;
        `get_images(message)` returns the decoded images. When streaming, each image
        arrives as one chunk.

        On the task route (`POST /v1/tasks`) the reply has the same shape; each image
        block also carries its output `url`, and `response_metadata` the task id:

        ```python
        task_model = ChatHiAPI(model="seedream-5.0-pro/text-to-image")  # a task-only model
        task_message = task_model.invoke(
            "Draw a cute cat",
            image_config={"aspect_ratio": "3:2"},
            task_input={"quality": "high"},
        )
        task_message.response_metadata["route"], task_message.response_metadata["task_id"]
        ```

        ```text
        ("tasks", "tk-hiapi-01M8F3DEZTD8QVVSN2DA9FHK6D")
        ```

    Image input:
        ```python
        import base64
        from pathlib import Path

        from langchain_core.messages import HumanMessage

        image_data = base64.b64encode(Path("out/image-1.png").read_bytes()).decode("ascii")
        message = HumanMessage(
            content=[
                {"type": "text", "text": "Describe this image in one sentence."},
                {"type": "image", "base64": image_data, "mime_type": "image/png"},
            ]
        )
        ai_msg = model.invoke([message])
        ai_msg.text
        ```

        ```text
        'A fluffy cat sits on a windowsill in the sun.'
        ```

        Image blocks with a `url` are passed on for the gateway to fetch. Sent to an
        image model, an image is edited or combined with others.

    Token usage:
        ```python
        ai_msg = model.invoke(messages)
        ai_msg.usage_metadata
        ```

        ```text
        {
            "input_tokens": 23,
            "output_tokens": 7,
            "total_tokens": 30,
            "input_token_details": {"cache_read": 0},
            "output_token_details": {"reasoning": 0},
        }
        ```

        Image tokens are in `input_token_details["image"]` and
        `output_token_details["image"]`. Streams carry usage in their last chunk unless
        `stream_usage=False`.

    Response metadata:
        ```python
        ai_msg = model.invoke(messages)
        ai_msg.response_metadata
        ```

        ```text
        {
            "model_name": "gpt-4o-mini",
            "token_usage": {
                "prompt_tokens": 23,
                "completion_tokens": 7,
                "total_tokens": 30,
                ...
            },
            "id": "chatcmpl-...",
            "finish_reason": "stop",
            "model_provider": "hiapi",
        }
        ```

        `model_name` is the upstream model the gateway reports (for `Nano-Banana-Pro`, the
        Gemini model behind it); `logprobs` is added when requested.
    """

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    model_name: str = Field(default="Nano-Banana", alias="model")
    """HiAPI model id: `Nano-Banana`, `Nano-Banana-2`, `Nano-Banana-Pro`, `gpt-image-2`
    or any text model id HiAPI serves."""
    api_key: ApiKey = api_key_field()
    """HiAPI key; read from `HIAPI_API_KEY` when not given."""
    base_url: BaseUrl = base_url_field()
    """API base URL; read from `HIAPI_BASE_URL` (or `HIAPI_API_BASE`), else
    `https://api.hiapi.ai/v1`."""
    image_config: ImageConfig | None = None
    """Default image options (`aspect_ratio`, `image_size`), overridable per call. Sent for
    this model and for per-call image models only, never to a per-call text model."""
    image_route: ImageRoute = "auto"
    """Where image requests go, overridable per call (`image_route=`): `"chat"` sends every
    call to `/v1/chat/completions`; `"tasks"` sends it to the task API (`POST /v1/tasks`:
    prompt from the system text and the last human message, images into the model's
    image-input field, the reply's images as URLs plus downloaded base64); `"auto"` sends
    task-only models to tasks and text models to chat, and tries chat first for models
    HiAPI documents on both, falling back to tasks (remembered per base URL and model) when
    the chat route answers it does not serve the model."""
    task_input: dict[str, Any] | None = None
    """Extra task `input` fields on the task route (e.g. `{"output_format": "jpg"}`),
    checked against the model's schema; merged with a per-call `task_input=`."""
    download_images: bool = True
    """Task route: download image outputs into the reply (`base64` + `mime_type` beside the
    `url`). `False` keeps only the URLs (they expire after about 7 days)."""
    task_timeout: float | None = Field(default=DEFAULT_TASK_TIMEOUT, ge=0)
    """Task route: seconds to wait for the task (`None`: no limit). A task still running
    then is not cancelled; `TaskWaitTimeout` names its id."""
    task_poll_interval: float = Field(default=DEFAULT_TASK_POLL_INTERVAL, gt=0)
    """Task route: the first pause between status polls (it grows, with jitter)."""
    timeout: Timeout = Field(
        default=DEFAULT_TIMEOUT, validation_alias=AliasChoices("timeout", "request_timeout")
    )
    """Request timeout in seconds or an `httpx.Timeout` (`request_timeout=` works too);
    defaults fit slow image models."""
    max_retries: int = max_retries_field()
    """Retries after the first attempt for rate limits, 5xx and connection errors."""
    retry_read_timeouts: bool = False
    """Retry a call that may already have reached the gateway (a read timeout, or the
    connection lost before the reply). Off by default: the server may already have generated
    (and billed) the image."""
    adaptive_rate_limit: bool = False
    """Pace requests at the rate learned from HiAPI's 429s, shared by every client of the same
    key and base URL in the process; absorbed 429s do not count against `max_retries` while
    the key makes progress. Independent of LangChain's `rate_limiter`."""
    streaming: bool = False
    """Stream by default (`invoke` then uses the streaming path)."""
    stream_usage: bool = True
    """Ask for the usage chunk when streaming (`stream_options.include_usage`); a call's
    `stream_usage=` argument overrides it."""
    temperature: float | None = None
    """Sampling temperature."""
    max_tokens: int | None = Field(default=None, ge=1)
    """Maximum tokens to generate."""
    max_completion_tokens: int | None = Field(default=None, ge=1)
    """Maximum tokens to generate, reasoning included (the newer OpenAI name)."""
    top_p: float | None = None
    """Nucleus sampling."""
    seed: int | None = None
    """Sampling seed."""
    n: int | None = Field(default=None, ge=1)
    """Number of choices to generate (each becomes a generation; 1 when streaming)."""
    presence_penalty: float | None = None
    """Penalizes tokens that already appeared (ignored by Gemini channels)."""
    frequency_penalty: float | None = None
    """Penalizes tokens by how often they appeared (ignored by Gemini channels)."""
    logprobs: bool | None = None
    """Return token log probabilities (in `response_metadata["logprobs"]`)."""
    top_logprobs: int | None = Field(default=None, ge=0)
    """Number of most likely tokens to return per position (needs `logprobs=True`)."""
    logit_bias: dict[int, int] | None = None
    """Token id -> bias added to its logit."""
    reasoning_effort: str | None = None
    """Reasoning effort for reasoning models (e.g. `"low"`, `"medium"`, `"high"`)."""
    service_tier: str | None = None
    """Service tier to request (forwarded to channels that support it)."""
    default_query: dict[str, Any] | None = None
    """Query parameters added to every request URL."""
    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    """Default stop sequences (at most 5)."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra top-level request fields sent as they are."""
    extra_body: dict[str, Any] | None = None
    """Sent as the literal `extra_body` JSON key (e.g. `{"google": {"thinking_config":
    {...}}}`), merged with `image_config`. Keys must be snake_case."""
    default_headers: DefaultHeaders = None
    """Headers added to every request. Those that look like credentials (`Authorization`,
    `X-Api-Key`, `*token*`, `*key*`, `*secret*`, ...) are masked in `repr` and
    serialisation and sent to the gateway's own origin only."""
    limits: Limits | None = None
    """Byte limits for replies, streams and downloads (default `Limits()`)."""
    allowed_download_hosts: list[str] | None = None
    """Extra hosts (`host` or `host:port`) URLs in replies may be downloaded from, besides
    the gateway's own origin and public https hosts."""
    http_client: httpx.Client | None = Field(default=None, exclude=True)
    """Your own `httpx.Client` (not closed by the model)."""
    http_async_client: httpx.AsyncClient | None = Field(default=None, exclude=True)
    """Your own `httpx.AsyncClient` (not closed by the model)."""

    proxy: str | None = Field(default=None, repr=False)
    """Proxy URL for HiAPI connections (httpx also honours `HTTPS_PROXY` by default)."""

    _client: HiAPIClient | None = PrivateAttr(default=None)
    _client_settings: tuple[Any, ...] | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def build_extra(cls, values: Any) -> Any:
        """Moves unknown constructor arguments into `model_kwargs`, with a warning.

        As `ChatOpenAI` does: `ChatHiAPI(top_k=40)` sends `top_k` with every request
        instead of silently dropping it, and a known field given inside `model_kwargs`
        is moved to that field (the body keys the model builds itself stay put, to be
        refused by the `model_kwargs` check).
        """
        if not isinstance(values, dict):
            return values
        extra = values.get("model_kwargs", {})
        if not isinstance(extra, Mapping):
            return values  # refused by the field's own validation
        extra = dict(extra)
        values = dict(values)
        known = get_pydantic_field_names(cls) | _EXTRA_ALIASES
        for name in list(values):
            if name in known:
                continue
            if name in extra:
                msg = f"{name} is given both as an argument and in model_kwargs."
                raise ValueError(msg)
            warnings.warn(
                f"{name} is not a ChatHiAPI parameter: it was moved to model_kwargs and is"
                " sent as a top-level request field. Pass it in model_kwargs to silence this.",
                UserWarning,
                stacklevel=2,
            )
            extra[name] = values.pop(name)
        for name in sorted((known & extra.keys()) - _RESERVED_BODY_KEYS):
            warnings.warn(
                f"{name} is a ChatHiAPI parameter; pass it directly rather than in model_kwargs.",
                UserWarning,
                stacklevel=2,
            )
            values[name] = extra.pop(name)
        values["model_kwargs"] = extra
        return values

    @model_validator(mode="after")
    def _set_hiapi_version(self) -> ChatHiAPI:
        """Adds `langchain-hiapi`'s version to `metadata["lc_versions"]` for tracing.

        Named uniquely on purpose: pydantic replaces same-named validators of parents.
        """
        add_version = getattr(self, "_add_version", None)
        if add_version is not None:  # langchain-core >= 1.3
            add_version("langchain-hiapi", __version__)
        else:
            metadata = dict(self.metadata or {})
            versions = metadata.get("lc_versions")
            versions = dict(versions) if isinstance(versions, Mapping) else {}
            metadata["lc_versions"] = {**versions, "langchain-hiapi": __version__}
            self.metadata = metadata
        return self

    @model_validator(mode="after")
    def _set_hiapi_profile(self) -> ChatHiAPI:
        """Fills `profile` on langchain-core versions without `_resolve_model_profile`."""
        if self.profile is None and not hasattr(BaseChatModel, "_resolve_model_profile"):
            self.profile = get_profile(self.model_name)
        return self

    @field_validator("image_config", mode="before")
    @classmethod
    def _coerce_image_config(cls, value: Any) -> ImageConfig | None:
        return coerce_image_config(value)

    def __repr_args__(self) -> Any:
        # Credentials in default_headers are masked wherever the model is shown.
        for name, value in super().__repr_args__():
            yield name, masked_headers(value) if name == "default_headers" else value

    @field_validator("model_name", mode="before")
    @classmethod
    def _check_model(cls, value: Any) -> Any:
        return _validate_model(value)

    @field_validator("model_kwargs", mode="after")
    @classmethod
    def _check_model_kwargs(cls, value: dict[str, Any]) -> dict[str, Any]:
        reserved = sorted(_RESERVED_BODY_KEYS & value.keys())
        if reserved:
            msg = (
                f"model_kwargs may not set {reserved}: use the dedicated parameters"
                " (model, image_config, stop, streaming) instead."
            )
            raise ValueError(msg)
        return value

    @field_validator("stop", mode="before")
    @classmethod
    def _check_stop(cls, value: Any) -> Any:
        return _validate_stop(value)

    @field_validator("extra_body", mode="after")
    @classmethod
    def _check_extra_body(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        build_extra_body(None, value)  # raises on camelCase keys the gateway rejects
        return value

    def model_post_init(self, context: Any, /) -> None:
        """Checks `image_config` and `n` against the model once all fields are set."""
        super().model_post_init(context)
        check_image_size_for_model(self.image_config, self.model_name)
        if self.streaming and (self.n or 1) > 1:
            msg = f"n must be 1 when streaming=True; got n={self.n}."
            raise ValueError(msg)

    @property
    def request_timeout(self) -> float | httpx.Timeout | None:
        """The `timeout` (under the name `ChatOpenAI` uses)."""
        return self.timeout

    # ----------------------------------------------------------------- LangChain metadata

    @property
    def _llm_type(self) -> str:
        return "hiapi-chat"

    @property
    def lc_secrets(self) -> dict[str, str]:
        """Maps secret fields to environment variables for serialization.

        Besides `api_key`, `default_headers` is a secret (`HIAPI_DEFAULT_HEADERS`, a
        JSON object) when one of them looks like a credential, so `dumps` never writes
        it out.
        """
        return {"api_key": "HIAPI_API_KEY", **header_secrets(self.default_headers)}

    @property
    def lc_attributes(self) -> dict[str, Any]:
        """JSON forms of the fields LangChain cannot serialize itself, for `dumpd`/`dumps`.

        An `httpx.Timeout` becomes its dict form and an `ImageConfig` its fields; both are
        accepted back by the constructor, so `loads(dumps(llm), ...)` rebuilds the model.
        """
        attributes: dict[str, Any] = {}
        if isinstance(self.timeout, httpx.Timeout):
            attributes["timeout"] = self.timeout.as_dict()
        if self.image_config is not None:
            attributes["image_config"] = self.image_config.to_wire()
        return attributes

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """ChatHiAPI can be serialized with `dumpd`/`dumps`."""
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """Namespace for LangChain serialization."""
        return ["langchain_hiapi", "chat_models"]

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_name": self.model_name,
            "base_url": self.base_url,
            "image_config": self.image_config.model_dump(exclude_none=True)
            if self.image_config
            else None,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "image_route": self.image_route,
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider=MODEL_PROVIDER,
            ls_model_name=str(kwargs.get("model") or self.model_name),
            ls_model_type="chat",
        )
        if (temperature := kwargs.get("temperature", self.temperature)) is not None:
            params["ls_temperature"] = temperature
        if (max_tokens := kwargs.get("max_tokens", self.max_tokens)) is not None:
            params["ls_max_tokens"] = max_tokens
        if ls_stop := stop or kwargs.get("stop") or self.stop:
            params["ls_stop"] = ls_stop
        return params

    def _resolve_model_profile(self) -> ModelProfile | None:
        return get_profile(self.model_name)

    # ----------------------------------------------------------------- HTTP

    @property
    def client(self) -> HiAPIClient:
        """The HTTP client for the current connection settings.

        Derived from the fields on every call (cheaply: it is rebuilt only when a
        connection setting changed), so `model_copy(update=...)` and attribute assignment
        take effect on the next request. Clients with the same settings share one pooled
        connection set across the process.
        """
        settings = self._connection_settings()
        client = self._client
        if client is not None and self._client_settings == settings:
            return client
        client = make_client(
            base_url=self.base_url,
            api_key=self.api_key,
            timeout=self.timeout,
            max_retries=self.max_retries,
            retry_read_timeouts=self.retry_read_timeouts,
            adaptive_rate_limit=self.adaptive_rate_limit,
            limits=self.limits,
            default_headers=self.default_headers,
            http_client=self.http_client,
            http_async_client=self.http_async_client,
            default_query=self.default_query,
            proxy=self.proxy,
            allowed_download_hosts=download_hosts(self.allowed_download_hosts),
        )
        self._client, self._client_settings = client, settings
        return client

    def _connection_settings(self) -> tuple[Any, ...]:
        """Everything `client` is built from, as a snapshot (dicts copied) to compare."""
        return (
            self.base_url,
            self.api_key,
            self.timeout,
            self.max_retries,
            self.retry_read_timeouts,
            dict(self.default_headers) if self.default_headers is not None else None,
            self.http_client,
            self.http_async_client,
            self.adaptive_rate_limit,
            copy.deepcopy(self.default_query) if self.default_query else self.default_query,
            self.proxy,
            self.limits,
            download_hosts(self.allowed_download_hosts),
        )

    def _release_connection(self) -> HiAPIClient | None:
        # The next request leases the pool again (the model stays usable after close).
        client, self._client = self._client, None
        return client

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> ChatHiAPI:
        # Your own httpx clients are shared by copies, never copied (they hold sockets).
        memo = {} if memo is None else memo
        for shared in (self.http_client, self.http_async_client):
            if shared is not None:
                memo.setdefault(id(shared), shared)
        return super().__deepcopy__(memo)

    def __getstate__(self) -> dict[Any, Any]:
        if self.http_client is not None or self.http_async_client is not None:
            msg = (
                "a ChatHiAPI with your own http_client / http_async_client cannot be pickled"
                " (an httpx client holds sockets and locks); pass connection settings instead"
            )
            raise TypeError(msg)
        return without_private(super().__getstate__(), "_client", "_client_settings")

    # ----------------------------------------------------------------- request building

    def _build_request(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        *,
        stream: bool,
        stream_usage: bool | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Builds the JSON body; validates everything before any request is sent."""
        call = {k: v for k, v in kwargs.items() if k not in _INTERNAL_KWARGS}
        model = _validate_model(call.pop("model", None) or self.model_name)
        override = coerce_image_config(call.pop("image_config", None))
        # The model's image defaults belong to image models: a per-call text model must
        # not receive them (the typed config nor an image_config in the model's extra_body).
        defaults_apply = model == self.model_name or is_image_model(model)
        image_config = merge_image_config(self.image_config if defaults_apply else None, override)
        check_image_size_for_model(image_config, model)
        check_chat_aspect_ratio(image_config)
        call_extra = call.pop("extra_body", None)
        if call_extra is not None and not isinstance(call_extra, Mapping):
            msg = f"extra_body must be a dict, got {type(call_extra).__name__}."
            raise TypeError(msg)
        # An extra_body in model_kwargs (a ChatOpenAI habit) is merged and checked too.
        model_extra = _merge_dicts(self.model_kwargs.get("extra_body"), self.extra_body)
        if not defaults_apply:
            model_extra = _without_image_config(model_extra)
        user_extra = _merge_dicts(model_extra, call_extra)
        if "tool_choice" in call:
            call["tool_choice"] = _format_tool_choice(call["tool_choice"], call.get("tools") or [])
        body: dict[str, Any] = {"model": model, "messages": messages_to_wire(messages)}
        for name in _BODY_FIELDS:
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        stop_sequences = _validate_stop(stop if stop is not None else self.stop)
        if stop_sequences:
            body["stop"] = stop_sequences
        body.update({k: v for k, v in self.model_kwargs.items() if k != "extra_body"})
        body.update(call)
        extra_body = build_extra_body(image_config, user_extra)
        if extra_body:
            body["extra_body"] = extra_body
        body["stream"] = stream
        if stream:
            if (body.get("n") or 1) != 1:
                msg = f"n must be 1 when streaming; got n={body['n']}."
                raise ValueError(msg)
            body["stream_options"] = self._stream_options(stream_usage, body.get("stream_options"))
        return body

    def _stream_options(self, stream_usage: bool | None, given: Any) -> dict[str, Any]:
        """`stream_options` with `include_usage` decided like `ChatOpenAI` does.

        Precedence: the call's `stream_usage`, then `include_usage` in a `stream_options`
        given per call or in `model_kwargs`, then the `stream_usage` field. `False` is
        sent explicitly: the gateway sends the usage chunk unless told not to.
        """
        options = dict(given) if isinstance(given, Mapping) else {}
        include = options.get("include_usage")
        if isinstance(stream_usage, bool):
            include = stream_usage
        elif not isinstance(include, bool):
            include = self.stream_usage
        options["include_usage"] = include
        return options

    # ----------------------------------------------------------------- generation

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming:
            return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))
        plan = self._plan_route(kwargs)
        if plan.route == "chat":
            body = self._build_request(messages, stop, stream=False, **self._chat_kwargs(kwargs))
            try:
                return reply_to_result(self.client.request_json("POST", CHAT_PATH, body))
            except HiAPIError as exc:
                if not self._falls_back(plan, exc, kwargs):
                    raise
        return _task_result(self._run_task(messages, stop, run_manager, kwargs))

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming:
            chunks = [c async for c in self._astream(messages, stop, run_manager, **kwargs)]
            return generate_from_stream(iter(chunks))
        plan = self._plan_route(kwargs)
        if plan.route == "chat":
            body = self._build_request(messages, stop, stream=False, **self._chat_kwargs(kwargs))
            try:
                return reply_to_result(await self.client.arequest_json("POST", CHAT_PATH, body))
            except HiAPIError as exc:
                if not self._falls_back(plan, exc, kwargs):
                    raise
        return _task_result(await self._arun_task(messages, stop, run_manager, kwargs))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        *,
        stream_usage: bool | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        plan = self._plan_route(kwargs)
        if plan.route == "chat":
            body = self._build_request(
                messages, stop, stream=True, stream_usage=stream_usage, **self._chat_kwargs(kwargs)
            )
            assembler = StreamAssembler()
            started = False
            try:
                for event in self.client.stream_events(CHAT_PATH, body):
                    for chunk in assembler.feed(event):
                        started = True
                        yield chunk
            except StreamError as exc:
                _add_partial(exc, assembler)
                raise
            except HiAPIError as exc:
                # Only a refusal before any output may move the call to the task route.
                if started or not self._falls_back(plan, exc, kwargs):
                    raise
            else:
                yield from assembler.finish()
                return
        # The task route has no partial output: the whole reply is one (last) chunk.
        message = self._run_task(messages, stop, run_manager, kwargs)
        yield ChatGenerationChunk(message=message_to_chunk(message))

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        *,
        stream_usage: bool | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        plan = self._plan_route(kwargs)
        if plan.route == "chat":
            body = self._build_request(
                messages, stop, stream=True, stream_usage=stream_usage, **self._chat_kwargs(kwargs)
            )
            assembler = StreamAssembler()
            started = False
            try:
                async for event in self.client.astream_events(CHAT_PATH, body):
                    for chunk in assembler.feed(event):
                        started = True
                        yield chunk
            except StreamError as exc:
                _add_partial(exc, assembler)
                raise
            except HiAPIError as exc:
                if started or not self._falls_back(plan, exc, kwargs):
                    raise
            else:
                for chunk in assembler.finish():
                    yield chunk
                return
        message = await self._arun_task(messages, stop, run_manager, kwargs)
        yield ChatGenerationChunk(message=message_to_chunk(message))

    # ----------------------------------------------------------------- image routes

    # The task route's modules (the catalogue's schemas above all) load on first use:
    # `import langchain_hiapi` stays fast for chat-only users.

    def _call_model(self, kwargs: Mapping[str, Any]) -> str:
        return _validate_model(kwargs.get("model") or self.model_name)

    def _chat_kwargs(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """The call's chat arguments: route options removed, the chat id of the model.

        A catalogue model documented on chat under another id (`gpt-image-2/text-to-image`
        is `gpt-image-2` there) is sent under that id.
        """
        call = {k: v for k, v in kwargs.items() if k not in _ROUTE_KWARGS}
        model = self._call_model(kwargs)
        info = _lookup(model)
        if info is not None and "chat" in info.served_on and info.id_for("chat") != model:
            call["model"] = info.id_for("chat")
        return call

    def _plan_route(self, kwargs: Mapping[str, Any]) -> RoutePlan:
        """Chooses chat or tasks for one call (pure, before anything is sent)."""
        requested = check_image_route(kwargs.get("image_route") or self.image_route)
        model = self._call_model(kwargs)
        override = coerce_image_config(kwargs.get("image_config"))
        config = merge_image_config(self.image_config, override)
        info = _lookup(model)
        remembered = ROUTE_MEMORY.get(self.base_url, info.id if info else model)
        return plan_route(
            requested, info, remembered, aspect_ratio=config.aspect_ratio if config else None
        )

    def _falls_back(self, plan: RoutePlan, error: HiAPIError, kwargs: Mapping[str, Any]) -> bool:
        """Whether a chat error moves the call to the task route (and remembers that)."""
        if not (plan.fallback and chat_refuses_model(error)):
            return False
        model = self._call_model(kwargs)
        info = _lookup(model)
        ROUTE_MEMORY.remember_fallback(self.base_url, info.id if info else model)
        return True

    def _task_request(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: Mapping[str, Any]
    ) -> CreateRequest:
        """Checks a task-route call and builds its create request, before any request."""
        from langchain_hiapi._task_route import build_task_request

        call = {k: v for k, v in kwargs.items() if k not in _INTERNAL_KWARGS}
        unsupported = sorted(set(call) - _TASK_KWARGS)
        if unsupported:
            msg = (
                f"{unsupported} cannot be sent on the task route (image_route='tasks'), which"
                " takes a prompt, images, image_config and task_input only; use"
                " image_route='chat' for tools and sampling options."
            )
            raise ValueError(msg)
        ignored = [name for name in _BODY_FIELDS if getattr(self, name) is not None]
        ignored += ["stop"] if (stop or self.stop) else []
        ignored += ["model_kwargs"] if self.model_kwargs else []
        ignored += ["extra_body"] if self.extra_body else []
        if ignored:
            warnings.warn(
                f"{ignored} are chat-completions options and are not used on the task route.",
                UserWarning,
                stacklevel=4,
            )
        override = coerce_image_config(call.get("image_config"))
        call_input = call.get("task_input")
        if call_input is not None and not isinstance(call_input, Mapping):
            msg = f"task_input must be a dict, got {type(call_input).__name__}."
            raise TypeError(msg)
        return build_task_request(
            messages,
            model=self._call_model(call),
            image_config=merge_image_config(self.image_config, override),
            task_input={**(self.task_input or {}), **(call_input or {})},
            now=time.time(),
        )

    def _task_schedule(self) -> PollSchedule:
        from langchain_hiapi._task_flows import POLL_MAX, PollSchedule

        return PollSchedule(self.task_poll_interval, max(POLL_MAX, self.task_poll_interval))

    def _run_task(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        run_manager: CallbackManagerForLLMRun | None,
        kwargs: Mapping[str, Any],
    ) -> AIMessage:
        from langchain_hiapi._task_route import read_downloads, task_flow

        request = self._task_request(messages, stop, kwargs)
        with tempfile.TemporaryDirectory(prefix="hiapi-task-") as tmp:
            flow = task_flow(
                request,
                timeout=self.task_timeout,
                download_dir=tmp if self.download_images else None,
                on_update=task_reporter(run_manager),
                schedule=self._task_schedule(),
                max_bytes=self.client.limits.max_image_download_bytes,
            )
            run = run_sync(flow, self.client)
            downloads = read_downloads(run)
        return task_to_message(run.task, downloads=downloads)

    async def _arun_task(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        run_manager: AsyncCallbackManagerForLLMRun | None,
        kwargs: Mapping[str, Any],
    ) -> AIMessage:
        from langchain_hiapi._task_route import read_downloads, task_flow

        request = self._task_request(messages, stop, kwargs)
        tmp = await asyncio.to_thread(tempfile.mkdtemp, prefix="hiapi-task-")
        try:
            flow = task_flow(
                request,
                timeout=self.task_timeout,
                download_dir=tmp if self.download_images else None,
                on_update=async_task_reporter(run_manager),
                schedule=self._task_schedule(),
                max_bytes=self.client.limits.max_image_download_bytes,
            )
            run = await run_async(flow, self.client)
            downloads = await asyncio.to_thread(read_downloads, run)
        finally:
            await asyncio.to_thread(shutil.rmtree, tmp, True)
        return task_to_message(run.task, downloads=downloads)

    # ----------------------------------------------------------------- tools

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: dict[str, Any] | str | bool | None = None,
        strict: bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Binds tools (OpenAI function format) to the model.

        Args:
            tools: Tools as dicts, pydantic models, functions or `BaseTool`s.
            tool_choice: `"auto"`, `"none"`, `"required"`/`"any"`, a tool name, `True`
                (the single tool must be called) or an OpenAI tool_choice dict.
            strict: Ask the backend to follow the JSON schema exactly.
            parallel_tool_calls: Allow or forbid several calls in one reply.
            **kwargs: Other request fields bound with the tools.

        Returns:
            A runnable that sends the tools with every call.
        """
        formatted = [convert_to_openai_tool(tool, strict=strict) for tool in tools]
        if tool_choice is not None and tool_choice is not False:
            kwargs["tool_choice"] = _format_tool_choice(tool_choice, formatted)
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: Literal["function_calling", "json_mode", "json_schema"] = "json_schema",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Returns a runnable whose output follows `schema`.

        Args:
            schema: A pydantic class, TypedDict, JSON schema or OpenAI tool dict.
            method: `"json_schema"` (response_format, default), `"function_calling"`
                (a forced tool call) or `"json_mode"` (`{"type": "json_object"}`).
            include_raw: Return `{"raw", "parsed", "parsing_error"}` instead of raising
                on a parsing error.
            strict: Passed to the JSON schema / tool definition.
            **kwargs: Not supported; present for signature compatibility.

        Returns:
            The structured-output runnable.

        Raises:
            ValueError: For an unknown method or a missing schema.
        """
        if kwargs:
            msg = f"Unsupported with_structured_output arguments: {sorted(kwargs)}"
            raise ValueError(msg)
        is_pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
        parser: OutputParserLike[Any]
        if method == "function_calling":
            if schema is None:
                msg = "schema must be given for method='function_calling'."
                raise ValueError(msg)
            tool = convert_to_openai_tool(schema, strict=strict)
            tool_name = tool["function"]["name"]
            llm = self.bind_tools(
                [schema],
                tool_choice=tool_name,
                strict=strict,
                parallel_tool_calls=False,
                ls_structured_output_format={"kwargs": {"method": method}, "schema": tool},
            )
            if is_pydantic:
                parser = PydanticToolsParser(tools=[schema], first_tool_only=True)  # type: ignore[list-item]
            else:
                parser = JsonOutputKeyToolsParser(key_name=tool_name, first_tool_only=True)
        elif method == "json_schema":
            if schema is None:
                msg = "schema must be given for method='json_schema'."
                raise ValueError(msg)
            json_schema = convert_to_json_schema(schema)
            response_format: dict[str, Any] = {
                "type": "json_schema",
                "json_schema": {
                    "name": json_schema.get("title", "output"),
                    "schema": json_schema,
                },
            }
            if strict is not None:
                response_format["json_schema"]["strict"] = strict
            llm = self.bind(
                response_format=response_format,
                ls_structured_output_format={"kwargs": {"method": method}, "schema": json_schema},
            )
            parser = _text_parser(schema)
        elif method == "json_mode":
            llm = self.bind(
                response_format={"type": "json_object"},
                ls_structured_output_format={
                    "kwargs": {"method": method},
                    "schema": convert_to_json_schema(schema) if schema is not None else None,
                },
            )
            parser = _text_parser(schema)
        else:
            msg = (
                f"method must be one of 'json_schema', 'function_calling', 'json_mode';"
                f" got {method!r}."
            )
            raise ValueError(msg)

        if not include_raw:
            return llm | parser
        parser_with_fallback = RunnablePassthrough.assign(
            parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
        ).with_fallbacks(
            [RunnablePassthrough.assign(parsed=lambda _: None)], exception_key="parsing_error"
        )
        return RunnableMap(raw=llm) | parser_with_fallback


# --------------------------------------------------------------------------- helpers


def _lookup(model: str) -> ModelInfo | None:
    from langchain_hiapi.catalogue import lookup

    return lookup(model)


def _task_result(message: AIMessage) -> ChatResult:
    generation_info = {"finish_reason": message.response_metadata.get("finish_reason")}
    llm_output = {"model_name": message.response_metadata.get("model_name"), "id": message.id}
    return ChatResult(
        generations=[ChatGeneration(message=message, generation_info=generation_info)],
        llm_output=llm_output,
    )


def _validate_model(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        msg = f"model must be a non-empty HiAPI model id such as 'Nano-Banana'; got {value!r}."
        raise ValueError(msg)
    return value


def check_chat_aspect_ratio(config: ImageConfig | None) -> None:
    """Refuses `aspect_ratio="auto"` on the chat route, before anything is sent.

    Gemini (behind the chat route) has no `auto`; only the task API's model schemas do.

    Raises:
        ValueError: The aspect ratio is `"auto"`.
    """
    if config is not None and config.aspect_ratio == "auto":
        allowed = ", ".join(r for r in ASPECT_RATIOS if r != "auto")
        msg = (
            "image_config.aspect_ratio: 'auto' is only available on the task route"
            " (image_route='tasks', for models whose task schema allows it); the chat route"
            f" has no 'auto'. Omit aspect_ratio to let the model choose, or use one of: {allowed}"
        )
        raise ValueError(msg)


def _validate_stop(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        msg = f"stop must be a string or a list of strings, got {value!r}."
        raise TypeError(msg)
    if len(value) > MAX_STOP_SEQUENCES:
        msg = f"stop accepts at most {MAX_STOP_SEQUENCES} sequences; got {len(value)}."
        raise ValueError(msg)
    return value


def _merge_dicts(
    base: Mapping[str, Any] | None, override: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """Deep-merges two optional dicts (override wins) without mutating either."""
    if base is None and override is None:
        return None
    merged: dict[str, Any] = dict(base or {})
    for key, value in (override or {}).items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge_dicts(merged[key], value)
        else:
            merged[key] = value
    return merged


def _without_image_config(extra: dict[str, Any] | None) -> dict[str, Any] | None:
    """A copy of `extra` without `google.image_config` (image options of the model)."""
    google = extra.get("google") if extra else None
    if extra is None or not isinstance(google, Mapping) or "image_config" not in google:
        return extra
    rest = {key: value for key, value in google.items() if key != "image_config"}
    without = {key: value for key, value in extra.items() if key != "google"}
    return {**without, "google": rest} if rest else without


def _format_tool_choice(
    tool_choice: dict[str, Any] | str | bool, tools: list[dict[str, Any]]
) -> dict[str, Any] | str:
    if isinstance(tool_choice, dict):
        return tool_choice
    if tool_choice is True:
        if len(tools) != 1:
            msg = f"tool_choice=True needs exactly one tool; got {len(tools)}."
            raise ValueError(msg)
        return {"type": "function", "function": {"name": tools[0]["function"]["name"]}}
    if isinstance(tool_choice, str):
        if tool_choice == "any":
            return "required"
        if tool_choice in _TOOL_CHOICE_KEYWORDS:
            return tool_choice
        names = [t.get("function", {}).get("name") for t in tools if isinstance(t, Mapping)]
        if tool_choice not in names:
            msg = (
                f"tool_choice {tool_choice!r} is not one of the bound tools {names} nor one of"
                " 'auto', 'none', 'required', 'any'."
            )
            raise ValueError(msg)
        return {"type": "function", "function": {"name": tool_choice}}
    msg = f"tool_choice must be a str, bool or dict; got {type(tool_choice).__name__}."
    raise TypeError(msg)


def _text_parser(schema: dict[str, Any] | type | None) -> OutputParserLike[Any]:
    """Parses a JSON text reply into the pydantic class, or a dict for other schemas."""
    if isinstance(schema, type) and is_basemodel_subclass(schema):
        return PydanticOutputParser(pydantic_object=cast("type[BaseModel]", schema))
    return JsonOutputParser()


def _add_partial(exc: StreamError, assembler: StreamAssembler) -> None:
    # The client knows the stream broke; only the assembler knows what text had arrived.
    if not exc.partial_text:
        exc.partial_text = assembler.partial_text
