"""A clinician's own calibration: their poll answers against confirmed outcomes, overall and per
specialty (the case's specialty tags). Only ever computed for the person asking; nothing of it
is stored, shown to others or federated. Reviewers see the same numbers pooled over everyone
here, never per person."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.calibration import Answer, Calibration, calibrate
from fediverse_cases.core.specialties import SPECIALTY_SLUGS
from fediverse_cases.storage.repositories import polls as polls_repo
from fediverse_cases.storage.repositories.cases import tags_of_cases


async def calibration_of(db: AsyncSession, actor_id: int | None) -> Calibration:
    """One person's calibration; with ``actor_id`` None, the pooled calibration of everyone here
    (for reviewers: numbers only, nobody's own answers)."""
    answered = await polls_repo.answered_with_outcomes(db, actor_id)
    tags = await tags_of_cases(db, [case_id for case_id, _chosen, _diagnosis in answered])
    return calibrate(
        Answer(chosen, diagnosis, [t for t in tags.get(case_id, []) if t in SPECIALTY_SLUGS])
        for case_id, chosen, diagnosis in answered
    )
