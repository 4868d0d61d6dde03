"""The feed repository picks a plan by candidate size (a tag's cases, search matches, the people
followed); every plan must give the same pages: listable cases only, newest first, each once."""

from __future__ import annotations

import re

import pytest

from fediverse_cases.core.accounts import Role
from fediverse_cases.core.case_access import CaseState, Visibility
from fediverse_cases.storage.repositories import feeds as feed_repo
from tests.support.case_rows import insert_case, minutes_ago
from tests.support.instances import create_account
from tests.support.web import post_form, sign_in

CARD = re.compile(r'id="case-([A-Za-z0-9_-]+)"')
NEXT = re.compile(r'rel="next" href="([^"]+)"')


async def _all_pages(client, path: str) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    while path:
        response = await client.get(path)
        assert response.status_code == 200, path
        page = await response.get_data(as_text=True)
        seen += CARD.findall(page)
        match = NEXT.search(page)
        path = match.group(1).replace("&amp;", "&") if match else ""
    return seen


async def _tagged_cases(state, author) -> list:  # type: ignore[no-untyped-def]
    """25 listable #radiology cases (pages of 20: two pages, ties on published_at) and decoys."""
    same_moment = minutes_ago(3)
    shown = [
        await insert_case(
            state, author, caption=f"pneumothorax {i}", tags=("radiology",), published_at=same_moment
        )
        for i in range(5)
    ]
    shown += [
        await insert_case(
            state, author, caption=f"pneumothorax {i}", tags=("radiology",), published_at=minutes_ago(10 + i)
        )
        for i in range(20)
    ]
    await insert_case(
        state, author, caption="pneumothorax draft", tags=("radiology",), case_state=CaseState.DRAFT
    )
    await insert_case(state, author, caption="pneumothorax hidden", tags=("radiology",), hidden=True)
    await insert_case(
        state, author, caption="pneumothorax members", tags=("radiology",), visibility=Visibility.LOCAL
    )
    await insert_case(state, author, caption="effusion", tags=("other",), published_at=minutes_ago(1))
    shown.sort(key=lambda case: (case.published_at, case.id), reverse=True)
    return [case.public_id for case in shown]


@pytest.mark.parametrize("small_set", [feed_repo.SMALL_SET, 0], ids=["candidates-first", "feed-index-first"])
async def test_tag_feed_and_search_pages_are_the_same_under_either_plan(
    client, state, monkeypatch, small_set: int
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(feed_repo, "SMALL_SET", small_set)
    author = await create_account(state, "dr_plans", role=Role.PROFESSIONAL, verified=True)
    expected = await _tagged_cases(state, author)
    assert await _all_pages(client, "/tags/radiology") == expected
    assert await _all_pages(client, "/search?q=pneumothorax") == expected
    assert await _all_pages(client, "/search?q=pneumo") == expected
    assert await _all_pages(client, "/tags/nothing-here") == []


@pytest.mark.parametrize("merged", [feed_repo.MAX_MERGED_AUTHORS, 0], ids=["per-author-merge", "feed-index"])
async def test_following_feed_is_the_same_under_either_plan(client, state, monkeypatch, merged: int) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(feed_repo, "MAX_MERGED_AUTHORS", merged)
    authors = [
        await create_account(state, f"dr_followed{i}", role=Role.PROFESSIONAL, verified=True)
        for i in range(3)
    ]
    stranger = await create_account(state, "dr_stranger", role=Role.PROFESSIONAL, verified=True)
    expected = []
    for minute in range(45):
        author = authors[minute % 3] if minute % 4 else stranger
        case = await insert_case(state, author, caption=f"case {minute}", published_at=minutes_ago(minute))
        if author is not stranger:
            expected.append(case.public_id)
    await insert_case(state, authors[0], caption="draft", case_state=CaseState.DRAFT)
    await create_account(state, "reader")
    await sign_in(client, "reader")
    for author in authors:
        response = await post_form(client, f"/users/{author.username}/follow", {}, page="/")
        assert response.status_code == 302
    assert await _all_pages(client, "/feed/following") == expected
