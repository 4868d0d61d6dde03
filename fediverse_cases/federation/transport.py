"""The one outbound HTTP client: signing, timeouts, size caps, the allow-list and the SSRF guard.

Every request to another instance goes through :class:`Transport` (deliveries, dereferencing,
WebFinger, media). Before each request, and again before following each redirect:

1. the target host must be allowed (our allow-list, ``federation.peers``);
2. every address the host resolves to must be public, unless that exact ``host[:port]`` is an
   allowed peer (loopback test peers are allowed explicitly, never by a debug switch).

Redirects are never followed by httpx; GETs follow at most ``MAX_REDIRECTS`` by hand with the
checks above; POSTs follow only redirects to the same host (re-signed for the new URL). Requests are signed at send time (draft-cavage-12,
``rsa-sha256``) over the original URL, so ``(request-target)`` and ``host`` name the peer.

No second DNS lookup (DNS rebinding): the checked addresses are pinned in a
:class:`~fediverse_cases.federation.pinning.PinnedBackend`, the only thing that opens sockets for
the pooled clients, and it connects to a pinned address instead of resolving the name again. The
request URL, ``Host`` header, TLS SNI and certificate hostname check all keep the peer's name
(see :mod:`fediverse_cases.federation.pinning`). A name's resolution is cached for
``RESOLVE_CACHE_SECONDS``; the addresses are re-checked against the allow-list on every request.

Tests inject an ``httpx.AsyncClient`` (e.g. with ``httpx.MockTransport``) and a resolver instead
of patching; an injected client does its own connecting, so pinning applies to pooled clients.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from fediverse_cases import __version__
from fediverse_cases.activitypub.constants import ACTIVITY_JSON
from fediverse_cases.core.hosts import InvalidHost, host_of
from fediverse_cases.crypto.http_signatures import sign_request_cavage
from fediverse_cases.federation.allow_list_cache import AllowListCache
from fediverse_cases.federation.pinning import PinnedBackend, PinnedHTTPTransport, pin_key
from fediverse_cases.settings import Settings
from fediverse_cases.storage.models import Actor

MAX_REDIRECTS = 3
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 1_000_000
RESOLVE_CACHE_SECONDS = 30.0
PER_HOST_CONNECTIONS = 16

Resolver = Callable[[str, int], Awaitable[list[str]]]


class TransportError(Exception):
    """A request was refused before sending, or failed without a usable response."""


class HostRefused(TransportError):
    """The allow-list or the SSRF guard refused the target."""


@dataclass(frozen=True)
class FetchedResponse:
    url: str
    status: int
    headers: httpx.Headers
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class PostOutcome:
    """``status`` is None when there was no HTTP response (timeout, connection error)."""

    status: int | None
    retry_after: str | None = None
    error: str = ""
    # Refused before sending (the allow-list or the address guard): retrying cannot help.
    refused: bool = False


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


def is_public_address(address: str) -> bool:
    """Globally routable unicast: not private, loopback, link-local, reserved or multicast."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


@dataclass
class Transport:
    settings: Settings
    allow_list: AllowListCache
    client: httpx.AsyncClient | None = None
    resolver: Resolver = system_resolver
    timeout: float = DEFAULT_TIMEOUT
    # What the pinned backend connects with (tests record connects) and the TLS context (tests
    # trust their own CA); None means real sockets and httpx's default verifying context.
    network_backend: httpcore.AsyncNetworkBackend | None = None
    tls: ssl.SSLContext | None = None
    _resolved: dict[tuple[str, int], tuple[float, list[str]]] = field(default_factory=dict)
    _clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)
    _pins: PinnedBackend = field(init=False)

    def __post_init__(self) -> None:
        self._pins = PinnedBackend(self.network_backend)

    def client_for(self, url: str) -> httpx.AsyncClient:
        """The injected client, else one pooled client per peer host: httpcore scans its whole
        pool for every request, so one big pool shared by a 1,000-inbox fan-out costs more time
        than the sends themselves."""
        if self.client is not None:
            return self.client
        authority = urlsplit(url).netloc.lower()
        client = self._clients.get(authority)
        if client is None:
            if self.tls is None:  # one CA bundle load (honours SSL_CERT_FILE), shared by all pools
                self.tls = httpx.create_ssl_context()
            limits = httpx.Limits(
                max_connections=PER_HOST_CONNECTIONS, max_keepalive_connections=PER_HOST_CONNECTIONS
            )
            client = httpx.AsyncClient(
                transport=PinnedHTTPTransport(self._pins, limits, self.tls),
                follow_redirects=False,
                trust_env=False,
                timeout=httpx.Timeout(self.timeout, connect=5.0),
            )
            self._clients[authority] = client
        return client

    @property
    def user_agent(self) -> str:
        return f"fediverse-cases/{__version__} (+{self.settings.instance.base_url})"

    async def check_target(self, url: str) -> str:
        """The normalised host of ``url`` if we may send to it; raise HostRefused."""
        try:
            host = host_of(url)
        except InvalidHost as error:
            raise HostRefused(f"not an http(s) URL: {url}") from error
        allow_list = await self.allow_list.current()
        decision = allow_list.decide(host)
        if decision == "local":
            raise HostRefused(f"{host} is this instance; local objects are read from the database")
        if decision != "allowed":
            raise HostRefused(f"{host} is not an allowed peer ({decision})")
        addresses = await self._addresses(url)
        private = [a for a in addresses if not is_public_address(a)]
        if private and host not in allow_list.allowed:
            raise HostRefused(
                f"{host} resolves to a non-public address ({private[0]}) and is not an allowed peer"
            )
        self._pins.pin(*pin_key(url), addresses)  # the connection goes to these, and only these
        return host

    async def _addresses(self, url: str) -> list[str]:
        """The addresses ``url``'s host resolves to (cached briefly); raise HostRefused."""
        name, port = pin_key(url)
        expires, addresses = self._resolved.get((name, port), (0.0, []))
        if expires > time.monotonic():
            return addresses
        addresses = await resolve_addresses(self.resolver, name, port)
        self._resolved[(name, port)] = (time.monotonic() + RESOLVE_CACHE_SECONDS, addresses)
        return addresses

    def _signed_headers(
        self, method: str, url: str, body: bytes | None, signer: Actor | None, base: dict[str, str]
    ) -> dict[str, str]:
        headers = {"User-Agent": self.user_agent, **base}
        if signer is not None:
            headers.update(
                sign_request_cavage(method, url, headers, body, signer.public_key_id, signer.private_key_pem)
            )
        return headers

    async def get(
        self,
        url: str,
        *,
        signer: Actor | None = None,
        accept: str = ACTIVITY_JSON,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> FetchedResponse:
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            await self.check_target(current)
            headers = self._signed_headers("GET", current, None, signer, {"Accept": accept})
            try:
                async with self.client_for(current).stream("GET", current, headers=headers) as response:
                    if response.status_code in (301, 302, 303, 307, 308) and "location" in response.headers:
                        current = urljoin(current, response.headers["location"])
                        continue
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) > max_bytes:
                            raise TransportError(f"response from {current} larger than {max_bytes} bytes")
                    return FetchedResponse(current, response.status_code, response.headers, bytes(body))
            except httpx.HTTPError as error:
                raise TransportError(f"GET {current} failed: {type(error).__name__}: {error}") from error
        raise TransportError(f"too many redirects from {url}")

    async def post(
        self, url: str, body: bytes, *, signer: Actor, content_type: str = ACTIVITY_JSON
    ) -> PostOutcome:
        """POST an activity; never raises for network trouble (``status=None`` instead).

        Redirects to the same host (Takahē answers ``/inbox`` with 301 to ``/inbox/``) are
        followed, each target re-checked and the request re-signed for it; a redirect elsewhere
        is not followed and reported without a status, so the delivery is retried, not failed.
        """
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                await self.check_target(current)
            except HostRefused as error:
                return PostOutcome(None, error=f"refused: {error}")
            headers = self._signed_headers(
                "POST", current, body, signer, {"Content-Type": content_type, "Accept": ACTIVITY_JSON}
            )
            try:
                response = await self.client_for(current).post(current, content=body, headers=headers)
            except httpx.HTTPError as error:
                return PostOutcome(None, error=f"{type(error).__name__}: {error}"[:500])
            location = response.headers.get("location")
            if response.status_code in (301, 302, 307, 308) and location:
                target = urljoin(current, location)
                if urlsplit(target).netloc.lower() != urlsplit(current).netloc.lower():
                    return PostOutcome(
                        None, error=f"HTTP {response.status_code} to another host: {target}"[:500]
                    )
                current = target
                continue
            text = "" if response.is_success else response.text[:300]
            return PostOutcome(response.status_code, response.headers.get("retry-after"), text)
        return PostOutcome(None, error=f"too many redirects from {url}")

    async def aclose(self) -> None:
        for client in [*self._clients.values(), *([self.client] if self.client is not None else [])]:
            await client.aclose()
        self._clients.clear()


async def resolve_addresses(resolver: Resolver, name: str, port: int) -> list[str]:
    """The addresses ``name`` stands for (itself when it is an IP literal); raise HostRefused."""
    try:
        return [str(ipaddress.ip_address(name))]
    except ValueError:
        pass
    try:
        addresses = list(await resolver(name, port))
    except OSError as error:
        raise HostRefused(f"cannot resolve {name}: {error}") from error
    if not addresses:
        raise HostRefused(f"{name} resolves to no address")
    return addresses
