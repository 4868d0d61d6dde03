"""Flag, Undo(Like) and reply threads arriving over the signed inbox: a peer's report hides our
case pending review and reaches the reviewers' queue, an undone like is uncounted, and missing
parent comments are fetched from their origin at most three levels up (deeper or cyclic chains
stop, with a log line, instead of fetching forever)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.federation.handlers.create import MAX_DEPTH
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer
from fediverse_cases.storage.models import Case, Comment, Flag
from fediverse_cases.storage.repositories import comments as comments_repo
from fediverse_cases.storage.repositories.social import count_likes
from tests.support.case_rows import insert_case
from tests.support.fed_peer import FakeNetwork, FakePeer, deliver, install_fake_network
from tests.support.instances import create_account
from tests.support.web import sign_in

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture
async def alice(state) -> FakePeer:  # type: ignore[no-untyped-def]
    async with state.transaction() as db:
        await allow_peer(db, state, "remote.example", Operator.system(), scheme="https")
    return FakePeer("remote.example", "alice")


@pytest.fixture
async def network(state, alice: FakePeer) -> FakeNetwork:  # type: ignore[no-untyped-def]
    return install_fake_network(state, [alice, FakePeer("remote.example", "mallory")])


@pytest.fixture
async def local_case(state) -> Case:  # type: ignore[no-untyped-def]
    lou = await create_account(state, "lou", role=Role.PROFESSIONAL, verified=True)
    return await insert_case(state, lou, caption="Pigmented lesion on the back")


async def _send(client: Any, state: Any, peer: FakePeer, activity: dict[str, Any], expect: int = 202) -> None:
    status = await deliver(client, state, peer, activity)
    assert status == expect, f"{activity['type']}: inbox answered {status}, expected {expect}"


# --- Flag --------------------------------------------------------------------------------------


async def test_flag_from_a_peer_hides_the_case_and_reaches_the_reviewers(  # type: ignore[no-untyped-def]
    state, app, client, alice, network, local_case
) -> None:
    reporter = FakePeer("remote.example", "moderation")
    network.peers.append(reporter)
    flag = reporter.activity("Flag", [local_case.ap_id], content="Tattoo may identify the patient")
    await _send(client, state, reporter, flag)

    async with state.sessionmaker() as db:
        case = await db.get(Case, local_case.id)
        flags = (await db.execute(select(Flag).where(Flag.case_id == local_case.id))).scalars().all()
    assert case is not None and case.hidden
    assert len(flags) == 1 and "Tattoo may identify the patient" in flags[0].reason
    assert "remote.example" in flags[0].reason

    await create_account(state, "rita", role=Role.REVIEWER, verified=True)
    reviewer = app.test_client()
    await sign_in(reviewer, "rita")
    page = await reviewer.get("/moderation/flags")
    assert page.status_code == 200
    html = await page.get_data(as_text=True)
    assert f'id="flag-{flags[0].id}"' in html and "Tattoo may identify the patient" in html


async def test_flag_naming_an_unknown_object_changes_nothing(
    state, client, alice, network, local_case
) -> None:  # type: ignore[no-untyped-def]
    await _send(client, state, alice, alice.activity("Flag", ["http://cases.test/cases/nonexistent"]))
    async with state.sessionmaker() as db:
        case = await db.get(Case, local_case.id)
        assert (await db.execute(select(Flag))).first() is None
    assert case is not None and not case.hidden


# --- Like / Undo(Like) -------------------------------------------------------------------------


async def _likes(state: Any, case_id: int) -> int:
    async with state.sessionmaker() as db:
        return await count_likes(db, case_id)


async def test_undo_like_lowers_the_like_count(state, client, alice, network, local_case) -> None:  # type: ignore[no-untyped-def]
    like = alice.activity("Like", local_case.ap_id)
    await _send(client, state, alice, like)
    assert await _likes(state, local_case.id) == 1
    await _send(client, state, alice, alice.activity("Undo", like))
    assert await _likes(state, local_case.id) == 0


async def test_undo_of_someone_elses_like_is_refused(state, client, alice, network, local_case) -> None:  # type: ignore[no-untyped-def]
    like = alice.activity("Like", local_case.ap_id)
    await _send(client, state, alice, like)
    mallory = network.peers[1]
    await _send(client, state, mallory, mallory.activity("Undo", like), expect=403)
    # Her own Undo of a Like she never sent does not touch alice's.
    await _send(client, state, mallory, mallory.activity("Undo", mallory.activity("Like", local_case.ap_id)))
    assert await _likes(state, local_case.id) == 1


# --- missing parents ---------------------------------------------------------------------------


def _chain(alice: FakePeer, first_parent: str, length: int) -> list[dict[str, Any]]:
    """Comments c1..cN, each replying to the previous one (c1 to ``first_parent``), all served by
    alice's instance but unknown here."""
    notes, parent = [], first_parent
    for n in range(1, length + 1):
        note = {
            "id": f"{alice.actor_uri}/comments/c{n}",
            "type": "Note",
            "attributedTo": alice.actor_uri,
            "inReplyTo": parent,
            "content": f"<p>reply {n}</p>",
            "to": [PUBLIC],
        }
        alice.served[note["id"]] = note
        notes.append(note)
        parent = note["id"]
    return notes


async def _stored_comments(state: Any) -> dict[str, Comment]:
    async with state.sessionmaker() as db:
        return {c.ap_id: c for c in (await db.execute(select(Comment))).scalars()}


async def test_missing_parents_are_fetched_from_their_origin(
    state, client, alice, network, local_case
) -> None:  # type: ignore[no-untyped-def]
    c1, c2, c3 = _chain(alice, local_case.ap_id, 3)
    await _send(client, state, alice, alice.activity("Create", c3))
    stored = await _stored_comments(state)
    assert set(stored) == {c1["id"], c2["id"], c3["id"]}
    assert stored[c3["id"]].parent_id == stored[c2["id"]].id
    assert stored[c2["id"]].parent_id == stored[c1["id"]].id
    assert stored[c1["id"]].parent_id is None and stored[c1["id"]].case_id == local_case.id
    assert network.gets_of(c1["id"]) == network.gets_of(c2["id"]) == 1


async def test_parent_chain_deeper_than_the_limit_stops_and_is_logged(  # type: ignore[no-untyped-def]
    state, client, alice, network, local_case, caplog
) -> None:
    assert MAX_DEPTH == 3
    chain = _chain(alice, local_case.ap_id, 5)
    with caplog.at_level(logging.WARNING, logger="fediverse_cases.federation.handlers.create"):
        await _send(client, state, alice, alice.activity("Create", chain[-1]))
    assert await _stored_comments(state) == {}
    # c4, c3 and c2 are fetched once each; c1 (a fourth level) never.
    assert [network.gets_of(note["id"]) for note in chain[:4]] == [0, 1, 1, 1]
    assert any("deeper than 3" in r.getMessage() and chain[0]["id"] in r.getMessage() for r in caplog.records)


async def test_cyclic_parent_chain_is_not_fetched_forever(state, client, alice, network, local_case) -> None:  # type: ignore[no-untyped-def]
    a, b = _chain(alice, "placeholder", 2)
    a["inReplyTo"] = b["id"]  # a -> b -> a -> ...
    await _send(client, state, alice, alice.activity("Create", a))
    assert await _stored_comments(state) == {}
    assert network.gets_of(a["id"]) + network.gets_of(b["id"]) <= MAX_DEPTH
    async with state.sessionmaker() as db:
        assert await comments_repo.get_comment_by_ap_id(db, a["id"]) is None
