"""Withdrawal of consent: purge a case's images (every media variant and the originals), comments,
tags and likes at once, leaving a tombstone row; tell the federation layer; audit it.

Files are deleted inside the caller's transaction: if the commit then fails the rows point at
missing files, which serve as 404 — failing towards the patient's wish, never towards a leak.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.case_access import CaseState
from fediverse_cases.federation import publish
from fediverse_cases.services import dicom_files
from fediverse_cases.services.case_errors import CaseError
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Case
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories import dicom as dicom_repo
from fediverse_cases.storage.repositories.audit import record


async def withdraw_consent(db: AsyncSession, state: AppState, case: Case, operator: Operator) -> None:
    if not case.is_local:
        raise CaseError("Only this hospital's own cases can be withdrawn here.", status=403)
    if case.state == CaseState.WITHDRAWN:
        raise CaseError("This case was already withdrawn.", status=409)
    images = await case_repo.list_images(db, case.id)
    media_keys = [image.media_key for image in images if image.media_key]
    media_keys += await dicom_repo.stack_media_keys(db, case.id)
    original_keys = [image.original_key for image in images if image.original_key]
    original_keys += await dicom_files.all_private_keys(db, case.id)
    previous_state = case.state
    await case_repo.purge_case_content(db, case.id)
    now = utcnow()
    case.state = CaseState.WITHDRAWN
    case.caption = ""
    case.content_warning = ""
    case.search_text = ""
    case.review_note = ""
    case.withdrawn_at = now
    case.updated_at = now
    await db.flush()
    record(
        db,
        operator.entry(
            "case.withdraw",
            target_type="case",
            target_id=case.public_id,
            case_id=case.id,
            details={"previous_state": previous_state, "images_removed": len(images)},
        ),
    )
    await publish.case_withdrawn(db, state, case)
    for key in media_keys:
        state.media_store.delete(key)
    for key in original_keys:
        state.private_store.delete(key)
