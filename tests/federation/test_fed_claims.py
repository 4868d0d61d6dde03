"""A peer's professional claim is not trusted forever: after ``ACTOR_REFRESH_AFTER`` without
news the actor is fetched again before its next comment counts, so a revocation whose
Update(Person) never arrived still takes effect within that bound."""

from __future__ import annotations

from sqlalchemy import select, update

from fediverse_cases.core.accounts import Role
from fediverse_cases.federation.dereference import ACTOR_REFRESH_AFTER
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Actor, Comment
from tests.support.case_rows import insert_case
from tests.support.fed_peer import FakePeer, deliver, install_fake_network
from tests.support.instances import create_account


def _reply(peer: FakePeer, case_ap_id: str, n: int) -> dict:
    note = {
        "id": f"{peer.actor_uri}/notes/{n}",
        "type": "Note",
        "attributedTo": peer.actor_uri,
        "inReplyTo": case_ap_id,
        "content": f"<p>Differential number {n}: consider tinea.</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }
    return peer.with_proof(peer.activity("Create", note))


async def test_a_stale_claim_is_refetched_before_the_next_comment_counts(client, state) -> None:  # type: ignore[no-untyped-def]
    author = await create_account(state, "dr_author", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, author)
    alice = FakePeer("b.example", "alice", verified=True)
    install_fake_network(state, [alice])
    async with state.transaction() as db:
        await allow_peer(db, state, "b.example", Operator.system())
    assert await deliver(client, state, alice, _reply(alice, case.ap_id, 1)) == 202
    alice.verified = False  # revoked at B; the Update(Person) is lost on the way
    async with state.transaction() as db:
        await db.execute(
            update(Actor)
            .where(Actor.uri == alice.actor_uri)
            .values(fetched_at=utcnow() - ACTOR_REFRESH_AFTER - ACTOR_REFRESH_AFTER / 10)
        )
    assert await deliver(client, state, alice, _reply(alice, case.ap_id, 2)) == 202
    async with state.sessionmaker() as db:
        stored = [c.ap_id for c in (await db.execute(select(Comment))).scalars()]
        actor = (await db.execute(select(Actor).where(Actor.uri == alice.actor_uri))).scalar_one()
    assert stored == [f"{alice.actor_uri}/notes/1"] and not actor.verified_professional
