"""Queries over collections of saved cases. Functions take a session first and never commit."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import Case, CaseCollection, CollectionItem


async def by_public_id(session: AsyncSession, public_id: str) -> CaseCollection | None:
    rows = await session.execute(select(CaseCollection).where(CaseCollection.public_id == public_id))
    return rows.scalar_one_or_none()


async def of_owner(
    session: AsyncSession, account_id: int, *, published_only: bool = False
) -> Sequence[CaseCollection]:
    query = select(CaseCollection).where(CaseCollection.owner_account_id == account_id)
    if published_only:
        query = query.where(CaseCollection.published.is_(True))
    return (await session.execute(query.order_by(CaseCollection.id))).scalars().all()


async def items(session: AsyncSession, collection_id: int) -> list[tuple[CollectionItem, Case]]:
    rows = await session.execute(
        select(CollectionItem, Case)
        .join(Case, Case.id == CollectionItem.case_id)
        .where(CollectionItem.collection_id == collection_id)
        .order_by(CollectionItem.position, CollectionItem.id)
    )
    return [(item, case) for item, case in rows.all()]


async def item(session: AsyncSession, collection_id: int, case_id: int) -> CollectionItem | None:
    rows = await session.execute(
        select(CollectionItem).where(
            CollectionItem.collection_id == collection_id, CollectionItem.case_id == case_id
        )
    )
    return rows.scalar_one_or_none()


async def next_position(session: AsyncSession, collection_id: int) -> int:
    top = await session.scalar(
        select(func.max(CollectionItem.position)).where(CollectionItem.collection_id == collection_id)
    )
    return int(top) + 1 if top is not None else 0
