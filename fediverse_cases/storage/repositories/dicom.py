"""Queries for received DICOM series (``DicomSeries``) and the frames of their stacks
(``DicomStackImage``, read as ``CaseStack``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import Case, DicomSeries, DicomStackImage


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


async def stack_rows(db: AsyncSession, case_id: int) -> Sequence[DicomStackImage]:
    result = await db.scalars(
        select(DicomStackImage)
        .where(DicomStackImage.case_id == case_id)
        .order_by(DicomStackImage.series_id, DicomStackImage.frame, DicomStackImage.id)
    )
    return result.all()


async def stack_media_keys(db: AsyncSession, case_id: int, image_id: int | None = None) -> list[str]:
    """Shared media keys of the case's stacks (of one image's, with ``image_id``), for deleters."""
    query = select(DicomStackImage.media_key).where(DicomStackImage.case_id == case_id)
    if image_id is not None:
        query = query.join(DicomSeries, DicomSeries.id == DicomStackImage.series_id).where(
            DicomSeries.case_image_id == image_id
        )
    return list((await db.scalars(query)).all())


@dataclass(frozen=True)
class CaseStack:
    """A stack as the pages and the Note show it: presets in order (the first is the default) and,
    per frame, each preset's media (key, media type); ``width``/``height`` of the display images."""

    image_id: int
    modality: str
    presets: list[dict]
    frames: list[dict[str, tuple[str, str]]]
    width: int
    height: int

    @property
    def default_preset(self) -> str:
        return str(self.presets[0]["key"])

    def key_frames(self, count: int) -> list[int]:
        """``count`` evenly spaced frame indexes, first and last included, in stack order."""
        total = len(self.frames)
        if count >= total:
            return list(range(total))
        if count <= 1:
            return [total // 2]
        return sorted({round(i * (total - 1) / (count - 1)) for i in range(count)})


async def stacks_of(db: AsyncSession, case_id: int) -> dict[int, CaseStack]:
    """case image id -> its stack, for the images whose series has more than one frame."""
    series = {
        row.id: row
        for row in (await db.scalars(select(DicomSeries).where(DicomSeries.case_id == case_id))).all()
        if row.stack_frames > 1
    }
    frames: dict[int, list[dict[str, tuple[str, str]]]] = {sid: [] for sid in series}
    sizes: dict[int, tuple[int, int]] = {}
    for row in await stack_rows(db, case_id):
        if row.series_id not in frames:
            continue
        stack = frames[row.series_id]
        while len(stack) <= row.frame:
            stack.append({})
        stack[row.frame][row.preset] = (row.media_key, row.media_type)
        sizes.setdefault(row.series_id, (row.width, row.height))
    return {
        row.case_image_id: CaseStack(
            row.case_image_id, row.modality, list(row.stack_presets), frames[sid], *sizes.get(sid, (0, 0))
        )
        for sid, row in series.items()
        if frames[sid]
    }


async def stack_image_and_case(db: AsyncSession, media_key: str) -> tuple[DicomStackImage, Case] | None:
    """(stack image, case) for a shared media key of a stack frame, or None."""
    found = (
        await db.execute(
            select(DicomStackImage, Case)
            .join(Case, Case.id == DicomStackImage.case_id)
            .where(DicomStackImage.media_key == media_key)
        )
    ).first()
    return (found[0], found[1]) if found else None
