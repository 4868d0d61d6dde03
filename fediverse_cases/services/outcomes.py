"""Recording a case's confirmed outcome: the author (or a reviewer) proposes it, a reviewer
approves or rejects it, like an edit of the caption. The diagnosis and the follow-up note are
scanned for identifiers first (a flagged text is refused with the findings marked). Approval
makes it the case's outcome (the previous one is kept as superseded) and sends Update of the case
with ``fediverseCases:outcome`` to everyone who holds or would receive it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.accounts import can_review
from fediverse_cases.core.case_access import CaseState
from fediverse_cases.core.outcomes import CERTAINTIES, CODE_SYSTEMS, METHODS, OutcomeInput, check_outcome
from fediverse_cases.deidentify import PhiFinding, scan_text
from fediverse_cases.federation import publish
from fediverse_cases.services.case_errors import CaseError
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Account, Actor, Case, CaseOutcome
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories import outcomes as outcomes_repo
from fediverse_cases.storage.repositories.audit import record


def may_record(case: Case, account: Account, actor: Actor | None) -> bool:
    """The author of a local published case, or a reviewer of this hospital."""
    if not case.is_local or case.state != CaseState.PUBLISHED:
        return False
    return (actor is not None and actor.id == case.author_actor_id) or can_review(account)


async def propose_outcome(
    db: AsyncSession,
    case: Case,
    account: Account,
    actor: Actor | None,
    value: OutcomeInput,
    operator: Operator,
) -> CaseOutcome:
    """A pending outcome for the reviewer; the published case is unchanged until approval."""
    if not may_record(case, account, actor):
        raise CaseError("Only the author or a reviewer records the outcome of a published case.", status=403)
    value = value.normalized()
    errors = check_outcome(value)
    phi: dict[str, list[PhiFinding]] = {}
    for name, text in (("diagnosis", value.diagnosis), ("follow_up", value.follow_up)):
        if findings := scan_text(text):
            phi[name] = findings
            errors[name] = "This text looks like it contains patient identifiers (marked). Edit it."
    if errors:
        raise CaseError("The outcome was not saved.", field_errors=errors, phi=phi)
    pending = await outcomes_repo.pending_outcome(db, case.id)
    if pending is not None:
        pending.state = "superseded"  # the newest proposal replaces an undecided one
    outcome = outcomes_repo.outcome_row(case.id, value, state="pending", author_account_id=account.id)
    db.add(outcome)
    await db.flush()
    record(
        db,
        operator.entry("case.outcome_submit", target_type="case", target_id=case.public_id, case_id=case.id),
    )
    return outcome


async def _pending(db: AsyncSession, reviewer: Account, case: Case | None) -> tuple[Case, CaseOutcome]:
    if not can_review(reviewer):
        raise CaseError("Only reviewers decide on outcomes.", status=403)
    pending = await outcomes_repo.pending_outcome(db, case.id) if case is not None else None
    if case is None or pending is None or case.state != CaseState.PUBLISHED:
        raise CaseError("No outcome of this case is waiting for review.", status=404)
    if pending.author_account_id == reviewer.id:
        raise CaseError(
            "You cannot approve an outcome you recorded; another reviewer must decide.", status=403
        )
    return case, pending


async def approve_outcome(
    db: AsyncSession, state: AppState, case: Case | None, reviewer: Account, operator: Operator
) -> CaseOutcome:
    case, outcome = await _pending(db, reviewer, case)
    for old in await outcomes_repo.applied_outcomes(db, case.id):
        old.state = "superseded"
    outcome.state = "applied"
    outcome.decided_at = utcnow()
    outcome.reviewer_account_id = reviewer.id
    case.updated_at = outcome.decided_at
    await db.flush()
    record(db, operator.entry("case.outcome", target_type="case", target_id=case.public_id, case_id=case.id))
    await publish.case_updated(db, state, case)
    return outcome


async def reject_outcome(
    db: AsyncSession, case: Case | None, reviewer: Account, operator: Operator, reason: str
) -> CaseOutcome:
    case, outcome = await _pending(db, reviewer, case)
    if not reason.strip():
        raise CaseError("Give a reason; the author sees it.", field_errors={"reason": "Required."})
    outcome.state = "rejected"
    outcome.reason = reason.strip()[:1000]
    outcome.decided_at = utcnow()
    outcome.reviewer_account_id = reviewer.id
    if outcome.author_account_id is not None:
        case_repo.add_notification(
            db,
            account_id=outcome.author_account_id,
            kind="case_outcome_rejected",
            case_id=case.id,
            message=f"The outcome you recorded for “{case.caption[:60]}” was not published: {outcome.reason}",
        )
    record(
        db,
        operator.entry(
            "case.outcome_reject",
            target_type="case",
            target_id=case.public_id,
            case_id=case.id,
            details={"reason": outcome.reason},
        ),
    )
    return outcome


@dataclass(frozen=True)
class OutcomeView:
    """What the case page shows: the published outcome (if any) with its labels, whether it
    starts revealed (the viewer answered the poll, or wrote the case), and whether the viewer may
    record one."""

    outcome: CaseOutcome | None
    certainty: str
    method: str
    code_system: str
    revealed: bool
    may_record: bool


def view_from(
    outcome: CaseOutcome | None,
    case: Case,
    account: Account | None,
    actor: Actor | None,
    *,
    answered_poll: bool,
) -> OutcomeView:
    """The outcome as ``account`` sees it (revealed to the author and to those who answered)."""
    is_author = actor is not None and actor.id == case.author_actor_id
    return OutcomeView(
        outcome=outcome,
        certainty=CERTAINTIES.get(outcome.certainty, "") if outcome else "",
        method=METHODS.get(outcome.method, "") if outcome else "",
        code_system=CODE_SYSTEMS.get(outcome.code_system, ("", ""))[0] if outcome else "",
        revealed=answered_poll or is_author,
        may_record=account is not None and may_record(case, account, actor),
    )
