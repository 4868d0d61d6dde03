"""Withdrawal reaches a peer that only fetched a case, at the inbox its own documents name.

The peer here is a live loopback server with Takahē 0.11's real shapes: its instance actor is
``/actor/``, its shared inbox ``/inbox/`` (both with the slash) and ``/inbox`` answers 301. It
fetches the case with a GET signed by its instance actor; when the author withdraws consent the
Delete must go to ``/inbox/`` — never a guessed ``/inbox`` or ``/actor`` — and the erasure
report must list the peer as a holder with the Delete delivered. A signed GET from a host that
is not allowed gets 403 instead of an anonymous answer.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.federation import delivery, erasure, recipients
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer
from fediverse_cases.services.withdraw import withdraw_consent
from fediverse_cases.storage.models import Case, Delivery
from tests.support.case_rows import insert_case
from tests.support.instances import create_account
from tests.support.takahe_peer import TakahePeer


@pytest.fixture
async def takahe(state):  # type: ignore[no-untyped-def]
    peer = await TakahePeer().start()
    async with state.transaction() as db:
        await allow_peer(db, state, peer.host, Operator.system())
    yield peer
    await peer.stop()


def _as2_get(peer: TakahePeer, url: str) -> dict[str, str]:
    return {**peer.signed_get(url), "Host": "cases.test"}


async def test_a_fetch_only_peer_gets_the_delete_at_its_real_shared_inbox(state, client, takahe) -> None:  # type: ignore[no-untyped-def]
    alice = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, alice)
    fetched = await client.get(f"/cases/{case.public_id}", headers=_as2_get(takahe, case.ap_id))
    assert fetched.status_code == 200 and (await fetched.get_json())["id"] == case.ap_id
    async with state.sessionmaker() as db:
        assert await recipients.peer_instance_actors(db) == [takahe.instance_actor]

    async with state.transaction() as db:
        await withdraw_consent(db, state, await db.get(Case, case.id), Operator.system())
    assert await delivery.run_once(state) == 1

    [(path, activity)] = takahe.activities_received()
    assert path == "/inbox/"  # from its actor document, not a guessed /inbox
    assert activity["type"] == "Delete" and activity["object"]["id"] == case.ap_id
    assert not [r for r in takahe.http.received if r.path in ("/inbox", "/actor")]
    async with state.sessionmaker() as db:
        [row] = await erasure.erasure_report(db, await db.get(Case, case.id))
    assert (row.peer_host, row.fetched, row.delete_state) == (takahe.host, True, "done")


async def test_a_delivery_to_an_inbox_that_redirects_on_the_same_host_arrives(state, takahe) -> None:  # type: ignore[no-untyped-def]
    from fediverse_cases.federation import outbox
    from tests.support.case_rows import actor_of

    alice = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
    sender = await actor_of(state, alice)
    async with state.transaction() as db:
        activity = {"id": f"{sender.uri}#x", "type": "Like", "actor": sender.uri, "object": takahe.person}
        await outbox.enqueue(db, state, activity=activity, sender=sender, inboxes=[f"{takahe.base}/inbox"])
    assert await delivery.run_once(state) == 1
    assert [r.path for r in takahe.posts()] == ["/inbox", "/inbox/"]  # 301 followed, re-signed
    assert 'keyId="' in takahe.posts()[1].headers["signature"]
    async with state.sessionmaker() as db:
        row = (await db.execute(select(Delivery))).scalar_one()
    assert (row.state, row.last_status) == ("done", 202)


async def test_a_signed_fetch_from_a_host_that_is_not_allowed_gets_403(state, client) -> None:  # type: ignore[no-untyped-def]
    stranger = await TakahePeer().start()
    try:
        alice = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
        case = await insert_case(state, alice)
        refused = await client.get(f"/cases/{case.public_id}", headers=_as2_get(stranger, case.ap_id))
        assert refused.status_code == 403
        actor = await client.get("/users/alice", headers=_as2_get(stranger, "http://cases.test/users/alice"))
        assert actor.status_code == 403
        anonymous = await client.get(
            f"/cases/{case.public_id}", headers={"Accept": "application/activity+json"}
        )
        assert anonymous.status_code == 200  # public cases stay readable to anonymous readers
        assert stranger.http.received == []  # refused before any key fetch
    finally:
        await stranger.stop()
