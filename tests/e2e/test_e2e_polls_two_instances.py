"""Differential polls across two real instances over real HTTP: A's clinician publishes a case
with a poll; B (whose clinicians follow her) receives it as a ``Question``; a clinician at B
votes on B's case page; A checks the voter and counts the vote, and its Update(Question) brings
the new totals back to B. At B the results stay hidden from a clinician who has not voted. A
vote from an account A does not believe is a professional is not counted."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from fediverse_cases.core.accounts import Role
from fediverse_cases.services.polls import PollInput
from tests.e2e.test_e2e_content_three_instances import (
    clinical_image,
    follow,
    follow_accepted,
    poll,
    query,
    remote_case,
)
from tests.support.instances import PASSWORD
from tests.support.live import LiveInstance
from tests.support.live_fixtures import live_instances  # noqa: F401

pytestmark = pytest.mark.e2e

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
OPTIONS = ["Tinea corporis", "Granuloma annulare", "Nummular eczema"]
AS_JSON = {"Accept": "application/activity+json"}


async def signed_in(instance: LiveInstance, username: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=instance.url, timeout=30)
    token = CSRF.search((await client.get("/login")).text).group(1)  # type: ignore[union-attr]
    login = await client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert login.status_code == 302, login.text
    return client


async def publish_with_poll(instance: LiveInstance, username: str) -> Any:
    from fediverse_cases.services.case_factory import create_published_case
    from fediverse_cases.storage.repositories.accounts import get_account_by_username

    async with instance.state() as state:
        async with state.sessionmaker() as db:
            account = await get_account_by_username(db, username)
        return await create_published_case(
            state,
            account,
            images=[clinical_image(3)],
            caption="Annular plaque on the forearm for three weeks. What is your diagnosis?",
            tags=["dermatology"],
            poll=PollInput(OPTIONS, 86400),
        )


def votes_on_page(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-votes="(\d+)"', html)]


async def test_vote_from_b_is_counted_at_a_and_results_stay_hidden_until_voted(live_instances) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    a = await live_instances("a", prepare=False)
    b = await live_instances("b", prepare=False)
    a.allow, b.allow = [b.host], [a.host]
    for instance in (a, b):
        await instance.prepare()
    await a.create_account("dr_ada", Role.PROFESSIONAL, verified=True)
    for username in ("dr_bob", "dr_cy"):
        await b.create_account(username, Role.PROFESSIONAL, verified=True)
    await b.create_account("dr_vi", Role.VIEWER, verified=False)
    await a.start()
    await b.start()

    await follow(b, "dr_bob", a, "dr_ada")
    await poll(lambda: follow_accepted(b, "dr_bob"), "B's follow accepted")
    case = await publish_with_poll(a, "dr_ada")

    # A serves the case as a Question in Mastodon's shape.
    async with httpx.AsyncClient(timeout=30) as http:
        question = (await http.get(case.ap_id, headers=AS_JSON)).json()
    assert question["type"] == "Question" and "anyOf" not in question
    assert [o["name"] for o in question["oneOf"]] == OPTIONS
    assert [o["type"] for o in question["oneOf"]] == ["Note"] * 3
    assert [o["replies"]["totalItems"] for o in question["oneOf"]] == [0, 0, 0]
    assert question["votersCount"] == 0 and question["endTime"] and "closed" not in question
    assert question["fediverseCases:consentOnFile"] is True and question["attachment"]

    # B stores the case with its poll; Bob sees the options and no results.
    copy = await poll(lambda: remote_case(b, case.ap_id), "the case at B", timeout=60)
    bob = await signed_in(b, "dr_bob")
    cy = await signed_in(b, "dr_cy")
    try:
        page = (await bob.get(f"/cases/{copy.public_id}")).text
        assert 'data-results="hidden"' in page and votes_on_page(page) == []
        assert all(title in page for title in OPTIONS)

        # Bob votes at B; the vote travels to A, which counts it.
        token = CSRF.search(page).group(1)  # type: ignore[union-attr]
        voted = await bob.post(f"/cases/{copy.public_id}/poll", data={"choice": "1", "csrf_token": token})
        assert voted.status_code == 302

        async def counted_at_a() -> bool:
            async with httpx.AsyncClient(timeout=30) as http:
                document = (await http.get(case.ap_id, headers=AS_JSON)).json()
            return [o["replies"]["totalItems"] for o in document["oneOf"]] == [0, 1, 0] and (
                document["votersCount"] == 1
            )

        await poll(counted_at_a, "the vote counted at A", timeout=60)

        # A's Update(Question) reaches B: Bob sees A's totals; Cy (not voted) still sees none.
        async def totals_at_b() -> bool:
            from fediverse_cases.storage.repositories.polls import poll_of_case

            stored = await query(b, lambda db: poll_of_case(db, copy.id))
            return (
                stored is not None and stored.remote_counts == [0, 1, 0] and stored.remote_voters_count == 1
            )

        await poll(totals_at_b, "A's totals at B", timeout=60)
        page = (await bob.get(f"/cases/{copy.public_id}")).text
        assert 'data-results="shown"' in page and votes_on_page(page) == [0, 1, 0]
        token = CSRF.search(page).group(1)  # type: ignore[union-attr]
        page = (await cy.get(f"/cases/{copy.public_id}")).text
        assert 'data-results="hidden"' in page and votes_on_page(page) == []
        # A second vote by Bob is refused at B and never sent.
        again = await bob.post(
            f"/cases/{copy.public_id}/poll", data={"choice": "0", "csrf_token": token}, follow_redirects=True
        )
        assert "You have already voted in this poll." in again.text
    finally:
        await bob.aclose()
        await cy.aclose()

    # A vote sent (signed by B) for B's unverified viewer is not counted at A.
    await send_vote_as(b, "dr_vi", case.ap_id, a.actor_url("dr_ada"), OPTIONS[0])

    async def dropped_at_a() -> bool:
        from fediverse_cases.storage.repositories.peer_drops import drops_by_peer

        drops = await query(a, drops_by_peer)
        reasons = [drop.reason for rows in drops.values() for drop in rows]
        return "vote by someone not a verified or vouched professional" in reasons

    await poll(dropped_at_a, "the viewer's vote dropped at A", timeout=60)
    async with httpx.AsyncClient(timeout=30) as http:
        document = (await http.get(case.ap_id, headers=AS_JSON)).json()
    assert [o["replies"]["totalItems"] for o in document["oneOf"]] == [0, 1, 0]


async def send_vote_as(
    instance: LiveInstance, username: str, question_id: str, author_uri: str, name: str
) -> None:
    """Queue a vote Note from ``username`` the way a misbehaving peer would send it: B's own
    delivery worker signs and posts it to A."""
    from fediverse_cases.convert.activities import create_activity
    from fediverse_cases.convert.polls import vote_note
    from fediverse_cases.federation import outbox
    from fediverse_cases.federation.dereference import get_or_fetch_actor
    from fediverse_cases.federation.recipients import personal_inbox_of
    from fediverse_cases.storage.repositories.accounts import get_local_actor_by_username

    async with instance.state() as state, state.transaction() as db:
        voter = await get_local_actor_by_username(db, username)
        author = await get_or_fetch_actor(db, state, author_uri)
        note = vote_note(f"{voter.uri}#votes/crafted", voter.uri, question_id, author_uri, name)
        await outbox.enqueue(
            db, state, activity=create_activity(note), sender=voter, inboxes={personal_inbox_of(author)}
        )
