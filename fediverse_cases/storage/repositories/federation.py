"""Queries over the federation tables: peers, the delivery and inbox queues, signed fetches,
and the actor/follow lookups the federation layer needs. Functions take a session first and
never commit.

Claiming is atomic: ``UPDATE ... WHERE id IN (SELECT ... [FOR UPDATE SKIP LOCKED]) RETURNING``.
SQLite serialises writers, so the statement alone is atomic there; on PostgreSQL the row locks
with SKIP LOCKED let several worker processes claim disjoint rows concurrently.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import (
    Actor,
    Case,
    CaseImage,
    Delivery,
    Follow,
    InboxItem,
    ObjectFetch,
    Peer,
)
from fediverse_cases.storage.repositories.id_pages import IdPage, run_id_page
from fediverse_cases.storage.repositories.work_queue import claim_due

ACTIVE_STATES = ("pending",)


def _insert(session: AsyncSession, table: Any) -> Any:
    return pg_insert(table) if session.bind.dialect.name == "postgresql" else sqlite_insert(table)


# --- peers -------------------------------------------------------------------------------------


async def get_peer(session: AsyncSession, host: str) -> Peer | None:
    return (await session.execute(select(Peer).where(Peer.host == host))).scalar_one_or_none()


async def list_peers(session: AsyncSession) -> Sequence[Peer]:
    return (await session.execute(select(Peer).order_by(Peer.host))).scalars().all()


async def peers_by_hosts(session: AsyncSession, hosts: Iterable[str]) -> dict[str, Peer]:
    hosts = list(set(hosts))
    if not hosts:
        return {}
    rows = (await session.execute(select(Peer).where(Peer.host.in_(hosts)))).scalars().all()
    return {peer.host: peer for peer in rows}


async def delete_peer(session: AsyncSession, host: str) -> int:
    return (await session.execute(delete(Peer).where(Peer.host == host))).rowcount or 0


async def pending_counts_by_peer(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(Delivery.peer_host, func.count(Delivery.id))
        .where(Delivery.state == "pending")
        .group_by(Delivery.peer_host)
    )
    return {host: int(count) for host, count in rows.all()}


# --- deliveries --------------------------------------------------------------------------------


async def add_deliveries(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(_insert(session, Delivery), rows)


async def claim_deliveries(
    session: AsyncSession, *, now: datetime, lease_until: datetime, limit: int
) -> Sequence[Delivery]:
    return await claim_due(
        session,
        Delivery,
        now=now,
        lease_until=lease_until,
        limit=limit,
        order_by=(Delivery.next_attempt_at, Delivery.id),
    )


DELIVERY_RESULT_COLUMNS = (
    "state",
    "attempts",
    "first_attempt_at",
    "last_status",
    "last_error",
    "locked_until",
    "next_attempt_at",
    "done_at",
)


async def save_delivery_results(session: AsyncSession, results: list[dict[str, Any]]) -> None:
    """One executemany UPDATE by primary key; each dict has ``id`` and every column of
    ``DELIVERY_RESULT_COLUMNS``. Only rows still pending change, so a cancellation that happened
    during the send wins."""
    if not results:
        return
    table = Delivery.__table__
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"), table.c.state == "pending")
        .values({name: bindparam(f"new_{name}") for name in DELIVERY_RESULT_COLUMNS})
    )
    await session.execute(
        statement,
        [
            {"row_id": r["id"], **{f"new_{name}": r[name] for name in DELIVERY_RESULT_COLUMNS}}
            for r in results
        ],
    )


async def cancel_pending_for_object(session: AsyncSession, object_id: str, *, keep_activity: str = "") -> int:
    statement = update(Delivery).where(Delivery.object_id == object_id, Delivery.state == "pending")
    if keep_activity:
        statement = statement.where(Delivery.activity_type != keep_activity)
    result = await session.execute(
        statement.values(state="cancelled", last_error="cancelled: object deleted").execution_options(
            synchronize_session=False
        )
    )
    return result.rowcount or 0


async def cancel_pending_for_host(session: AsyncSession, host: str, reason: str) -> int:
    result = await session.execute(
        update(Delivery)
        .where(Delivery.peer_host == host, Delivery.state == "pending")
        .values(state="cancelled", last_error=reason)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def deliveries_for_object(
    session: AsyncSession, object_id: str, limit: int = 2000
) -> Sequence[Delivery]:
    rows = await session.execute(
        select(Delivery).where(Delivery.object_id == object_id).order_by(Delivery.id).limit(limit)
    )
    return rows.scalars().all()


async def recent_deliveries(session: AsyncSession, limit: int = 100) -> Sequence[Delivery]:
    rows = await session.execute(select(Delivery).order_by(Delivery.id.desc()).limit(limit))
    return rows.scalars().all()


async def delivery_state_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Delivery.state, func.count(Delivery.id)).group_by(Delivery.state))
    return {state: int(count) for state, count in rows.all()}


# --- inbox -------------------------------------------------------------------------------------


async def add_inbox_item(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert unless an item with the same activity id exists; True when inserted."""
    return bool(await add_inbox_items(session, [values]))


async def add_inbox_items(session: AsyncSession, rows: list[dict[str, Any]]) -> set[str]:
    """Insert many (distinct activity ids); return the activity ids actually inserted
    (the others already existed)."""
    if not rows:
        return set()
    # executemany with RETURNING ("insertmanyvalues"): one cached statement whatever the batch size.
    statement = (
        _insert(session, InboxItem)
        .on_conflict_do_nothing(index_elements=["activity_id"])
        .returning(InboxItem.activity_id)
    )
    return set((await session.execute(statement, rows)).scalars().all())


async def claim_inbox_items(
    session: AsyncSession, *, now: datetime, lease_until: datetime, limit: int
) -> Sequence[InboxItem]:
    return await claim_due(
        session, InboxItem, now=now, lease_until=lease_until, limit=limit, order_by=(InboxItem.id,)
    )


async def finish_inbox_item(session: AsyncSession, item_id: int, **values: Any) -> None:
    await session.execute(
        update(InboxItem)
        .where(InboxItem.id == item_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def inbox_state_counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(InboxItem.state, func.count(InboxItem.id)).group_by(InboxItem.state))
    return {state: int(count) for state, count in rows.all()}


# --- signed fetches ----------------------------------------------------------------------------


async def record_object_fetch(session: AsyncSession, object_id: str, peer_host: str, when: datetime) -> None:
    statement = _insert(session, ObjectFetch).values(
        object_id=object_id, peer_host=peer_host, fetched_at=when
    )
    statement = statement.on_conflict_do_update(
        index_elements=["object_id", "peer_host"], set_={"fetched_at": when}
    )
    await session.execute(statement)


async def hosts_that_fetched(session: AsyncSession, object_id: str) -> list[str]:
    rows = await session.execute(select(ObjectFetch.peer_host).where(ObjectFetch.object_id == object_id))
    return sorted(rows.scalars().all())


# --- actors and follows ------------------------------------------------------------------------


async def get_actor_by_key_id(session: AsyncSession, key_id: str) -> Actor | None:
    rows = await session.execute(
        select(Actor).where(or_(Actor.public_key_id == key_id, Actor.ed25519_key_id == key_id)).limit(1)
    )
    return rows.scalar_one_or_none()


async def get_actor(session: AsyncSession, actor_id: int) -> Actor | None:
    return await session.get(Actor, actor_id)


async def actors_by_ids(session: AsyncSession, ids: Iterable[int]) -> dict[int, Actor]:
    ids = list(set(ids))
    if not ids:
        return {}
    rows = (await session.execute(select(Actor).where(Actor.id.in_(ids)))).scalars().all()
    return {actor.id: actor for actor in rows}


async def get_follow_by_activity(session: AsyncSession, activity_uri: str) -> Follow | None:
    rows = await session.execute(select(Follow).where(Follow.activity_uri == activity_uri))
    return rows.scalar_one_or_none()


async def follower_inbox_rows(session: AsyncSession, actor_id: int) -> list[tuple[str, str]]:
    """(shared inbox, personal inbox) of the accepted remote followers of a local actor."""
    rows = await session.execute(
        select(Actor.shared_inbox_url, Actor.inbox_url)
        .join(Follow, Follow.follower_id == Actor.id)
        .where(Follow.followed_id == actor_id, Follow.state == "accepted", Actor.is_local.is_(False))
    )
    return [(shared, personal) for shared, personal in rows.all()]


async def instance_actor_inboxes(session: AsyncSession, hosts: Iterable[str]) -> list[tuple[str, str]]:
    hosts = list(hosts)
    if not hosts:
        return []
    rows = await session.execute(
        select(Actor.shared_inbox_url, Actor.inbox_url).where(
            Actor.is_local.is_(False),
            Actor.host.in_(hosts),
            Actor.actor_type.in_(("Service", "Application")),
        )
    )
    return [(shared, personal) for shared, personal in rows.all()]


async def inboxes_delivered_from(session: AsyncSession, sender_actor_id: int) -> list[str]:
    """Every inbox this actor ever sent to (those servers hold its content and its claim)."""
    rows = await session.execute(
        select(Delivery.inbox_url).where(Delivery.sender_actor_id == sender_actor_id).distinct()
    )
    return [inbox for (inbox,) in rows.all()]


async def follow_counts(session: AsyncSession, actor_id: int) -> tuple[int, int]:
    followers = await session.execute(
        select(func.count(Follow.id)).where(Follow.followed_id == actor_id, Follow.state == "accepted")
    )
    following = await session.execute(
        select(func.count(Follow.id)).where(Follow.follower_id == actor_id, Follow.state == "accepted")
    )
    return int(followers.scalar_one()), int(following.scalar_one())


async def follows_of(session: AsyncSession, follower_id: int) -> Sequence[tuple[Follow, Actor]]:
    rows = await session.execute(
        select(Follow, Actor)
        .join(Actor, Actor.id == Follow.followed_id)
        .where(Follow.follower_id == follower_id)
        .order_by(Follow.created_at.desc())
    )
    return [(follow, actor) for follow, actor in rows.all()]


async def delete_follow(session: AsyncSession, follow_id: int) -> None:
    await session.execute(delete(Follow).where(Follow.id == follow_id))


async def vouch_host_actors(session: AsyncSession, host: str, vouched: bool) -> int:
    result = await session.execute(
        update(Actor)
        .where(Actor.host == host, Actor.is_local.is_(False))
        .values(vouched=vouched)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def count_published_cases(
    session: AsyncSession, actor_id: int, states: Sequence[str], visibilities: Sequence[str]
) -> int:
    rows = await session.execute(
        select(func.count(Case.id)).where(
            Case.author_actor_id == actor_id, Case.state.in_(states), Case.visibility.in_(visibilities)
        )
    )
    return int(rows.scalar_one())


# --- purge -------------------------------------------------------------------------------------


async def media_keys_from_host(session: AsyncSession, host: str) -> list[str]:
    rows = await session.execute(
        select(CaseImage.media_key)
        .join(Case, Case.id == CaseImage.case_id)
        .join(Actor, Actor.id == Case.author_actor_id)
        .where(Actor.host == host, Actor.is_local.is_(False), CaseImage.media_key != "")
    )
    return sorted(set(rows.scalars().all()))


async def delete_remote_actors_of_host(session: AsyncSession, host: str) -> int:
    """Remote actors of ``host`` and, by cascade, their cases, comments, likes and follows."""
    result = await session.execute(delete(Actor).where(and_(Actor.host == host, Actor.is_local.is_(False))))
    return result.rowcount or 0


async def upsert_remote_actor(session: AsyncSession, values: dict[str, Any]) -> Actor:
    """Insert or update a remote actor by ``uri`` in one statement, so two requests storing the
    same new actor at once (two workers, two inbox requests) cannot collide; local rows are
    never touched."""
    statement = _insert(session, Actor).values(**values)
    changes = {k: statement.excluded[k] for k in values if k not in ("uri", "created_at", "is_local")}
    if not values.get("vouched"):
        changes.pop("vouched", None)  # only a peer-wide vouch sets it here; never clear a per-actor vouch
    statement = statement.on_conflict_do_update(
        index_elements=["uri"], set_=changes, where=Actor.is_local.is_(False)
    )
    await session.execute(statement)
    result = await session.execute(
        select(Actor).where(Actor.uri == values["uri"]).execution_options(populate_existing=True)
    )
    return result.scalar_one()


async def deliveries_of(session: AsyncSession, object_id: str) -> Sequence[Delivery]:
    rows = await session.execute(
        select(Delivery).where(Delivery.object_id == object_id).order_by(Delivery.id)
    )
    return rows.scalars().all()


async def fetches_of(session: AsyncSession, object_id: str) -> Sequence[ObjectFetch]:
    rows = await session.execute(select(ObjectFetch).where(ObjectFetch.object_id == object_id))
    return rows.scalars().all()


async def allowed_peers(session: AsyncSession) -> Sequence[Peer]:
    rows = await session.execute(select(Peer).where(Peer.state == "allowed").order_by(Peer.host))
    return rows.scalars().all()


async def followed_by_local(session: AsyncSession, actor_id: int) -> bool:
    """Whether any local actor follows ``actor_id`` (accepted follow)."""
    rows = await session.execute(
        select(Follow.id)
        .join(Actor, Actor.id == Follow.follower_id)
        .where(Follow.followed_id == actor_id, Follow.state == "accepted", Actor.is_local.is_(True))
        .limit(1)
    )
    return rows.first() is not None


async def follows_between(
    session: AsyncSession, actor_id: int, other_ids: Sequence[int]
) -> tuple[dict[int, Follow], dict[int, Follow]]:
    """(follows from ``actor_id`` keyed by followed id, follows to ``actor_id`` keyed by follower id)."""
    if not other_ids:
        return {}, {}
    outgoing = await session.execute(
        select(Follow).where(Follow.follower_id == actor_id, Follow.followed_id.in_(list(other_ids)))
    )
    incoming = await session.execute(
        select(Follow).where(Follow.followed_id == actor_id, Follow.follower_id.in_(list(other_ids)))
    )
    return (
        {follow.followed_id: follow for follow in outgoing.scalars()},
        {follow.follower_id: follow for follow in incoming.scalars()},
    )


async def pending_follow_requests(session: AsyncSession, actor_id: int, page: IdPage) -> list[Follow]:
    query = select(Follow).where(Follow.followed_id == actor_id, Follow.state == "pending")
    return await run_id_page(session, query, Follow.id, page)
