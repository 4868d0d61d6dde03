"""Editing a published case: a caption or image-description change waits for the reviewer while
the published version stays; tags and the content warning apply at once; either way peers that
hold the case receive Update(Note), and the replaced version stays in the history."""

from __future__ import annotations

import json

from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.storage.models import AuditEvent, Case, CaseImage, CaseRevision, Delivery
from tests.support.web import post_form


async def _published(login, submitted):  # type: ignore[no-untyped-def]
    clinician, public_id = await submitted()
    reviewer = await login("reviewer")
    assert (await reviewer.decide(public_id, "approve")).status_code == 302
    return clinician, reviewer, public_id


async def _case(state) -> Case:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        return (await db.execute(select(Case))).scalar_one()


async def _edit(pipeline, public_id: str, **fields: str):  # type: ignore[no-untyped-def]
    page = f"/cases/{public_id}/edit"
    form = await (await pipeline.client.get(page)).get_data(as_text=True)
    assert 'id="edit-form"' in form
    return await post_form(pipeline.client, page, fields, page=page)


async def _updates(state, ap_id: str) -> list[dict]:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        rows = await db.execute(
            select(Delivery.payload).where(Delivery.object_id == ap_id, Delivery.activity_type == "Update")
        )
        return [json.loads(payload) for payload in rows.scalars()]


async def test_a_caption_edit_waits_for_review_then_reaches_followers(
    login, submitted, state, remote_follower
) -> None:  # type: ignore[no-untyped-def]
    clinician, reviewer, public_id = await _published(login, submitted)
    before = (await _case(state)).caption
    response = await _edit(clinician, public_id, caption="Annular plaque; KOH positive on scraping")
    assert response.status_code == 302
    case = await _case(state)
    assert case.caption == before  # the published version stays
    assert await _updates(state, case.ap_id) == []
    queue = await (await reviewer.client.get("/review")).get_data(as_text=True)
    assert f"/review/edits/{public_id}" in queue
    compare = await (await reviewer.client.get(f"/review/edits/{public_id}")).get_data(as_text=True)
    assert "KOH positive on scraping" in compare and before[:20] in compare
    await post_form(
        reviewer.client,
        f"/review/edits/{public_id}",
        {"decision": "approve"},
        page=f"/review/edits/{public_id}",
    )
    case = await _case(state)
    assert case.caption == "Annular plaque; KOH positive on scraping"
    [update] = await _updates(state, case.ap_id)
    assert update["type"] == "Update" and update["object"]["id"] == case.ap_id
    assert "KOH positive" in update["object"]["content"] and update["object"]["updated"]
    history = await (await clinician.client.get(f"/cases/{public_id}/edit")).get_data(as_text=True)
    assert 'id="edit-history"' in history and before[:20] in history


async def test_a_tag_only_edit_applies_at_once(login, submitted, state, remote_follower) -> None:  # type: ignore[no-untyped-def]
    clinician, _reviewer, public_id = await _published(login, submitted)
    case = await _case(state)
    response = await _edit(clinician, public_id, caption=case.caption, free_tags="#tinea #koh")
    assert response.status_code == 302
    [update] = await _updates(state, case.ap_id)
    names = {tag["name"] for tag in update["object"]["tag"]}
    assert {"#tinea", "#koh"} <= names
    async with state.sessionmaker() as db:
        actions = list((await db.execute(select(AuditEvent.action))).scalars())
        states = list((await db.execute(select(CaseRevision.state))).scalars())
    assert "case.edit" in actions and states == ["applied"]


async def test_an_edit_with_identifiers_is_refused_and_marked(login, submitted, state) -> None:  # type: ignore[no-untyped-def]
    clinician, _reviewer, public_id = await _published(login, submitted)
    response = await _edit(clinician, public_id, caption="Seen in Mary Jones, 12 Elm Street")
    assert response.status_code == 422
    async with state.sessionmaker() as db:
        assert list((await db.execute(select(CaseRevision))).scalars()) == []


async def test_a_rejected_edit_leaves_the_case_and_tells_the_author(login, submitted, state, people) -> None:  # type: ignore[no-untyped-def]
    clinician, reviewer, public_id = await _published(login, submitted)
    before = (await _case(state)).caption
    await _edit(clinician, public_id, caption="A different caption entirely")
    await post_form(
        reviewer.client,
        f"/review/edits/{public_id}",
        {"decision": "reject", "reason": "changes the diagnosis without evidence"},
        page=f"/review/edits/{public_id}",
    )
    assert (await _case(state)).caption == before
    notices = await (await clinician.client.get("/notifications")).get_data(as_text=True)
    assert "changes the diagnosis without evidence" in notices


async def test_only_the_author_edits(login, submitted, state) -> None:  # type: ignore[no-untyped-def]
    from tests.support.instances import create_account

    _clinician, _reviewer, public_id = await _published(login, submitted)
    await create_account(state, "someone_else", role=Role.PROFESSIONAL, verified=True)
    other = await login("someone_else")
    assert (await other.client.get(f"/cases/{public_id}/edit")).status_code == 404


async def test_an_image_description_edit_leaves_only_after_review(
    login, submitted, state, remote_follower
) -> None:  # type: ignore[no-untyped-def]
    """FEDERATION.md, PHI guarantees: edits of image descriptions "leave only after the reviewer
    approves them" (no Update before, the new description in the Update after)."""
    clinician, reviewer, public_id = await _published(login, submitted)
    case = await _case(state)
    async with state.sessionmaker() as db:
        [image] = (await db.execute(select(CaseImage).where(CaseImage.case_id == case.id))).scalars()
    before = image.alt_text
    new_alt = "Dermoscopy view, scaling border at the lower edge"
    response = await _edit(clinician, public_id, caption=case.caption, **{f"alt_{image.id}": new_alt})
    assert response.status_code == 302
    assert await _updates(state, case.ap_id) == []
    async with state.sessionmaker() as db:
        assert (await db.get(CaseImage, image.id)).alt_text == before  # type: ignore[union-attr]
    await post_form(
        reviewer.client,
        f"/review/edits/{public_id}",
        {"decision": "approve"},
        page=f"/review/edits/{public_id}",
    )
    [update] = await _updates(state, case.ap_id)
    assert [attachment["name"] for attachment in update["object"]["attachment"]] == [new_alt]
