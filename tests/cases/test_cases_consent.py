"""Consent scope and the patient's own copy, through the real pages: the compose page defaults to
the narrowest audience and refuses a visibility wider than the consent; widening a published case
needs a new consent; the printed consent form (parsed back, QR decoded) carries the hospital, the
audience, the withdrawal instructions and a code that the withdrawal page accepts (with the date
of birth), rate-limited and audited, until a reprint replaces it."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from fediverse_cases.storage.models import AuditEvent, Case, Consent
from tests.support.consent_forms import read_consent_form
from tests.support.web import csrf_token

DOB = "1961-04-23"


@pytest.fixture
def settings_overrides() -> dict:
    return {"withdrawal": {"attempts": 4}}


async def _case(state, public_id: str) -> tuple[Case, Consent | None]:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        case = (await db.execute(select(Case).where(Case.public_id == public_id))).scalar_one()
        consent = (await db.execute(select(Consent).where(Consent.case_id == case.id))).scalar_one_or_none()
    return case, consent


async def _audit(state, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        return list((await db.execute(select(AuditEvent).where(AuditEvent.action == action))).scalars())


def _checked(html: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="(\w+)" checked', html)


async def test_compose_defaults_to_narrowest_and_refuses_wider_than_consent(
    login, people, jpeg, state
) -> None:  # type: ignore[no-untyped-def]
    clinician = await login("clinician")
    public_id = await clinician.new_draft(jpeg())
    html = await (await clinician.client.get(f"/compose/{public_id}")).get_data(as_text=True)
    assert _checked(html, "visibility") == ["local"] and _checked(html, "consent_audience") == ["local"]

    wider = await clinician.save(public_id, visibility="public", consent_audience="followers")
    assert wider.status_code == 422
    page = await wider.get_data(as_text=True)
    assert "The patient agreed to “this hospital and peer hospitals” only" in page
    case, consent = await _case(state, public_id)
    assert case.state == "draft" and case.visibility == "local" and consent is None  # rolled back

    within = await clinician.save(public_id, visibility="followers", consent_audience="followers")
    assert within.status_code == 302
    case, consent = await _case(state, public_id)
    assert case.state == "pending" and case.visibility == "followers" and consent.audience == "followers"


async def test_widening_a_published_case_needs_a_new_consent(login, submitted, state) -> None:  # type: ignore[no-untyped-def]
    clinician, public_id = await submitted(visibility="local", consent_audience="local")
    reviewer = await login("reviewer")
    assert (await reviewer.decide(public_id, "approve")).status_code == 302
    page = f"/compose/{public_id}/audience"
    assert "This hospital only" in await (await clinician.client.get(page)).get_data(as_text=True)

    async def change(**fields: str):  # type: ignore[no-untyped-def]
        token = await csrf_token(clinician.client, page)
        return await clinician.client.post(page, form={**fields, "csrf_token": token})

    refused = await change(visibility="public")
    assert refused.status_code == 422
    assert "needs the patient's new consent" in await refused.get_data(as_text=True)
    assert (await _case(state, public_id))[0].visibility == "local"

    consent_fields = {
        "consent_method": "signed_form",
        "consent_date": date.today().isoformat(),
        "consent_obtained_by": "Dr Second Consent",
    }
    too_narrow = await change(
        visibility="public", new_consent="on", consent_audience="followers", **consent_fields
    )
    assert too_narrow.status_code == 422
    assert (await _case(state, public_id))[0].visibility == "local"

    widened = await change(visibility="public", new_consent="on", consent_audience="public", **consent_fields)
    assert widened.status_code == 302
    case, consent = await _case(state, public_id)
    assert case.visibility == "public" and consent.audience == "public"
    assert consent.obtained_by == "Dr Second Consent"
    # Narrowing needs no new consent.
    assert (await change(visibility="followers")).status_code == 302
    assert (await _case(state, public_id))[0].visibility == "followers"
    changes = [event.details for event in await _audit(state, "case.audience")]
    assert {"from": "local", "to": "public", "new_consent": True} in changes


async def _print(clinician, public_id: str, date_of_birth: str = ""):  # type: ignore[no-untyped-def]
    token = await csrf_token(clinician.client, f"/compose/{public_id}")
    return await clinician.client.post(
        f"/compose/{public_id}/consent-form/print", form={"date_of_birth": date_of_birth, "csrf_token": token}
    )


async def test_consent_form_pdf_and_withdrawal_code(login, submitted, state, app) -> None:  # type: ignore[no-untyped-def]
    clinician, public_id = await submitted(
        action="save", visibility="followers", consent_audience="followers"
    )
    # The withdrawal page checks the date of birth (the default): no form without one on file.
    missing = await _print(clinician, public_id)
    assert missing.status_code == 302 and missing.headers["Content-Type"].startswith("text/html")
    assert (await _case(state, public_id))[1].withdrawal_code_hash == ""

    printed = await _print(clinician, public_id, DOB)
    assert printed.status_code == 200 and printed.headers["Content-Type"] == "application/pdf"
    assert printed.headers["Cache-Control"] == "private, no-store"
    text, code, qr = read_consent_form(await printed.get_data())
    assert "Test General Hospital" in text
    assert "may be seen by doctors and staff of this hospital, and of the other hospitals" in text
    assert "You can withdraw at any time, without giving a reason" in text
    assert "your withdrawal code and your date of birth" in text
    assert "http://cases.test/withdraw" in text
    assert qr == f"http://cases.test/withdraw#code={code}"

    _, consent = await _case(state, public_id)
    assert consent.withdrawal_code_hash and code not in consent.withdrawal_code_hash
    assert consent.check_hash and DOB not in (consent.check_hash + consent.check_salt)
    issued = await _audit(state, "consent.form_printed")
    assert len(issued) == 1 and code not in str(issued[0].details)

    patient = app.test_client()

    async def try_code(code_text: str, check: str):  # type: ignore[no-untyped-def]
        token = await csrf_token(patient, "/withdraw")
        return await patient.post("/withdraw", form={"code": code_text, "check": check, "csrf_token": token})

    # A reprint issues a new code: the old one stops working.
    reprinted = await _print(clinician, public_id)
    _, new_code, _ = read_consent_form(await reprinted.get_data())
    assert new_code != code
    old = await try_code(code, DOB)
    wrong_check = await try_code(new_code, "1961-04-24")
    assert old.status_code == wrong_check.status_code == 403
    assert await old.get_data(as_text=True) == await wrong_check.get_data(as_text=True)
    opened = await try_code(new_code.lower().replace("-", " "), DOB)  # typed loosely: still the code
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/withdraw/case")
    # Four tries per address in the window (the test setting): the fifth is refused, even when right.
    assert (await try_code("ACDE-FGHJ-KMNP-QRTU", DOB)).status_code == 403
    limited = await try_code(new_code, DOB)
    assert limited.status_code == 429
    assert "Too many tries" in await limited.get_data(as_text=True)
    results = [event.details["result"] for event in await _audit(state, "withdrawal_page.open")]
    assert results == ["refused", "refused", "opened", "refused"]
    assert len(await _audit(state, "withdrawal_page.limited")) == 1


async def test_withdrawal_page_shows_peers_and_withdraws(
    login, submitted, state, app, remote_follower
) -> None:  # type: ignore[no-untyped-def]
    clinician, public_id = await submitted(visibility="followers", consent_audience="followers")
    reviewer = await login("reviewer")
    assert (await reviewer.decide(public_id, "approve")).status_code == 302
    _, code, _ = read_consent_form(await (await _print(clinician, public_id, DOB)).get_data())

    patient = app.test_client()
    token = await csrf_token(patient, "/withdraw")
    opened = await patient.post("/withdraw", form={"code": code, "check": DOB, "csrf_token": token})
    assert opened.status_code == 302
    page = await (await patient.get("/withdraw/case")).get_data(as_text=True)
    assert 'data-peer="remote.example"' in page and "This hospital and peer hospitals" in page
    assert "Pigmented lesion" not in page and public_id not in page  # nothing identifying the case

    token = await csrf_token(patient, "/withdraw/case")
    withdrawn = await patient.post("/withdraw/case", form={"csrf_token": token})
    assert withdrawn.status_code == 302
    page = await (await patient.get("/withdraw/case")).get_data(as_text=True)
    assert 'id="withdrawn"' in page and "Your case has been withdrawn" in page
    assert 'id="withdraw"' not in page  # nothing left to press
    assert (await clinician.client.get(f"/cases/{public_id}")).status_code == 410
    assert "Delete" in await remote_follower.activities((await _case(state, public_id))[0].ap_id)
    withdrawals = await _audit(state, "case.withdraw")
    assert [event.actor_label for event in withdrawals] == ["patient-withdrawal-page"]
    assert len(await _audit(state, "withdrawal_page.view")) == 3  # each look: two before, one after


async def test_audience_changes_reach_the_peers(login, submitted, state, remote_follower) -> None:  # type: ignore[no-untyped-def]
    """Widening out of "this hospital only" sends the case; narrowing back deletes it there."""
    clinician, public_id = await submitted(visibility="local", consent_audience="followers")
    reviewer = await login("reviewer")
    assert (await reviewer.decide(public_id, "approve")).status_code == 302
    ap_id = (await _case(state, public_id))[0].ap_id
    assert await remote_follower.activities(ap_id) == []
    page = f"/compose/{public_id}/audience"
    for visibility in ("followers", "local"):
        token = await csrf_token(clinician.client, page)
        changed = await clinician.client.post(page, form={"visibility": visibility, "csrf_token": token})
        assert changed.status_code == 302
    assert await remote_follower.activities(ap_id) == ["Create", "Delete"]
