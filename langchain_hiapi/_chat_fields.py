"""`ChatHiAPIFields`: `ChatHiAPI`'s settings (fields, their checks and what they report).

The abstract base of `ChatHiAPI`: everything read from the constructor arguments, and
what LangChain derives from them (serialization secrets, tracing parameters, the HTTP
client's settings). Generation lives in `chat_models`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import httpx
from langchain_core.language_models import LangSmithParams
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.language_models.model_profile import ModelProfile
from langchain_core.utils.utils import get_pydantic_field_names
from pydantic import (
    AfterValidator,
    AliasChoices,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from langchain_hiapi._chat_request import (
    check_extra_body,
    check_model_kwargs,
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
from langchain_hiapi._image_route import ImageRoute
from langchain_hiapi._profiles import get_profile
from langchain_hiapi._reply import MODEL_PROVIDER
from langchain_hiapi._secrets import header_secrets, masked_headers
from langchain_hiapi._version import __version__
from langchain_hiapi.image_config import (
    ImageConfig,
    check_image_size_for_model,
    coerce_image_config,
)
from langchain_hiapi.limits import Limits

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["DEFAULT_TASK_POLL_INTERVAL", "DEFAULT_TASK_TIMEOUT", "ChatHiAPIFields"]

# Constructor names accepted besides the fields and their aliases.
EXTRA_ALIASES = frozenset({"request_timeout"})
DEFAULT_TASK_TIMEOUT = 600.0
"""Seconds ChatHiAPI waits for a task on the task route by default."""
DEFAULT_TASK_POLL_INTERVAL = 2.5
"""First pause between task status polls (`HiAPITasks`' default, `_task_flows.POLL_INITIAL`)."""


class ChatHiAPIFields(BaseChatModel, PooledClient):
    """`ChatHiAPI`'s fields, their checks and what LangChain derives from them.

    Abstract (no `_generate`): use `ChatHiAPI`, whose docstring shows them in use.
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
        return move_unknown_kwargs(values, get_pydantic_field_names(cls) | EXTRA_ALIASES)

    @model_validator(mode="after")
    def _set_hiapi_version(self) -> Self:
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
    def _set_hiapi_profile(self) -> Self:
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
