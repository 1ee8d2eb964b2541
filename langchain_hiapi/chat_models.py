"""`ChatHiAPI`: HiAPI's chat-completions route as a LangChain chat model."""

from __future__ import annotations

import asyncio
import copy
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Annotated, Any

import httpx
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LangSmithParams, LanguageModelInput
from langchain_core.language_models.chat_models import (
    BaseChatModel,
    agenerate_from_stream,
    generate_from_stream,
)
from langchain_core.language_models.model_profile import ModelProfile
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_core.utils.utils import get_pydantic_field_names
from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from langchain_hiapi import _blocks
from langchain_hiapi._chat_request import (
    CHAT_PATH,
    MAX_STOP_SEQUENCES,
    build_chat_body,
    check_chat_aspect_ratio,
    check_extra_body,
    check_model_kwargs,
    format_tool_choice,
    move_unknown_kwargs,
    validate_model,
    validate_stop,
)
from langchain_hiapi._client import DEFAULT_TIMEOUT
from langchain_hiapi._connection import (
    ApiKey,
    BaseUrl,
    DefaultHeaders,
    PooledClient,
    Timeout,
    api_key_field,
    base_url_field,
    download_hosts,
    max_retries_field,
)
from langchain_hiapi._events import async_task_reporter, task_reporter
from langchain_hiapi._flows import run_async, run_sync
from langchain_hiapi._image_route import ChatAttempt, ImageRoute, start_attempt
from langchain_hiapi._profiles import get_profile
from langchain_hiapi._reply import MODEL_PROVIDER, reply_to_result
from langchain_hiapi._secrets import header_secrets, masked_headers
from langchain_hiapi._stream import StreamAssembler
from langchain_hiapi._structured import StructuredMethod, structured_output
from langchain_hiapi._task_convert import task_chunk, task_result, task_to_message
from langchain_hiapi._version import __version__
from langchain_hiapi.image_config import (
    ImageConfig,
    check_image_size_for_model,
    coerce_image_config,
)
from langchain_hiapi.limits import Limits

__all__ = [
    "CHAT_PATH",
    "DEFAULT_TASK_POLL_INTERVAL",
    "DEFAULT_TASK_TIMEOUT",
    "MAX_STOP_SEQUENCES",
    "ChatHiAPI",
    "check_chat_aspect_ratio",
]

_blocks.register()

# Constructor names accepted besides the fields and their aliases.
_EXTRA_ALIASES = frozenset({"request_timeout"})
DEFAULT_TASK_TIMEOUT = 600.0
"""Seconds ChatHiAPI waits for a task on the task route by default."""
DEFAULT_TASK_POLL_INTERVAL = 2.5
"""First pause between task status polls (`HiAPITasks`' default, `_task_flows.POLL_INITIAL`)."""
# The argument types of the generation methods, short enough to keep signatures short.
Messages = list[BaseMessage]
Stop = list[str] | None
Kw = Mapping[str, Any]
SyncRun = CallbackManagerForLLMRun | None
AsyncRun = AsyncCallbackManagerForLLMRun | None


class ChatHiAPI(BaseChatModel, PooledClient):
    """HiAPI chat model: text, tool calling, structured output and generated images.

    Speaks HiAPI's OpenAI-compatible `/v1/chat/completions` and, for image models, its task
    API (`/v1/tasks`, see `image_route`) directly over httpx. Generated images arrive as
    standard image content blocks instead of a multi-megabyte base64 Markdown string.

    Setup:
        Install `langchain-hiapi`, then give the model your key in `HIAPI_API_KEY`
        (`HIAPI_BASE_URL` points it at another gateway, e.g. `python -m
        langchain_hiapi.testing`'s emulator).

        ```bash
        pip install -U langchain-hiapi
        export HIAPI_API_KEY="your-api-key"
        # export HIAPI_BASE_URL="http://127.0.0.1:8765/v1"  # optional: the emulator
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

    model_name: Annotated[str, BeforeValidator(validate_model)] = Field(
        default="Nano-Banana", alias="model"
    )
    """HiAPI model id: `Nano-Banana`, `Nano-Banana-2`, `Nano-Banana-Pro`, `gpt-image-2`
    or any text model id HiAPI serves."""
    api_key: ApiKey = api_key_field()
    """HiAPI key; read from `HIAPI_API_KEY` when not given."""
    base_url: BaseUrl = base_url_field()
    """API base URL; read from `HIAPI_BASE_URL` (or `HIAPI_API_BASE`), else
    `https://api.hiapi.ai/v1`."""
    image_config: Annotated[ImageConfig | None, BeforeValidator(coerce_image_config)] = None
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
    stop: Annotated[list[str] | None, BeforeValidator(validate_stop)] = Field(
        default=None, alias="stop_sequences"
    )
    """Default stop sequences (at most 5)."""
    model_kwargs: Annotated[dict[str, Any], AfterValidator(check_model_kwargs)] = Field(
        default_factory=dict
    )
    """Extra top-level request fields sent as they are."""
    extra_body: Annotated[dict[str, Any] | None, AfterValidator(check_extra_body)] = None
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
        return move_unknown_kwargs(values, get_pydantic_field_names(cls) | _EXTRA_ALIASES)

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

    def model_post_init(self, context: Any, /) -> None:
        """Checks `image_config` and `n` against the model once all fields are set."""
        super().model_post_init(context)
        check_image_size_for_model(self.image_config, self.model_name)
        if self.streaming and (self.n or 1) > 1:
            msg = f"n must be 1 when streaming=True; got n={self.n}."
            raise ValueError(msg)

    def __repr_args__(self) -> Any:
        # Credentials in default_headers are masked wherever the model is shown.
        for name, value in super().__repr_args__():
            yield name, masked_headers(value) if name == "default_headers" else value

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
        image_config = self.image_config
        return {
            "model_name": self.model_name,
            "base_url": self.base_url,
            "image_config": image_config.model_dump(exclude_none=True) if image_config else None,
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

    def _client_options(self) -> tuple[tuple[str, Any], ...]:
        """Everything `client` is built from, as a snapshot (dicts copied) to compare."""
        headers, query = self.default_headers, self.default_query
        return (
            ("base_url", self.base_url),
            ("api_key", self.api_key),
            ("timeout", self.timeout),
            ("max_retries", self.max_retries),
            ("retry_read_timeouts", self.retry_read_timeouts),
            ("default_headers", dict(headers) if headers is not None else None),
            ("http_client", self.http_client),
            ("http_async_client", self.http_async_client),
            ("adaptive_rate_limit", self.adaptive_rate_limit),
            ("default_query", copy.deepcopy(query) if query else query),
            ("proxy", self.proxy),
            ("limits", self.limits),
            ("allowed_download_hosts", download_hosts(self.allowed_download_hosts)),
        )

    # ----------------------------------------------------------------- generation
    # Each route's work is pure (`_chat_request`, `_image_route`, `_task_route`); these
    # methods only send. `ChatAttempt` swallows the one chat error that moves to tasks.

    def _generate(
        self, messages: Messages, stop: Stop = None, run_manager: SyncRun = None, **kwargs: Any
    ) -> ChatResult:
        if self.streaming:
            return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))
        with (attempt := start_attempt(self, kwargs)):
            if attempt.on_chat:
                body = self._body(attempt, messages, stop, kwargs, stream=False)
                return reply_to_result(self.client.request_json("POST", CHAT_PATH, body))
        return task_result(self._run_task(messages, stop, run_manager, kwargs))

    async def _agenerate(
        self, messages: Messages, stop: Stop = None, run_manager: AsyncRun = None, **kwargs: Any
    ) -> ChatResult:
        if self.streaming:
            return await agenerate_from_stream(self._astream(messages, stop, run_manager, **kwargs))
        with (attempt := start_attempt(self, kwargs)):
            if attempt.on_chat:
                body = self._body(attempt, messages, stop, kwargs, stream=False)
                return reply_to_result(await self.client.arequest_json("POST", CHAT_PATH, body))
        return task_result(await self._arun_task(messages, stop, run_manager, kwargs))

    def _stream(
        self, messages: Messages, stop: Stop = None, run_manager: SyncRun = None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        attempt, assembler = start_attempt(self, kwargs), StreamAssembler()
        if attempt.on_chat:
            body = self._body(attempt, messages, stop, kwargs, stream=True)
            with attempt.watching(assembler):
                for event in self.client.stream_events(CHAT_PATH, body):
                    yield from assembler.feed(event)
            if not attempt.fell_back:
                yield from assembler.finish()
                return
        # The task route has no partial output: the whole reply is one (last) chunk.
        yield task_chunk(self._run_task(messages, stop, run_manager, kwargs))

    async def _astream(
        self, messages: Messages, stop: Stop = None, run_manager: AsyncRun = None, **kwargs: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        attempt, assembler = start_attempt(self, kwargs), StreamAssembler()
        if not attempt.on_chat:
            yield task_chunk(await self._arun_task(messages, stop, run_manager, kwargs))
            return
        body = self._body(attempt, messages, stop, kwargs, stream=True)
        with attempt.watching(assembler):
            async for event in self.client.astream_events(CHAT_PATH, body):
                for chunk in assembler.feed(event):
                    yield chunk
        if attempt.fell_back:
            yield task_chunk(await self._arun_task(messages, stop, run_manager, kwargs))
            return
        for chunk in assembler.finish():
            yield chunk

    def _body(
        self,
        attempt: ChatAttempt,
        messages: Messages,
        stop: Stop,
        kwargs: Kw,
        *,
        stream: bool,
    ) -> dict[str, Any]:
        """The chat body of one call (the call's `stream_usage=` counts when streaming)."""
        usage = kwargs.get("stream_usage")
        call = attempt.chat_kwargs(kwargs)
        return build_chat_body(self, messages, stop, call, stream=stream, stream_usage=usage)

    def _run_task(self, messages: Messages, stop: Stop, run: SyncRun, kwargs: Kw) -> AIMessage:
        from langchain_hiapi._task_route import (
            TEMP_PREFIX,
            chat_task_request,
            read_downloads,
            task_flow,
        )

        request = chat_task_request(self, messages, stop, kwargs)
        with tempfile.TemporaryDirectory(prefix=TEMP_PREFIX) as tmp:
            done = run_sync(task_flow(self, request, tmp, task_reporter(run)), self.client)
            return task_to_message(done.task, downloads=read_downloads(done))

    async def _arun_task(
        self, messages: Messages, stop: Stop, run: AsyncRun, kwargs: Kw
    ) -> AIMessage:
        from langchain_hiapi._task_route import (
            async_temp_dir,
            chat_task_request,
            read_downloads,
            task_flow,
        )

        request = chat_task_request(self, messages, stop, kwargs)
        async with async_temp_dir() as tmp:
            flow = task_flow(self, request, tmp, async_task_reporter(run))
            done = await run_async(flow, self.client)
            downloads = await asyncio.to_thread(read_downloads, done)
        return task_to_message(done.task, downloads=downloads)

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
            kwargs["tool_choice"] = format_tool_choice(tool_choice, formatted)
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: StructuredMethod = "json_schema",
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
        return structured_output(
            self, schema, method=method, include_raw=include_raw, strict=strict
        )
