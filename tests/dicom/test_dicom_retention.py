"""The private DICOM files follow the hospital's retention rules: the original instances go when the
case is approved (delete_at_publication), everything goes when consent is withdrawn, and removing
the series' image from a draft removes its files."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.services.compose import (
    CaseDetails,
    ConsentInput,
    record_consent,
    save_details,
    submit_case,
)
from fediverse_cases.services.operator import Operator
from fediverse_cases.storage.models import Case, DicomSeries
from tests.dicom.test_stow_rs import modality_token, private_files, stow
from tests.support.dicom_studies import dicom_parts, make_study
from tests.support.instances import create_account
from tests.support.jobs import run_deid_jobs
from tests.support.web import csrf_token, post_form, sign_in

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def _received(client, state):  # type: ignore[no-untyped-def]
    token = await modality_token(state)
    response = await stow(client, token, dicom_parts(make_study(3, size=256, burned=False).instances))
    assert response.status_code == 200, await response.get_json()
    assert await run_deid_jobs(state) == 1  # the series' stack
    async with state.sessionmaker() as db:
        series = (await db.scalars(select(DicomSeries))).one()
        case = await db.get(Case, series.case_id)
    return case, series


async def _submitted(state, case) -> None:  # type: ignore[no-untyped-def]
    """The clinician's part (caption, consent, submit), done through the services as setup."""
    async with state.transaction() as db:
        fresh = await db.get(Case, case.id)
        await save_details(db, fresh, CaseDetails(caption="Incidental finding on a chest scan."))
        await record_consent(
            db,
            state,
            fresh,
            ConsentInput("institutional_waiver", date.today().isoformat(), "the author"),
            None,
        )
        await submit_case(db, state, fresh, Operator.system())


async def test_approval_deletes_the_original_instances_and_withdrawal_the_rest(client, state) -> None:  # type: ignore[no-untyped-def]
    case, series = await _received(client, state)
    await _submitted(state, case)
    await create_account(state, "rev", role=Role.REVIEWER, verified=True)
    await sign_in(client, "rev")
    approved = await client.post(
        f"/review/{case.public_id}",
        form={"decision": "approve", "csrf_token": await csrf_token(client, f"/review/{case.public_id}")},
    )
    assert approved.status_code == 302
    assert all(state.private_store.read(key) is None for key in series.original_keys)
    assert state.private_store.read(series.derivative_key) is not None
    async with state.sessionmaker() as db:
        assert (await db.scalars(select(DicomSeries))).one().original_keys == []

    withdrawn = await post_form(
        client,
        f"/cases/{case.public_id}/withdraw",
        {"confirm": "withdraw"},
        page=f"/cases/{case.public_id}/withdraw",
    )
    assert withdrawn.status_code == 302
    assert state.private_store.read(series.derivative_key) is None
    assert private_files(state) == []


async def test_removing_the_series_image_from_the_draft_removes_its_files(client, state) -> None:  # type: ignore[no-untyped-def]
    case, series = await _received(client, state)
    await sign_in(client, "dr_ada")
    removed = await post_form(
        client,
        f"/compose/{case.public_id}/images/{series.case_image_id}/delete",
        {},
        page=f"/compose/{case.public_id}",
    )
    assert removed.status_code in (200, 302, 303)
    assert private_files(state) == []
    async with state.sessionmaker() as db:
        assert (await db.scalars(select(DicomSeries))).all() == []


async def test_a_redaction_rerun_keeps_the_dicom_record_on_the_page(client, state) -> None:  # type: ignore[no-untyped-def]
    case, series = await _received(client, state)
    await sign_in(client, "dr_ada")
    page = f"/compose/{case.public_id}"
    rerun = await post_form(
        client,
        f"{page}/images/{series.case_image_id}/redact",
        {"regions": '[{"x": 10, "y": 10, "w": 40, "h": 20}]', "crop": "null"},
        page=page,
    )
    assert rerun.status_code == 302
    assert await run_deid_jobs(state) == 1  # the re-run is a de-identification job
    html = await (await client.get(page)).get_data(as_text=True)
    assert "Patient Identity Removed: YES" in html and "1 box(es) you drew" in html
