"""A wire-faithful HiAPI emulator for tests and benchmarks (standard library only).

`HiAPIEmulator` is a real HTTP/1.1 server on loopback that follows the HiAPI wire
contracts (`hiapi-wire-format.md` for the OpenAI-compatible routes,
`hiapi-task-api.md` for the task API): Bearer auth, the gateway's error shapes and status
codes, and these routes:

* `GET /v1/models`.
* `POST /v1/chat/completions`, with and without streaming. Image models (`Nano-Banana`,
  `Nano-Banana-2`, `Nano-Banana-Pro`, `gpt-image-2`) answer with text plus one PNG as
  Markdown in the content, sized by `extra_body.google.image_config` and filled with a
  colour named in the prompt. Text models (`gpt-4o-mini`, `gpt-4o`, `gpt-4.1-mini`,
  `gpt-4.1`, `gemini-2.5-flash`, `gemini-2.5-pro`, `deepseek-v3`, `deepseek-r1`) answer
  deterministically: tool calls with schema-valid arguments, `response_format` JSON,
  tool-result replies or an echo.
* `POST /v1/tasks`, `GET /v1/tasks/:id`, `GET /v1/tasks?page=&size=`: the unified task
  API, with every documented model's strict `input` schema and routes, the
  `{code, message, data}` envelope, `queued → handling → archiving → success|fail`
  (`TaskTiming`: counted in polls by default, or in seconds of an injectable clock),
  `Idempotency-Key` replay / 409 / 422, 402 (`balance_exhausted`), opt-in 429s
  (`RateLimits`), and signed callbacks to loopback URLs (`webhook_secret`,
  `CallbackPolicy`). Outputs (PNG, MP4, WAV) are served without a key from
  `GET /files/tasks/<taskId>/<name>` until their `expireAt`, then 403 like the CDN.
* `POST /v1/images/generations`: `b64_json`, or a `url` served at `/v1/images/files/`.
* `GET /_emulator/stats` (emulator only, Bearer key): the task counters as JSON, for a
  benchmark that runs the emulator in another process.

Faults are scripted with `queue(Reply(...))` on any route (including a POST that is cut
after the server created the task); every request is kept in `requests`; task counters
are read with `task_stats()`. `hiapi_or_emulator()` yields settings for the real service
when `HIAPI_API_KEY` is set and starts an emulator otherwise (what the examples use).

Example:
    >>> from langchain_hiapi.testing import HiAPIEmulator, Reply
    >>> with HiAPIEmulator() as emu:  # doctest: +SKIP
    ...     emu.queue(Reply(status=429, headers={"Retry-After": "1"}))
    ...     ...  # point a client at emu.base_url with emu.api_key

Run it stand-alone with `python -m langchain_hiapi.testing --port 8765`; `--help` lists
the task-API options (`--task-stages`, `--task-unit`, `--webhook-secret`,
`--create-rate`, `--poll-rate`, `--balance-exhausted`, ...).
"""

from langchain_hiapi.testing._callbacks import CallbackAttempt, CallbackPolicy
from langchain_hiapi.testing._endpoint import hiapi_or_emulator
from langchain_hiapi.testing._faults import RecordedRequest, Reply
from langchain_hiapi.testing._ratelimit import RateLimits
from langchain_hiapi.testing._server import DEFAULT_API_KEY, HiAPIEmulator
from langchain_hiapi.testing._task_timing import TaskTiming
from langchain_hiapi.testing._tasks import TaskStats

__all__ = [
    "DEFAULT_API_KEY",
    "CallbackAttempt",
    "CallbackPolicy",
    "HiAPIEmulator",
    "RateLimits",
    "RecordedRequest",
    "Reply",
    "TaskStats",
    "TaskTiming",
    "hiapi_or_emulator",
]
