"""The SSRF guard: private, loopback and link-local targets are refused unless that exact
host:port is an allowed peer; every resolved address is checked; redirects are re-checked; the
connection goes to exactly the checked address (no DNS rebinding) while TLS, ``Host`` and the
signature keep the peer's name."""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpcore
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fediverse_cases.crypto.http_signatures import verify_request
from fediverse_cases.crypto.keys import generate_rsa_keypair
from fediverse_cases.federation.pinning import PinnedBackend, PinnedHTTPTransport
from fediverse_cases.federation.transport import HostRefused, Transport, TransportError
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer
from tests.support.http_peer import FakeHttpPeer, Reply

ADDRESSES = {
    "public.example": ["93.184.216.34"],
    "internal.example": ["10.0.0.5"],
    "metadata.example": ["169.254.169.254"],
    "sneaky.example": ["93.184.216.34", "127.0.0.1"],  # one bad address is enough to refuse
    "v6loop.example": ["::1"],
    "redirector.example": ["93.184.216.34"],
}


@pytest.fixture
def settings_overrides() -> dict:
    # Open mode: the allow-list lets every host through, so only the SSRF guard stands in the way.
    return {"federation": {"mode": "open"}}


async def resolver(host: str, port: int) -> list[str]:
    return ADDRESSES[host]


def transport(state, calls: list[httpx.Request]) -> Transport:  # type: ignore[no-untyped-def]
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if request.url.host == "redirector.example":
            return httpx.Response(302, headers={"Location": "http://10.0.0.1/latest/meta-data"})
        return httpx.Response(
            200, json={"id": str(request.url)}, headers={"Content-Type": "application/activity+json"}
        )

    return Transport(
        state.settings,
        state.allow_list,
        client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        resolver=resolver,
    )


async def test_public_hosts_are_reachable(state):  # type: ignore[no-untyped-def]
    calls: list[httpx.Request] = []
    response = await transport(state, calls).get("https://public.example/x")
    assert response.status == 200 and len(calls) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x",
        "http://[::1]:9/x",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest/meta-data",
        "https://internal.example/x",
        "https://metadata.example/x",
        "https://sneaky.example/x",
        "https://v6loop.example/x",
    ],
)
async def test_private_loopback_and_link_local_targets_are_refused(state, url):  # type: ignore[no-untyped-def]
    calls: list[httpx.Request] = []
    with pytest.raises(HostRefused, match="non-public"):
        await transport(state, calls).get(url)
    assert calls == []


async def test_exactly_the_allowed_loopback_peer_is_reachable(state):  # type: ignore[no-untyped-def]
    async with state.transaction() as db:
        await allow_peer(db, state, "127.0.0.1:8123", Operator.system())
    calls: list[httpx.Request] = []
    client = transport(state, calls)
    assert (await client.get("http://127.0.0.1:8123/x")).status == 200
    with pytest.raises(HostRefused):
        await client.get("http://127.0.0.1:8124/x")  # same address, another port: not that peer
    assert len(calls) == 1


async def test_redirect_to_a_private_address_is_refused(state):  # type: ignore[no-untyped-def]
    calls: list[httpx.Request] = []
    with pytest.raises(HostRefused, match="non-public"):
        await transport(state, calls).get("https://redirector.example/start")
    assert [str(c.url) for c in calls] == ["https://redirector.example/start"]


async def test_post_to_a_refused_target_is_reported_not_sent(state):  # type: ignore[no-untyped-def]
    calls: list[httpx.Request] = []
    outcome = await transport(state, calls).post("http://10.0.0.7/inbox", b"{}", signer=None)  # type: ignore[arg-type]
    assert outcome.status is None and "refused" in outcome.error
    assert calls == []


async def test_blocked_host_is_refused_even_in_open_mode(state):  # type: ignore[no-untyped-def]
    from fediverse_cases.services.peers import block_peer

    async with state.transaction() as db:
        await block_peer(db, state, "public.example", Operator.system())
    with pytest.raises(HostRefused, match="blocked"):
        await transport(state, []).get("https://public.example/x")


# --- DNS rebinding: the connection goes to exactly the address that was checked ---------------


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """Records every TCP connect; connects for real only to loopback, refuses everything else."""

    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []
        self._real = httpcore.AnyIOBackend()

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):  # type: ignore[no-untyped-def]
        self.connects.append((host, port))
        if not ipaddress.ip_address(host).is_loopback:
            raise httpcore.ConnectError(f"test backend: not connecting to {host}")
        return await self._real.connect_tcp(host, port, timeout=timeout)

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):  # type: ignore[no-untyped-def]
        raise AssertionError("unexpected unix socket")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def answers(*replies: list[str]):  # type: ignore[no-untyped-def]
    """A resolver answering each call with the next reply (the last one repeats), counting calls."""
    calls: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return replies[min(len(calls), len(replies)) - 1]

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


@pytest.fixture
async def loopback_peer():  # type: ignore[no-untyped-def]
    peer = await FakeHttpPeer(lambda _path: Reply(200)).start()
    yield peer
    await peer.stop()


async def test_rebinding_resolver_does_not_get_the_request_to_loopback(state, loopback_peer):  # type: ignore[no-untyped-def]
    # "localhost" really is 127.0.0.1 to the OS: a connection that resolved the name again would
    # reach the loopback peer. Our resolver says public first, loopback on any later call.
    resolve = answers(["93.184.216.34"], ["127.0.0.1"])
    backend = RecordingBackend()
    client = Transport(state.settings, state.allow_list, resolver=resolve, network_backend=backend)
    url = f"http://localhost:{loopback_peer.port}/latest/meta-data"
    with pytest.raises(TransportError, match=r"not connecting to 93\.184\.216\.34"):
        await client.get(url)
    outcome = await client.post(url, b"{}", signer=None)  # type: ignore[arg-type]
    assert outcome.status is None
    assert backend.connects == [("93.184.216.34", loopback_peer.port)] * 2
    assert loopback_peer.received == []
    assert resolve.calls == ["localhost"]  # checked once (cached); never resolved again to connect
    await client.aclose()


async def test_rebinding_after_the_cache_expires_is_checked_again_and_refused(state, loopback_peer):  # type: ignore[no-untyped-def]
    resolve = answers(["93.184.216.34"], ["127.0.0.1"])
    backend = RecordingBackend()
    client = Transport(state.settings, state.allow_list, resolver=resolve, network_backend=backend)
    url = f"http://localhost:{loopback_peer.port}/x"
    with pytest.raises(TransportError):
        await client.get(url)
    client._resolved.clear()  # the resolution cache expired
    with pytest.raises(HostRefused, match="non-public"):
        await client.get(url)
    assert backend.connects == [("93.184.216.34", loopback_peer.port)]
    assert loopback_peer.received == []
    await client.aclose()


async def test_connection_is_refused_for_a_name_that_was_never_checked() -> None:
    backend = RecordingBackend()
    pinned = PinnedBackend(backend)
    with pytest.raises(httpcore.ConnectError, match="no checked address"):
        await pinned.connect_tcp("localhost", 80)
    assert backend.connects == []


async def test_allowed_named_peer_is_reached_at_its_checked_address_and_signed_for_its_name(
    state, loopback_peer
):  # type: ignore[no-untyped-def]
    host = f"peer.test:{loopback_peer.port}"
    async with state.transaction() as db:
        await allow_peer(db, state, host, Operator.system())
    backend = RecordingBackend()
    client = Transport(
        state.settings, state.allow_list, resolver=answers(["127.0.0.1"]), network_backend=backend
    )
    keys = generate_rsa_keypair()
    signer = SimpleNamespace(
        public_key_id="https://cases.test/users/a#main-key", private_key_pem=keys.private_pem
    )
    url = f"http://{host}/users/bob?page=1"
    assert (await client.get(url, signer=signer)).status == 200  # type: ignore[arg-type]
    assert (await client.get(url, signer=signer)).status == 200  # type: ignore[arg-type]
    assert backend.connects == [("127.0.0.1", loopback_peer.port)]  # one pinned, reused connection
    first = loopback_peer.received[0]
    assert len(loopback_peer.received) == 2 and first.path == "/users/bob?page=1"
    assert first.headers["host"] == host
    verify_request("GET", url, first.headers, None, keys.public_pem)  # signed for the name
    assert 'headers="(request-target) host' in first.headers["signature"]
    await client.aclose()


async def test_each_redirect_hop_is_resolved_checked_and_pinned(state):  # type: ignore[no-untyped-def]
    second = await FakeHttpPeer(lambda _path: Reply(200)).start()
    first = await FakeHttpPeer(
        lambda _path: Reply(302, {"Location": f"http://b.test:{second.port}/y"})
    ).start()
    try:
        async with state.transaction() as db:
            for peer, name in ((first, "a.test"), (second, "b.test")):
                await allow_peer(db, state, f"{name}:{peer.port}", Operator.system())
        resolve = answers(["127.0.0.1"])
        backend = RecordingBackend()
        client = Transport(state.settings, state.allow_list, resolver=resolve, network_backend=backend)
        response = await client.get(f"http://a.test:{first.port}/x")
        assert response.status == 200 and response.url == f"http://b.test:{second.port}/y"
        assert resolve.calls == ["a.test", "b.test"]
        assert backend.connects == [("127.0.0.1", first.port), ("127.0.0.1", second.port)]
        assert second.received[0].headers["host"] == f"b.test:{second.port}"
        await client.aclose()
    finally:
        await first.stop()
        await second.stop()


# --- TLS: SNI and certificate verification use the peer's name, not the pinned address ---------


def _certificate(name: str, issuer_key, issuer_name, key, *, ca: bool):  # type: ignore[no-untyped-def]
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name or subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    )
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture
async def tls_peer(tmp_path):  # type: ignore[no-untyped-def]
    """An HTTPS server on 127.0.0.1 with a certificate for ``peer.test`` from a test CA.

    Yields ``(port, client_context, seen_sni)``; the client context trusts only the test CA.
    """
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("fediverse-cases test CA", ca_key, None, ca_key, ca=True)
    leaf = _certificate("peer.test", ca_key, ca.subject, leaf_key, ca=False)
    pem = serialization.Encoding.PEM
    (tmp_path / "leaf.pem").write_bytes(
        leaf.public_bytes(pem)
        + leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(tmp_path / "leaf.pem")
    seen_sni: list[str | None] = []
    server_context.sni_callback = lambda _sock, name, _ctx: seen_sni.append(name)  # type: ignore[assignment,func-returns-value]

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=server_context)
    client_context = ssl.create_default_context(cadata=ca.public_bytes(pem).decode())
    yield server.sockets[0].getsockname()[1], client_context, seen_sni
    server.close()
    await server.wait_closed()


async def test_tls_to_a_pinned_address_verifies_the_certificate_for_the_peer_name(state, tls_peer):  # type: ignore[no-untyped-def]
    port, context, seen_sni = tls_peer
    async with state.transaction() as db:
        await allow_peer(db, state, f"peer.test:{port}", Operator.system())
    backend = RecordingBackend()
    client = Transport(
        state.settings,
        state.allow_list,
        resolver=answers(["127.0.0.1"]),
        network_backend=backend,
        tls=context,
    )
    assert (await client.get(f"https://peer.test:{port}/x")).status == 200
    assert backend.connects == [("127.0.0.1", port)] and seen_sni == ["peer.test"]
    await client.aclose()


async def test_tls_certificate_for_another_name_is_rejected_even_at_a_checked_address(state, tls_peer):  # type: ignore[no-untyped-def]
    port, context, seen_sni = tls_peer
    async with state.transaction() as db:
        await allow_peer(db, state, f"other.test:{port}", Operator.system())
    client = Transport(
        state.settings,
        state.allow_list,
        resolver=answers(["127.0.0.1"]),
        network_backend=RecordingBackend(),
        tls=context,
    )
    with pytest.raises(TransportError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        await client.get(f"https://other.test:{port}/x")
    assert seen_sni == ["other.test"]
    await client.aclose()


def test_tls_context_that_skips_verification_is_refused() -> None:
    lax = ssl.create_default_context()
    lax.check_hostname = False
    with pytest.raises(ValueError, match="must verify"):
        PinnedHTTPTransport(PinnedBackend(), httpx.Limits(), lax)
