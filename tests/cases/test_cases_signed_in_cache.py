"""Signed-in pages are rendered for their reader, but what they read is kept between requests
(``web/fresh_values.py``): the second load of the home page, the feeds, search and a case page
asks the database nothing (a case page only records its view in the audit log), and every change
made through the real paths shows on the reader's next load: a colleague's comment and its
notification badge, a like, a follow, a newly approved case, a withdrawal, and an administrator
disabling the reader's account."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.storage.models import Case
from tests.cases.test_cases_page_cache import _listed, _page
from tests.support.instances import create_account
from tests.support.statements import counted_statements
from tests.support.web import csrf_token, post_form

PAGES = ("/", "/feed/local", "/tags/melanoma", "/search?q=pigmented", "/feed/following")


async def _post(client, path: str, form_page: str, **form: str):  # type: ignore[no-untyped-def]
    token = await csrf_token(client, form_page)
    return await client.post(path, form={**form, "csrf_token": token})


def _unread(html: str) -> int:
    badge = re.search(r'id="nav-notifications">Notifications(?: <span class="count">(\d+)</span>)?', html)
    assert badge is not None
    return int(badge[1] or 0)


async def test_signed_in_pages_read_nothing_twice_and_show_every_change_at_once(  # type: ignore[no-untyped-def]
    login, submitted, state
) -> None:
    clinician, public_id = await submitted()
    case_path = f"/cases/{public_id}"
    colleague = (await login("colleague")).client
    reviewer = await login("reviewer")

    # Pending: on none of the colleague's pages. Approved on the review page: on them at once
    # (the following feed once they follow the author).
    assert await _listed(colleague, public_id, PAGES) == dict.fromkeys(PAGES, False)
    assert (await reviewer.decide(public_id, "approve")).status_code == 302
    assert await _listed(colleague, public_id, PAGES) == {
        **dict.fromkeys(PAGES, True),
        "/feed/following": False,
    }
    followed = await _post(colleague, "/users/clinician/follow", "/users/clinician")
    assert followed.status_code == 302
    assert (await _listed(colleague, public_id, ("/feed/following",)))["/feed/following"]

    # Loaded again with nothing changed (the follow changed the author's row, which the cards
    # show): no query, only the case view's audit row.
    for path in (*PAGES, case_path):
        await _page(colleague, path)
    with counted_statements(state) as statements:
        for path in (*PAGES, case_path):
            response, html = await _page(colleague, path)
            assert response.status_code == 200 and "Notifications" in html, path
    assert [statement.split()[:3] for statement in statements] == [["INSERT", "INTO", "audit_events"]]

    # The colleague likes the case: their page shows their like and the count at once.
    _response, before = await _page(colleague, case_path)
    assert "0 likes" in before and ">Like</button>" in before
    liked = await _post(colleague, f"{case_path}/like", case_path)
    assert liked.status_code == 302
    _response, after = await _page(colleague, case_path)
    assert "1 like<" in after and ">Unlike</button>" in after

    # The colleague comments: the author's next page shows the comment and the badge counts it.
    _response, author_home = await _page(clinician.client, "/")
    unread = _unread(author_home)
    assert unread >= 1  # the approval, the follow and the like
    _response, author_case = await _page(clinician.client, case_path)
    commented = await _post(
        colleague, f"{case_path}/comments", case_path, content="Dermoscopy would help: look for a network"
    )
    assert commented.status_code == 302
    _response, author_case = await _page(clinician.client, case_path)
    assert "look for a network" in author_case
    _response, author_home = await _page(clinician.client, "/")
    assert _unread(author_home) == unread + 1

    # The author withdraws: the colleague's case page is the tombstone, and the case is on none
    # of their pages.
    withdrawn = await _post(
        clinician.client, f"{case_path}/withdraw", f"{case_path}/withdraw", confirm="withdraw"
    )
    assert withdrawn.status_code == 302
    gone, gone_html = await _page(colleague, case_path)
    assert gone.status_code == 410 and "look for a network" not in gone_html
    assert await _listed(colleague, public_id, PAGES) == dict.fromkeys(PAGES, False)


async def test_a_disabled_account_is_signed_out_on_its_next_request(login, people, state) -> None:  # type: ignore[no-untyped-def]
    colleague = (await login("colleague")).client
    for _ in range(2):  # the second answer comes from the kept account
        response, html = await _page(colleague, "/")
        assert response.status_code == 200 and "Notifications" in html
    await create_account(state, "admin", role=Role.ADMIN)
    admin = (await login("admin")).client
    disabled = await _post(admin, "/admin/users/colleague", "/admin/users", action="disable")
    assert disabled.status_code == 302
    response, html = await _page(colleague, "/")
    assert response.status_code == 200 and "Notifications" not in html and "Sign in" in html
    assert (await colleague.get("/feed/following")).status_code == 302  # to the sign-in page


async def test_signed_in_readers_arriving_together_share_one_load(login, submitted, state) -> None:  # type: ignore[no-untyped-def]
    # After a change to what every signed-in page reads (a newly approved case), the connections
    # open at that moment must not each load it again: a burst of readers costs the database what
    # one reader costs.
    _clinician, first = await submitted()
    _clinician, second = await submitted()
    reviewer = await login("reviewer")
    colleague = (await login("colleague")).client
    await _page(colleague, "/feed/local")

    assert (await reviewer.decide(first, "approve")).status_code == 302
    with counted_statements(state) as one_reader:
        response, html = await _page(colleague, "/feed/local")
    assert response.status_code == 200 and f'id="case-{first}"' in html
    assert one_reader  # the approval changed what the feed shows: it was loaded again

    assert (await reviewer.decide(second, "approve")).status_code == 302
    with counted_statements(state) as burst:
        answers = await asyncio.gather(*(_page(colleague, "/feed/local") for _ in range(16)))
    assert {response.status_code for response, _html in answers} == {200}
    assert len({html for _response, html in answers}) == 1 and f'id="case-{second}"' in answers[0][1]
    assert len(burst) == len(one_reader)


async def test_the_kept_head_of_a_case_page_shows_every_edit_at_once(login, submitted, state) -> None:  # type: ignore[no-untyped-def]
    # The case's head, images, caption and tags are rendered once for all readers and kept
    # (web/case_page_view.py): every edit that shows there must show on a reader's next load.
    clinician, public_id = await submitted()
    reviewer = await login("reviewer")
    assert (await reviewer.decide(public_id, "approve")).status_code == 302
    colleague = (await login("colleague")).client
    case_path, edit_path = f"/cases/{public_id}", f"/cases/{public_id}/edit"
    for _ in range(2):
        _response, html = await _page(colleague, case_path)
    assert ">#koh<" not in html and "Dr Ada Lovelace" not in html
    async with state.sessionmaker() as db:
        caption = (await db.execute(select(Case.caption))).scalar_one()

    # Tags apply at once.
    tagged = await post_form(
        clinician.client, edit_path, {"caption": caption, "free_tags": "#tinea #koh"}, page=edit_path
    )
    assert tagged.status_code == 302
    _response, html = await _page(colleague, case_path)
    assert ">#koh<" in html and ">#tinea<" in html

    # A caption edit shows once the reviewer approves it.
    edited = await post_form(
        clinician.client,
        edit_path,
        {"caption": "Annular plaque; KOH positive on scraping", "free_tags": "#tinea #koh"},
        page=edit_path,
    )
    assert edited.status_code == 302
    _response, html = await _page(colleague, case_path)
    assert "KOH positive on scraping" not in html
    review_path = f"/review/edits/{public_id}"
    approved = await post_form(reviewer.client, review_path, {"decision": "approve"}, page=review_path)
    assert approved.status_code == 302
    _response, html = await _page(colleague, case_path)
    assert "KOH positive on scraping" in html

    # The author's new display name is on the author line.
    renamed = await post_form(
        clinician.client, "/settings/profile", {"display_name": "Dr Ada Lovelace"}, page="/settings/profile"
    )
    assert renamed.status_code in (200, 302)
    _response, html = await _page(colleague, case_path)
    assert re.search(r'class="author"[^>]*>Dr Ada Lovelace</a>', html)


class TestTurnedOff:
    """``[server] signed_in_cache_entries = 0`` (or no document cache, as on several app servers
    sharing one PostgreSQL) keeps nothing: every signed-in page asks the database again."""

    @pytest.fixture(params=["signed_in_cache_entries", "document_cache_entries"])
    def settings_overrides(self, request) -> dict:  # type: ignore[no-untyped-def]
        return {"server": {request.param: 0}}

    async def test_every_signed_in_page_is_loaded_again(self, login, submitted, state) -> None:  # type: ignore[no-untyped-def]
        _clinician, public_id = await submitted()
        reviewer = await login("reviewer")
        assert (await reviewer.decide(public_id, "approve")).status_code == 302
        colleague = (await login("colleague")).client
        for path in ("/feed/local", f"/cases/{public_id}"):
            await _page(colleague, path)
            with counted_statements(state) as statements:
                response, html = await _page(colleague, path)
            assert response.status_code == 200 and f"{public_id}" in html
            assert any(statement.startswith("SELECT") for statement in statements), path


async def test_signed_in_pages_run_nothing_in_a_thread(login, submitted, app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Quart runs a synchronous hook or context processor in a worker thread: a thread hop and a
    # wake-up of the event loop per page. Flask's default context processor, which every
    # blueprint inherits, was one on every render.
    _clinician, public_id = await submitted()
    reader = (await login("colleague")).client
    in_threads: list[str] = []
    run_in_thread = app.sync_to_async

    def recorded(func):  # type: ignore[no-untyped-def]
        in_threads.append(f"{func.__module__}.{func.__qualname__}")
        return run_in_thread(func)

    monkeypatch.setattr(app, "sync_to_async", recorded)
    for path in (*PAGES, f"/cases/{public_id}", "/users/clinician", "/settings"):
        response, _html = await _page(reader, path)
        assert response.status_code in (200, 404), path
    assert in_threads == []
