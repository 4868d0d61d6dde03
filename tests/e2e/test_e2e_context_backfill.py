"""FEP-7888 across two live instances, driven by Mastodon.py: hospital A holds a case with a
reply B never received; B's clinician finds the case by its URL (``/api/v2/search`` with
``resolve=true``), B fetches it from A, and backfills the reply from the case's ``context``, so
the thread reads the same at both hospitals. A status URL on a host B does not allow is never
fetched; our own statuses are found by URI without any fetch. And a reply B missed (A did not
federate with B when it was written) reaches B when someone opens the case there."""

from __future__ import annotations

import asyncio

import pytest

from fediverse_cases.core.accounts import Role
from tests.api.test_api_mastodon_py import _client
from tests.e2e.test_e2e_content_three_instances import comment_on, publish
from tests.support.live_fixtures import live_instances  # noqa: F401

pytestmark = pytest.mark.e2e


async def test_resolved_case_backfills_its_conversation(live_instances) -> None:  # noqa: F811
    a = await live_instances("a", prepare=False)
    b = await live_instances("b", prepare=False)
    c = await live_instances("c", prepare=False)  # never allowed by B
    a.allow, b.allow = [b.host], [a.host]
    for instance in (a, b, c):
        await instance.prepare()
    await a.create_account("alice", Role.PROFESSIONAL, verified=True)
    await a.create_account("carol", Role.PROFESSIONAL, verified=True)
    await b.create_account("bob", Role.PROFESSIONAL, verified=True)
    await c.create_account("cleo", Role.PROFESSIONAL, verified=True)
    for instance in (a, b, c):
        await instance.start()

    case = await publish(a, "alice", "Annular plaque on the forearm, asked across hospitals", seed=5)
    reply = await comment_on(a, "carol", case.ap_id, "Consider tinea corporis; scrape for KOH")
    stray = await publish(c, "cleo", "A case on a hospital nobody here allowed", seed=6)

    bob = await asyncio.to_thread(_client, b.url, "bob", ["read", "write", "follow"])
    found = await asyncio.to_thread(bob.search_v2, case.ap_id, resolve=True)
    assert [s["uri"] for s in found["statuses"]] == [case.ap_id]
    status = found["statuses"][0]
    assert "asked across hospitals" in status["content"]
    assert status["media_attachments"] and status["media_attachments"][0]["url"].startswith(b.url)

    thread = await asyncio.to_thread(bob.status_context, status["id"])
    assert [s["uri"] for s in thread["descendants"]] == [reply.ap_id]
    assert "scrape for KOH" in thread["descendants"][0]["content"]

    # The reply found by its own URI is the held copy, not a second fetch.
    again = await asyncio.to_thread(bob.search_v2, reply.ap_id, resolve=True)
    assert [s["id"] for s in again["statuses"]] == [thread["descendants"][0]["id"]]

    # C is not on B's allow-list: its case is never fetched, and the search just finds nothing.
    refused = await asyncio.to_thread(bob.search_v2, stray.ap_id, resolve=True)
    assert refused["statuses"] == []
    assert f'"GET /cases/{stray.public_id}"' not in c.log_tail(400)

    # Without resolve=true nothing is fetched: a held status is found, an unknown one is not.
    alice = await asyncio.to_thread(_client, a.url, "alice", ["read"])
    own = await asyncio.to_thread(alice.search_v2, case.ap_id)
    assert [s["uri"] for s in own["statuses"]] == [case.ap_id]
    unknown_here = await asyncio.to_thread(alice.search_v2, stray.ap_id)
    assert unknown_here["statuses"] == []


async def test_opening_a_remote_case_fetches_replies_it_missed(live_instances) -> None:  # noqa: F811
    import httpx

    from fediverse_cases.federation.allow_list_cache import CACHE_SECONDS
    from tests.e2e.test_e2e_content_three_instances import (
        comment_texts,
        follow,
        follow_accepted,
        poll,
        remote_case,
    )

    a = await live_instances("a", prepare=False)
    b = await live_instances("b", prepare=False)
    a.allow, b.allow = [b.host], [a.host]
    for instance in (a, b):
        await instance.prepare()
    await a.create_account("alice", Role.PROFESSIONAL, verified=True)
    await a.create_account("carol", Role.PROFESSIONAL, verified=True)
    await b.create_account("bob", Role.PROFESSIONAL, verified=True)
    await a.start()
    await b.start()
    await follow(b, "bob", a, "alice")
    # Publishing before A has accepted the follow would (rightly) not deliver the case to B.
    await poll(lambda: follow_accepted(b, "bob"), "B's follow accepted")
    case = await publish(a, "alice", "Annular plaque on the forearm, thread to be opened", seed=7)
    copy = await poll(lambda: remote_case(b, case.ap_id), "the case on B")

    # While A does not federate with B, carol's reply is not forwarded there: B misses it.
    await a.remove_peer(b.host)
    await comment_on(a, "carol", case.ap_id, "Consider tinea corporis; scrape for KOH")
    await a.allow_peer(b.host)
    await asyncio.sleep(CACHE_SECONDS + 0.5)  # A's server serves B's signed fetches again
    assert await comment_texts(b, case.ap_id) == []

    # Someone opens the case on B: the page answers at once, the missed reply follows.
    async with httpx.AsyncClient() as http:
        page = await http.get(f"{b.url}/cases/{copy.public_id}")
    assert page.status_code == 200
    texts = await poll(lambda: comment_texts(b, case.ap_id), "the missed reply fetched on B")
    assert texts == ["Consider tinea corporis; scrape for KOH"]
