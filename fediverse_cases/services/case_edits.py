"""Editing a published case: the author proposes, the reviewer decides when it matters.

An edit is scanned for identifiers like any text. One that changes the title, caption or an alt text
— what could identify a patient — waits for the reviewer as a pending ``CaseRevision`` while the
published version stays; an edit of tags, the sensitive flag or the content warning only applies
at once. Applying keeps the replaced version (history for the author and reviewers), bumps
``updated_at`` and sends Update(Note) to everyone who holds or would receive the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.accounts import can_review
from fediverse_cases.core.case_access import CaseState
from fediverse_cases.core.case_titles import TITLE_MAX, case_title, derive_title
from fediverse_cases.core.specialties import TagError, hashtags_in, parse_tags
from fediverse_cases.deidentify import PhiFinding, scan_text
from fediverse_cases.federation import publish
from fediverse_cases.services.case_errors import CaseError
from fediverse_cases.services.compose import ALT_MAX, CAPTION_MAX, CONTENT_WARNING_MAX, CaseDetails
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Account, Actor, Case, CaseRevision
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories.audit import record

# An edit carries the same text fields as the composer's details (its visibility is not used:
# changing who may see a case is the audience page's job, with a new consent when widening).
CaseEdit = CaseDetails


@dataclass(frozen=True)
class EditOutcome:
    applied: bool  # False: waiting for the reviewer
    revision: CaseRevision


async def snapshot(db: AsyncSession, case: Case) -> dict[str, Any]:
    """The case's editable text as it is now (what a revision replaces)."""
    tags = await case_repo.list_tags(db, case.id)
    images = await case_repo.list_images(db, case.id)
    return {
        "title": case.title,
        "caption": case.caption,
        "content_warning": case.content_warning,
        "sensitive": case.sensitive,
        "tags": [[tag.tag, tag.is_specialty] for tag in tags],
        "alt_texts": {str(image.id): image.alt_text for image in images},
    }


def _title(edit: CaseEdit, case: Case) -> str:
    """The edited title; a sender without a title field (a Mastodon client) keeps the current one."""
    return case.title if edit.title is None else " ".join(edit.title.split())


def _check(
    edit: CaseEdit, title: str, image_ids: set[int]
) -> tuple[list[list[Any]], dict[str, list[PhiFinding]]]:
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Give the case a short title."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"The title must be at most {TITLE_MAX} characters."
    caption = edit.caption.strip()
    if not caption:
        errors["caption"] = "Write a caption."
    elif len(caption) > CAPTION_MAX:
        errors["caption"] = f"The caption must be at most {CAPTION_MAX} characters."
    if len(edit.content_warning.strip()) > CONTENT_WARNING_MAX:
        errors["content_warning"] = f"The content warning must be at most {CONTENT_WARNING_MAX} characters."
    for image_id, text in edit.alt_texts.items():
        if image_id not in image_ids:
            errors[f"alt_{image_id}"] = "No such image."
        elif len(text) > ALT_MAX:
            errors[f"alt_{image_id}"] = f"Alt text must be at most {ALT_MAX} characters."
    try:
        free = " ".join([edit.free_tags, *hashtags_in(caption)])
        tags = [[t.tag, t.is_specialty] for t in parse_tags(list(edit.specialties), free)]
    except TagError as error:
        errors["tags"] = str(error).capitalize() + "."
        tags = []
    phi: dict[str, list[PhiFinding]] = {}
    texts = {"title": title, "caption": caption, "content_warning": edit.content_warning.strip()}
    texts |= {f"alt_{image_id}": text for image_id, text in edit.alt_texts.items()}
    for name, text in texts.items():
        if findings := scan_text(text):
            phi[name] = findings
            errors[name] = "This text looks like it contains patient identifiers (marked). Edit it."
    if errors:
        raise CaseError("The edit was not saved.", field_errors=errors, phi=phi)
    return tags, phi


async def propose_edit(
    db: AsyncSession,
    state: AppState,
    case: Case,
    account: Account,
    actor: Actor,
    edit: CaseEdit,
    operator: Operator,
) -> EditOutcome:
    if not case.is_local or case.author_actor_id != actor.id:
        raise CaseError("Only the author edits a case.", status=403)
    if case.state != CaseState.PUBLISHED:
        raise CaseError(
            "Only a published case is edited here; drafts are edited in the composer.", status=409
        )
    images = await case_repo.list_images(db, case.id)
    title = _title(edit, case) or derive_title(edit.caption)
    tags, _phi = _check(edit, title, {image.id for image in images})
    current = await snapshot(db, case)
    alt_texts = {str(image.id): edit.alt_texts.get(image.id, image.alt_text).strip() for image in images}
    revision = await case_repo.pending_revision(db, case.id)
    if revision is not None:
        revision.state = "superseded"  # the newest proposal replaces an undecided one
    revision = CaseRevision(
        case_id=case.id,
        state="pending",
        title=title,
        caption=edit.caption.strip(),
        content_warning=edit.content_warning.strip() if edit.sensitive else "",
        sensitive=edit.sensitive,
        tags=tags,
        alt_texts=alt_texts,
        author_account_id=account.id,
    )
    db.add(revision)
    await db.flush()
    needs_review = (
        revision.title != current["title"]
        or revision.caption != current["caption"]
        or alt_texts != current["alt_texts"]
    )
    if needs_review:
        record(
            db,
            operator.entry("case.edit_submit", target_type="case", target_id=case.public_id, case_id=case.id),
        )
        return EditOutcome(False, revision)
    await _apply(db, state, case, revision, operator, reviewer=None)
    return EditOutcome(True, revision)


async def _apply(
    db: AsyncSession,
    state: AppState,
    case: Case,
    revision: CaseRevision,
    operator: Operator,
    reviewer: Account | None,
) -> None:
    revision.previous = await snapshot(db, case)
    revision.state = "applied"
    revision.decided_at = utcnow()
    revision.reviewer_account_id = reviewer.id if reviewer else None
    case.title = revision.title
    case.caption = revision.caption
    case.content_warning = revision.content_warning
    case.sensitive = revision.sensitive
    case.updated_at = revision.decided_at
    for image in await case_repo.list_images(db, case.id):
        image.alt_text = revision.alt_texts.get(str(image.id), image.alt_text)
    await case_repo.replace_tags(db, case.id, [(tag, bool(specialty)) for tag, specialty in revision.tags])
    case.search_text = " ".join([case.title, case.caption, *(f"#{tag}" for tag, _ in revision.tags)]).lower()
    await db.flush()
    record(db, operator.entry("case.edit", target_type="case", target_id=case.public_id, case_id=case.id))
    await publish.case_updated(db, state, case)


async def _pending(db: AsyncSession, reviewer: Account, case: Case | None) -> tuple[Case, CaseRevision]:
    if not can_review(reviewer):
        raise CaseError("Only reviewers decide on edits.", status=403)
    revision = await case_repo.pending_revision(db, case.id) if case is not None else None
    if case is None or revision is None or case.state != CaseState.PUBLISHED:
        raise CaseError("No edit of this case is waiting for review.", status=404)
    return case, revision


async def approve_edit(
    db: AsyncSession, state: AppState, case: Case | None, reviewer: Account, operator: Operator
) -> CaseRevision:
    case, revision = await _pending(db, reviewer, case)
    await _apply(db, state, case, revision, operator, reviewer)
    return revision


async def reject_edit(
    db: AsyncSession, case: Case | None, reviewer: Account, operator: Operator, reason: str
) -> CaseRevision:
    case, revision = await _pending(db, reviewer, case)
    if not reason.strip():
        raise CaseError("Give a reason; the author sees it.", field_errors={"reason": "Required."})
    revision.state = "rejected"
    revision.reason = reason.strip()[:1000]
    revision.decided_at = utcnow()
    revision.reviewer_account_id = reviewer.id
    author = await db.get(Actor, case.author_actor_id)
    if author is not None and author.account_id is not None:
        case_repo.add_notification(
            db,
            account_id=author.account_id,
            kind="case_edit_rejected",
            case_id=case.id,
            message=f"Your edit of “{case_title(case)}” was not published: {revision.reason}",
        )
    record(
        db,
        operator.entry(
            "case.edit_reject",
            target_type="case",
            target_id=case.public_id,
            case_id=case.id,
            details={"reason": revision.reason},
        ),
    )
    return revision
