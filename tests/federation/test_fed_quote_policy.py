"""Clinical cases are never quoted: every case Note publishes GoToSocial's ``interactionPolicy``
(Mastodon 4.5 reads ``canQuote``) naming only its author, replies and likes open to its audience,
and a Mastodon ``QuoteRequest`` is answered with ``Reject`` at the asker's inbox."""

from __future__ import annotations

import json

from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.federation import delivery
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer
from fediverse_cases.storage.models import Delivery
from tests.support.case_rows import insert_case
from tests.support.fed_peer import FakePeer, deliver, install_fake_network
from tests.support.instances import create_account

AS2 = {"Accept": "application/activity+json"}
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def test_case_notes_forbid_quotes_and_open_replies_to_their_audience(client, state) -> None:  # type: ignore[no-untyped-def]
    alice = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
    public = await insert_case(state, alice)
    note = await (await client.get(f"/cases/{public.public_id}", headers=AS2)).get_json()
    policy = note["interactionPolicy"]
    assert policy["canQuote"] == {"automaticApproval": [note["attributedTo"]], "manualApproval": []}
    assert policy["canAnnounce"]["always"] == [note["attributedTo"]]
    assert PUBLIC in policy["canReply"]["always"]
    assert any("gts" in entry for entry in note["@context"] if isinstance(entry, dict))


async def test_a_quote_request_is_rejected_at_the_askers_inbox(client, state) -> None:  # type: ignore[no-untyped-def]
    alice = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, alice)
    bob = FakePeer("mastodon.example", "bob")
    network = install_fake_network(state, [bob])
    async with state.transaction() as db:
        await allow_peer(db, state, "mastodon.example", Operator.system())
    request = bob.activity("QuoteRequest", case.ap_id, instrument=f"{bob.actor_uri}/statuses/1")
    assert await deliver(client, state, bob, request) == 202
    async with state.sessionmaker() as db:
        [row] = (await db.execute(select(Delivery))).scalars().all()
    reject = json.loads(row.payload)
    assert reject["type"] == "Reject" and reject["object"]["id"] == request["id"]
    assert row.inbox_url == f"{bob.actor_uri}/inbox"
    await delivery.run_once(state)
    assert [str(r.url) for r in network.calls if r.method == "POST"] == [f"{bob.actor_uri}/inbox"]
