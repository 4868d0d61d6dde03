"""Following across instances at the app level: inbound Follow is auto-accepted and answered,
an outbound follow waits for Accept, Undo(Follow) works both ways; the services write deliveries in
the same transaction."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.federation import delivery, inbox_worker
from fediverse_cases.services.follow_remote import follow_remote, unfollow_actor
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer
from fediverse_cases.storage.models import Delivery, Follow
from tests.support.fed_peer import FakePeer, install_fake_network
from tests.support.instances import create_account

INBOX = "http://cases.test/inbox"


@pytest.fixture
async def setup(state, client):  # type: ignore[no-untyped-def]
    async with state.transaction() as db:
        await allow_peer(db, state, "remote.example", Operator.system())
    account = await create_account(state, "drlee", role=Role.PROFESSIONAL, verified=True)
    peer = FakePeer("remote.example", "alice")
    network = install_fake_network(state, [peer])
    return account, peer, network


async def post(client, peer: FakePeer, activity: dict):  # type: ignore[no-untyped-def]
    headers, body = peer.signed_post(INBOX, activity)
    return await client.post("/inbox", data=body, headers={**headers, "Host": "cases.test"})


async def follows(state) -> list[Follow]:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        return list((await db.execute(select(Follow))).scalars().all())


async def test_inbound_follow_is_accepted_and_answered(state, client, setup):  # type: ignore[no-untyped-def]
    _account, alice, network = setup
    follow = alice.activity("Follow", "http://cases.test/users/drlee")
    assert (await post(client, alice, follow)).status_code == 202
    assert await inbox_worker.run_once(state) == 1
    [row] = await follows(state)
    assert row.state == "accepted" and row.activity_uri == follow["id"]
    assert await delivery.run_once(state) == 1
    [sent] = [r for r in network.calls if r.method == "POST"]
    assert str(sent.url) == "https://remote.example/users/alice/inbox"
    accept = json.loads(sent.content)
    assert accept["type"] == "Accept" and accept["object"]["id"] == follow["id"]
    assert accept["actor"] == "http://cases.test/users/drlee"
    assert "proof" in accept  # integrity proof by drlee's Ed25519 key
    assert 'keyId="http://cases.test/users/drlee#main-key"' in sent.headers["signature"]

    undo = alice.activity("Undo", follow)
    assert (await post(client, alice, undo)).status_code == 202
    await inbox_worker.run_once(state)
    assert await follows(state) == []


async def test_follow_of_an_unknown_local_actor_is_ignored(state, client, setup):  # type: ignore[no-untyped-def]
    _account, alice, _network = setup
    assert (
        await post(client, alice, alice.activity("Follow", "http://cases.test/users/nobody"))
    ).status_code == 202
    await inbox_worker.run_once(state)
    assert await follows(state) == []


async def test_outbound_follow_waits_for_accept(state, client, setup):  # type: ignore[no-untyped-def]
    account, alice, network = setup
    follow, remote = await follow_remote(state, account, "@alice@remote.example", Operator.system())
    assert follow.state == "pending" and remote.uri == alice.actor_uri
    await delivery.run_once(state)
    [sent] = [r for r in network.calls if r.method == "POST"]
    sent_follow = json.loads(sent.content)
    assert sent_follow["type"] == "Follow" and sent_follow["object"] == alice.actor_uri

    accept = alice.activity("Accept", sent_follow)
    assert (await post(client, alice, accept)).status_code == 202
    await inbox_worker.run_once(state)
    [row] = await follows(state)
    assert row.state == "accepted"

    assert await unfollow_actor(state, account, remote.id, Operator.system())
    await delivery.run_once(state)
    undo = json.loads([r for r in network.calls if r.method == "POST"][-1].content)
    assert undo["type"] == "Undo" and undo["object"]["id"] == sent_follow["id"]
    assert await follows(state) == []


async def test_accept_from_someone_else_does_not_accept_the_follow(state, client, setup):  # type: ignore[no-untyped-def]
    account, _alice, network = setup
    mallory = FakePeer("remote.example", "mallory")
    network.peers.append(mallory)
    await follow_remote(state, account, "@alice@remote.example", Operator.system())
    await delivery.run_once(state)
    sent_follow = json.loads(next(r for r in network.calls if r.method == "POST").content)
    forged = mallory.activity("Accept", sent_follow)
    assert (await post(client, mallory, forged)).status_code == 403  # origin: answering someone else's Follow
    [row] = await follows(state)
    assert row.state == "pending"


async def test_follow_page_follows_by_handle(state, client, setup):  # type: ignore[no-untyped-def]
    from tests.support.web import post_form, sign_in

    await sign_in(client, "drlee")
    response = await post_form(client, "/follow", {"handle": "@alice@remote.example"}, page="/follow")
    assert response.status_code == 302
    page = await client.get(response.headers["Location"])
    assert "Follow request sent" in await page.get_data(as_text=True)
    async with state.sessionmaker() as db:
        [row] = (await db.execute(select(Delivery))).scalars().all()
    assert row.activity_type == "Follow" and row.inbox_url == "https://remote.example/users/alice/inbox"


async def test_follow_page_explains_a_host_that_is_not_allowed(state, client, setup):  # type: ignore[no-untyped-def]
    from tests.support.web import post_form, sign_in

    await sign_in(client, "drlee")
    response = await post_form(client, "/follow", {"handle": "@bob@unknown.example"}, page="/follow")
    assert response.status_code == 400
    assert "not an allowed peer" in await response.get_data(as_text=True)
