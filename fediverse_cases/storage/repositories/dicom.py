"""Queries for received DICOM series (``DicomSeries``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import Case, DicomSeries


async def list_series(session: AsyncSession, case_id: int) -> Sequence[DicomSeries]:
    result = await session.scalars(
        select(DicomSeries).where(DicomSeries.case_id == case_id).order_by(DicomSeries.id)
    )
    return result.all()


async def records_by_image(session: AsyncSession, case_id: int) -> dict[int, dict]:
    """case image id -> the PS3.15 record of the series it shows (for the case and review pages)."""
    return {row.case_image_id: row.deidentification for row in await list_series(session, case_id)}


async def delete_case(session: AsyncSession, case_id: int) -> None:
    """A draft the intake could not finish: the case row and, by cascade, its images and series."""
    await session.execute(delete(Case).where(Case.id == case_id))
