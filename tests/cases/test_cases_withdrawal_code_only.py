"""``[withdrawal] check = "none"``: the code alone opens the case; no date of birth is asked for
on the compose page, the consent form or the withdrawal page."""

from __future__ import annotations

import pytest

from tests.support.consent_forms import read_consent_form
from tests.support.web import csrf_token


@pytest.fixture
def settings_overrides() -> dict:
    return {"withdrawal": {"check": "none"}}


async def test_code_alone_opens_the_case(submitted, app) -> None:  # type: ignore[no-untyped-def]
    clinician, public_id = await submitted(action="save", visibility="local", consent_audience="local")
    compose_page = await (await clinician.client.get(f"/compose/{public_id}")).get_data(as_text=True)
    assert "consent_date_of_birth" not in compose_page and 'name="date_of_birth"' not in compose_page
    token = await csrf_token(clinician.client, f"/compose/{public_id}")
    printed = await clinician.client.post(
        f"/compose/{public_id}/consent-form/print", form={"csrf_token": token}
    )
    assert printed.status_code == 200
    text, code, _ = read_consent_form(await printed.get_data())
    assert "(nothing else is asked)" in text and "only doctors and staff of this hospital" in text

    patient = app.test_client()
    page = await (await patient.get("/withdraw")).get_data(as_text=True)
    assert 'name="check"' not in page
    token = await csrf_token(patient, "/withdraw")
    opened = await patient.post("/withdraw", form={"code": code, "csrf_token": token})
    assert opened.status_code == 302
    assert 'id="no-peers"' in await (await patient.get("/withdraw/case")).get_data(as_text=True)
