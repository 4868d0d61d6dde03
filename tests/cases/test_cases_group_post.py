"""Posting a case to a group from the compose page: only groups the author joined are offered,
only public cases may go to a group, the reviewer approves it as always, and then the Create
(addressed to the group in ``audience`` and ``cc``) is delivered to the group's inbox too."""

from __future__ import annotations

import json

from sqlalchemy import select

from fediverse_cases.federation import delivery
from fediverse_cases.federation.dereference import get_or_fetch_actor
from fediverse_cases.services import groups as group_service
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer
from fediverse_cases.storage.models import Case
from fediverse_cases.storage.repositories.accounts import get_local_actor_by_username
from tests.federation.test_fed_groups import FakeGroup
from tests.support.fed_peer import deliver, install_fake_network


async def test_a_case_posted_to_a_joined_group_goes_to_its_inbox_after_review(
    state, app, login, people, jpeg
) -> None:  # type: ignore[no-untyped-def]
    group_peer = FakeGroup("other.example", "cardio")
    network = install_fake_network(state, [group_peer])
    async with state.transaction() as db:
        await allow_peer(db, state, "other.example", Operator.system())
    clinician = await login("clinician")
    public_id = await clinician.new_draft(jpeg())
    # Not a member yet: no group is offered.
    assert 'name="groups"' not in await (await clinician.client.get(f"/compose/{public_id}")).get_data(
        as_text=True
    )

    async with state.transaction() as db:
        me = await get_local_actor_by_username(db, "clinician")
        group = await get_or_fetch_actor(db, state, group_peer.actor_uri)
        await group_service.join(db, state, me, group)
        group_id = group.id
    await delivery.run_once(state)
    [follow] = [json.loads(r.content) for r in network.calls if r.method == "POST"]
    await deliver(app.test_client(), state, group_peer, group_peer.activity("Accept", follow))
    page = await (await clinician.client.get(f"/compose/{public_id}")).get_data(as_text=True)
    assert f'name="groups" value="{group_id}"' in page

    # A group shares with all its members: a non-public case cannot go to one.
    refused = await clinician.save(public_id, action="save", visibility="followers", groups=str(group_id))
    assert refused.status_code == 422
    assert "must be public" in await refused.get_data(as_text=True)

    saved = await clinician.save(public_id, groups=str(group_id))
    assert saved.status_code == 302
    network.calls.clear()
    await delivery.run_once(state)
    assert [r for r in network.calls if r.method == "POST"] == []  # nothing leaves before review

    reviewer = await login("reviewer")
    assert (await reviewer.decide(public_id, "approve")).status_code == 302
    await delivery.run_once(state)
    sent = {str(r.url): json.loads(r.content) for r in network.calls if r.method == "POST"}
    create = sent[f"{group_peer.actor_uri}/inbox"]
    async with state.sessionmaker() as db:
        ap_id = (await db.execute(select(Case.ap_id).where(Case.public_id == public_id))).scalar_one()
    assert create["type"] == "Create" and create["object"]["id"] == ap_id
    assert create["audience"] == group_peer.actor_uri and create["object"]["audience"] == group_peer.actor_uri
    assert group_peer.actor_uri in create["object"]["cc"] and "proof" in create
