"""Downloads of URLs a reply pointed to, as I/O-free flows (see `_steps`).

Redirects are followed by hand: every hop goes through the download policy again (scheme,
host, resolved addresses) and gets the key only on the gateway's own origin; each hop is a
`send` with its retries, and the whole download is one call for the overall deadline.
"""

from __future__ import annotations

import os
from typing import Any, TypedDict

import httpx

from langchain_hiapi._bodies import FileWriter, body_decoder
from langchain_hiapi._downloads import redirect_flow
from langchain_hiapi._exchange import CallSettings, send
from langchain_hiapi._files import DownloadSink, FetchedFile
from langchain_hiapi._request_checks import check_download_url
from langchain_hiapi._retry import download_failure
from langchain_hiapi._steps import Chunks, Close, Flow, NextChunk, OpenClient, Resolve
from langchain_hiapi.timeouts import Deadline

__all__ = [
    "AsyncFetchOptions",
    "BytesOptions",
    "FetchOptions",
    "SyncFetchOptions",
    "fetch_bytes_call",
    "fetch_to_file_call",
    "follow",
]


class BytesOptions(TypedDict, total=False):
    """Options of `HiAPIClient.request_bytes`."""

    max_bytes: int | None
    limit_name: str


class FetchOptions(BytesOptions, total=False):
    """Options of `HiAPIClient.fetch_bytes` (besides ``http_client``)."""

    method: str


class SyncFetchOptions(FetchOptions, total=False):
    """`FetchOptions` with a sync ``http_client``."""

    http_client: httpx.Client | None


class AsyncFetchOptions(FetchOptions, total=False):
    """`FetchOptions` with an async ``http_client``."""

    http_client: httpx.AsyncClient | None


def follow(
    s: CallSettings,
    url: str,
    deadline: Deadline,
    *,
    read_body: bool,
    sink: list[bytes] | None = None,
    method: str = "GET",
    max_bytes: int | None = None,
    limit_name: str = "max_response_bytes",
    http_client: Any = None,
) -> Flow[httpx.Response]:
    """Runs the download policy's redirect flow; returns the final 2xx reply.

    With ``read_body`` the body is read (bounded); otherwise the reply is returned with
    its body unread and the caller closes it. ``http_client`` serves the hosts other than
    the gateway (default: the pooled client).
    """
    hops = redirect_flow(s.download_policy, url, s.limits.max_redirects)
    target = next(hops)
    while True:
        yield Resolve(s.download_policy, target, s.resolver)
        client = yield OpenClient(None if target.same_origin else http_client)
        request = client.build_request(**s.hop_args(method, target))
        response = yield from send(
            s,
            client,
            request,
            deadline,
            read_body=read_body,
            sink=sink,
            max_bytes=max_bytes,
            limit_name=limit_name,
            hop=target,
        )
        try:
            target = hops.send((response.status_code, response.headers))
        except StopIteration:
            return response
        except BaseException:
            yield Close(response)
            raise
        yield Close(response)
        method = "GET"


def fetch_to_file_call(
    s: CallSettings, url: str, dest_dir: str | os.PathLike[str], stem: str, max_bytes: int
) -> Flow[FetchedFile]:
    """`HiAPIClient.fetch_to_file`: the body streams into a hidden file, renamed when whole."""
    check_download_url(url)
    deadline = s.deadline()
    response = yield from follow(s, url, deadline, read_body=False)
    try:
        writer = FileWriter(
            DownloadSink(dest_dir, stem, max_bytes), body_decoder(response), deadline, response
        )
        try:
            chunks = yield Chunks(response)
            while (raw := (yield NextChunk(chunks, deadline))) is not None:
                writer.feed(raw)
            return writer.finish()
        except httpx.RequestError as exc:
            raise download_failure(exc, response.request, deadline) from exc
        finally:
            writer.discard()
    finally:
        yield Close(response)


def fetch_bytes_call(s: CallSettings, url: str, options: FetchOptions) -> Flow[tuple[bytes, str]]:
    """`HiAPIClient.fetch_bytes`: ``(content, content type)`` of the final reply."""
    received: list[bytes] = []
    response = yield from follow(
        s,
        url,
        s.deadline(),
        read_body=True,
        sink=received,
        method=options.get("method", "GET"),
        max_bytes=options.get("max_bytes"),
        limit_name=options.get("limit_name") or "max_response_bytes",
        http_client=options.get("http_client"),
    )
    yield Close(response)
    return received[-1] if received else b"", response.headers.get("content-type", "")
