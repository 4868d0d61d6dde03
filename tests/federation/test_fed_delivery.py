"""The delivery worker over real HTTP to a fake peer on loopback: retry policy per answer,
signatures at send time, give-up and recovery of peer health, and cancellation (Delete of the
object, removal of the peer)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from fediverse_cases.core.accounts import Role
from fediverse_cases.crypto.http_signatures import verify_request
from fediverse_cases.federation import delivery
from fediverse_cases.federation.outbox import cancel_pending, enqueue
from fediverse_cases.federation.transport import Transport
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer, remove_peer
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Actor, Delivery, Peer
from fediverse_cases.storage.repositories.accounts import get_local_actor_by_username
from tests.support.http_peer import FakeHttpPeer, Reply
from tests.support.instances import create_account

BEHAVIOUR = {
    "/ok/inbox": Reply(202),
    "/busy/inbox": Reply(429, {"Retry-After": "120"}),
    "/broken/inbox": Reply(500),
    "/gone/inbox": Reply(404),
    "/slow/inbox": Reply(202, delay=2.0),
}


@pytest.fixture
async def peer(state):  # type: ignore[no-untyped-def]
    server = await FakeHttpPeer(lambda path: BEHAVIOUR.get(path, Reply(404))).start()
    async with state.transaction() as db:
        await allow_peer(db, state, server.host, Operator.system())
    state.transport = Transport(state.settings, state.allow_list, timeout=0.5)
    await create_account(state, "drlee", role=Role.PROFESSIONAL, verified=True)
    yield server
    await server.stop()


async def sender(state) -> Actor:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        actor = await get_local_actor_by_username(db, "drlee")
    assert actor is not None
    return actor


def note_activity(kind: str = "Create", object_id: str = "http://cases.test/cases/c1") -> dict:
    return {
        "id": f"http://cases.test/activities/{kind}-{object_id[-2:]}",
        "type": kind,
        "actor": "http://cases.test/users/drlee",
        "object": object_id,
    }


async def queue(state, inboxes: list[str], activity: dict | None = None, object_id: str | None = None) -> int:  # type: ignore[no-untyped-def]
    actor = await sender(state)
    async with state.transaction() as db:
        return await enqueue(
            db,
            state,
            activity=activity or note_activity(),
            sender=actor,
            inboxes=inboxes,
            object_id=object_id,
        )


async def rows(state) -> dict[str, Delivery]:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        found = (await db.execute(select(Delivery))).scalars().all()
    return {row.inbox_url.split("/", 3)[3].rsplit("/", 1)[0]: row for row in found}


async def test_each_answer_gets_its_retry_decision(state, peer):  # type: ignore[no-untyped-def]
    inboxes = [peer.url(path) for path in BEHAVIOUR]
    assert await queue(state, inboxes) == 5
    started = utcnow()
    assert await delivery.run_once(state) == 5
    by = await rows(state)
    assert (by["ok"].state, by["ok"].last_status, by["ok"].attempts) == ("done", 202, 1)
    assert by["busy"].state == "pending" and by["busy"].last_status == 429
    assert timedelta(seconds=115) < by["busy"].next_attempt_at - started < timedelta(seconds=130)
    assert by["broken"].state == "pending" and by["broken"].last_status == 500
    assert timedelta(seconds=20) < by["broken"].next_attempt_at - started < timedelta(seconds=40)
    assert (by["gone"].state, by["gone"].last_status) == ("failed", 404)
    assert by["slow"].state == "pending" and by["slow"].last_status is None
    assert "Timeout" in by["slow"].last_error
    # Nothing is due now: a second pass sends nothing.
    assert await delivery.run_once(state) == 0


async def test_deliveries_are_signed_at_send_time(state, peer):  # type: ignore[no-untyped-def]
    await queue(state, [peer.url("/ok/inbox")])
    await delivery.run_once(state)
    [request] = peer.received
    actor = await sender(state)
    headers = {**request.headers}
    parsed = verify_request("POST", peer.url("/ok/inbox"), headers, request.body, actor.public_key_pem)
    assert parsed.key_id == "http://cases.test/users/drlee#main-key"
    assert {"(request-target)", "host", "date", "digest"} <= set(parsed.covered)
    assert request.headers["content-type"] == "application/activity+json"


async def test_giving_up_marks_the_peer_unreachable_and_a_success_clears_it(state, peer):  # type: ignore[no-untyped-def]
    await queue(state, [peer.url("/broken/inbox")])
    async with state.transaction() as db:
        await db.execute(update(Delivery).values(first_attempt_at=utcnow() - timedelta(days=4), attempts=10))
    await delivery.run_once(state)
    assert (await rows(state))["broken"].state == "gave_up"
    async with state.sessionmaker() as db:
        health = (await db.execute(select(Peer).where(Peer.host == peer.host))).scalar_one()
    assert health.unreachable_since is not None and health.consecutive_failures == 1

    await queue(state, [peer.url("/ok/inbox")], note_activity("Update"))
    await delivery.run_once(state)
    async with state.sessionmaker() as db:
        health = (await db.execute(select(Peer).where(Peer.host == peer.host))).scalar_one()
    assert health.unreachable_since is None and health.last_success_at is not None
    assert health.consecutive_failures == 0


async def test_delete_cancels_pending_deliveries_of_the_same_object(state, peer):  # type: ignore[no-untyped-def]
    object_id = "http://cases.test/cases/c1"
    await queue(state, [peer.url("/broken/inbox")], object_id=object_id)
    await delivery.run_once(state)  # 500: pending for a retry
    await queue(state, [peer.url("/broken/inbox")], note_activity("Delete"), object_id=object_id)
    async with state.transaction() as db:
        assert await cancel_pending(db, object_id) == 1
    async with state.sessionmaker() as db:
        states = {r.activity_type: r.state for r in (await db.execute(select(Delivery))).scalars()}
    assert states == {"Create": "cancelled", "Delete": "pending"}


async def test_removing_a_peer_cancels_its_pending_deliveries_at_once(state, peer):  # type: ignore[no-untyped-def]
    await queue(state, [peer.url("/ok/inbox"), peer.url("/broken/inbox")])
    async with state.transaction() as db:
        result = await remove_peer(db, state, peer.host, Operator.system())
    assert result.cancelled_deliveries == 2
    assert await delivery.run_once(state) == 0
    assert peer.received == []
    assert await queue(state, [peer.url("/ok/inbox")]) == 0  # no new rows for a removed peer


async def test_remove_with_purge_deletes_what_was_cached_from_the_peer(state, peer):  # type: ignore[no-untyped-def]
    async with state.transaction() as db:
        db.add(
            Actor(
                uri=peer.url("/users/x"),
                username="x",
                host=peer.host,
                is_local=False,
                inbox_url=peer.url("/users/x/inbox"),
            )
        )
    async with state.transaction() as db:
        result = await remove_peer(db, state, peer.host, Operator.system(), purge=True)
    assert result.purged_actors == 1
    async with state.sessionmaker() as db:
        assert (await db.execute(select(Actor).where(Actor.host == peer.host))).first() is None
