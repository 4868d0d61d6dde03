"""Review decisions on submitted cases: approve (publishes), reject with a reason, or send back
for changes with a comment. Each decision is recorded, audited and notified to the author, in
the caller's transaction; approval calls ``federation.publish`` in the same transaction.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.case_access import CaseState
from fediverse_cases.federation import publish
from fediverse_cases.services import dicom_files, paging
from fediverse_cases.services.case_errors import CaseError
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Actor, Case, ReviewDecision
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories.audit import record

NOTE_MAX = 2000


async def _decide(
    db: AsyncSession, case: Case, operator: Operator, decision: str, note: str, *, note_required: bool
) -> int | None:
    if not case.is_local or case.state != CaseState.PENDING:
        raise CaseError("Only cases waiting for review can be decided.", status=409)
    note = note.strip()
    if note_required and not note:
        raise CaseError("Give a reason the author can act on.", field_errors={"note": "Required."})
    if len(note) > NOTE_MAX:
        raise CaseError(f"At most {NOTE_MAX} characters.", field_errors={"note": "Too long."})
    author = await db.get(Actor, case.author_actor_id)
    author_account_id = author.account_id if author is not None else None
    if operator.account_id is not None and operator.account_id == author_account_id:
        raise CaseError("You cannot review your own case; another reviewer must decide.", status=403)
    db.add(
        ReviewDecision(case_id=case.id, reviewer_account_id=operator.account_id, decision=decision, note=note)
    )
    case.review_note = note
    case.updated_at = utcnow()
    record(
        db,
        operator.entry(
            f"case.{decision}",
            target_type="case",
            target_id=case.public_id,
            case_id=case.id,
            details={"note": note} if note else None,
        ),
    )
    return author_account_id


def _notify(db: AsyncSession, account_id: int | None, kind: str, case: Case, message: str) -> None:
    if account_id is not None:
        case_repo.add_notification(db, account_id=account_id, kind=kind, case_id=case.id, message=message)


def case_name(case: Case, limit: int = 60) -> str:
    """How a notification names a case: its caption's start, cut at a word, in quotes."""
    caption = " ".join(case.caption.split())
    if len(caption) > limit:
        caption = caption[:limit].rsplit(" ", 1)[0] + "…"
    return f"“{caption}”" if caption else "(untitled)"


async def _delete_originals(db: AsyncSession, state: AppState, case: Case) -> None:
    if state.settings.uploads.original_retention != "delete_at_publication":
        return
    for image in await case_repo.list_images(db, case.id):
        if image.original_key:
            state.private_store.delete(image.original_key)
            image.original_key = ""
    await dicom_files.delete_originals_at_publication(db, state, case.id)


async def approve_case(
    db: AsyncSession, state: AppState, case: Case, operator: Operator, note: str = ""
) -> None:
    """Publish: the case becomes visible and federates; originals are deleted per retention."""
    author_account_id = await _decide(db, case, operator, "approve", note, note_required=False)
    case.state = CaseState.PUBLISHED
    case.published_at = utcnow()
    await _delete_originals(db, state, case)
    await db.flush()
    _notify(
        db,
        author_account_id,
        "case_approved",
        case,
        f"Your case {case_name(case)} was approved and published.",
    )
    await publish.case_published(db, state, case)
    # Pages that asked for an urgent review of this case go out now.
    await paging.case_approved(db, state, case)


async def reject_case(db: AsyncSession, state: AppState, case: Case, operator: Operator, reason: str) -> None:
    author_account_id = await _decide(db, case, operator, "reject", reason, note_required=True)
    case.state = CaseState.REJECTED
    await _delete_originals(db, state, case)
    _notify(
        db,
        author_account_id,
        "case_rejected",
        case,
        f"Your case {case_name(case)} was not approved: {reason.strip()}",
    )
    # Pages waiting on an urgent review of this case will never go out: their requesters hear.
    await paging.case_rejected(db, case, reason)


async def request_changes(
    db: AsyncSession, state: AppState, case: Case, operator: Operator, comment: str
) -> None:
    author_account_id = await _decide(db, case, operator, "changes", comment, note_required=True)
    case.state = CaseState.CHANGES_REQUESTED
    _notify(
        db,
        author_account_id,
        "case_changes_requested",
        case,
        f"Changes requested on your case {case_name(case)}: {comment.strip()}",
    )
