"""One call to the gateway as an I/O-free flow: build, send, retry, read (see `_steps`).

`send` is the retry loop every request goes through (rate limiter, deadline, byte limits,
the retry policy and its money rule); `json_call`/`reply_call` read a JSON reply and
`stream_call` an event stream on top of it. The flows only yield steps, so the sync and
async clients share every line of this logic and differ only in the driver.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

import httpx
from pydantic import SecretStr

from langchain_hiapi._bodies import (
    BodyBuffer,
    body_decoder,
    drain,
    hand_over,
    parse_json_body,
    read_bounded,
)
from langchain_hiapi._decoding import ACCEPT_ENCODING
from langchain_hiapi._downloads import (
    DownloadPolicy,
    Resolver,
    Target,
    is_public_address,
    literal_address,
    origin,
    public_url,
    redirect_location,
)
from langchain_hiapi._error_mapping import envelope_error, error_from_response, get_header
from langchain_hiapi._ratelimit import KeyRateLimiter, RequestGate
from langchain_hiapi._request_checks import (
    EVENT_STREAM_TYPE,
    JSON_TYPE,
    check_headers,
    encode_body,
    safe_url,
    user_agent,
)
from langchain_hiapi._retry import (
    RetryPolicy,
    check_wait,
    log_attempt,
    log_paced,
    log_response,
    next_delay,
    safe_cause,
    stream_failure,
    transport_error,
)
from langchain_hiapi._secrets import scrub_error
from langchain_hiapi._sse import (
    DONE,
    EventReader,
    SSEDecoder,
    StreamBudget,
    check_stream_response,
    is_json_reply,
)
from langchain_hiapi._steps import Chunks, Close, Emit, Flow, NextChunk, OpenClient, Send, Sleep
from langchain_hiapi.errors import (
    APIStatusError,
    HiAPIError,
    InvalidResponseError,
    UnsafeURLError,
)
from langchain_hiapi.limits import Limits
from langchain_hiapi.timeouts import Deadline

__all__ = [
    "Body",
    "CallSettings",
    "JSONReply",
    "RequestOptions",
    "check_peer",
    "json_call",
    "reply_call",
    "send",
    "stream_call",
]


Body = Mapping[str, Any] | None


class RequestOptions(TypedDict, total=False):
    """Per-request options of `HiAPIClient.request`."""

    headers: Mapping[str, str] | None
    params: Mapping[str, Any] | None


@dataclass(frozen=True)
class JSONReply:
    """A 2xx JSON reply with its status and headers (for APIs that put meaning in headers).

    Attributes:
        status_code: The HTTP status.
        headers: The reply's headers (look them up with `header`, case-insensitively).
        json: The parsed JSON object.
    """

    status_code: int
    headers: Mapping[str, str] = field(repr=False)
    json: dict[str, Any]

    def header(self, name: str) -> str | None:
        """A header's value, looked up case-insensitively; `None` when absent."""
        return get_header(self.headers, name.lower())


ReplyCheck = Callable[[httpx.Response, "list[bytes] | None"], "APIStatusError | None"]


def envelope_check(parsed: list[dict[str, Any]]) -> ReplyCheck:
    """A ``check`` for `send` that parses a 2xx JSON reply into ``parsed`` (parsed once).

    Returns the error of a task-API envelope whose ``code`` is not a success (see
    `envelope_error`), so that it is retried like the same status would be.
    """

    def check(response: httpx.Response, sink: list[bytes] | None) -> APIStatusError | None:
        body = parse_json_body(response.status_code, sink or [b""], response.headers)
        parsed.append(body)
        return envelope_error(response.status_code, body, response.headers)

    return check


def foreign_status_error(status_code: int, url: httpx.URL) -> APIStatusError:
    """A non-2xx reply of a download host that is not the gateway.

    Its body and headers are not kept: they are written by a third party and must not
    reach an agent's tool message (prompt injection) or a log.
    """
    cls = type(error_from_response(status_code, b"", {}))
    if status_code in (401, 403):
        # A CDN refusing a (signed, maybe expired) URL says nothing about the API key.
        cls = APIStatusError
    return cls(
        f"download from {public_url(url)} failed with HTTP {status_code}",
        status_code=status_code,
    )


def check_peer(response: httpx.Response, target: Target | None) -> None:
    """Refuses a reply from a non-public address for a target that must be public.

    For clients the package did not build (and so cannot guard at connect time): a DNS
    answer that changed after the check shows up here, before the body is read.
    """
    if target is None or target.access != "public":
        return
    stream = response.extensions.get("network_stream")
    info = stream.get_extra_info("server_addr") if stream is not None else None
    if not info:
        return
    address = literal_address(str(info[0]))
    if address is not None and not is_public_address(address):
        raise UnsafeURLError(
            f"refused to download {public_url(target.url)!r}: connected to {address}, "
            "which is not a public address",
            url=public_url(target.url),
        )


def is_redirect(response: httpx.Response) -> bool:
    return redirect_location(response.status_code, response.headers) is not None


@dataclass(frozen=True)
class CallSettings:
    """A client's settings as one call sees them (taken when the call starts)."""

    base_url: str
    api_key: SecretStr | None
    phases: httpx.Timeout | None
    total: float | None
    clock: Callable[[], float]
    default_headers: Mapping[str, str]
    default_query: Mapping[str, Any]
    retry_policy: RetryPolicy
    limits: Limits
    download_policy: DownloadPolicy
    resolver: Resolver
    rate_limiter: KeyRateLimiter | None

    def secret(self) -> str | None:
        """The API key in plain text, for redaction only."""
        return self.api_key.get_secret_value() if self.api_key is not None else None

    def deadline(self) -> Deadline:
        """A fresh overall deadline for one call."""
        return Deadline(self.total, self.clock)

    def gate(self, request: httpx.Request) -> RequestGate | None:
        """The rate limiter's gate for a request, if this client paces requests."""
        if self.rate_limiter is None:
            return None
        base = httpx.URL(self.base_url)
        if origin(request.url) != origin(base):
            return None  # a download from a CDN is not an API request
        base_path = base.path.rstrip("/")
        path = request.url.path
        return self.rate_limiter.gate(request.method, path.removeprefix(base_path))

    def request_args(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None,
        accept: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Arguments for ``build_request``.

        ``headers`` (per request, checked like ``default_headers``) are applied last;
        ``params`` become the query string.
        """
        extra = check_headers(headers, "headers") if headers else {}
        headers = {}
        if self.api_key is not None and self.api_key.get_secret_value():
            headers["Authorization"] = f"Bearer {self.api_key.get_secret_value()}"
        content: bytes | None = None
        if body is not None:
            headers["Content-Type"] = JSON_TYPE
            content = encode_body(body)
        headers["Accept"] = accept
        # Only what can be inflated in bounded steps (no zstd/brotli bombs).
        headers["Accept-Encoding"] = ACCEPT_ENCODING
        headers["User-Agent"] = user_agent()
        headers.update(self.default_headers)
        headers.update(extra)
        args: dict[str, Any] = {
            "method": method,
            "url": self.base_url + path,
            "params": self.default_query or None,
            "content": content,
            "headers": headers,
            "timeout": self.phases,
        }
        if params:
            # Per-request parameters (e.g. a list page) win over default_query.
            args["params"] = {**self.default_query, **params}
        return args

    def hop_args(self, method: str, target: Target) -> dict[str, Any]:
        """Arguments for ``build_request`` for one download hop.

        The key and the default headers go to the gateway's origin only.
        """
        if target.same_origin:
            headers = self.request_args(method, "", None, "*/*")["headers"]
        else:
            # No key and no default headers (credential-looking or not) leave the gateway.
            headers = {
                "Accept": "*/*",
                "Accept-Encoding": ACCEPT_ENCODING,
                "User-Agent": user_agent(),
            }
        return {"method": method, "url": target.url, "headers": headers, "timeout": self.phases}

    def arm(self, request: httpx.Request, deadline: Deadline) -> str:
        """Before an attempt: fail if time is up, clamp the per-phase timeouts to it."""
        where = f"{request.method} {safe_url(request.url)}"
        deadline.check(where)
        clamped = deadline.clamp(self.phases)
        if clamped is not None:
            request.extensions["timeout"] = clamped
        return where

    def reply_buffer(
        self,
        response: httpx.Response,
        deadline: Deadline,
        where: str,
        max_bytes: int | None,
        limit_name: str,
    ) -> BodyBuffer:
        """The buffer for a reply body: the error-body limit cuts, the others raise."""
        if not response.is_success:
            return self.error_buffer(deadline, where)
        if max_bytes is None:
            max_bytes, limit_name = self.limits.max_response_bytes, "max_response_bytes"
        return BodyBuffer(max_bytes, limit_name, deadline=deadline, what=where)

    def error_buffer(self, deadline: Deadline, where: str = "reply") -> BodyBuffer:
        """For an error body, or a JSON reply where events were expected: cut, not raised."""
        return BodyBuffer(
            self.limits.max_error_body_bytes,
            "max_error_body_bytes",
            truncate=True,
            deadline=deadline,
            what=where,
        )

    def status_error(
        self, response: httpx.Response, content: bytes, hop: Target | None
    ) -> APIStatusError:
        """The error of a non-2xx reply (a foreign host's body is dropped)."""
        if hop is not None and not hop.same_origin:
            return foreign_status_error(response.status_code, response.request.url)
        error = error_from_response(response.status_code, content, response.headers)
        scrub_error(error, self.secret())
        return error


def send(
    s: CallSettings,
    client: Any,
    request: httpx.Request,
    deadline: Deadline,
    *,
    read_body: bool,
    check: ReplyCheck | None = None,
    sink: list[bytes] | None = None,
    max_bytes: int | None = None,
    limit_name: str = "max_response_bytes",
    hop: Target | None = None,
) -> Flow[httpx.Response]:
    """Send with retries until a 2xx reply (with its body read if ``read_body``).

    Args:
        s: The client's settings.
        client: The httpx client (sync or async: only the driver uses it).
        request: The request.
        deadline: The call's overall deadline.
        read_body: Read the 2xx body (bounded by ``max_bytes``) before returning.
        check: With ``read_body``: inspects a read 2xx reply (its body is in ``sink``)
            and may turn it into an error, which is then retried like any error reply.
        sink: With ``read_body``: receives the read 2xx body (see `hand_over`).
        max_bytes: Limit for the 2xx body (default ``limits.max_response_bytes``).
        limit_name: The `Limits` field ``max_bytes`` comes from, for the error.
        hop: For a download hop: a redirect reply is returned unread, a foreign host's
            error body is dropped, and a ``public`` target's peer address is checked.

    Raises:
        APIStatusError: A non-2xx reply (or a 2xx one ``check`` rejects), after retries.
        APIConnectionError: No usable reply, after retries.
        ResponseTooLargeError: The body passed its limit.
    """
    policy = s.retry_policy
    pick = s.download_policy.address_picker(hop, s.resolver) if hop else None
    # The rate limiter paces the key's requests to the gateway, not downloads elsewhere.
    gate = s.gate(request) if hop is None or hop.same_origin else None
    retries = 0
    while True:
        while gate is not None and (wait := gate.wait_time()) > 0:
            check_wait(deadline, wait, request)
            yield Sleep(wait)
        where = s.arm(request, deadline)
        log_attempt(request, retries)
        headers: Mapping[str, str] | None = None
        cause: BaseException | None = None
        started = False
        absorbed = False
        status_line: int | None = None
        try:
            response: httpx.Response = yield Send(client, request, deadline, pick)
            status_line = response.status_code
            absorbed = gate is not None and gate.record(response.status_code)
            started = response.is_success or (hop is not None and is_redirect(response))
            read = (read_body and response.is_success) or not started
            try:
                check_peer(response, hop)
                content = b""
                # A third party's error body is never read.
                if read and not (hop is not None and not started and not hop.same_origin):
                    buffer = s.reply_buffer(response, deadline, where, max_bytes, limit_name)
                    content = yield from read_bounded(response, buffer, deadline)
                    if started:
                        hand_over(content, sink)
                        content = b""
            finally:
                if read or not started:
                    yield Close(response)
            rejected = check(response, sink) if started and check is not None else None
            if rejected is not None:
                scrub_error(rejected, s.secret())
            if started and rejected is None:
                log_response(request, response)
                return response
        except httpx.RequestError as exc:
            secret = s.secret()
            error, retryable = transport_error(
                exc,
                request,
                policy,
                response_started=started,
                secret=secret,
                deadline=deadline,
                error_status=None if started else status_line,
            )
            reason, cause = type(exc).__name__, safe_cause(exc, secret)
        else:
            headers = response.headers
            error = rejected or s.status_error(response, content, hop)
            retryable = policy.should_retry_status(error)
            reason, cause = f"status {error.status_code}", None
            if absorbed and retryable:
                log_paced(request)
                continue  # the limiter paces the retry; not counted against max_retries
        delay = next_delay(policy, retries, retryable, headers, request, reason, deadline)
        if delay is None:
            raise error from cause
        yield Sleep(delay)
        retries += 1


def json_call(
    s: CallSettings, method: str, path: str, body: Mapping[str, Any] | None
) -> Flow[dict[str, Any]]:
    """`HiAPIClient.request_json`: the JSON object of the 2xx reply."""
    client = yield OpenClient(None)
    request = client.build_request(**s.request_args(method, path, body, JSON_TYPE))
    received: list[bytes] = []
    response = yield from send(s, client, request, s.deadline(), read_body=True, sink=received)
    try:
        return parse_json_body(response.status_code, received, response.headers)
    except InvalidResponseError as exc:
        raise scrub_error(exc, s.secret()) from None


def reply_call(
    s: CallSettings,
    method: str,
    path: str,
    body: Body,
    options: RequestOptions,
) -> Flow[JSONReply]:
    """`HiAPIClient.request`: the 2xx reply (an error envelope is an error)."""
    client = yield OpenClient(None)
    headers, params = options.get("headers"), options.get("params")
    args = s.request_args(method, path, body, JSON_TYPE, headers=headers, params=params)
    parsed: list[dict[str, Any]] = []
    request = client.build_request(**args)
    response = yield from send(
        s, client, request, s.deadline(), read_body=True, check=envelope_check(parsed), sink=[]
    )
    return JSONReply(response.status_code, response.headers, parsed[-1])


def stream_call(s: CallSettings, path: str, body: Mapping[str, Any]) -> Flow[None]:
    """`HiAPIClient.stream_events`: `Emit`s each event until ``[DONE]``."""
    client = yield OpenClient(None)
    request = client.build_request(**s.request_args("POST", path, body, EVENT_STREAM_TYPE))
    deadline = s.deadline()
    response = yield from send(s, client, request, deadline, read_body=False)
    secret = s.secret()
    budget = StreamBudget(s.limits.max_stream_bytes, deadline, safe_url(request.url))
    try:
        content: bytes | None = None
        if is_json_reply(response):
            try:
                content = yield from read_bounded(response, s.error_buffer(deadline), deadline)
            except httpx.RequestError as exc:
                raise stream_failure(exc, deadline, secret) from exc
        check_stream_response(response, content)
        events = EventReader(
            body_decoder(response), SSEDecoder(s.limits.max_event_bytes), budget=budget
        )
        chunks = yield Chunks(response)
        while True:
            try:
                raw = yield NextChunk(chunks, deadline)
            except httpx.RequestError as exc:
                raise stream_failure(exc, deadline, secret) from exc
            for event in events.feed(raw):
                if event is DONE:
                    yield from drain(chunks, deadline)
                    return
                yield Emit(event)
            if raw is None:
                return
    except HiAPIError as exc:
        raise scrub_error(exc, secret) from exc.__cause__
    finally:
        # Also runs when the consumer stops early (the driver throws GeneratorExit in).
        yield Close(response)
