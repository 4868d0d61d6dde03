"""Queries over accounts, actors and follows. Functions take a session first and never commit."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import Account, Actor, Follow


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
    return any(row.username == username for row in rows), any(row.email == email for row in rows)


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
