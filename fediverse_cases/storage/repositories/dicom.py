"""Queries for received DICOM series (``DicomSeries``) and the frames of their stacks
(``DicomStackImage``, read as ``CaseStack``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    # A peer's stack (received_via "remote"): the other key frames of the case the viewer shows
    # instead (its own image is ``image_id``); the pages leave them out while the stack is shown.
    covers: tuple[int, ...] = ()

    @property
    def default_preset(self) -> str:
        return str(self.presets[0]["key"])

    def key_frames(self, count: int) -> list[int]:
        """``count`` evenly spaced frame indexes, first and last included, in stack order."""
        return key_frame_indexes(len(self.frames), count)


def key_frame_indexes(total: int, count: int) -> list[int]:
    """``count`` evenly spaced indexes of ``total`` frames, first and last included, in order
    (one: the middle frame)."""
    if count >= total:
        return list(range(total))
    if count <= 1:
        return [total // 2]
    return sorted({round(i * (total - 1) / (count - 1)) for i in range(count)})


@dataclass(frozen=True)
class KeyFrame:
    """One key frame of a stack at its default preset (what a Note and the client API show)."""

    index: int  # 0-based, in stack order
    total: int
    media_key: str
    media_type: str
    width: int
    height: int


async def key_frames_of(db: AsyncSession, per_stack: Mapping[int, int]) -> dict[int, list[KeyFrame]]:
    """case image id -> its stack's key frames at the default preset, for the cases in
    ``per_stack`` (case id -> how many key frames each of its stacks shows), in one query per
    table whatever the number of cases. Our own series only: a peer's stack arrived with its key
    frames as the case's images."""
    if not per_stack:
        return {}
    series = (
        await db.scalars(
            select(DicomSeries).where(
                DicomSeries.case_id.in_(tuple(per_stack)),
                DicomSeries.stack_frames > 1,
                DicomSeries.received_via != "remote",
            )
        )
    ).all()
    wanted: dict[int, tuple[DicomSeries, str, list[int]]] = {}
    for row in series:
        if row.stack_presets:
            indexes = key_frame_indexes(row.stack_frames, per_stack[row.case_id])
            wanted[row.id] = (row, str(row.stack_presets[0]["key"]), indexes)
    if not wanted:
        return {}
    rows = (
        await db.scalars(
            select(DicomStackImage).where(
                DicomStackImage.series_id.in_(tuple(wanted)),
                DicomStackImage.frame.in_({i for _r, _p, indexes in wanted.values() for i in indexes}),
            )
        )
    ).all()
    out: dict[int, list[KeyFrame]] = {}
    for image in sorted(rows, key=lambda r: (r.series_id, r.frame)):
        row, preset, indexes = wanted[image.series_id]
        if image.preset == preset and image.frame in indexes:
            out.setdefault(row.case_image_id, []).append(
                KeyFrame(
                    image.frame,
                    row.stack_frames,
                    image.media_key,
                    image.media_type,
                    image.width,
                    image.height,
                )
            )
    return out


async def cases_with_stacks(db: AsyncSession, case_ids: Sequence[int]) -> set[int]:
    """Which of these cases have a series shown as a stack (``stacks_of`` is not empty). The rows
    are loaded, not only their case ids, so a document built from them depends on them."""
    if not case_ids:
        return set()
    rows = await db.scalars(
        select(DicomSeries).where(DicomSeries.case_id.in_(tuple(case_ids)), DicomSeries.stack_frames > 1)
    )
    return {series.case_id for series in rows}


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
            row.case_image_id,
            row.modality,
            list(row.stack_presets),
            frames[sid],
            *sizes.get(sid, (0, 0)),
            covers=_covered(row),
        )
        for sid, row in series.items()
        if frames[sid]
    }


def _covered(row: DicomSeries) -> tuple[int, ...]:
    record = (row.deidentification or {}).get("remote_stack") or {}
    ids = record.get("key_image_ids") if isinstance(record, dict) else None
    return tuple(int(i) for i in ids or [] if int(i) != row.case_image_id)


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
