"""A wire-faithful HiAPI emulator for tests and benchmarks (standard library only).

`HiAPIEmulator` is a real HTTP/1.1 server on loopback that follows the HiAPI (new-api)
wire contract: Bearer auth, `GET /v1/models`, `POST /v1/chat/completions` with and
without streaming, video tasks, the images API, and the gateway's error shapes and status
codes.

* Image models (`Nano-Banana`, `Nano-Banana-2`, `Nano-Banana-Pro`, `gpt-image-2`) answer
  with text plus one PNG as Markdown in the content, sized by
  `extra_body.google.image_config` and filled with a colour named in the prompt.
* Text models (`gpt-4o-mini`, `gpt-4o`, `gpt-4.1-mini`, `gpt-4.1`, `gemini-2.5-flash`,
  `gemini-2.5-pro`, `deepseek-v3`, `deepseek-r1`) answer deterministically: tool calls
  with schema-valid arguments, `response_format` JSON, tool-result replies or an echo.
* `POST /v1/videos` tasks go queued → in_progress → completed (a small MP4) after
  `video_polls` status polls (a prompt with `[fail]` ends `failed`);
  `POST /v1/images/generations` answers with `b64_json` or a served `url`.
* Faults are scripted with `queue(Reply(...))`; every request is kept in `requests`.
* `hiapi_or_emulator()` yields settings for the real service when `HIAPI_API_KEY` is set
  and starts an emulator otherwise (what the examples use).

Example:
    >>> from langchain_hiapi.testing import HiAPIEmulator, Reply
    >>> with HiAPIEmulator() as emu:  # doctest: +SKIP
    ...     emu.queue(Reply(status=429, headers={"Retry-After": "1"}))
    ...     ...  # point a client at emu.base_url with emu.api_key

Run it stand-alone with `python -m langchain_hiapi.testing --port 8765`.
"""

from langchain_hiapi.testing._endpoint import hiapi_or_emulator
from langchain_hiapi.testing._faults import RecordedRequest, Reply
from langchain_hiapi.testing._server import DEFAULT_API_KEY, HiAPIEmulator

__all__ = ["DEFAULT_API_KEY", "HiAPIEmulator", "RecordedRequest", "Reply", "hiapi_or_emulator"]
