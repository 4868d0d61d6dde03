"""Queries over accounts, actors and follows. Functions take a session first and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import Account, Actor, Case, Follow

# Actors the client API shows as accounts: people, and groups (``"group": true``).
ACCOUNT_TYPES = ("Person", "Group")


async def get_account(session: AsyncSession, account_id: int) -> Account | None:
    return await session.get(Account, account_id)


async def get_account_by_username(session: AsyncSession, username: str) -> Account | None:
    result = await session.execute(select(Account).where(Account.username == username.strip().lower()))
    return result.scalar_one_or_none()


async def username_or_email_taken(session: AsyncSession, username: str, email: str) -> tuple[bool, bool]:
    rows = (
        await session.execute(
            select(Account.username, Account.email).where(
                or_(Account.username == username, Account.email == email)
            )
        )
    ).all()
    taken = any(row.username == username for row in rows)
    if username and not taken:
        # A hosted group's slug is a WebFinger name too (acct:slug@host): a person cannot take it.
        taken = (await get_local_actor_by_username(session, username)) is not None
    return taken, any(row.email == email for row in rows)


async def list_accounts(session: AsyncSession, *, limit: int = 500) -> Sequence[Account]:
    result = await session.execute(select(Account).order_by(Account.username).limit(limit))
    return result.scalars().all()


async def verification_queue(session: AsyncSession) -> Sequence[Account]:
    result = await session.execute(
        select(Account)
        .where(Account.verification_status == "pending")
        .order_by(Account.verification_requested_at)
    )
    return result.scalars().all()


async def count_accounts(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count(Account.id)))).scalar_one())


async def get_actor_for_account(session: AsyncSession, account_id: int) -> Actor | None:
    result = await session.execute(select(Actor).where(Actor.account_id == account_id))
    return result.scalar_one_or_none()


async def get_local_actor_by_username(session: AsyncSession, username: str) -> Actor | None:
    result = await session.execute(
        select(Actor).where(Actor.is_local.is_(True), Actor.username == username.strip().lower())
    )
    return result.scalar_one_or_none()


async def get_instance_actor(session: AsyncSession) -> Actor | None:
    result = await session.execute(
        select(Actor).where(Actor.is_local.is_(True), Actor.actor_type == "Service")
    )
    return result.scalar_one_or_none()


async def get_actor_by_uri(session: AsyncSession, uri: str) -> Actor | None:
    result = await session.execute(select(Actor).where(Actor.uri == uri))
    return result.scalar_one_or_none()


async def get_follow(session: AsyncSession, follower_id: int, followed_id: int) -> Follow | None:
    result = await session.execute(
        select(Follow).where(Follow.follower_id == follower_id, Follow.followed_id == followed_id)
    )
    return result.scalar_one_or_none()


@dataclass(frozen=True)
class AccountCounts:
    followers: int = 0
    following: int = 0
    statuses: int = 0


async def _grouped_counts(session: AsyncSession, key: Any, *where: Any) -> dict[int, int]:
    rows = await session.execute(select(key, func.count()).where(*where).group_by(key))
    return {int(group): int(count) for group, count in rows.all()}


async def account_counts(session: AsyncSession, actor_ids: Sequence[int]) -> dict[int, AccountCounts]:
    if not actor_ids:
        return {}
    ids = list(set(actor_ids))
    accepted = Follow.state == "accepted"
    followers = await _grouped_counts(session, Follow.followed_id, Follow.followed_id.in_(ids), accepted)
    following = await _grouped_counts(session, Follow.follower_id, Follow.follower_id.in_(ids), accepted)
    statuses = await _grouped_counts(
        session,
        Case.author_actor_id,
        Case.author_actor_id.in_(ids),
        Case.state == "published",
        Case.hidden.is_(False),
    )
    return {
        actor_id: AccountCounts(
            followers.get(actor_id, 0), following.get(actor_id, 0), statuses.get(actor_id, 0)
        )
        for actor_id in ids
    }


async def actors_with_accounts(
    session: AsyncSession, actor_ids: Sequence[int]
) -> dict[int, tuple[Actor, Account | None]]:
    if not actor_ids:
        return {}
    result = await session.execute(
        select(Actor, Account)
        .outerjoin(Account, Account.id == Actor.account_id)
        .where(Actor.id.in_(list(set(actor_ids))))
    )
    return {row[0].id: (row[0], row[1]) for row in result.all()}


async def get_person_actor(session: AsyncSession, actor_id: int) -> Actor | None:
    """A person or a group (not the instance's Service actor) by id: the client API's accounts."""
    actor = await session.get(Actor, actor_id)
    return actor if actor is not None and actor.actor_type in ACCOUNT_TYPES else None


async def find_actor_by_handle(session: AsyncSession, username: str, host: str | None) -> Actor | None:
    query = select(Actor).where(Actor.username == username, Actor.actor_type.in_(ACCOUNT_TYPES))
    query = query.where(Actor.is_local.is_(True)) if host is None else query.where(Actor.host == host)
    return (await session.execute(query.limit(1))).scalar_one_or_none()


async def search_actors(session: AsyncSession, text: str, *, limit: int) -> Sequence[Actor]:
    # LIKE wildcards in what was typed are literal characters (dr_ada has an underscore).
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    result = await session.execute(
        select(Actor)
        .where(
            Actor.actor_type.in_(ACCOUNT_TYPES),
            or_(
                func.lower(Actor.username).like(pattern, escape="\\"),
                func.lower(Actor.display_name).like(pattern, escape="\\"),
            ),
        )
        .order_by(Actor.is_local.desc(), Actor.id)
        .limit(limit)
    )
    return result.scalars().all()
