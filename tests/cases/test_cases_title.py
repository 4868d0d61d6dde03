"""Cases have a title: required in the composer, scanned for identifiers like the caption, shown in
the review queue, on the case page, in lists and notifications, and federated as the Note's
``name``. Driven through the compose, review and case pages and the case's ActivityPub document."""

from __future__ import annotations

import re

from sqlalchemy import select

from fediverse_cases.storage.models import Case

TITLE = "Irregular pigmented lesion"


async def _case(state, public_id: str) -> Case:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        return (await db.execute(select(Case).where(Case.public_id == public_id))).scalar_one()


async def test_a_case_without_a_title_is_not_submitted_and_the_summary_links_the_field(  # type: ignore[no-untyped-def]
    login, people, jpeg, state
) -> None:
    clinician = await login("clinician")
    public_id = await clinician.new_draft(jpeg())
    response = await clinician.save(public_id, title="")
    html = await response.get_data(as_text=True)
    assert response.status_code in (400, 422), response.status_code
    # The error summary at the top lists the problem and links to the field's message.
    summary = html[html.index('id="error-summary"') :]
    assert 'href="#e-title"' in summary and "Title: Give the case a short title." in summary
    assert 'id="e-title"' in html
    assert (await _case(state, public_id)).state == "draft"


async def test_a_title_that_names_the_patient_is_refused_and_marked(login, people, jpeg, state) -> None:  # type: ignore[no-untyped-def]
    clinician = await login("clinician")
    public_id = await clinician.new_draft(jpeg())
    response = await clinician.save(public_id, title="Lesion, DOB 12/03/1961")
    html = await response.get_data(as_text=True)
    assert response.status_code in (400, 422)
    assert 'data-phi-for="title"' in html and "12/03/1961" in html
    assert "Title: This text looks like it contains patient identifiers" in html
    assert (await _case(state, public_id)).state == "draft"


async def test_the_title_is_what_reviewers_readers_and_peers_see(login, submitted, state) -> None:  # type: ignore[no-untyped-def]
    clinician, public_id = await submitted(title=TITLE)
    reviewer = await login("reviewer")
    queue = await (await reviewer.client.get("/review")).get_data(as_text=True)
    assert TITLE in queue
    review_page = await (await reviewer.client.get(f"/review/{public_id}")).get_data(as_text=True)
    assert f"Review: {TITLE}" in review_page
    assert (await reviewer.decide(public_id, "approve")).status_code == 302

    page = await (await clinician.client.get(f"/cases/{public_id}")).get_data(as_text=True)
    assert re.search(rf'<h1 class="case-title" id="case-title">{TITLE}</h1>', page)
    assert f"<title>{TITLE} ·" in page
    feed = await (await clinician.client.get("/feed/local")).get_data(as_text=True)
    assert f'<h3 class="case-title">{TITLE}</h3>' in feed
    notifications = await (await clinician.client.get("/notifications")).get_data(as_text=True)
    assert f'<strong class="notification-case">{TITLE}</strong>' in notifications

    note = await clinician.client.get(f"/cases/{public_id}", headers={"Accept": "application/activity+json"})
    document = await note.get_json()
    assert document["type"] == "Note" and document["name"] == TITLE
