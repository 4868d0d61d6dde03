"""The SSRF guard: private, loopback and link-local targets are refused unless that exact
host:port is an allowed peer; every resolved address is checked; redirects are re-checked."""

from __future__ import annotations

import httpx
import pytest

from fediverse_cases.federation.transport import HostRefused, Transport
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer

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
        state, client=httpx.AsyncClient(transport=httpx.MockTransport(handler)), resolver=resolver
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
