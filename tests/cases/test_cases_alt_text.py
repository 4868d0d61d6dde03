"""Image descriptions (alt text) before submit: by default the composer submits and warns about
each undescribed image, as Mastodon does; with ``[uploads] require_alt_text`` the case is not
submitted until every image is described. Through the compose page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from fediverse_cases.storage.models import Case


async def _state_of(state, public_id: str) -> str:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        return (await db.execute(select(Case.state).where(Case.public_id == public_id))).scalar_one()


async def test_an_undescribed_image_is_submitted_with_a_warning(login, people, jpeg, state) -> None:  # type: ignore[no-untyped-def]
    clinician = await login("clinician")
    public_id = await clinician.new_draft(jpeg())
    page = await (await clinician.client.get(f"/compose/{public_id}")).get_data(as_text=True)
    blank_alts = {name: "" for name in re.findall(r'name="(alt_\d+)"', page)}
    response = await clinician.save(public_id, **blank_alts)
    assert response.status_code == 302
    assert await _state_of(state, public_id) == "pending"
    after = await (await clinician.client.get(response.headers["Location"])).get_data(as_text=True)
    assert "Image 1 has no description" in after


class TestRequiredDescriptions:
    @pytest.fixture
    def settings_overrides(self) -> dict:
        return {"uploads": {"require_alt_text": True}}

    async def test_an_undescribed_image_stops_the_submit(self, login, people, jpeg, state) -> None:  # type: ignore[no-untyped-def]
        clinician = await login("clinician")
        public_id = await clinician.new_draft(jpeg())
        page = await (await clinician.client.get(f"/compose/{public_id}")).get_data(as_text=True)
        [alt] = re.findall(r'name="(alt_\d+)"', page)
        response = await clinician.save(public_id, **{alt: ""})
        html = await response.get_data(as_text=True)
        assert response.status_code in (400, 422)
        assert f'href="#e-{alt}"' in html and "Describe image 1 for colleagues who cannot see it." in html
        assert await _state_of(state, public_id) == "draft"
        # Described, it goes through.
        response = await clinician.save(public_id, **{alt: "Dark lesion on the forearm"})
        assert response.status_code == 302 and await _state_of(state, public_id) == "pending"
