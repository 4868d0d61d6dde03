"""A clinician who approves followers one by one: a remote Follow waits as a request, listed in
the client API; authorizing sends Accept, rejecting sends Reject, each at the asker's inbox."""

from __future__ import annotations

import json

from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer
from fediverse_cases.storage.models import Delivery, Follow
from tests.support.api_server import bearer, user_token
from tests.support.fed_peer import FakePeer, deliver, install_fake_network
from tests.support.instances import create_account
from tests.support.web import post_form, sign_in


async def _answers(state) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        rows = (
            await db.execute(select(Delivery).where(Delivery.activity_type.in_(("Accept", "Reject"))))
        ).scalars()
        return [(row.inbox_url, json.loads(row.payload)) for row in rows]


async def test_requests_wait_for_the_clinicians_answer(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "drlee", role=Role.PROFESSIONAL, verified=True)
    alice, bob = FakePeer("remote.example", "alice"), FakePeer("remote.example", "bob")
    install_fake_network(state, [alice, bob])
    async with state.transaction() as db:
        await allow_peer(db, state, "remote.example", Operator.system())
    await sign_in(client, "drlee")
    saved = await post_form(
        client,
        "/settings/profile",
        {"display_name": "Dr Lee", "specialty": "", "institution": "General", "approve_followers": "on"},
        page="/settings/profile",
    )
    assert saved.status_code == 302
    actor = await (
        await client.get("/users/drlee", headers={"Accept": "application/activity+json"})
    ).get_json()
    assert actor["manuallyApprovesFollowers"] is True

    for peer in (alice, bob):
        assert (
            await deliver(client, state, peer, peer.activity("Follow", "http://cases.test/users/drlee"))
            == 202
        )
    async with state.sessionmaker() as db:
        assert {f.state for f in (await db.execute(select(Follow))).scalars()} == {"pending"}
    assert await _answers(state) == []  # nobody is accepted behind the clinician's back

    token = await user_token(client.app.test_client(), "drlee")
    listed = await (await client.get("/api/v1/follow_requests", headers=bearer(token))).get_json()
    ids = {account["username"]: account["id"] for account in listed}
    assert set(ids) == {"alice", "bob"}
    yes = await client.post(f"/api/v1/follow_requests/{ids['alice']}/authorize", headers=bearer(token))
    assert yes.status_code == 200 and (await yes.get_json())["followed_by"] is True
    no = await client.post(f"/api/v1/follow_requests/{ids['bob']}/reject", headers=bearer(token))
    assert no.status_code == 200 and (await no.get_json())["followed_by"] is False
    answers = {payload["type"]: inbox for inbox, payload in await _answers(state)}
    assert answers == {"Accept": f"{alice.actor_uri}/inbox", "Reject": f"{bob.actor_uri}/inbox"}
    again = await client.post(f"/api/v1/follow_requests/{ids['bob']}/reject", headers=bearer(token))
    assert again.status_code == 404
