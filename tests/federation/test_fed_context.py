"""FEP-7888 conversation context, both directions over HTTP.

Served: every case Note carries ``context``, which answers with an ordered collection of the
thread (the case, then its visible replies oldest first); replies to our cases carry the same
``context``. Received: when a case arrives, the replies its home lists in the case's context
and we lack are fetched (each from its own origin, allowed peers only, same rules as delivered
replies), bounded by ``MAX_ITEMS``; a context on another host is ignored.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from fediverse_cases.activitypub.constants import ACTIVITY_JSON
from fediverse_cases.core.accounts import Role
from fediverse_cases.federation.handlers.context_backfill import MAX_ITEMS, MAX_PAGES
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Comment
from tests.federation.test_fed_inbox_notes import World, world  # noqa: F401
from tests.support.case_rows import actor_of, insert_case
from tests.support.fed_peer import FakePeer
from tests.support.instances import create_account

AS2 = {"Accept": ACTIVITY_JSON}


async def actor_of_username(state: Any, username: str) -> int:
    from fediverse_cases.storage.repositories.accounts import get_local_actor_by_username

    async with state.sessionmaker() as db:
        actor = await get_local_actor_by_username(db, username)
    assert actor is not None
    return actor.id


async def _comment_ids(world: World, case_ap_id: str) -> list[str]:  # noqa: F811
    case = await world.case(case_ap_id)
    assert case is not None
    async with world.state.sessionmaker() as db:
        return list((await db.scalars(select(Comment.ap_id).where(Comment.case_id == case.id))).all())


def _serve_context(world: World, note: dict[str, Any], items: list[str]) -> str:  # noqa: F811
    context = f"{note['id']}/context"
    note["context"] = context
    world.alice.served[context] = {"id": context, "type": "OrderedCollection", "orderedItems": items}
    return context


async def test_arriving_case_backfills_replies_listed_in_its_context(world: World) -> None:  # noqa: F811
    note = world.case_note(1)
    first = world.comment_note(world.alice, note["id"], 1, "Nummular eczema, I think")
    nested = world.comment_note(world.alice, first["id"], 2, "Agreed after the scraping")
    by_unverified = world.comment_note(world.mallory, note["id"], 3, "Some opinion")
    world.mallory.verified = False
    for reply in (first, nested, by_unverified):
        world.alice.served[reply["id"]] = reply
    # Mallory's reply is served by its own origin under mallory's actor path.
    world.mallory.served[by_unverified["id"]] = by_unverified
    _serve_context(world, note, [note["id"], first["id"], nested["id"], by_unverified["id"]])

    await world.send(world.alice, "Create", note)

    assert sorted(await _comment_ids(world, note["id"])) == sorted([first["id"], nested["id"]])
    stored_nested = await world.comment(nested["id"])
    stored_first = await world.comment(first["id"])
    assert stored_nested is not None and stored_first is not None
    assert stored_nested.parent_id == stored_first.id


async def test_context_on_another_host_and_refused_hosts_are_not_fetched(world: World) -> None:  # noqa: F811
    # Another allowed peer cannot speak for alice's thread: a context there is not fetched.
    elsewhere = FakePeer("elsewhere.example", "eve")
    world.network.peers.append(elsewhere)
    async with world.state.transaction() as db:
        await allow_peer(db, world.state, elsewhere.host, Operator.system(), scheme="https")
    note = world.case_note(2)
    note["context"] = f"{elsewhere.base}/contexts/1"
    elsewhere.served[note["context"]] = {
        "id": note["context"],
        "type": "OrderedCollection",
        "orderedItems": [],
    }
    await world.send(world.alice, "Create", note)
    assert await world.case(note["id"]) is not None
    assert world.network.gets_of(note["context"]) == 0

    # The home's own context may list a reply on a host we do not federate with: never fetched.
    refused = FakePeer("refused.example", "rex")
    world.network.peers.append(refused)
    third = world.case_note(3)
    stray = world.comment_note(refused, third["id"], 9, "From a host nobody allowed")
    refused.served[stray["id"]] = stray
    _serve_context(world, third, [third["id"], stray["id"]])
    await world.send(world.alice, "Create", third)
    assert await world.case(third["id"]) is not None
    assert await _comment_ids(world, third["id"]) == []
    assert world.network.gets_of(stray["id"]) == 0


async def test_backfill_is_bounded(world: World) -> None:  # noqa: F811
    note = world.case_note(4)
    replies = [
        world.comment_note(world.alice, note["id"], 100 + n, f"Reply number {n}")
        for n in range(MAX_ITEMS + 5)
    ]
    for reply in replies:
        world.alice.served[reply["id"]] = reply
    _serve_context(world, note, [note["id"], *(r["id"] for r in replies)])

    await world.send(world.alice, "Create", note)

    # The case itself is the first listed item, so MAX_ITEMS - 1 replies fit.
    assert len(await _comment_ids(world, note["id"])) == MAX_ITEMS - 1


async def test_our_case_and_replies_carry_a_context_that_lists_the_thread(
    state,
    client,
    world: World,  # noqa: F811
) -> None:
    clinician = await create_account(state, "carla", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, clinician)
    note = await (await client.get(f"/cases/{case.public_id}", headers=AS2)).get_json()
    assert note["context"] == f"{state.urls.case(case.public_id)}/context"

    reply = world.comment_note(world.alice, case.ap_id, 7, "Seen one like it last week")
    await world.send(world.alice, "Create", reply)
    async with state.transaction() as db:
        ours = Comment(
            public_id="ctx-comment-1",
            ap_id=state.urls.comment("ctx-comment-1"),
            case_id=case.id,
            author_actor_id=(await actor_of(state, clinician)).id,
            is_local=True,
            content="Biopsy would settle it",
            state="visible",
            created_at=utcnow(),
        )
        db.add(ours)
    comment_note = await (await client.get("/comments/ctx-comment-1", headers=AS2)).get_json()
    assert comment_note["context"] == note["context"]

    response = await client.get(f"/cases/{case.public_id}/context", headers=AS2)
    assert response.status_code == 200
    collection = await response.get_json()
    assert collection["type"] == "OrderedCollection"
    assert collection["id"] == note["context"]
    assert collection["orderedItems"] == [case.ap_id, reply["id"], ours.ap_id]
    assert collection["attributedTo"] == (await actor_of(state, clinician)).uri
    assert collection["totalItems"] == 3


async def test_opening_a_remote_thread_fetches_replies_at_most_every_refresh_period(world: World) -> None:  # noqa: F811
    import asyncio

    from tests.support.api_server import bearer, user_token

    note = world.case_note(5)
    _serve_context(world, note, [note["id"]])
    await world.send(world.alice, "Create", note)
    world.alice.served[note["id"]] = note  # the home serves the case for the refresh
    late = world.comment_note(world.alice, note["id"], 50, "A reply we never received")
    world.alice.served[late["id"]] = late
    world.alice.served[note["context"]]["orderedItems"].append(late["id"])

    case = await world.case(note["id"])
    assert case is not None
    token = await user_token(world.client, "lou", scopes="read")
    opened = await world.client.get(f"/api/v1/statuses/{case.id * 2}/context", headers=bearer(token))
    assert opened.status_code == 200
    for _ in range(100):
        if await world.comment(late["id"]) is not None:
            break
        await asyncio.sleep(0.1)
    assert await world.comment(late["id"]) is not None
    # Opened again at once: not refreshed again (one refetch of the case so far).
    await world.client.get(f"/api/v1/statuses/{case.id * 2}/context", headers=bearer(token))
    await asyncio.sleep(0.3)
    assert world.network.gets_of(note["id"]) == 1


async def test_paged_context_is_followed_for_at_most_max_pages_documents(world: World) -> None:  # noqa: F811
    note = world.case_note(6)
    context = f"{note['id']}/context"
    note["context"] = context
    replies = [world.comment_note(world.alice, note["id"], 60 + n, f"Paged reply {n}") for n in range(3)]
    pages = [f"{context}?page={n}" for n in range(3)]
    world.alice.served[context] = {"id": context, "type": "OrderedCollection", "first": pages[0]}
    for n, (page, reply) in enumerate(zip(pages, replies, strict=True)):
        world.alice.served[reply["id"]] = reply
        world.alice.served[page] = {
            "id": page,
            "type": "OrderedCollectionPage",
            "orderedItems": [reply["id"]],
            **({"next": pages[n + 1]} if n + 1 < len(pages) else {}),
        }

    await world.send(world.alice, "Create", note)

    # The collection and its first MAX_PAGES - 1 pages are read; the last page never is.
    assert sorted(await _comment_ids(world, note["id"])) == sorted(r["id"] for r in replies[: MAX_PAGES - 1])
    assert world.network.gets_of(pages[-1]) == 0


async def test_our_replies_to_a_remote_case_carry_no_context(state, client, world: World) -> None:  # noqa: F811
    note = world.case_note(9)
    _serve_context(world, note, [note["id"]])
    await world.send(world.alice, "Create", note)
    case = await world.case(note["id"])
    assert case is not None
    lou = await actor_of_username(state, "lou")
    async with state.transaction() as db:
        db.add(
            Comment(
                public_id="ctx-remote-1",
                ap_id=state.urls.comment("ctx-remote-1"),
                case_id=case.id,
                author_actor_id=lou,
                is_local=True,
                content="Patch test first",
                state="visible",
                created_at=utcnow(),
            )
        )
    ours = await (await client.get("/comments/ctx-remote-1", headers=AS2)).get_json()
    assert ours["inReplyTo"] == note["id"] and "context" not in ours
