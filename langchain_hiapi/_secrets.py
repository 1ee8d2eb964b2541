"""Keeping credentials out of messages, reprs, serialisation and foreign requests.

* `is_secret_header` / `masked_headers`: which `default_headers` carry credentials
  (`Authorization`, `Cookie`, `X-Api-Key`, anything with `token`, `key`, `secret`, `auth`
  or `passw` in its name); those are masked wherever settings are shown and never sent to
  any host but the gateway.
* `scrub_error`: removes the API key from an error the gateway may have echoed it into.
* `strip_userinfo`: `https://user:pass@host/v1` loses its user info (never sent as Basic
  auth, logged or traced).
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Mapping
from typing import Any

import httpx
from pydantic import SecretStr

from langchain_hiapi.errors import HiAPIError

__all__ = [
    "MASK",
    "REDACTED",
    "check_api_key_type",
    "header_secrets",
    "is_secret_header",
    "masked_headers",
    "parse_headers_secret",
    "redact",
    "scrub_error",
    "strip_base_url_credentials",
    "strip_userinfo",
]

MASK = "**********"
REDACTED = "[redacted]"
_SECRET_HEADER = re.compile(r"authorization|cookie|token|secret|key|passw|auth")
# Deeper parts of an echoed JSON body are dropped rather than walked.
_MAX_DEPTH = 32


def is_secret_header(name: str) -> bool:
    """Whether a header name looks like it carries a credential.

    Args:
        name: The header name, any case.

    Returns:
        `True` for `Authorization`, `Cookie`, `X-Api-Key` and names containing `token`,
        `key`, `secret`, `auth` or `passw`.
    """
    return _SECRET_HEADER.search(name.lower()) is not None


def masked_headers(headers: Mapping[str, str] | None) -> dict[str, str] | None:
    """A copy of `headers` with credential values replaced by `MASK`."""
    if headers is None:
        return None
    return {name: MASK if is_secret_header(name) else value for name, value in headers.items()}


def redact(text: str, secret: str | None) -> str:
    """`text` with every occurrence of `secret` replaced by `REDACTED`."""
    return text.replace(secret, REDACTED) if secret and secret in text else text


def _redact_value(value: Any, secret: str, depth: int = 0) -> Any:
    if isinstance(value, str):
        return redact(value, secret)
    if depth >= _MAX_DEPTH:
        return None if isinstance(value, (dict, list, tuple)) else value
    if isinstance(value, dict):
        return {
            redact(str(k), secret): _redact_value(v, secret, depth + 1) for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_redact_value(v, secret, depth + 1) for v in value]
    return value


def scrub_error(error: HiAPIError, secret: str | None) -> HiAPIError:
    """Removes `secret` from every text an error carries (in place).

    The gateway builds messages from what it received; one that quotes the key it was
    sent must not carry it into logs, tracebacks or an agent's tool message.

    Args:
        error: The error, mutated.
        secret: The API key, or `None`.

    Returns:
        `error`, for `raise scrub_error(...)`.
    """
    if not secret:
        return error
    error.message = redact(error.message, secret)
    error.args = tuple(redact(a, secret) if isinstance(a, str) else a for a in error.args)
    error.body = _redact_value(error.body, secret)
    for name in ("param", "request_id", "type", "partial_text"):
        value = getattr(error, name, None)
        if isinstance(value, str):
            setattr(error, name, redact(value, secret))
    if isinstance(error.code, str):
        error.code = redact(error.code, secret)
    error.headers = {k: redact(v, secret) for k, v in error.headers.items()}
    return error


def strip_userinfo(url: str) -> tuple[str, bool]:
    """Removes `user:password@` from a URL.

    Args:
        url: An absolute URL.

    Returns:
        `(the URL without user info, whether there was any)`. A URL httpx cannot parse
        is returned unchanged (it is rejected later, without being echoed).
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        return url, False
    if not parsed.userinfo:
        return url, False
    return str(parsed.copy_with(username=None, password=None)), True


def strip_base_url_credentials(value: Any) -> Any:
    """For a `base_url` setting: drops `user:password@` with a `UserWarning`.

    Anything but a string is returned as is (type errors are reported elsewhere).
    """
    if not isinstance(value, str):
        return value
    cleaned, had_userinfo = strip_userinfo(value)
    if had_userinfo:
        warnings.warn(
            "base_url contained user credentials (user:password@); they were removed and "
            "are never sent, logged or traced. HiAPI authenticates with api_key.",
            UserWarning,
            stacklevel=2,
        )
    return cleaned


def check_api_key_type(value: Any) -> Any:
    """For an `api_key` setting: refuses a wrong type without echoing the value.

    pydantic quotes a rejected input in its error (`input_value=...`); a key given as,
    say, a list or bytes would end up in a traceback. A `TypeError` raised here is not
    wrapped by pydantic and names only the type.

    Raises:
        TypeError: Not a `str`, a `SecretStr` or `None`.
    """
    if value is None or isinstance(value, (str, SecretStr)):
        return value
    raise TypeError(
        f"api_key must be a string or a SecretStr, got {type(value).__name__} "
        "(the value is not shown)"
    )


def header_secrets(headers: Mapping[str, str] | None) -> dict[str, str]:
    """`lc_secrets` entry for `default_headers` holding credentials.

    The whole field becomes the secret `HIAPI_DEFAULT_HEADERS` (LangChain serialises only
    top-level secrets; a nested marker would be written out as plain data). `load` then
    restores the headers from `secrets_map` or that environment variable (a JSON object),
    or leaves them out.

    Returns:
        `{"default_headers": "HIAPI_DEFAULT_HEADERS"}` if a header looks like a
        credential, else `{}`.
    """
    if any(is_secret_header(name) for name in headers or {}):
        return {"default_headers": "HIAPI_DEFAULT_HEADERS"}
    return {}


def parse_headers_secret(value: Any) -> Any:
    """For a `default_headers` setting: a JSON object string (a revived secret) as a dict.

    Raises:
        ValueError: A string that is not a JSON object of strings (not echoed).
    """
    if not isinstance(value, str):
        return value
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise ValueError(
            "default_headers given as a string must be a JSON object (e.g. the "
            "HIAPI_DEFAULT_HEADERS secret); the value is not shown"
        )
    return parsed
