"""`ChatHiAPI`: HiAPI's chat-completions route as a LangChain chat model."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.chat_models import (
    agenerate_from_stream,
    generate_from_stream,
)
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel

from langchain_hiapi import _blocks
from langchain_hiapi._chat_fields import (
    DEFAULT_TASK_POLL_INTERVAL,
    DEFAULT_TASK_TIMEOUT,
    ChatHiAPIFields,
)
from langchain_hiapi._chat_request import (
    CHAT_PATH,
    MAX_STOP_SEQUENCES,
    build_chat_body,
    check_chat_aspect_ratio,
    format_tool_choice,
)
from langchain_hiapi._events import async_task_reporter, task_reporter
from langchain_hiapi._flows import run_async, run_sync
from langchain_hiapi._image_route import ChatAttempt, start_attempt
from langchain_hiapi._reply import reply_to_result
from langchain_hiapi._stream import StreamAssembler
from langchain_hiapi._structured import StructuredMethod, structured_output
from langchain_hiapi._task_convert import task_chunk, task_result, task_to_message

__all__ = [
    "CHAT_PATH",
    "DEFAULT_TASK_POLL_INTERVAL",
    "DEFAULT_TASK_TIMEOUT",
    "MAX_STOP_SEQUENCES",
    "ChatHiAPI",
    "check_chat_aspect_ratio",
]

_blocks.register()

# The argument types of the generation methods, short enough to keep signatures short.
Messages = list[BaseMessage]
Stop = list[str] | None
Kw = Mapping[str, Any]
SyncRun = CallbackManagerForLLMRun | None
AsyncRun = AsyncCallbackManagerForLLMRun | None


class ChatHiAPI(ChatHiAPIFields):
    """HiAPI chat model: text, tool calling, structured output and generated images.

    Speaks HiAPI's OpenAI-compatible `/v1/chat/completions` and, for image models, its task
    API (`/v1/tasks`, see `image_route`) directly over httpx. Generated images arrive as
    standard image content blocks instead of a multi-megabyte base64 Markdown string.

    Setup:
        Install `langchain-hiapi` and set `HIAPI_API_KEY` (`HIAPI_BASE_URL` points the
        model at another gateway, e.g. the emulator of `python -m langchain_hiapi.testing`).

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
            `aspect_ratio` and `image_size` (`1K`, `2K`, `4K`) of image models.
        temperature, max_tokens, stop, logprobs, reasoning_effort:
            The usual sampling options (`max_completion_tokens` also exists).
        extra_body:
            Sent as the literal `extra_body` JSON key, merged with `image_config`.
        model_kwargs:
            Other request fields; unknown constructor arguments move here with a warning.

    Key init args — image route params:
        image_route:
            `"auto"` (default), `"chat"` or `"tasks"` (the task API); overridable per call.
        task_input, download_images, task_timeout, task_poll_interval:
            Task route options: extra `input` fields, downloading outputs beside their
            URLs, the wait (600 s by default) and the first pause between polls.

    Key init args — client params:
        api_key:
            HiAPI API key. If not passed in will be read from env var `HIAPI_API_KEY`.
        base_url:
            Read from `HIAPI_BASE_URL` (or `HIAPI_API_BASE`), else `https://api.hiapi.ai/v1`.
        timeout:
            Seconds, an `httpx.Timeout` or a `HiAPITimeout` (whose `total` bounds the
            whole call, retries included); the default allows for slow image models.
        max_retries:
            Max number of retries for rate limits, 5xx answers and connection errors.
        retry_read_timeouts, adaptive_rate_limit, limits, allowed_download_hosts:
            Retrying calls that may be billed, 429 pacing, byte limits, download hosts.
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
            ("system", "You are a helpful translator. Translate the user sentence to French."),
            ("human", "I love programming."),
        ]
        model.invoke(messages)
        ```

        ```text
        AIMessage(
            content="J'adore la programmation.",
            response_metadata={"model_name": "gpt-4o-mini", "finish_reason": "stop", ...},
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
        AIMessageChunk(content="J'adore la programmation.", usage_metadata={...}, ...)
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


        model_with_tools = model.bind_tools([GetWeather])
        ai_msg = model_with_tools.invoke("Which city is hotter today: LA or NY?")
        ai_msg.tool_calls
        ```

        ```text
        [
            {"name": "GetWeather", "args": {"location": "Los Angeles, CA"}, "id": "call_1", ...},
            {"name": "GetWeather", "args": {"location": "New York, NY"}, "id": "call_2", ...},
        ]
        ```

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
        Joke(setup="Why was the cat sitting on the computer?", punchline="...", rating=7)
        ```

        `method=` is `"json_schema"` (default), `"function_calling"` or `"json_mode"`.

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

        Put the message back into the history to edit the image; `get_images(message)`
        decodes them. When streaming, each image arrives as one chunk.

        On the task route each image block also carries its output `url`:

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

    Token usage:
        ```python
        ai_msg = model.invoke(messages)
        ai_msg.usage_metadata
        ```

        ```text
        {"input_tokens": 23, "output_tokens": 7, "total_tokens": 30, ...}
        ```

        Image tokens are in `input_token_details["image"]` and `output_token_details["image"]`.

    Response metadata:
        ```python
        ai_msg = model.invoke(messages)
        ai_msg.response_metadata
        ```

        ```text
        {"model_name": "gpt-4o-mini", "token_usage": {...}, "id": "chatcmpl-...",
         "finish_reason": "stop", "model_provider": "hiapi"}
        ```
    """

    # ----------------------------------------------------------------- LangChain metadata

    @property
    def _llm_type(self) -> str:
        return "hiapi-chat"

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """ChatHiAPI can be serialized with `dumpd`/`dumps`."""
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """Namespace for LangChain serialization."""
        return ["langchain_hiapi", "chat_models"]

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
