"""Leak tests: a case that is not approved (pending, sent back, rejected) or was withdrawn must
not show up anywhere for anyone but its author and reviewers — not its page, its ActivityPub JSON,
any media variant, the feeds, search or tag pages — for anonymous visitors, viewers or other
professionals. A published control case proves each check can see a case when it should."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fediverse_cases.storage.models import Case, CaseImage
from tests.support.web import csrf_token

MARKER = "zebrafinchmarker"
CAPTION_WORDS = "Unusual lesion"


async def _media_urls(state, case_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        images = (await db.execute(select(CaseImage).where(CaseImage.case_id == case_id))).scalars()
        return [
            f"/media/{i.media_key}-{v}{'.jpg' if i.media_type == 'image/jpeg' else '.png'}"
            for i in images
            for v in ("full", "display", "thumb")
        ]


async def _get_case(state, public_id: str) -> Case:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        return (await db.execute(select(Case).where(Case.public_id == public_id))).scalar_one()


async def _everything_visible(person, public_id: str, media: list[str]) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """What this person can learn about the case from every public surface."""
    seen: dict[str, object] = {}
    page = await person.client.get(f"/cases/{public_id}")
    seen["page"] = page.status_code == 200 and MARKER in await page.get_data(as_text=True)
    as_json = await person.client.get(f"/cases/{public_id}", headers={"Accept": "application/activity+json"})
    seen["json"] = as_json.status_code == 200 and MARKER in await as_json.get_data(as_text=True)
    for path in ("/", "/feed/local", f"/search?q={MARKER}", f"/tags/{MARKER}tag"):
        body = await (await person.client.get(path)).get_data(as_text=True)
        # search and tag pages echo the query, so look for the caption's words and the case id
        seen[path] = CAPTION_WORDS in body or public_id in body
    seen["media"] = [(await person.client.get(url)).status_code for url in media]
    return seen


NOTHING = {
    "page": False,
    "json": False,
    "/": False,
    "/feed/local": False,
    f"/search?q={MARKER}": False,
    f"/tags/{MARKER}tag": False,
}


@pytest.mark.parametrize("outcome", ["pending", "changes", "reject", "withdrawn"])
async def test_unapproved_or_withdrawn_case_leaks_nowhere(login, submitted, state, outcome) -> None:  # type: ignore[no-untyped-def]
    clinician, public_id = await submitted(
        caption=f"Unusual lesion {MARKER}, thoughts?", free_tags=f"#{MARKER}tag"
    )
    case = await _get_case(state, public_id)
    media = await _media_urls(state, case.id)
    assert len(media) == 3
    reviewer = await login("reviewer")
    if outcome in ("changes", "reject"):
        assert (await reviewer.decide(public_id, outcome, "Not yet.")).status_code == 302
    if outcome == "withdrawn":
        token = await csrf_token(clinician.client, f"/cases/{public_id}/withdraw")
        response = await clinician.client.post(
            f"/cases/{public_id}/withdraw", form={"confirm": "withdraw", "csrf_token": token}
        )
        assert response.status_code == 302
    for username in (None, "viewer", "colleague"):
        seen = await _everything_visible(await login(username), public_id, media)
        assert seen == {**NOTHING, "media": [404, 404, 404]}, (username, seen)
    if outcome != "withdrawn":
        # the author and reviewers still see it (so the checks above are not vacuous)
        for person in (clinician, reviewer):
            assert [(await person.client.get(url)).status_code for url in media] == [200, 200, 200]


async def test_published_control_case_is_visible_everywhere(login, submitted, state) -> None:  # type: ignore[no-untyped-def]
    _, public_id = await submitted(caption=f"Unusual lesion {MARKER}, thoughts?", free_tags=f"#{MARKER}tag")
    reviewer = await login("reviewer")
    assert (await reviewer.decide(public_id, "approve")).status_code == 302
    media = await _media_urls(state, (await _get_case(state, public_id)).id)
    seen = await _everything_visible(await login(None), public_id, media)
    assert seen["page"] and seen["/feed/local"] and seen[f"/search?q={MARKER}"] and seen[f"/tags/{MARKER}tag"]
    assert seen["media"] == [200, 200, 200]
