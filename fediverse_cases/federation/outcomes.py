"""A case's confirmed outcome on the wire: ``with_outcome`` adds ``fediverseCases:outcome`` to a
local case's document (called by ``threads.case_note``, so Create, Update and the object route
agree); ``outcome_received`` keeps the outcome a peer's case carries. The reviewer's approval
sends the Update (``services.outcomes`` calls ``publish.case_updated``)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.activitypub.constants import ext
from fediverse_cases.convert.outcomes import outcome_document, outcome_from_document
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Case
from fediverse_cases.storage.repositories import outcomes as outcomes_repo

log = logging.getLogger(__name__)


async def with_outcome(db: AsyncSession, case: Case, document: dict[str, Any]) -> dict[str, Any]:
    outcome = await outcomes_repo.current_outcome(db, case.id)
    if outcome is None:
        return document
    return {
        **document,
        ext("outcome"): outcome_document(
            diagnosis=outcome.diagnosis,
            code=outcome.code,
            code_system=outcome.code_system,
            certainty=outcome.certainty,
            method=outcome.method,
            follow_up=outcome.follow_up,
            recorded_at=outcome.decided_at,
        ),
    }


async def outcome_received(db: AsyncSession, case: Case, document: dict[str, Any]) -> None:
    """The outcome in a remote case's (trusted) document replaces the one we hold; a document
    without one leaves ours alone (an edit of the caption says nothing about the outcome)."""
    if case.is_local:
        return
    remote = outcome_from_document(document)
    if remote is None:
        if ext("outcome") in document:
            log.info("ignoring an outcome on %s that breaks our rules", case.ap_id)
        return
    for old in await outcomes_repo.applied_outcomes(db, case.id):
        old.state = "superseded"
    value = remote.outcome
    db.add(
        outcomes_repo.outcome_row(case.id, value, state="applied", decided_at=remote.recorded_at or utcnow())
    )
    await db.flush()
