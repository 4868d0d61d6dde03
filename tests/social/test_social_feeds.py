"""Feeds over the real database: local (home), following, tag, person and specialties; only
published visible cases, newest first, cursor pagination; local follows."""

from __future__ import annotations

import re

from fediverse_cases.core.accounts import Role
from fediverse_cases.core.case_access import CaseState, Visibility
from tests.support.case_rows import insert_case, minutes_ago
from tests.support.instances import create_account
from tests.support.web import post_form, sign_in

CARD = re.compile(r'id="case-([A-Za-z0-9_-]+)"')


async def _cards(client, path: str) -> tuple[list[str], str]:  # type: ignore[no-untyped-def]
    response = await client.get(path)
    assert response.status_code == 200, path
    page = await response.get_data(as_text=True)
    return CARD.findall(page), page


async def test_local_feed_shows_only_published_visible_cases_newest_first(client, state) -> None:  # type: ignore[no-untyped-def]
    author = await create_account(state, "dr_feed", role=Role.PROFESSIONAL, verified=True)
    older = await insert_case(state, author, caption="older", published_at=minutes_ago(30))
    newer = await insert_case(state, author, caption="newer", published_at=minutes_ago(5))
    members = await insert_case(
        state, author, caption="members", visibility=Visibility.LOCAL, published_at=minutes_ago(1)
    )
    for unseen in (CaseState.DRAFT, CaseState.PENDING, CaseState.REJECTED, CaseState.WITHDRAWN):
        await insert_case(state, author, caption=unseen, case_state=unseen)
    await insert_case(state, author, caption="hidden one", hidden=True)
    anonymous, _page = await _cards(client, "/feed/local")
    assert anonymous == [newer.public_id, older.public_id]
    home, _page = await _cards(client, "/")
    assert home == [newer.public_id, older.public_id]
    await create_account(state, "member")
    await sign_in(client, "member")
    signed_in, page = await _cards(client, "/feed/local")
    assert signed_in == [members.public_id, newer.public_id, older.public_id]
    assert "hidden one" not in page and "pending" not in page


async def test_cursor_pages_through_everything_once_and_past_the_end_is_empty(client, state) -> None:  # type: ignore[no-untyped-def]
    author = await create_account(state, "dr_many", role=Role.PROFESSIONAL, verified=True)
    same_moment = minutes_ago(10)
    created = [
        await insert_case(state, author, caption=f"case {i}", published_at=same_moment) for i in range(12)
    ]
    created += [
        await insert_case(state, author, caption=f"case {i}", published_at=minutes_ago(20 + i))
        for i in range(13)
    ]
    seen: list[str] = []
    path = "/feed/local"
    pages = 0
    while path:
        ids, page = await _cards(client, path)
        seen += ids
        pages += 1
        match = re.search(r'rel="next" href="([^"]+)"', page)
        path = match.group(1).replace("&amp;", "&") if match else ""
    assert pages == 2 and len(seen) == 25 and set(seen) == {case.public_id for case in created}
    last_cursor = "1.1"  # before the start of time: an empty page, not an error
    ids, page = await _cards(client, f"/feed/local?before={last_cursor}")
    assert ids == [] and "No cases here yet" in page
    assert (await client.get("/feed/local?before=garbage")).status_code == 400


async def test_tag_feed_and_specialties_index(client, state) -> None:  # type: ignore[no-untyped-def]
    author = await create_account(state, "dr_tags", role=Role.PROFESSIONAL, verified=True)
    skin = await insert_case(state, author, tags=("dermatology", "psoriasis"))
    heart = await insert_case(state, author, tags=("cardiology",), specialties=("cardiology",))
    await insert_case(
        state, author, tags=("cardiology",), specialties=("cardiology",), case_state=CaseState.PENDING
    )
    assert (await _cards(client, "/tags/dermatology"))[0] == [skin.public_id]
    assert (await _cards(client, "/tags/Psoriasis"))[0] == [skin.public_id]
    assert (await _cards(client, "/tags/cardiology"))[0] == [heart.public_id]
    assert (await _cards(client, "/tags/nothing"))[0] == []
    page = await (await client.get("/specialties")).get_data(as_text=True)
    assert 'href="/tags/cardiology"' in page and "1 case" in page and 'href="/tags/psoriasis"' not in page


async def test_follow_fills_the_following_feed_and_unfollow_empties_it(client, state) -> None:  # type: ignore[no-untyped-def]
    followed = await create_account(state, "dr_followed", role=Role.PROFESSIONAL, verified=True)
    other = await create_account(state, "dr_other", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "reader")
    theirs = await insert_case(state, followed, visibility=Visibility.FOLLOWERS)
    await insert_case(state, other)
    assert (await client.get("/feed/following")).status_code == 302  # sign in first
    await sign_in(client, "reader")
    assert (await _cards(client, "/feed/following"))[0] == []
    profile = await (await client.get("/users/dr_followed")).get_data(as_text=True)
    assert "Follow" in profile and theirs.public_id in profile
    response = await post_form(client, "/users/dr_followed/follow", {}, page="/users/dr_followed")
    assert response.status_code == 302
    assert (await _cards(client, "/feed/following"))[0] == [theirs.public_id]
    assert "Unfollow" in await (await client.get("/users/dr_followed")).get_data(as_text=True)
    await post_form(client, "/users/dr_followed/unfollow", {}, page="/users/dr_followed")
    assert (await _cards(client, "/feed/following"))[0] == []
    assert (await post_form(client, "/users/nobody_here/follow", {}, page="/")).status_code == 404


async def test_person_cases_page_lists_only_their_visible_cases(client, state) -> None:  # type: ignore[no-untyped-def]
    author = await create_account(state, "dr_person", role=Role.PROFESSIONAL, verified=True)
    other = await create_account(state, "dr_else", role=Role.PROFESSIONAL, verified=True)
    mine = await insert_case(state, author)
    await insert_case(state, author, case_state=CaseState.PENDING)
    await insert_case(state, other)
    assert (await _cards(client, "/users/dr_person/cases"))[0] == [mine.public_id]
    assert (await client.get("/users/ghost/cases")).status_code == 404


async def test_a_tag_link_with_a_trailing_slash_reaches_the_tag_feed(client) -> None:  # type: ignore[no-untyped-def]
    """Takahē links hashtags as /tags/<name>/ (seen in its captured Notes)."""
    response = await client.get("/tags/dermatology/?cursor=")
    assert response.status_code == 301 and response.headers["Location"] == "/tags/dermatology?cursor="
    assert (await client.get(response.headers["Location"])).status_code == 200
