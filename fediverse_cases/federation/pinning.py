"""Connect to exactly the addresses the SSRF guard checked (no second DNS lookup).

The transport resolves a peer's name once, checks every address, and *pins* the checked
addresses here under the name and port. The httpcore network backend below is the only thing
that opens sockets for the transport's pooled clients: it maps the name httpcore asks for to the
pinned addresses and never resolves anything itself, so a DNS answer that changes between the
check and the connection (DNS rebinding) cannot redirect a request to a private address. A name
with no pin is refused outright.

Why a network backend rather than rewriting the URL to the IP: the request keeps its real URL,
so the ``Host`` header, the connection pool key (per ``scheme://name:port``), the TLS SNI name and
certificate hostname verification all keep using the peer's name exactly as httpcore does for
an unpinned request (``start_tls(server_hostname=<URL host>)`` with ``check_hostname`` on). Only
the TCP connect target changes. httpx 0.28 has no public hook for a network backend, so
:class:`PinnedHTTPTransport` swaps the pool of a stock ``httpx.AsyncHTTPTransport`` for one built
with the pinned backend; everything else (exception mapping, streaming) stays httpx's own.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
from httpcore import AnyIOBackend, AsyncNetworkBackend, AsyncNetworkStream

__all__ = ["PinnedBackend", "PinnedHTTPTransport", "pin_key"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
SocketOptions = Iterable[Any]  # httpcore's SOCKET_OPTION tuples, passed through untouched


def pin_key(url: str | httpx.URL) -> tuple[str, int]:
    """``(host, port)`` exactly as httpcore will ask the network backend to connect to ``url``."""
    parsed = httpx.URL(url)
    return parsed.raw_host.decode("ascii").lower(), parsed.port or _DEFAULT_PORTS[parsed.scheme]


class PinnedBackend(AsyncNetworkBackend):
    """Opens TCP connections only to pinned (already checked) addresses, never by name.

    ``inner`` does the real connecting (tests pass a recording backend); it is only ever given
    IP addresses, so it never resolves a name.
    """

    def __init__(self, inner: AsyncNetworkBackend | None = None) -> None:
        self._inner = inner if inner is not None else AnyIOBackend()
        self._pins: dict[tuple[str, int], tuple[str, ...]] = {}

    def pin(self, host: str, port: int, addresses: Iterable[str]) -> None:
        """Record the checked addresses for ``host:port`` (replacing earlier ones)."""
        self._pins[(host.lower(), port)] = tuple(addresses)

    def pinned(self, host: str, port: int) -> tuple[str, ...]:
        return self._pins.get((host.lower(), port), ())

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: SocketOptions | None = None,
    ) -> AsyncNetworkStream:
        addresses = self.pinned(host, port)
        if not addresses:
            raise httpcore.ConnectError(f"no checked address for {host}:{port}; not resolving it here")
        error: Exception | None = None
        for address in addresses:  # in resolver order, like a plain getaddrinfo connect
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as failure:
                error = failure
        assert error is not None
        raise error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: SocketOptions | None = None
    ) -> AsyncNetworkStream:
        raise httpcore.ConnectError("federation never connects to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PinnedHTTPTransport(httpx.AsyncHTTPTransport):
    """A stock httpx transport whose connection pool connects through a :class:`PinnedBackend`.

    No proxies and no environment settings (a proxy would resolve the name itself). TLS uses
    ``tls`` (share one: building a context loads the CA bundle) or httpx's default verifying
    context; a context that does not check certificates and host names is refused.
    """

    def __init__(
        self, backend: PinnedBackend, limits: httpx.Limits, tls: ssl.SSLContext | None = None
    ) -> None:
        context = tls if tls is not None else httpx.create_ssl_context()
        if not context.check_hostname or context.verify_mode != ssl.CERT_REQUIRED:
            raise ValueError("federation TLS must verify certificates and host names")
        super().__init__(verify=context, limits=limits, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )
