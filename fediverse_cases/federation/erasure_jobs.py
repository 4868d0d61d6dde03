"""Automatic erasure re-checks as durable jobs (table ``erasure_jobs``).

When the delivery worker records the outcome of a ``Delete`` delivery, it calls
``schedule_after_deliveries`` in the same transaction: once no ``Delete`` delivery of a withdrawn
local case is still pending (all done, failed, gave up or cancelled), one job row is written for
that case. The erasure worker (``run_once``, a loop in ``workers.Workers``) claims due jobs with a
lease and runs ``erasure.recheck_peers``; a job whose peers still serve the case, or did not
answer, is retried with backoff and finally marked ``gave_up`` (the report then shows which peer).

The first re-check waits ``RECHECK_DELAY``: a 2xx for the Delete means the peer accepted it into
its inbox, not that its inbox worker already purged the case.

The queries live here rather than in ``storage/repositories`` because this module owns the
table's only reader and writer; they take a session first and never commit, like a repository.
May import: storage, federation.erasure.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.federation import erasure
from fediverse_cases.federation.state import FederationState
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Case, Delivery, ErasureJob
from fediverse_cases.storage.repositories.work_queue import claim_due

log = logging.getLogger(__name__)

__all__ = ["MAX_ATTEMPTS", "RECHECK_DELAY", "RETRY_BASE", "run_once", "schedule_after_deliveries"]

RECHECK_DELAY = timedelta(seconds=60)
RETRY_BASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5
DEFAULT_LEASE = timedelta(minutes=5)
OUTSTANDING = ("still_served", "unreachable")


async def _pending_deletes(db: AsyncSession, object_id: str) -> int:
    found = await db.execute(
        select(func.count(Delivery.id)).where(
            Delivery.object_id == object_id, Delivery.activity_type == "Delete", Delivery.state == "pending"
        )
    )
    return int(found.scalar_one())


async def _withdrawn_local_case(db: AsyncSession, object_id: str) -> Case | None:
    query = select(Case).where(Case.ap_id == object_id, Case.is_local.is_(True), Case.state == "withdrawn")
    if db.bind.dialect.name == "postgresql":
        # Two workers finishing the last two Deletes of one case serialise here, so the second
        # one sees the first one's committed outcome and schedules the job (READ COMMITTED).
        query = query.with_for_update()
    return (await db.execute(query)).scalar_one_or_none()


async def schedule_after_deliveries(
    db: AsyncSession, object_ids: Iterable[str], *, now: datetime | None = None
) -> list[int]:
    """Queue a re-check for each withdrawn local case whose Delete deliveries are all finished.

    Returns the ids of the cases scheduled. Idempotent: an existing job of the case is reset to
    pending (a second withdrawal fan-out, e.g. after a late signed fetch, re-checks again).
    """
    due = (now or utcnow()) + RECHECK_DELAY
    scheduled: list[int] = []
    for object_id in sorted(set(object_ids)):  # one lock order across workers
        case = await _withdrawn_local_case(db, object_id)
        if case is None or await _pending_deletes(db, object_id):
            continue
        job = (await db.execute(select(ErasureJob).where(ErasureJob.case_id == case.id))).scalar_one_or_none()
        if job is None:
            db.add(ErasureJob(case_id=case.id, next_attempt_at=due))
        elif job.state != "pending":
            job.state, job.attempts, job.next_attempt_at = "pending", 0, due
            job.locked_until, job.done_at, job.last_error = None, None, ""
        scheduled.append(case.id)
    await db.flush()
    if scheduled:
        log.info("erasure re-check scheduled for case(s) %s", scheduled)
    return scheduled


async def _claim(
    db: AsyncSession, *, now: datetime, lease_until: datetime, limit: int
) -> Sequence[ErasureJob]:
    return await claim_due(
        db,
        ErasureJob,
        now=now,
        lease_until=lease_until,
        limit=limit,
        order_by=(ErasureJob.next_attempt_at, ErasureJob.id),
    )


async def _finish(state: FederationState, job: ErasureJob, outstanding: list[str], error: str) -> str:
    attempts = job.attempts + 1
    now = utcnow()
    values: dict[str, object] = {"attempts": attempts, "locked_until": None, "last_error": error[:1000]}
    if not outstanding:
        values.update(state="done", done_at=now)
    elif attempts >= MAX_ATTEMPTS:
        values.update(state="gave_up", done_at=now)
    else:
        values.update(next_attempt_at=now + RETRY_BASE * (2 ** (attempts - 1)))
    async with state.transaction() as db:
        await db.execute(
            update(ErasureJob)
            .where(ErasureJob.id == job.id)
            .values(values)
            .execution_options(synchronize_session=False)
        )
    return str(values.get("state", "pending"))


async def run_once(
    state: FederationState,
    *,
    now: datetime | None = None,
    limit: int = 10,
    lease: timedelta = DEFAULT_LEASE,
) -> int:
    """Run the re-checks due at ``now`` (default: now); return how many jobs were run."""
    now = now or utcnow()
    async with state.transaction() as db:
        jobs = list(await _claim(db, now=now, lease_until=now + lease, limit=limit))
    for job in jobs:
        try:
            results = await erasure.recheck_peers(state, job.case_id)
            outstanding = [host for host, result in results if result in OUTSTANDING]
            error = f"not erased yet: {', '.join(outstanding)}" if outstanding else ""
        except Exception as failure:  # recorded and retried, never lost
            log.exception("erasure re-check of case %s failed", job.case_id)
            outstanding, error = ["error"], f"{type(failure).__name__}: {failure}"
        outcome = await _finish(state, job, outstanding, error)
        log.info("erasure job for case %s: %s", job.case_id, outcome)
    return len(jobs)
