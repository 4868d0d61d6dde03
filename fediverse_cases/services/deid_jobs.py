"""De-identification as durable jobs (table ``deid_jobs``): queue an image, claim and run it.

An upload stores the original in the private store and writes a job row in the caller's
transaction (``enqueue``); a worker — ``serve`` in-process or ``fediverse-cases worker`` on any
machine sharing the database — claims it with a lease (``work_queue.claim_due``, as deliveries),
runs the engine in a thread while renewing the lease, and writes the outcome:

- accepted: the files are written under the key recorded in ``output_key`` first, then in one
  transaction the job becomes ``done`` (only if still ``pending``: a worker that lost its lease
  writes nothing) and the image row is written (a case image, a replaced redaction or an API
  upload). A crash between the two leaves files the next attempt removes: never half-written media.
- refused: ``failed`` with the engine's reason (shown to the clinician); the original is deleted
  unless an existing image still needs it.
- handed over (the engine would cover more than its set share): ``needs_review`` with the
  proposed boxes; the clinician confirms or changes them (``confirm_boxes``) and the job runs again
  with them as the clinician's own boxes, and the image then carries a note for the reviewer.

A "stack" job (every frame of a DICOM series received from the PACS, ``services.dicom_stack_job``)
and a "remote_stack" job (the stacks a peer's case links, ``services.remote_stack_job``) are
claimed, leased, retried and failed the same way; their work and their records are their own
modules'. Each attempt first records a fresh seed in ``output_key`` and writes every file under a
key derived from it (``media.attempt_keys``), so the next attempt removes all a killed one wrote.

A worker killed mid-job only delays the job until its lease runs out; each claim counts an
attempt, and the retry policy (``federation.retry``) gives up after ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.deidentify import Box, DeidentificationResult
from fediverse_cases.federation import remote_stack, retry
from fediverse_cases.federation.state import FederationState
from fediverse_cases.federation.workers import JobLoop
from fediverse_cases.media import attempt_keys
from fediverse_cases.media.image_fields import copy_image_fields, stored_image_fields
from fediverse_cases.media.store import new_key
from fediverse_cases.services import dicom_files
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import CaseImage, DeidJob, MediaUpload
from fediverse_cases.storage.repositories.work_queue import claim_due

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 3
RETRY_BASE = timedelta(seconds=5)
OPEN_STATES = ("pending", "needs_review")
IMAGE_KINDS = ("image", "redact")
STACK_KIND = "stack"
# The whole stack of a remote case, fetched from its origin (services.remote_stack_job).
REMOTE_STACK_KIND = remote_stack.JOB_KIND
STACK_KINDS = (STACK_KIND, REMOTE_STACK_KIND)
# What must be finished before a draft is submitted: its images and its series' stacks.
SUBMIT_KINDS = (*IMAGE_KINDS, STACK_KIND)


def job_loop(state: FederationState, lease: timedelta = DEFAULT_LEASE) -> JobLoop:
    """The de-identification queue as one more worker loop."""
    return JobLoop("deid", lambda: run_once(state, lease=lease), state.wake.deid, tables=("deid_jobs",))


def enqueue(
    db: AsyncSession,
    *,
    kind: str,
    original_key: str,
    case_id: int | None = None,
    image_id: int | None = None,
    media_upload_id: int | None = None,
    filename: str = "",
    declared_type: str = "",
    regions: Sequence[Box] = (),
    crop: Box | None = None,
) -> DeidJob:
    """A pending job in the caller's transaction; call ``wake(state)`` after it commits."""
    job = DeidJob(
        kind=kind,
        case_id=case_id,
        image_id=image_id,
        media_upload_id=media_upload_id,
        original_key=original_key,
        filename=filename[:255],
        declared_type=declared_type[:100],
        regions=[box.to_json() for box in regions],
        crop=crop.to_json() if crop else None,
        state="pending",
        attempts=0,
        next_attempt_at=utcnow(),
        output_key="",
        last_error="",
        handover_note="",
    )
    db.add(job)
    return job


def box_from_json(value: dict[str, int]) -> Box:
    return Box(int(value["x"]), int(value["y"]), int(value["w"]), int(value["h"]))


def wake(state: FederationState) -> None:
    state.wake.deid.set()


async def open_jobs(db: AsyncSession, case_id: int) -> Sequence[DeidJob]:
    """A case's jobs the compose page shows: waiting, running, handed over or failed."""
    rows = await db.execute(
        select(DeidJob)
        .where(DeidJob.case_id == case_id, DeidJob.state.in_((*OPEN_STATES, "failed")))
        .order_by(DeidJob.id)
    )
    return rows.scalars().all()


async def count_unfinished(db: AsyncSession, case_id: int, kinds: Sequence[str] = IMAGE_KINDS) -> int:
    found = await db.execute(
        select(func.count(DeidJob.id)).where(
            DeidJob.case_id == case_id, DeidJob.state.in_(OPEN_STATES), DeidJob.kind.in_(tuple(kinds))
        )
    )
    return int(found.scalar_one())


async def get_job(db: AsyncSession, case_id: int, job_id: int) -> DeidJob | None:
    job = await db.get(DeidJob, job_id)
    return job if job is not None and job.case_id == case_id else None


def describe(job: DeidJob, now: datetime | None = None) -> dict[str, Any]:
    """What the compose page and its progress poll show about one job."""
    now = now or utcnow()
    running = job.state == "pending" and job.locked_until is not None and job.locked_until > now
    if job.kind in STACK_KINDS:
        label = _stack_label(job, running)
    elif job.state == "pending" and running:
        seconds = int((now - job.started_at).total_seconds()) if job.started_at else 0
        label = f"De-identifying (faces, text, metadata)… {seconds} s"
    elif job.state == "pending":
        label = "Waiting for a de-identification worker…"
    elif job.state == "needs_review":
        label = "Your decision is needed: the engine proposes covering a large part of this image."
    elif job.state == "failed":
        label = f"Refused: {job.last_error}"
    else:
        label = "Done."
    return {
        "id": job.id,
        "kind": job.kind,
        "state": job.state,
        "running": running,
        "filename": job.filename,
        "label": label,
        "reason": job.last_error if job.state == "failed" else "",
    }


def _stack_label(job: DeidJob, running: bool) -> str:
    if job.state == "failed":
        return f"The stack was not made (the key image is kept): {job.last_error}"
    if job.state != "pending":
        return "Done."
    return "Preparing the stack (every frame de-identified)…" if running else "Stack waiting for a worker…"


async def run_once(
    state: FederationState,
    *,
    now: datetime | None = None,
    limit: int = 1,
    lease: timedelta = DEFAULT_LEASE,
    only: Sequence[int] = (),
) -> int:
    """Claim up to ``limit`` due jobs (one by default: each holds the CPU) and run them;
    ``only``: just these jobs."""
    now = now or utcnow()
    async with state.transaction() as db:
        jobs = list(
            await claim_due(
                db,
                DeidJob,
                now=now,
                lease_until=now + lease,
                limit=limit,
                order_by=(DeidJob.next_attempt_at, DeidJob.id),
                also_set={"attempts": DeidJob.attempts + 1, "started_at": now},
                where=(DeidJob.id.in_(tuple(only)),) if only else (),
            )
        )
    for job in jobs:
        await _run(state, job, lease)
    return len(jobs)


async def process_now(
    state: FederationState, job_ids: Sequence[int], *, timeout: float = 300.0
) -> list[DeidJob]:
    """Run these jobs here and now (or wait for the worker that holds them) until each is
    settled; for callers that need the outcome before they go on (``POST /api/v1/media``, demo
    seeding, the case factory). Raises TimeoutError after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        await run_once(state, limit=len(job_ids), only=job_ids)
        async with state.sessionmaker() as db:
            rows = (await db.execute(select(DeidJob).where(DeidJob.id.in_(tuple(job_ids))))).scalars().all()
        if all(row.state != "pending" for row in rows):
            return sorted(rows, key=lambda row: row.id)
        if loop.time() > deadline:
            raise TimeoutError(f"de-identification jobs {list(job_ids)} did not finish in {timeout:g} s")
        await asyncio.sleep(0.2)


async def _run(state: FederationState, job: DeidJob, lease: timedelta) -> None:
    # What an earlier, killed attempt may have written: one image's key, or a stack's seed.
    if job.output_key and job.kind in STACK_KINDS:
        await asyncio.to_thread(attempt_keys.purge, state.media_store, state.private_store, job.output_key)
    elif job.output_key:
        state.media_store.delete(job.output_key)
    if job.attempts > MAX_ATTEMPTS:
        await _fail(
            state, job, f"processing was interrupted {job.attempts - 1} times; upload the image again"
        )
        return
    if job.kind in STACK_KINDS:
        await _run_stack(state, job, lease)
        return
    original = state.private_store.read(job.original_key) if job.original_key else None
    if original is None:
        await _fail(state, job, "the uploaded original is no longer kept; upload the image again")
        return
    heartbeat = asyncio.create_task(_keep_lease(state, job, lease))
    try:
        result = await asyncio.to_thread(
            state.deidentifier.process,
            original,
            filename=job.filename or None,
            declared_type=job.declared_type or None,
            regions=tuple(box_from_json(item) for item in job.regions or []),
            crop=box_from_json(job.crop) if job.crop else None,
        )
        await _record(state, job, result)
    except Exception as failure:  # retried with backoff, never lost
        log.exception("de-identification job %s failed", job.id)
        await _retry_or_fail(state, job, f"{type(failure).__name__}: {failure}")
    finally:
        heartbeat.cancel()
        # A failed renewal only risks a take-over, which _settle detects; never fail the job for it.
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await heartbeat


async def _run_stack(state: FederationState, job: DeidJob, lease: timedelta) -> None:
    # Imported here: the stack job modules build on this one's lease and settle helpers.
    from fediverse_cases.services import dicom_stack_job, remote_stack_job

    async def settle_done(db: AsyncSession) -> bool:
        # The seed's files are now the stack's own: no later attempt may purge them.
        return await _settle(db, job, state="done", done_at=utcnow(), last_error="", output_key="")

    # The seed is recorded before any file is written (a killed attempt's files are then found).
    seed = attempt_keys.new_seed()
    async with state.transaction() as db:
        recorded = await db.execute(update(DeidJob).where(*_still_ours(job)).values(output_key=seed))
    if (recorded.rowcount or 0) != 1:
        return  # taken over by another worker
    module = remote_stack_job if job.kind == REMOTE_STACK_KIND else dicom_stack_job
    heartbeat = asyncio.create_task(_keep_lease(state, job, lease))
    try:
        refused = await module.run(state, job, settle_done, seed)  # type: ignore[arg-type]
        if refused:
            await _fail(state, job, refused)
    except Exception as failure:  # retried with backoff, never lost
        log.exception("stack job %s failed", job.id)
        await _retry_or_fail(state, job, f"{type(failure).__name__}: {failure}")
    finally:
        heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await heartbeat


async def _keep_lease(state: FederationState, job: DeidJob, lease: timedelta) -> None:
    """Renew the lease while the engine runs, so only a dead worker's job is taken over."""
    while True:
        await asyncio.sleep(max(lease.total_seconds() / 3, 0.2))
        async with state.transaction() as db:
            await db.execute(
                update(DeidJob)
                .where(*_still_ours(job))
                .values(locked_until=utcnow() + lease)
                .execution_options(synchronize_session=False)
            )


def _still_ours(job: DeidJob) -> tuple[Any, ...]:
    """The job is still pending and nobody claimed it since we did (each claim counts an attempt)."""
    return (DeidJob.id == job.id, DeidJob.state == "pending", DeidJob.attempts == job.attempts)


async def _settle(db: AsyncSession, job: DeidJob, **values: Any) -> bool:
    """Move a job we still hold to its outcome; False when it was settled or taken over meanwhile
    (then this attempt writes nothing)."""
    result = await db.execute(
        update(DeidJob)
        .where(*_still_ours(job))
        .values(locked_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return (result.rowcount or 0) == 1


async def _record(state: FederationState, job: DeidJob, result: DeidentificationResult) -> None:
    if result.needs_review and job.kind in IMAGE_KINDS:
        report = result.report
        proposed = {
            "boxes": [box.to_json() for box in report.proposed_boxes],
            "coverage": report.redacted_fraction,
            "threshold": report.review_coverage,
            "reason": result.reason,
            "source": {"w": report.source_width, "h": report.source_height},
        }
        async with state.transaction() as db:
            await _settle(db, job, state="needs_review", proposed=proposed, last_error="")
        return
    if not result.accepted or result.image is None:
        await _fail(state, job, result.reason or "the image was refused")
        return
    key = new_key()
    async with state.transaction() as db:
        recorded = await db.execute(update(DeidJob).where(*_still_ours(job)).values(output_key=key))
    if (recorded.rowcount or 0) != 1:
        return  # taken over by another worker (this one lost its lease): it writes the image
    stored = state.media_store.save(result.image, key)
    fields = stored_image_fields(result, stored.key)
    old_key = ""
    try:
        async with state.transaction() as db:
            if not await _settle(db, job, state="done", done_at=utcnow(), last_error=""):
                state.media_store.delete(stored.key)
                return
            old_key = await _write_image(db, job, fields)
    except BaseException:
        state.media_store.delete(stored.key)
        raise
    if old_key:
        state.media_store.delete(old_key)


async def _write_image(db: AsyncSession, job: DeidJob, fields: dict[str, object]) -> str:
    """The accepted image into its row; returns the media key it replaced (redaction re-run)."""
    if job.kind == "image":
        assert job.case_id is not None
        count = await db.execute(select(func.count(CaseImage.id)).where(CaseImage.case_id == job.case_id))
        image = CaseImage(
            case_id=job.case_id,
            position=int(count.scalar_one()),
            original_key=job.original_key,
            manual_regions=list(job.regions or []),
            crop=job.crop,
            review_note=job.handover_note,
        )
        copy_image_fields(None, image, fields)
        db.add(image)
        await db.flush()
        # Which image the job made: callers that wait for it (DICOM intake) go on with that row.
        await db.execute(update(DeidJob).where(DeidJob.id == job.id).values(image_id=image.id))
        return ""
    if job.kind == "redact":
        row = await db.get(CaseImage, job.image_id)
        assert row is not None  # the job is deleted with its image (ON DELETE CASCADE)
        old_key = row.media_key
        old_report = dict(row.deid_report or {})
        copy_image_fields(None, row, fields)
        # A DICOM image's record of the PS3.15 profile applied survives the re-run.
        row.deid_report = dicom_files.keep_record(old_report, row.deid_report)
        row.manual_regions = list(job.regions or [])
        row.crop = job.crop
        if job.handover_note:
            row.review_note = job.handover_note
        return old_key
    upload = await db.get(MediaUpload, job.media_upload_id)
    assert upload is not None
    upload.state = "ready"
    copy_image_fields(None, upload, fields)
    return ""


async def _retry_or_fail(state: FederationState, job: DeidJob, error: str) -> None:
    now = utcnow()
    decision = retry.next_attempt(
        job.attempts,
        None,
        None,
        now,
        job.created_at,
        max_attempts=MAX_ATTEMPTS,
        base_delay=RETRY_BASE,
        give_up_after=timedelta(hours=1),
    )
    if decision.final:
        what = (
            "the stack could not be made"
            if job.kind in STACK_KINDS
            else "the image could not be processed; upload it again"
        )
        await _fail(state, job, what)
        return
    async with state.transaction() as db:
        await _settle(db, job, next_attempt_at=decision.next_attempt_at, last_error=error[:1000])


async def _fail(state: FederationState, job: DeidJob, reason: str) -> None:
    """``failed`` with the reason; the original goes unless an image still needs it (a refused
    redaction re-run keeps the previous version, which may be redacted again)."""
    async with state.transaction() as db:
        if not await _settle(db, job, state="failed", done_at=utcnow(), last_error=reason[:1000]):
            return
        if job.kind == STACK_KIND:
            from fediverse_cases.services import dicom_stack_job  # see _run_stack

            await dicom_stack_job.record_refusal(db, job, reason)
        # A remote stack that cannot be fetched or is refused: the case keeps its key frames.
        if job.kind == "api_media":
            upload = await db.get(MediaUpload, job.media_upload_id)
            if upload is not None:
                refusal = f"the image was refused by de-identification: {reason}"
                upload.state, upload.error, upload.original_key = "failed", refusal, ""
    if job.kind != "redact" and job.original_key:
        state.private_store.delete(job.original_key)


async def confirm_boxes(
    db: AsyncSession, job: DeidJob, regions: Sequence[Box], crop: Box | None, note: str
) -> None:
    """The clinician's decision on a handed-over job: run it again with these boxes as theirs."""
    job.regions = [box.to_json() for box in regions]
    job.crop = crop.to_json() if crop else None
    job.handover_note = note
    job.state = "pending"
    job.attempts = 0
    job.next_attempt_at = utcnow()
    job.locked_until = None
    job.last_error = ""
    await db.flush()


async def dismiss(state: FederationState, db: AsyncSession, job: DeidJob) -> None:
    """Forget a failed or handed-over job (and its original, unless an image still needs it)."""
    if job.kind != "redact" and job.original_key:
        state.private_store.delete(job.original_key)
    await db.delete(job)
    await db.flush()
