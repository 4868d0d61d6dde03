"""Queries on linked provider identities and pending OpenID Connect sign-ins.

Functions take a session first and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import OidcIdentity, OidcLoginState


async def find_identity(session: AsyncSession, provider: str, subject: str) -> OidcIdentity | None:
    query = select(OidcIdentity).where(OidcIdentity.provider == provider, OidcIdentity.subject == subject)
    return (await session.execute(query)).scalar_one_or_none()


async def identities_of(session: AsyncSession, account_id: int) -> Sequence[OidcIdentity]:
    query = select(OidcIdentity).where(OidcIdentity.account_id == account_id).order_by(OidcIdentity.id)
    return (await session.execute(query)).scalars().all()


async def take_login_state(session: AsyncSession, state_hash: str) -> OidcLoginState | None:
    """Remove and return the pending sign-in; a second call with the same state finds nothing,
    even when two answers race (the DELETE decides which one gets the row)."""
    query = delete(OidcLoginState).where(OidcLoginState.state_hash == state_hash).returning(OidcLoginState)
    return (await session.execute(query)).scalar_one_or_none()


async def drop_login_states_before(session: AsyncSession, cutoff: datetime) -> None:
    await session.execute(delete(OidcLoginState).where(OidcLoginState.created_at < cutoff))
