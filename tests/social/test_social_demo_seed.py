"""Demo seeding of sample cases through the real pipeline: published, public, viewable, with a
discussion, and idempotent."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from fediverse_cases.demo.cases import SAMPLES
from fediverse_cases.demo.seed import seed_demo
from fediverse_cases.storage.models import Case, Comment

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


async def _count(state, model) -> int:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        return int((await db.execute(select(func.count()).select_from(model))).scalar_one())


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_demo_seed_publishes_sample_cases_once(client, state) -> None:  # type: ignore[no-untyped-def]
    await seed_demo(state)
    assert await _count(state, Case) == len(SAMPLES)
    comments = await _count(state, Comment)
    assert comments >= 2
    await seed_demo(state)
    assert await _count(state, Case) == len(SAMPLES) and await _count(state, Comment) == comments
    async with state.sessionmaker() as db:
        states = set((await db.execute(select(Case.state, Case.visibility))).all())
    assert states == {("published", "public")}
    home = await (await client.get("/")).get_data(as_text=True)
    public_ids = re.findall(r'id="case-([A-Za-z0-9_-]+)"', home)
    assert len(public_ids) == len(SAMPLES)
    page = await client.get(f"/cases/{public_ids[-1]}")
    assert page.status_code == 200 and "Consent on file" in await page.get_data(as_text=True)
    image_url = re.search(r'<img src="http://cases\.test(/media/[^"]+)"', await page.get_data(as_text=True))
    assert image_url is not None
    assert (await client.get(image_url.group(1))).status_code == 200
