"""Polls from and to Mastodon-style servers, over the signed inbox and the delivery worker:
a Mastodon ``Question`` (with a ``Document`` attachment) from a followed clinician is kept as a
case with its poll; a clinician here votes on the case page and the vote leaves as a Create(Note)
with ``name`` and ``inReplyTo`` to the poll author's inbox (one per choice in an ``anyOf``
poll); the author's Update(Question) brings new totals. On our own poll, a vote from a peer's
account that is not a verified professional is dropped, a verified one is counted once and
answered with Update(Question) carrying the totals."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.federation import delivery
from fediverse_cases.federation.dereference import get_or_fetch_actor
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer
from fediverse_cases.storage.models import Case, Comment, Follow, PeerDrop, Poll, PollVote
from fediverse_cases.storage.repositories import cases as cases_repo
from tests.federation.test_fed_inbox_notes import PUBLIC, lesion_jpeg
from tests.support.case_rows import actor_of, insert_case
from tests.support.fed_peer import FakeNetwork, FakePeer, deliver, install_fake_network
from tests.support.instances import create_account
from tests.support.web import csrf_token, sign_in


def mastodon_question(
    peer: FakePeer, network: FakeNetwork, *, multiple: bool = False, counts=(0, 0, 0)
) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A post with a poll as Mastodon 4 serializes it (status id path, Document attachment)."""
    status = f"{peer.actor_uri}/statuses/1130000000000000{int(multiple)}"
    image = f"{peer.base}/system/media_attachments/files/1/original/a.jpeg"
    network.media[image] = lesion_jpeg()
    options = [
        {"type": "Note", "name": name, "replies": {"type": "Collection", "totalItems": count}}
        for name, count in zip(("Psoriasis", "Tinea corporis", "Nummular eczema"), counts, strict=True)
    ]
    return {
        "id": status,
        "type": "Question",
        "summary": None,
        "inReplyTo": None,
        "published": "2026-11-30T10:00:00Z",
        "url": f"{peer.base}/@{peer.username}/1130000000000000{int(multiple)}",
        "attributedTo": peer.actor_uri,
        "to": [PUBLIC],
        "cc": [f"{peer.actor_uri}/followers"],
        "sensitive": False,
        "atomUri": status,
        "conversation": "tag:remote.example,2026-11-30:objectId=1:objectType=Conversation",
        "content": "<p>Scaly plaque on the elbow. Which is it?</p>",
        "contentMap": {"en": "<p>Scaly plaque on the elbow. Which is it?</p>"},
        "endTime": "2099-12-01T10:00:00Z",
        "votersCount": max(counts),
        "attachment": [
            {"type": "Document", "mediaType": "image/jpeg", "url": image, "name": None, "blurhash": None, "width": 640, "height": 480}
        ],
        "tag": [],
        "replies": {"id": f"{status}/replies", "type": "Collection", "first": {"type": "CollectionPage", "items": []}},
        "anyOf" if multiple else "oneOf": options,
    }  # fmt: skip


@pytest.fixture
async def world(state, client):  # type: ignore[no-untyped-def]
    alice = FakePeer("remote.example", "alice", verified=False)  # a Mastodon account: no claim
    network = install_fake_network(state, [alice])
    lou = await create_account(state, "lou", role=Role.PROFESSIONAL, verified=True)
    lou_actor = await actor_of(state, lou)
    async with state.transaction() as db:
        await allow_peer(db, state, "remote.example", Operator.system(), scheme="https")
        remote = await get_or_fetch_actor(db, state, alice.actor_uri)
        db.add(Follow(follower_id=lou_actor.id, followed_id=remote.id, state="accepted"))
    return state, client, network, alice


def posted_to(network: FakeNetwork, inbox: str) -> list[dict[str, Any]]:
    return [json.loads(r.content) for r in network.calls if r.method == "POST" and str(r.url) == inbox]


async def stored_case(state: Any, ap_id: str) -> Case:
    async with state.sessionmaker() as db:
        case = await cases_repo.get_case_by_ap_id(db, ap_id)
    assert case is not None
    return case


async def test_mastodon_poll_is_shown_voted_and_updated(world) -> None:  # type: ignore[no-untyped-def]
    state, client, network, alice = world
    question = mastodon_question(alice, network)
    assert await deliver(client, state, alice, alice.activity("Create", question)) == 202
    case = await stored_case(state, question["id"])
    assert case.caption == "Scaly plaque on the elbow. Which is it?"

    await sign_in(client, "lou")
    page = await (await client.get(f"/cases/{case.public_id}")).get_data(as_text=True)
    assert 'data-results="hidden"' in page and "Tinea corporis" in page and "data-votes" not in page
    token = await csrf_token(client, f"/cases/{case.public_id}")
    voted = await client.post(f"/cases/{case.public_id}/poll", form={"choice": "1", "csrf_token": token})
    assert voted.status_code == 302
    page = await (await client.get(f"/cases/{case.public_id}")).get_data(as_text=True)
    assert 'data-results="shown"' in page and 'data-votes="1"' in page  # counted here at once

    await delivery.run_once(state)
    [create] = posted_to(network, f"{alice.actor_uri}/inbox")
    vote = create["object"]
    assert create["type"] == "Create" and create["actor"] == vote["attributedTo"]
    assert vote["type"] == "Note" and vote["name"] == "Tinea corporis"
    assert vote["inReplyTo"] == question["id"] and vote["to"] == [alice.actor_uri]
    assert "content" not in vote

    # The author's server sends the new totals (its own count wins over ours).
    updated = mastodon_question(alice, network, counts=(2, 3, 0))
    assert await deliver(client, state, alice, alice.activity("Update", updated)) == 202
    page = await (await client.get(f"/cases/{case.public_id}")).get_data(as_text=True)
    assert 'data-votes="2"' in page and 'data-votes="3"' in page
    async with state.sessionmaker() as db:
        poll = (await db.execute(select(Poll).where(Poll.case_id == case.id))).scalar_one()
    assert poll.remote_counts == [2, 3, 0] and poll.remote_voters_count == 3

    # A second vote is refused here and nothing more is sent.
    again = await client.post(f"/cases/{case.public_id}/poll", form={"choice": "0", "csrf_token": token})
    assert again.status_code == 302
    await delivery.run_once(state)
    assert len(posted_to(network, f"{alice.actor_uri}/inbox")) == 1


async def test_vote_in_a_multiple_choice_mastodon_poll_sends_one_note_per_choice(world) -> None:  # type: ignore[no-untyped-def]
    state, client, network, alice = world
    question = mastodon_question(alice, network, multiple=True)
    await deliver(client, state, alice, alice.activity("Create", question))
    case = await stored_case(state, question["id"])
    await sign_in(client, "lou")
    token = await csrf_token(client, f"/cases/{case.public_id}")
    page = await (await client.get(f"/cases/{case.public_id}")).get_data(as_text=True)
    assert 'type="checkbox" name="choice"' in page
    body = urlencode([("choice", "0"), ("choice", "2"), ("csrf_token", token)])
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert (await client.post(f"/cases/{case.public_id}/poll", data=body, headers=headers)).status_code == 302
    while await delivery.run_once(state):  # until nothing is due
        pass
    names = sorted(c["object"]["name"] for c in posted_to(network, f"{alice.actor_uri}/inbox"))
    assert names == ["Nummular eczema", "Psoriasis"]


async def _local_poll(state: Any) -> Case:
    owner = await create_account(state, "dr_home", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, owner)
    async with state.transaction() as db:
        db.add(
            Poll(case_id=case.id, options=["Tinea corporis", "Granuloma annulare"], duration_seconds=86400)
        )
    return case


def vote_activity(peer: FakePeer, case: Case, name: str, n: int = 1) -> dict[str, Any]:
    note = {
        "id": f"{peer.actor_uri}#votes/{n}",
        "type": "Note",
        "name": name,
        "attributedTo": peer.actor_uri,
        "to": [case.ap_id.rsplit("/cases/", 1)[0]],
        "inReplyTo": case.ap_id,
    }
    return {**peer.activity("Create", note), "id": f"{note['id']}/activity"}


async def test_votes_from_a_peer_are_checked_against_the_professional_claim(state, client) -> None:  # type: ignore[no-untyped-def]
    stranger = FakePeer("remote.example", "stranger", verified=False)
    doctor = FakePeer("remote.example", "doctor", verified=True)
    network = install_fake_network(state, [stranger, doctor])
    async with state.transaction() as db:
        await allow_peer(db, state, "remote.example", Operator.system(), scheme="https")
    case = await _local_poll(state)

    assert await deliver(client, state, stranger, vote_activity(stranger, case, "Tinea corporis")) == 202
    assert await deliver(client, state, doctor, vote_activity(doctor, case, "Granuloma annulare")) == 202
    # The same person again (another id, another option) and a made-up option: not counted.
    assert await deliver(client, state, doctor, vote_activity(doctor, case, "Tinea corporis", 2)) == 202
    assert await deliver(client, state, doctor, vote_activity(doctor, case, "Lupus", 3)) == 202
    async with state.sessionmaker() as db:
        votes = list((await db.execute(select(PollVote))).scalars())
        drops = {d.reason for d in (await db.execute(select(PeerDrop))).scalars()}
    assert [(v.choice, v.ap_id) for v in votes] == [(1, f"{doctor.actor_uri}#votes/1")]
    assert drops == {
        "vote by someone not a verified or vouched professional",
        "vote refused",
        "vote for no such option",
    }

    # The counted vote was answered with Update(Question) to the voter's server.
    await delivery.run_once(state)
    [update] = posted_to(network, "https://remote.example/inbox")
    assert update["type"] == "Update" and update["object"]["type"] == "Question"
    assert [o["replies"]["totalItems"] for o in update["object"]["oneOf"]] == [0, 1]
    assert update["object"]["votersCount"] == 1


async def test_a_vote_after_the_poll_closed_is_dropped(state, client) -> None:  # type: ignore[no-untyped-def]
    doctor = FakePeer("remote.example", "doctor", verified=True)
    install_fake_network(state, [doctor])
    async with state.transaction() as db:
        await allow_peer(db, state, "remote.example", Operator.system(), scheme="https")
    case = await _local_poll(state)
    async with state.transaction() as db:
        poll = (await db.execute(select(Poll).where(Poll.case_id == case.id))).scalar_one()
        poll.duration_seconds = 300  # published just now in insert_case: make it long over
        fresh = await db.get(Case, case.id)
        assert fresh is not None
        fresh.published_at = fresh.published_at - timedelta(hours=1)
    assert await deliver(client, state, doctor, vote_activity(doctor, case, "Tinea corporis")) == 202
    async with state.sessionmaker() as db:
        assert list((await db.execute(select(PollVote))).scalars()) == []
        drops = [d.reason for d in (await db.execute(select(PeerDrop))).scalars()]
    assert drops == ["vote refused"]


async def test_an_update_with_other_options_is_a_new_poll(world) -> None:  # type: ignore[no-untyped-def]
    state, client, network, alice = world
    question = mastodon_question(alice, network)
    await deliver(client, state, alice, alice.activity("Create", question))
    case = await stored_case(state, question["id"])
    await sign_in(client, "lou")
    token = await csrf_token(client, f"/cases/{case.public_id}")
    await client.post(f"/cases/{case.public_id}/poll", form={"choice": "0", "csrf_token": token})
    changed = {
        **question,
        "oneOf": [
            {"type": "Note", "name": n, "replies": {"totalItems": 0}}
            for n in ("Lichen planus", "Pityriasis rosea")
        ],
    }
    await deliver(client, state, alice, alice.activity("Update", changed))
    page = await (await client.get(f"/cases/{case.public_id}")).get_data(as_text=True)
    assert 'data-results="hidden"' in page and "Lichen planus" in page and "Psoriasis" not in page
    assert 'name="choice"' in page  # lou's earlier vote was for the old poll: lou may vote again


async def test_a_vote_for_a_poll_held_elsewhere_is_dropped_not_kept_as_a_comment(world) -> None:  # type: ignore[no-untyped-def]
    state, client, network, alice = world
    question = mastodon_question(alice, network)
    await deliver(client, state, alice, alice.activity("Create", question))
    case = await stored_case(state, question["id"])
    assert await deliver(client, state, alice, vote_activity(alice, case, "Psoriasis")) == 202
    async with state.sessionmaker() as db:
        assert list((await db.execute(select(PollVote))).scalars()) == []
        assert list((await db.execute(select(Comment))).scalars()) == []
        drops = [d.reason for d in (await db.execute(select(PeerDrop))).scalars()]
    assert drops == ["vote for a poll not held here"]
