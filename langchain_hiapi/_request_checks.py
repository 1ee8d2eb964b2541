"""Checks of a client's settings and of each request's arguments, before anything is sent.

The API key, headers, query, base URL, timeout, JSON body and download URLs are checked here
so a bad value fails clearly (naming the field, never quoting a secret) before any request.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import SecretStr

from langchain_hiapi._downloads import literal_address, public_url
from langchain_hiapi._secrets import strip_base_url_credentials
from langchain_hiapi._version import __version__

__all__ = [
    "DEFAULT_BASE_URL",
    "EVENT_STREAM_TYPE",
    "JSON_TYPE",
    "check_api_key",
    "check_base_url",
    "check_download_url",
    "check_headers",
    "check_query",
    "check_timeout",
    "encode_body",
    "is_loopback_host",
    "safe_url",
    "user_agent",
    "warn_clear_text_key",
]

DEFAULT_BASE_URL = "https://api.hiapi.ai/v1"


USER_AGENT = f"langchain-hiapi/{__version__}"


JSON_TYPE = "application/json"


EVENT_STREAM_TYPE = "text/event-stream"


def user_agent() -> str:
    """``langchain-hiapi/<version>``."""
    return USER_AGENT


def safe_url(url: httpx.URL) -> str:
    """URL for logs and messages: no user info, no query string."""
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}{url.path}"


# RFC 9110 names, printable values: httpx's own error would quote the value (maybe the key).
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


_HEADER_VALUE = re.compile(r"[\x20-\x7e\t]*")


def check_api_key(api_key: SecretStr | None) -> None:
    """Reject a key that cannot be sent as a header, without ever quoting it.

    Raises:
        TypeError: Not a ``SecretStr`` (the value is not shown).
        ValueError: The key has control characters (e.g. a trailing newline from a key
            file), surrounding spaces or non-ASCII characters.
    """
    if api_key is not None and not isinstance(api_key, SecretStr):
        raise TypeError(
            f"api_key must be a SecretStr or None, got {type(api_key).__name__} "
            "(the value is not shown)"
        )
    key = api_key.get_secret_value() if api_key is not None else ""
    if not key:
        return
    if key != key.strip() or not _HEADER_VALUE.fullmatch(key):
        raise ValueError(
            "api_key cannot be sent in an HTTP header: it has surrounding whitespace, a "
            "control character (such as a trailing newline) or a non-ASCII character; "
            "check how the key was read (the key itself is not shown)"
        )


def check_headers(headers: Mapping[str, str], what: str = "default_headers") -> dict[str, str]:
    """Validate ``default_headers`` so a bad one fails clearly before any request.

    Args:
        headers: The headers.
        what: How the error messages name them.

    Raises:
        TypeError: A name or value is not a string.
        ValueError: A name is not an HTTP token or a value has control/non-ASCII characters.
    """
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError(
                f"{what} must map str to str; got {type(name).__name__} -> "
                f"{type(value).__name__} for header {name!r}"
            )
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError(f"{what}: {name!r} is not a valid HTTP header name")
        if not _HEADER_VALUE.fullmatch(value):
            # The value is not quoted: headers often carry credentials.
            raise ValueError(
                f"{what}: the value of {name!r} has a control character (such as a "
                "newline) or a non-ASCII character and cannot be sent"
            )
        checked[name] = value
    return checked


_QUERY_SCALARS = (str, int, float, bool)


def check_query(query: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``default_query`` so a bad one fails clearly before any request.

    Raises:
        TypeError: A name is not a string or a value is not a string, number, bool or a
            list of those.
    """
    checked: dict[str, Any] = {}
    for name, value in query.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        if not isinstance(name, str) or not all(isinstance(v, _QUERY_SCALARS) for v in values):
            raise TypeError(
                "default_query must map str to a string, number, bool or a list of those; "
                f"got {type(name).__name__} -> {type(value).__name__} for {name!r}"
            )
        checked[name] = list(value) if isinstance(value, (list, tuple)) else value
    return checked


def check_base_url(base_url: object) -> str:
    """Normalise and check the base URL; user info is removed with a warning.

    ``https://user:pass@host/v1`` would make httpx send Basic auth and put the password in
    every log line and trace that shows the URL; HiAPI authenticates with ``api_key``, so
    the user info is dropped (never sent, logged or traced) and a ``UserWarning`` says so.

    Raises:
        TypeError: Not a string.
        ValueError: Not an absolute ``http(s)://host/...`` URL (the URL's user info and
            query string are not echoed).
    """
    if not isinstance(base_url, str):
        raise TypeError(f"base_url must be a string, got {type(base_url).__name__}")
    problem = None
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, ValueError) as exc:
        problem = str(exc).replace(base_url, "<base_url>")
    else:
        if url.scheme not in ("http", "https") or not url.host:
            problem = "expected an http:// or https:// URL with a host"
    if problem is not None:
        # User info and query string are not echoed: a URL may embed credentials.
        shown = base_url.split("@")[-1].split("?")[0][:80]
        raise ValueError(f"base_url must look like {DEFAULT_BASE_URL!r}; got {shown!r} ({problem})")
    cleaned: str = strip_base_url_credentials(base_url)
    return cleaned.rstrip("/")


def is_loopback_host(host: str) -> bool:
    """Whether a URL host is this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    lowered = host.lower().rstrip(".")
    if lowered == "localhost" or lowered.endswith(".localhost"):
        return True
    address = literal_address(lowered)
    return address is not None and address.is_loopback


def warn_clear_text_key(base_url: str, api_key: SecretStr | None) -> None:
    """Warns when the key would travel unencrypted to another machine."""
    if api_key is None or not api_key.get_secret_value():
        return
    url = httpx.URL(base_url)
    if url.scheme == "http" and not is_loopback_host(url.host):
        warnings.warn(
            f"base_url {public_url(url)!r} is plain http on a non-loopback host: the API key "
            "would be sent in clear text. Use https.",
            UserWarning,
            stacklevel=3,
        )


def check_timeout(timeout: object) -> httpx.Timeout | float | None:
    """Check the ``timeout`` argument, rejecting unusable values.

    Raises:
        TypeError: Not a number, an ``httpx.Timeout`` or ``None``.
        ValueError: A number that is not finite and positive.
    """
    if timeout is None:
        return None
    if isinstance(timeout, httpx.Timeout):
        values = {
            "connect": timeout.connect,
            "read": timeout.read,
            "write": timeout.write,
            "pool": timeout.pool,
        }
        for phase, value in values.items():
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(
                    f"timeout.{phase} must be a positive number of seconds or None, got {value!r}"
                )
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(
            "timeout must be a number of seconds, an httpx.Timeout or None; "
            f"got {type(timeout).__name__}"
        )
    if not (math.isfinite(timeout) and timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds or None, got {timeout!r}")
    return float(timeout)


def encode_body(body: Mapping[str, Any]) -> bytes:
    """Serialise a request body as strict JSON.

    Raises:
        ValueError: The body holds NaN or an infinity (not JSON; the gateway rejects it).
        TypeError: The body holds a value JSON cannot represent.
    """
    try:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError as exc:
        raise ValueError(
            f"request body cannot be sent: {exc} (NaN or infinity in a parameter such as "
            "temperature, model_kwargs or extra_body)"
        ) from None
    except TypeError as exc:
        raise TypeError(
            f"request body cannot be sent as JSON: {exc} (check model_kwargs, extra_body "
            "and other call arguments)"
        ) from None
    return text.encode()


def check_download_url(url: object) -> httpx.URL:
    """Parse a download URL.

    Raises:
        ValueError: Not a string holding an absolute http(s) URL with a host.
    """
    if isinstance(url, str):
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, ValueError):
            parsed = None
        if parsed is not None and parsed.scheme in ("http", "https") and parsed.host:
            return parsed
    # Only the start is shown: output URLs are signed and may carry tokens in the query.
    shown = str(url).split("?")[0][:80]
    raise ValueError(f"cannot download {shown!r}: expected an absolute http(s) URL")
