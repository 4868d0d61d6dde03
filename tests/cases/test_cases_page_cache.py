"""Pages for visitors without a session come from the document cache (no database work when
fresh, ETag and 304), and change the moment what they show changes through the real paths: a
reviewer's approval puts the case on the home page, feeds and search; a colleague's comment shows
on the case page; a withdrawal turns the case page into its tombstone and takes the case off every
list at once. Anyone with a cookie gets a page rendered for them, never the visitors' copy."""

from __future__ import annotations

import asyncio
import re

from tests.support.statements import counted_statements
from tests.support.web import csrf_token

LISTS = ("/", "/feed/local", "/tags/melanoma", "/search?q=pigmented", "/users/clinician/cases")


async def _page(client, path: str):  # type: ignore[no-untyped-def]
    response = await client.get(path, headers={"Accept": "text/html"})
    return response, await response.get_data(as_text=True)


async def _listed(client, public_id: str, paths: tuple[str, ...] = LISTS) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    """Which of ``paths`` list the case, as ``client`` sees them."""
    shown = {}
    for path in paths:
        response, html = await _page(client, path)
        assert response.status_code == 200, path
        shown[path] = f'id="case-{public_id}"' in html
    return shown


async def test_visitor_pages_are_cached_and_follow_approval_comments_and_withdrawal(  # type: ignore[no-untyped-def]
    login, submitted, state
) -> None:
    clinician, public_id = await submitted()
    visitor = (await login(None)).client
    case_path = f"/cases/{public_id}"

    # Before review: on no list, and the case page is not there for a visitor.
    assert await _listed(visitor, public_id) == dict.fromkeys(LISTS, False)
    assert (await _page(visitor, case_path))[0].status_code == 404

    # The reviewer approves on the review page: every cached list shows the case at once.
    reviewer = await login("reviewer")
    assert (await reviewer.decide(public_id, "approve")).status_code == 302
    assert await _listed(visitor, public_id) == dict.fromkeys(LISTS, True)

    first, first_html = await _page(visitor, case_path)
    assert first.status_code == 200 and "Pigmented lesion on the forearm" in first_html
    assert first.headers["Cache-Control"] == "no-cache" and first.headers["ETag"].startswith('"')
    with counted_statements(state) as statements:
        for path in (case_path, *LISTS):
            again, _html = await _page(visitor, path)
            twice, _html = await _page(visitor, path)  # the second is answered before Quart
            assert again.status_code == twice.status_code == 200, path
            assert twice.headers["ETag"] == again.headers["ETag"]
    assert statements == []
    revalidated = await visitor.get(case_path, headers={"If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304

    # A signed-in clinician is never handed the visitors' copy (their name is in the menu).
    _response, clinician_html = await _page(clinician.client, case_path)
    assert "Notifications" in clinician_html
    assert "Notifications" not in first_html

    # A colleague comments through the case page's form: the visitor sees it on the next load.
    colleague = await login("colleague")
    posted = await colleague.client.post(
        f"{case_path}/comments",
        form={
            "content": "Dermoscopy would help: look for an atypical network",
            "csrf_token": await csrf_token(colleague.client, case_path),
        },
    )
    assert posted.status_code == 302
    _response, with_comment = await _page(visitor, case_path)
    assert "atypical network" in with_comment

    # The author withdraws on the withdrawal page: tombstone and off every list, at once.
    token = await csrf_token(clinician.client, f"{case_path}/withdraw")
    withdrawn = await clinician.client.post(
        f"{case_path}/withdraw", form={"confirm": "withdraw", "csrf_token": token}
    )
    assert withdrawn.status_code == 302
    gone, gone_html = await _page(visitor, case_path)
    assert gone.status_code == 410
    assert "Pigmented lesion" not in gone_html and "atypical network" not in gone_html
    assert await _listed(visitor, public_id) == dict.fromkeys(LISTS, False)


async def test_a_page_that_sets_a_cookie_is_not_cached_for_the_next_visitor(login) -> None:  # type: ignore[no-untyped-def]
    # The sign-in page puts a CSRF token in a new session: each visitor must get their own.
    first, second = (await login(None)).client, (await login(None)).client
    tokens = []
    for visitor in (first, second):
        _response, html = await _page(visitor, "/login")
        tokens.append(re.search(r'name="csrf_token" value="([^"]+)"', html).group(1))  # type: ignore[union-attr]
    assert tokens[0] != tokens[1]


async def test_visitors_arriving_together_share_one_render(login, submitted, state) -> None:  # type: ignore[no-untyped-def]
    # When a page has expired, every connection waiting for it must not render it again: a
    # burst of visitors costs the database what one visitor costs (and comes back as fast).
    _clinician, public_id = await submitted()
    assert (await (await login("reviewer")).decide(public_id, "approve")).status_code == 302
    visitor = (await login(None)).client
    with counted_statements(state) as one_render:
        alone, _html = await _page(visitor, "/feed/local?from=alone")
    assert alone.status_code == 200 and one_render
    with counted_statements(state) as burst:
        answers = await asyncio.gather(*(_page(visitor, "/feed/local") for _ in range(16)))
    assert {response.status_code for response, _html in answers} == {200}
    assert len({html for _response, html in answers}) == 1 and f'id="case-{public_id}"' in answers[0][1]
    assert len(burst) == len(one_render)
