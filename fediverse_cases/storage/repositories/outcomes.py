"""Queries over confirmed outcomes. Functions take a session first and never commit."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import Case, CaseOutcome
from fediverse_cases.storage.repositories.feeds import listable


def outcome_row(case_id: int, value: object, **fields: object) -> CaseOutcome:
    """A new outcome row of ``case_id`` from ``value`` (a local proposal or a peer's outcome: any
    object with the outcome's fields); ``fields``: its state and who or when."""
    return CaseOutcome(
        case_id=case_id,
        diagnosis=value.diagnosis,  # type: ignore[attr-defined]
        code=value.code,  # type: ignore[attr-defined]
        code_system=value.code_system,  # type: ignore[attr-defined]
        certainty=value.certainty,  # type: ignore[attr-defined]
        method=value.method,  # type: ignore[attr-defined]
        follow_up=value.follow_up,  # type: ignore[attr-defined]
        **fields,
    )


async def current_outcome(session: AsyncSession, case_id: int) -> CaseOutcome | None:
    """The case's outcome as published (the applied one)."""
    rows = await session.execute(
        select(CaseOutcome)
        .where(CaseOutcome.case_id == case_id, CaseOutcome.state == "applied")
        .order_by(CaseOutcome.id.desc())
        .limit(1)
    )
    return rows.scalar_one_or_none()


async def cases_with_outcome(session: AsyncSession, case_ids: Sequence[int]) -> set[int]:
    """Which of these cases have a published (applied) outcome. The rows are loaded, not only
    their case ids, so a document built from them depends on them (``storage/change_signal.py``)."""
    if not case_ids:
        return set()
    rows = await session.scalars(
        select(CaseOutcome).where(CaseOutcome.case_id.in_(tuple(case_ids)), CaseOutcome.state == "applied")
    )
    return {outcome.case_id for outcome in rows}


async def pending_outcome(session: AsyncSession, case_id: int) -> CaseOutcome | None:
    rows = await session.execute(
        select(CaseOutcome).where(CaseOutcome.case_id == case_id, CaseOutcome.state == "pending").limit(1)
    )
    return rows.scalar_one_or_none()


async def cases_with_pending_outcomes(session: AsyncSession) -> Sequence[Case]:
    rows = await session.execute(
        select(Case)
        .join(CaseOutcome, CaseOutcome.case_id == Case.id)
        .where(CaseOutcome.state == "pending")
        .order_by(CaseOutcome.created_at)
    )
    return rows.scalars().all()


async def applied_outcomes(session: AsyncSession, case_id: int) -> list[CaseOutcome]:
    rows = await session.execute(
        select(CaseOutcome).where(CaseOutcome.case_id == case_id, CaseOutcome.state == "applied")
    )
    return list(rows.scalars())


def teaching_feed_query(*, signed_in: bool) -> Select[tuple[Case]]:
    """Listable cases (here and from peers) that carry a confirmed outcome: teaching cases."""
    confirmed = select(CaseOutcome.case_id).where(CaseOutcome.state == "applied")
    return select(Case).where(listable(signed_in=signed_in), Case.id.in_(confirmed))
