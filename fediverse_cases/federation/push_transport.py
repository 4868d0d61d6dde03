"""POSTing to Web Push endpoints: the SSRF guard for URLs that browsers and apps hand us.

A push endpoint belongs to a push service (Mozilla autopush, Google FCM, Apple), not to a
federation peer, so the allow-list does not apply; what does is the same address rule as every
other outbound request (``transport.is_public_address``): each address the endpoint's host
resolves to must be public, unless that exact ``host[:port]`` is listed in ``[web_push]
allowed_private_hosts`` (a push relay inside the hospital, or the test suite's receiver). The
checked addresses are pinned (``pinning.PinnedBackend``), so a DNS answer that changes after the
check cannot send the request elsewhere. Redirects are never followed. Never raises for network
trouble: the outcome carries ``status=None`` and the reason instead.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field

import httpx

from fediverse_cases import __version__
from fediverse_cases.core.hosts import InvalidHost, host_of
from fediverse_cases.federation.pinning import PinnedBackend, PinnedHTTPTransport, pin_key
from fediverse_cases.federation.transport import (
    HostRefused,
    PostOutcome,
    Resolver,
    is_public_address,
    resolve_addresses,
    system_resolver,
)

TIMEOUT = 10.0
CONNECTIONS = 16


@dataclass
class PushTransport:
    allowed_private_hosts: frozenset[str]
    instance_url: str
    resolver: Resolver = system_resolver
    tls: ssl.SSLContext | None = None
    _pins: PinnedBackend = field(default_factory=PinnedBackend)
    _client: httpx.AsyncClient | None = None

    async def check_target(self, url: str) -> None:
        """Raise HostRefused unless ``url`` may be sent to now (and pin its addresses)."""
        try:
            host = host_of(url)
        except InvalidHost as error:
            raise HostRefused(f"not an http(s) URL: {url}") from error
        name, port = pin_key(url)
        addresses = await resolve_addresses(self.resolver, name, port)
        private = [a for a in addresses if not is_public_address(a)]
        if private and host not in self.allowed_private_hosts:
            raise HostRefused(
                f"{host} resolves to a non-public address ({private[0]}) and is not in "
                "[web_push] allowed_private_hosts"
            )
        self._pins.pin(name, port, addresses)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
            self._client = httpx.AsyncClient(
                transport=PinnedHTTPTransport(self._pins, limits, self.tls),
                follow_redirects=False,
                trust_env=False,
                timeout=httpx.Timeout(TIMEOUT, connect=5.0),
            )
        return self._client

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> PostOutcome:
        try:
            await self.check_target(url)
        except HostRefused as error:
            return PostOutcome(None, error=f"refused: {error}", refused=True)
        headers = {"User-Agent": f"fediverse-cases/{__version__} (+{self.instance_url})", **headers}
        try:
            response = await self._http().post(url, content=body, headers=headers)
        except httpx.HTTPError as error:
            return PostOutcome(None, error=f"{type(error).__name__}: {error}"[:500])
        text = "" if response.is_success else response.text[:300]
        return PostOutcome(response.status_code, response.headers.get("retry-after"), text)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
