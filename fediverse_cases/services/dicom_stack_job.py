"""The stack of a received series as a durable de-identification job (``deid_jobs`` kind "stack").

The intake (``services.dicom_intake``) answers the PACS once the key image is de-identified; a series
of more than one frame then gets a "stack" job naming its key image (``image_id``). The worker that
claims it (``services.deid_jobs``, with its lease) reads the series' originals back from the private
store, de-identifies every frame at every window preset (``services.dicom_stack.build_stack``) and,
in one transaction that first checks it still holds the job, records the frames, every instance's
PS3.15 copy and the key instance's copy remade with what the stack covered on it. Until then the
series' record says ``stack_pending`` (the draft shows "stack being prepared"); a refused stack
keeps the key image and its record says why (``stack_refused``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.dicom import instances as dicom_instances
from fediverse_cases.dicom import profile
from fediverse_cases.dicom.instances import Series
from fediverse_cases.media import attempt_keys
from fediverse_cases.services import dicom_files, dicom_stack
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.models import CaseImage, DeidJob, DicomSeries

log = logging.getLogger(__name__)

KIND = "stack"
PENDING_KEY = "stack_pending"
REFUSED_KEY = "stack_refused"

# Settles the job if this worker still holds it (``deid_jobs._settle``); False: write nothing.
Settle = Callable[[AsyncSession], Awaitable[bool]]


def frame_count(series: Series) -> int:
    return sum(max(instance.frames, 1) for instance in series.instances)


def profile_options(state: AppState) -> profile.ProfileOptions:
    return profile.ProfileOptions(
        retain_longitudinal_modified_dates=state.settings.dicom.retain_longitudinal_modified_dates,
        retain_patient_characteristics=state.settings.dicom.retain_patient_characteristics,
    )


async def _series_of(db: AsyncSession, job: DeidJob) -> tuple[DicomSeries | None, CaseImage | None]:
    row = await db.scalar(select(DicomSeries).where(DicomSeries.case_image_id == job.image_id))
    image = await db.get(CaseImage, job.image_id) if job.image_id is not None else None
    return row, image


def _read_series(state: AppState, row: DicomSeries) -> Series | str:
    received = []
    for number, key in enumerate(row.original_keys, start=1):
        data = state.private_store.read(key)
        if data is None:
            return "the received instances are no longer kept"
        received.append(dicom_instances.read_instance(data, "application/dicom", number))
    first = received[0]
    # The originals were stored in stack order, so the key instance is the same one again.
    return Series(first.study_uid, first.series_uid, first.modality, tuple(received))


async def run(state: AppState, job: DeidJob, settle_done: Settle, seed: str) -> str | None:
    """Build and record the stack; the refusal reason (the caller fails the job), or None when the
    job was settled here (or taken over by another worker, which then writes instead). ``seed``:
    recorded on the job before this attempt writes anything (``media.attempt_keys``)."""
    async with state.sessionmaker() as db:
        row, image = await _series_of(db, job)
        if row is None or image is None or not row.original_keys:
            return "the series is no longer in the draft"
        original_keys = list(row.original_keys)
        boxes = profile.covering_boxes(dict(image.deid_report or {}))
    series = await asyncio.to_thread(_read_series, state, row)
    if isinstance(series, str):
        return series
    options = profile_options(state)
    built = await asyncio.to_thread(dicom_stack.build_stack, state, series, options, boxes, seed)
    if isinstance(built, str):
        return built
    key = series.key_instance
    key_boxes = [*boxes, *built.boxes_by_instance.get(series.instances.index(key), [])]
    try:
        derivative = await asyncio.to_thread(
            dicom_stack.ps315_copy,
            key.data,
            key.patient_key,
            options,
            state.settings.session_secret.encode(),
            key_boxes,
        )
        derivative_key = state.private_store.put(
            derivative, attempt_keys.private_key(seed, len(built.derivative_keys))
        )
    except BaseException:
        built.delete(state)
        raise
    old_derivative = ""
    try:
        async with state.transaction() as db:
            row, image = await _series_of(db, job)
            if (
                row is None
                or image is None
                or row.original_keys != original_keys
                or not await settle_done(db)
            ):
                state.private_store.delete(derivative_key)
                built.delete(state)
                return None
            old_derivative, row.derivative_key = row.derivative_key, derivative_key
            dicom_stack.add_rows(db, row, built)
            _update_record(row, image, refused="")
    except BaseException:
        state.private_store.delete(derivative_key)
        built.delete(state)
        raise
    if old_derivative:
        state.private_store.delete(old_derivative)
    log.info("stack job %s: %d frames, %.2f s per frame", job.id, built.frames, built.seconds_per_frame)
    return None


async def record_refusal(db: AsyncSession, job: DeidJob, reason: str) -> None:
    """In the transaction that fails the job: the key image stays, its record says why the stack
    is not shared (a multi-frame key instance then has no PS3.15 copy: the intake leaves it to the
    job, the only one that searches every frame)."""
    row, image = await _series_of(db, job)
    if row is None or image is None:
        return
    _update_record(row, image, refused=reason)


def _update_record(row: DicomSeries, image: CaseImage, *, refused: str) -> None:
    """The stack is no longer pending; ``refused``: why it is not shared."""
    # JSON columns are replaced, not mutated, so SQLAlchemy writes them.
    record = dict(row.deidentification or {})
    series_info = {
        k: v for k, v in (record.get("series") or {}).items() if k not in (PENDING_KEY, REFUSED_KEY)
    }
    if refused:
        series_info[REFUSED_KEY] = refused
    record["series"] = series_info
    row.deidentification = record
    image.deid_report = {**(image.deid_report or {}), dicom_files.RECORD_KEY: record}
