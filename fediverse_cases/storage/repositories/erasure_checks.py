"""Erasure re-check results: per withdrawn case and peer, whether the peer still holds a copy.
Functions take a session first and never commit."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import ErasureCheck


async def erasure_checks(session: AsyncSession, case_id: int) -> dict[str, ErasureCheck]:
    rows = await session.execute(select(ErasureCheck).where(ErasureCheck.case_id == case_id))
    return {row.peer_host: row for row in rows.scalars()}


async def save_erasure_check(
    session: AsyncSession, case_id: int, peer_host: str, result: str, http_status: int | None, detail: str
) -> None:
    await session.execute(
        delete(ErasureCheck).where(ErasureCheck.case_id == case_id, ErasureCheck.peer_host == peer_host)
    )
    session.add(
        ErasureCheck(
            case_id=case_id, peer_host=peer_host, result=result, http_status=http_status, detail=detail[:500]
        )
    )
