"""Download origin policy: which URLs from a gateway reply the package may fetch.

Every URL the gateway hands back (images-API `url` outputs, a video download redirect,
task outputs) is fetched only when it is

* on the gateway's own origin (the scheme, host and port of `base_url`; the API key is
  sent only there), or
* on a host listed in `allowed_download_hosts` (`host` or `host:port`; any address), or
* `https` on a host whose every address is public: loopback, private, link-local,
  shared (CGNAT), multicast, reserved and unspecified addresses, the cloud metadata
  address 169.254.169.254, IPv4 embedded in IPv6 (`::ffff:127.0.0.1`, 6to4, Teredo) and
  numeric spellings such as `2130706433` or `0x7f.1` are all refused.

Redirects are followed by hand, at most `Limits.max_redirects` of them, and every hop is
checked again; the API key and secret-looking default headers go only to the gateway's
own origin. A refused URL raises `UnsafeURLError` before any connection is made.

This module is pure logic (the resolver is passed in); `_fetch` drives the requests.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import httpx

from langchain_hiapi.errors import APIConnectionError, UnsafeURLError

__all__ = [
    "REDIRECT_STATUSES",
    "DownloadPolicy",
    "Resolver",
    "Target",
    "is_public_address",
    "literal_address",
    "origin",
    "public_url",
    "redirect_flow",
    "resolve_with_system",
    "system_resolver",
]

Resolver = Callable[[str], Sequence[str]]
"""`host -> its IP addresses` (strings); raises `OSError` when the name does not resolve."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Names that always mean this machine (RFC 6761), refused without asking DNS.
_LOCAL_NAMES = ("localhost", "localhost.", "localhost.localdomain")
# What inet_aton also accepts as an IPv4 address: 2130706433, 0x7f.1, 0177.0.0.1, 127.1.
_NUMERIC_HOST = re.compile(r"[0-9a-fA-FxX.]+")


def public_url(url: str | httpx.URL) -> str:
    """A URL for messages and logs: no user info, no query string, no fragment."""
    try:
        parsed = httpx.URL(url) if isinstance(url, str) else url
    except (httpx.InvalidURL, ValueError, TypeError):
        text = str(url)
        return text.split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1][:200]
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}{parsed.path}"[:500]


def literal_address(host: str) -> IPAddress | None:
    """The address a host string spells, if it is an IP literal in any spelling.

    Args:
        host: A URL host (IPv6 without brackets; a `%zone` suffix is ignored).

    Returns:
        The address, or `None` for a name that needs DNS.
    """
    bare = host.split("%", 1)[0]
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    if _NUMERIC_HOST.fullmatch(bare):
        try:
            # The C library reads decimal, octal and hex parts, as a connect would.
            return ipaddress.IPv4Address(socket.inet_aton(bare))
        except OSError:
            return None
    return None


def _plainly_public(ip: IPAddress) -> bool:
    return bool(
        ip.is_global
        and not ip.is_multicast
        and not ip.is_reserved
        and not ip.is_unspecified
        and not ip.is_loopback
        and not ip.is_link_local
        and not ip.is_private
    )


def is_public_address(ip: IPAddress) -> bool:
    """Whether an address is globally reachable and safe to fetch from.

    IPv6 forms that carry an IPv4 address (mapped, 6to4, Teredo) are judged by the IPv4
    address as well.
    """
    if not _plainly_public(ip):
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = [ip.ipv4_mapped, ip.sixtofour]
        if ip.teredo is not None:
            embedded.extend(ip.teredo)
        return all(_plainly_public(v4) for v4 in embedded if v4 is not None)
    return True


def system_resolver(host: str) -> list[str]:
    """Resolves a host name with the system resolver (`getaddrinfo`).

    Raises:
        OSError: The name does not resolve.
    """
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    seen: dict[str, None] = {}
    for info in infos:
        seen[str(info[4][0])] = None
    return list(seen)


def resolve_with_system(host: str) -> list[str]:
    """`system_resolver`, looked up at call time so tests can replace it."""
    return system_resolver(host)


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` with the scheme's default port made explicit."""
    scheme = url.scheme.lower()
    return scheme, url.host.lower().rstrip("."), url.port or _DEFAULT_PORTS.get(scheme)


Access = Literal["origin", "allowed", "public"]


@dataclass(frozen=True)
class Target:
    """One URL the policy let through, and how it may be fetched.

    Attributes:
        url: The URL.
        access: `origin` (the gateway: the API key may be sent), `allowed` (a host of
            `allowed_download_hosts`) or `public` (every address must be public).
    """

    url: httpx.URL
    access: Access

    @property
    def same_origin(self) -> bool:
        """Whether this is the gateway's own origin (credentials may be sent)."""
        return self.access == "origin"

    @property
    def host(self) -> str:
        """The host, without IPv6 zone."""
        return self.url.host.split("%", 1)[0]


class DownloadPolicy:
    """Decides which URLs may be fetched (see the module docstring).

    Args:
        base_url: The gateway's base URL; its origin is always allowed.
        allowed_hosts: Extra hosts (`host` or `host:port`) allowed on any address and
            with `http` too, e.g. an internal CDN or a test server.
    """

    def __init__(self, base_url: str, allowed_hosts: Iterable[str] = ()) -> None:
        self.origin = origin(httpx.URL(base_url))
        self.allowed_hosts = frozenset(_normalise_host(h) for h in allowed_hosts)

    def target(self, url: str | httpx.URL) -> Target:
        """Checks a URL before anything is sent to it.

        Args:
            url: The absolute URL.

        Returns:
            The target, with the access it was granted.

        Raises:
            UnsafeURLError: The URL is refused (scheme, credentials in the URL, an
                internal address, a local name).
        """
        shown = public_url(url)
        try:
            parsed = httpx.URL(url) if isinstance(url, str) else url
        except (httpx.InvalidURL, ValueError, TypeError):
            raise UnsafeURLError(
                f"refused to download {shown!r}: not a valid URL", url=shown
            ) from None
        scheme = parsed.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not parsed.host:
            raise UnsafeURLError(
                f"refused to download {shown!r}: only http(s) URLs with a host are fetched",
                url=shown,
            )
        if parsed.userinfo:
            raise UnsafeURLError(
                f"refused to download {shown!r}: the URL carries user credentials", url=shown
            )
        url_origin = origin(parsed)
        if url_origin == self.origin:
            return Target(parsed, "origin")
        host = url_origin[1]
        if host in self.allowed_hosts or f"{host}:{url_origin[2]}" in self.allowed_hosts:
            return Target(parsed, "allowed")
        if scheme != "https":
            raise UnsafeURLError(
                f"refused to download {shown!r}: plain http is only fetched from the "
                "gateway's own origin or allowed_download_hosts",
                url=shown,
            )
        if host in _LOCAL_NAMES or host.endswith(".localhost"):
            raise UnsafeURLError(f"refused to download {shown!r}: a local host name", url=shown)
        literal = literal_address(parsed.host)
        if literal is not None and not is_public_address(literal):
            raise UnsafeURLError(
                f"refused to download {shown!r}: {literal} is not a public address", url=shown
            )
        return Target(parsed, "public")

    def check_addresses(self, target: Target, addresses: Sequence[str]) -> None:
        """Checks what a `public` target's host resolved to: every address must be public.

        Raises:
            UnsafeURLError: No address, or one of them is not public.
        """
        shown = public_url(target.url)
        if not addresses:
            raise UnsafeURLError(f"refused to download {shown!r}: no address", url=shown)
        for text in addresses:
            ip = literal_address(text)
            if ip is None or not is_public_address(ip):
                raise UnsafeURLError(
                    f"refused to download {shown!r}: {target.host} resolves to {text}, "
                    "which is not a public address",
                    url=shown,
                )

    def resolve(self, target: Target, resolver: Resolver) -> list[str]:
        """Resolves and checks a `public` target's host (literal IPs need no DNS).

        Returns:
            The checked addresses (empty for targets that need no check).

        Raises:
            UnsafeURLError: An address is not public.
            APIConnectionError: The name does not resolve.
        """
        if target.access != "public":
            return []
        literal = literal_address(target.host)
        if literal is not None:
            addresses = [str(literal)]
        else:
            try:
                addresses = [str(a) for a in resolver(target.host)]
            except (OSError, UnicodeError) as exc:
                raise APIConnectionError(
                    f"could not resolve {target.host!r} to download "
                    f"{public_url(target.url)!r}: {exc}"
                ) from None
        self.check_addresses(target, addresses)
        return addresses

    def address_picker(
        self, target: Target, resolver: Resolver
    ) -> Callable[[str, int], str] | None:
        """For the socket guard: resolve, check and return the address to connect to.

        Returns:
            `None` for targets that need no address check.
        """
        if target.access != "public":
            return None

        def pick(host: str, port: int) -> str:
            if host.split("%", 1)[0] != target.host:  # a proxy or another origin
                return host
            return self.resolve(target, resolver)[0]

        return pick


def _normalise_host(entry: str) -> str:
    if not isinstance(entry, str) or not entry.strip():
        raise ValueError(f"allowed_download_hosts entries must be host names, got {entry!r}")
    text = entry.strip().lower()
    if "://" in text:  # a URL was given: keep host[:port]
        url = httpx.URL(text)
        return f"{url.host}:{url.port}" if url.port else url.host
    return text.strip("[]").rstrip(".")


def redirect_location(status: int, headers: Mapping[str, str]) -> str | None:
    """The `Location` of a redirect reply, or `None` for any other reply."""
    if status not in REDIRECT_STATUSES:
        return None
    location = headers.get("location")
    return location or None


def redirect_flow(
    policy: DownloadPolicy, url: str, max_redirects: int
) -> Generator[Target, tuple[int, Mapping[str, str]], None]:
    """The hops of one download: yields each target; is sent each reply's status/headers.

    The driver sends a GET to every yielded target and sends back `(status, headers)`;
    the flow ends (`StopIteration`) when a reply is not a redirect.

    Raises:
        UnsafeURLError: A hop is refused, or there are more than `max_redirects`.
    """
    target = policy.target(url)
    for _ in range(max_redirects + 1):
        status, headers = yield target
        location = redirect_location(status, headers)
        if location is None:
            return
        try:
            next_url = target.url.join(location)
        except (httpx.InvalidURL, ValueError, TypeError):
            raise UnsafeURLError(
                f"refused to follow a redirect from {public_url(target.url)!r}: invalid Location",
                url=public_url(target.url),
            ) from None
        target = policy.target(next_url)
    raise UnsafeURLError(
        f"refused to download {public_url(url)!r}: more than {max_redirects} redirects",
        url=public_url(url),
    )
