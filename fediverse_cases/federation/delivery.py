"""The delivery worker: claim due rows, sign at send time, POST, apply the retry policy.

``run_once`` claims up to ``limit`` due rows with a lease (``locked_until``), sends them
concurrently (at most ``concurrency`` at a time, over the transport's pooled connections), then
records the outcomes in one transaction. A worker killed mid-send loses nothing: its rows stay
pending and are claimed again when the lease expires (delivery is at-least-once; peers dedupe
by activity id). Outcomes follow ``retry.next_attempt``; giving up marks the peer unreachable and
any success clears that mark. When the last ``Delete`` delivery of a withdrawn case finishes, the
same transaction queues its automatic erasure re-check (``erasure_jobs``).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from fediverse_cases.federation import erasure_jobs
from fediverse_cases.federation.peers import record_health
from fediverse_cases.federation.retry import next_attempt
from fediverse_cases.federation.state import FederationState
from fediverse_cases.federation.transport import PostOutcome
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Actor, Delivery
from fediverse_cases.storage.repositories import deliveries as deliveries_repo
from fediverse_cases.storage.repositories import remote_actors as remote_actors_repo

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=120)
DEFAULT_LIMIT = 500
DEFAULT_CONCURRENCY = 64


def _outcome_values(
    row: Delivery, outcome: PostOutcome, give_up_after: timedelta, now: datetime
) -> dict[str, Any]:
    attempts = row.attempts + 1
    first = row.first_attempt_at or now
    decision = next_attempt(
        attempts, outcome.status, outcome.retry_after, now, first, give_up_after=give_up_after
    )
    values: dict[str, Any] = {
        "id": row.id,
        "state": "pending",
        "attempts": attempts,
        "first_attempt_at": first,
        "last_status": outcome.status,
        "last_error": (outcome.error or ("" if decision.action == "done" else decision.reason))[:1000],
        "locked_until": None,
        "next_attempt_at": row.next_attempt_at,
        "done_at": None,
    }
    if decision.action == "done":
        values.update(state="done", done_at=now, last_error="")
    elif decision.action == "retry":
        values.update(next_attempt_at=decision.next_attempt_at)
    elif decision.action == "fail":
        values.update(state="failed", done_at=now)
    else:
        values.update(state="gave_up", done_at=now)
    return values


def _cancelled(row: Delivery, reason: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "state": "cancelled",
        "attempts": row.attempts,
        "first_attempt_at": row.first_attempt_at,
        "last_status": row.last_status,
        "last_error": reason,
        "locked_until": None,
        "next_attempt_at": row.next_attempt_at,
        "done_at": utcnow(),
    }


async def run_once(
    state: FederationState,
    *,
    limit: int = DEFAULT_LIMIT,
    lease: timedelta = DEFAULT_LEASE,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> int:
    """Send what is due now; return the number of rows attempted."""
    now = utcnow()
    async with state.transaction() as db:
        rows = list(await deliveries_repo.claim_deliveries(db, now=now, lease_until=now + lease, limit=limit))
        if not rows:
            return 0
        senders: dict[int, Actor] = await remote_actors_repo.actors_by_ids(
            db, (r.sender_actor_id for r in rows)
        )
    allow_list = await state.allow_list.current()
    transport = state.transport
    give_up_after = timedelta(days=state.settings.federation.delivery_give_up_days)
    gate = asyncio.Semaphore(concurrency)

    async def send(row: Delivery) -> dict[str, Any]:
        if not allow_list.is_allowed(row.peer_host):
            return _cancelled(row, "cancelled: peer not allowed")
        sender = senders.get(row.sender_actor_id)
        if sender is None:
            return _cancelled(row, "cancelled: sender gone")
        async with gate:
            outcome = await transport.post(row.inbox_url, row.payload.encode("utf-8"), signer=sender)
        return _outcome_values(row, outcome, give_up_after, utcnow())

    results = await asyncio.gather(*(send(row) for row in rows))
    health: dict[str, tuple[bool, bool]] = {}
    by_id = {row.id: row for row in rows}
    for values in results:
        host = by_id[values["id"]].peer_host
        ok, gave_up = health.get(host, (False, False))
        if values.get("state") == "cancelled":
            continue
        health[host] = (ok or values.get("state") == "done", gave_up or values.get("state") == "gave_up")
    finished_deletes = [row.object_id for row in rows if row.activity_type == "Delete" and row.object_id]
    async with state.transaction() as db:
        await deliveries_repo.save_delivery_results(db, results)
        await record_health(db, health)
        if finished_deletes:
            # Rows that stay pending (retries) are counted inside, so a case is only scheduled
            # once none of its Delete deliveries is pending any more.
            await erasure_jobs.schedule_after_deliveries(db, finished_deletes)
    return len(rows)
