"""Changing who may see an already published case: narrowing is always allowed; widening beyond
the audience the patient agreed to needs a new consent recorded in the same step.

The federation layer is told what changed: a case that starts leaving the instance is sent
(Create), one narrowed to this hospital is deleted from every peer that had it, any other
change re-addresses it (Update).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core import consent_scope
from fediverse_cases.core.case_access import CaseState, Visibility
from fediverse_cases.federation import publish
from fediverse_cases.services import compose
from fediverse_cases.services.case_errors import CaseError
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Case
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories.audit import record


async def change_audience(
    db: AsyncSession,
    state: AppState,
    case: Case,
    visibility: str,
    new_consent: compose.ConsentInput | None,
    operator: Operator,
) -> None:
    if not case.is_local or case.state != CaseState.PUBLISHED:
        raise CaseError("Only a published case of this hospital can change its audience here.", status=409)
    if visibility not in tuple(Visibility):
        raise CaseError("Choose who may see this case.", field_errors={"visibility": "Choose one."})
    old = case.visibility
    if new_consent is not None:
        await compose.write_consent(db, state, case, new_consent, operator.account_id)
    consent = await case_repo.get_consent(db, case.id)
    if consent is None or not consent_scope.within(visibility, consent.audience):
        raise CaseError(
            "A wider audience needs the patient's new consent: record it below.",
            field_errors=compose.scope_errors(_with_visibility(case, visibility), consent)
            or {"consent": "Record the patient's consent."},
        )
    if visibility == old and new_consent is None:
        return
    case.visibility = visibility
    case.updated_at = utcnow()
    await db.flush()
    record(
        db,
        operator.entry(
            "case.audience",
            target_type="case",
            target_id=case.public_id,
            case_id=case.id,
            details={"from": old, "to": visibility, "new_consent": new_consent is not None},
        ),
    )
    if visibility == old:
        return
    if old == Visibility.LOCAL:
        await publish.case_published(db, state, case)
    elif visibility == Visibility.LOCAL:
        await publish.case_made_local(db, state, case)
    else:
        await publish.case_updated(db, state, case)


def _with_visibility(case: Case, visibility: str) -> Case:
    # scope_errors reads only .visibility; a transient copy keeps the stored row untouched.
    return Case(visibility=visibility)
