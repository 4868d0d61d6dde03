"""Full-text search over the real database (SQLite FTS5 / PostgreSQL tsvector): caption words and
tags match, unpublished, hidden and withdrawn cases never do, and the index follows edits."""

from __future__ import annotations

import re

from sqlalchemy import delete, update

from fediverse_cases.core.accounts import Role
from fediverse_cases.core.case_access import CaseState, Visibility
from fediverse_cases.storage.models import Case, CaseTag
from tests.support.case_rows import insert_case, minutes_ago
from tests.support.instances import create_account
from tests.support.web import sign_in

CARD = re.compile(r'id="case-([A-Za-z0-9_-]+)"')


async def _search(client, query: str) -> list[str]:  # type: ignore[no-untyped-def]
    response = await client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    return CARD.findall(await response.get_data(as_text=True))


async def test_search_matches_caption_words_and_tags(client, state) -> None:  # type: ignore[no-untyped-def]
    author = await create_account(state, "dr_search", role=Role.PROFESSIONAL, verified=True)
    plaque = await insert_case(
        state,
        author,
        caption="Annular erythematous plaque, forearm",
        tags=("dermatology",),
        published_at=minutes_ago(9),
    )
    lung = await insert_case(
        state,
        author,
        caption="Tension pneumothorax after line insertion",
        tags=("radiology", "icu"),
        published_at=minutes_ago(3),
    )
    assert await _search(client, "pneumothorax") == [lung.public_id]
    assert await _search(client, "Erythematous FOREARM") == [plaque.public_id]
    assert await _search(client, "dermatology") == [plaque.public_id]
    assert await _search(client, "icu") == [lung.public_id]
    assert await _search(client, "pneumo") == [lung.public_id]  # the last word matches as a prefix
    assert await _search(client, "plaque pneumothorax") == []  # every word must match
    assert await _search(client, 'AND OR "NEAR( * -') == []  # operators are plain words, no error
    assert await _search(client, "") == []


async def test_search_never_returns_unpublished_hidden_withdrawn_or_members_only_to_strangers(
    client, state
) -> None:  # type: ignore[no-untyped-def]
    author = await create_account(state, "dr_private", role=Role.PROFESSIONAL, verified=True)
    visible = await insert_case(state, author, caption="zebra finding visible")
    for case_state in (CaseState.DRAFT, CaseState.PENDING, CaseState.REJECTED, CaseState.WITHDRAWN):
        await insert_case(state, author, caption="zebra finding " + case_state, case_state=case_state)
    await insert_case(state, author, caption="zebra finding hidden", hidden=True)
    members = await insert_case(state, author, caption="zebra finding members", visibility=Visibility.LOCAL)
    assert await _search(client, "zebra") == [visible.public_id]
    await create_account(state, "member")
    await sign_in(client, "member")
    assert await _search(client, "zebra") == [members.public_id, visible.public_id]


async def test_search_index_follows_caption_and_tag_changes_and_deletion(client, state) -> None:  # type: ignore[no-untyped-def]
    author = await create_account(state, "dr_edit", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, author, caption="Original caption", tags=("neurology",))
    async with state.transaction() as db:
        await db.execute(update(Case).where(Case.id == case.id).values(caption="Revised subdural haematoma"))
        await db.execute(delete(CaseTag).where(CaseTag.case_id == case.id))
        db.add(CaseTag(case_id=case.id, tag="neurosurgery", is_specialty=True))
    assert await _search(client, "original") == []
    assert await _search(client, "subdural") == [case.public_id]
    assert await _search(client, "neurology") == []
    assert await _search(client, "neurosurgery") == [case.public_id]
    async with state.transaction() as db:
        await db.execute(delete(Case).where(Case.id == case.id))
    assert await _search(client, "subdural") == []


async def test_search_pages_with_a_cursor(client, state) -> None:  # type: ignore[no-untyped-def]
    author = await create_account(state, "dr_pages", role=Role.PROFESSIONAL, verified=True)
    created = [
        await insert_case(state, author, caption=f"sarcoidosis case {i}", published_at=minutes_ago(i))
        for i in range(23)
    ]
    response = await client.get("/search", query_string={"q": "sarcoidosis"})
    page = await response.get_data(as_text=True)
    first = CARD.findall(page)
    next_url = re.search(r'rel="next" href="([^"]+)"', page).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    second = CARD.findall(await (await client.get(next_url)).get_data(as_text=True))
    assert first + second == [case.public_id for case in created]
