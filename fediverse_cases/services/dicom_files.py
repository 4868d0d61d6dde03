"""The private files of received DICOM series (and the shared frames of their stacks, which go
with the image or the case: ``storage.repositories.dicom.stack_media_keys``) follow the case's originals: the original instances
go at publication when ``[uploads] original_retention = "delete_at_publication"`` (the derivative
is de-identified and stays), and everything goes when the case is withdrawn or the image removed.

Callers collect the keys inside their transaction and delete the files after it, as they do for
their own originals (a rolled-back transaction must not have lost files)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.services.state import AppState
from fediverse_cases.storage.repositories import dicom as dicom_repo

# Key of the PS3.15 record inside a case image's ``deid_report`` (the pages read it there).
RECORD_KEY = "dicom_deidentification"


def keep_record(old_report: dict, new_report: dict) -> dict:
    """A re-run of the engine (the redaction editor) writes a new report: the header record stays."""
    return {**new_report, RECORD_KEY: old_report[RECORD_KEY]} if RECORD_KEY in old_report else new_report


async def delete_originals_at_publication(db: AsyncSession, state: AppState, case_id: int) -> None:
    for row in await dicom_repo.list_series(db, case_id):
        for key in row.original_keys:
            state.private_store.delete(key)
        row.original_keys = []


async def all_private_keys(db: AsyncSession, case_id: int, image_id: int | None = None) -> list[str]:
    """Originals and derivatives of the case's series (of one image's, with ``image_id``)."""
    keys: list[str] = []
    for row in await dicom_repo.list_series(db, case_id):
        if image_id is None or row.case_image_id == image_id:
            keys.extend([*row.original_keys, row.derivative_key, *row.derivative_keys])
    return [key for key in keys if key]
