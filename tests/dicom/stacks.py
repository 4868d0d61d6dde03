"""A CT series sent by STOW-RS whose stack job has run: the draft case, its author and its frames."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from fediverse_cases.storage.models import Account, Case, DicomStackImage
from fediverse_cases.storage.repositories.accounts import get_account_by_username
from tests.dicom.test_stow_rs import modality_token, stow
from tests.support.dicom_studies import dicom_parts, make_study
from tests.support.jobs import run_deid_jobs


@dataclass
class StowedStack:
    public_id: str
    author: Account
    case: Case
    soft_tissue: list[DicomStackImage]  # one per slice, in slice order
    every: list[DicomStackImage]  # every slice at every preset


async def stowed_stack(client, state, slices: int) -> StowedStack:  # type: ignore[no-untyped-def]
    """Sends ``slices`` CT instances as dr_ada's modality and runs the stack job."""
    token = await modality_token(state)
    response = await stow(client, token, dicom_parts(make_study(slices, size=256).instances))
    assert response.status_code == 200, await response.get_data(as_text=True)
    public_id = response.headers["Location"].rsplit("/", 1)[1]
    assert await run_deid_jobs(state) == 1
    async with state.sessionmaker() as db:
        author = await get_account_by_username(db, "dr_ada")
        case = await db.scalar(select(Case).where(Case.public_id == public_id))
        soft = (
            await db.scalars(
                select(DicomStackImage)
                .where(DicomStackImage.preset == "soft_tissue")
                .order_by(DicomStackImage.frame)
            )
        ).all()
        every = (await db.scalars(select(DicomStackImage))).all()
    assert author is not None and case is not None
    return StowedStack(public_id, author, case, list(soft), list(every))
