"""Specialty groups (FEP-1b12) at the app level, over signed inbox POSTs and the web:

- the Group actor, its WebFinger name and its page; a person cannot take a group's name;
- joining by Follow checked against the join rule (Accept, Reject, or pending until a
  moderator approves on the group page), and leaving by Undo;
- a member's case addressed to the group is Announced to every member's server with the
  author's activity embedded unchanged (its proof still verifies); a non-member's is not;
- an Announce from a group a local clinician joined brings the case in (author's proof checked),
  it shows in their home feed and the group, and the group's Undo(Announce) hides it again.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.crypto.integrity_proofs import verify_object
from fediverse_cases.federation import delivery
from fediverse_cases.federation.dereference import get_or_fetch_actor
from fediverse_cases.services import groups as group_service
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer
from fediverse_cases.storage.models import Case, Follow, GroupPost
from fediverse_cases.storage.repositories.accounts import get_local_actor_by_username
from tests.federation.test_fed_inbox_notes import PUBLIC, lesion_jpeg
from tests.support.api_server import bearer, user_token
from tests.support.fed_peer import FakeNetwork, FakePeer, deliver, install_fake_network
from tests.support.instances import create_account
from tests.support.web import post_form, sign_in

AS2 = {"Accept": "application/activity+json"}
GROUP = "http://cases.test/groups/dermatology"


class FakeGroup(FakePeer):
    """A remote group actor (a Lemmy community, another hospital's group)."""

    def actor_document(self) -> dict[str, Any]:
        return {**super().actor_document(), "type": "Group", "fediverseCases:verifiedProfessional": False}

    @property
    def actor_uri(self) -> str:
        return f"{self.base}/groups/{self.username}"


@pytest.fixture
async def world(state, client):  # type: ignore[no-untyped-def]
    async with state.transaction() as db:
        await allow_peer(db, state, "remote.example", Operator.system())
        await allow_peer(db, state, "other.example", Operator.system())
    await create_account(state, "drlee", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "viewer", role=Role.VIEWER)
    alice = FakePeer("remote.example", "alice")
    bob = FakePeer("other.example", "bob")
    unverified = FakePeer("remote.example", "eve", verified=False)
    remote_group = FakeGroup("other.example", "cardio")
    network = install_fake_network(state, [alice, bob, unverified, remote_group])
    return alice, bob, unverified, remote_group, network


async def make_group(state, slug: str = "dermatology", policy: str = "peers") -> None:  # type: ignore[no-untyped-def]
    async with state.transaction() as db:
        await group_service.create_group(
            db,
            state,
            group_service.NewGroup(
                slug=slug,
                name="Dermatology",
                specialty="dermatology",
                join_policy=policy,
                moderators=["drlee"],
            ),
            Operator.shell(),
        )


def posts_to(network: FakeNetwork, kind: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for request in network.calls:
        if request.method == "POST":
            body = json.loads(request.content)
            if body.get("type") == kind:
                found.append((str(request.url), body))
    return found


async def follow_state(state, actor_uri: str, group_uri: str = GROUP) -> str | None:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        from fediverse_cases.storage.repositories.accounts import get_actor_by_uri

        follower, group = await get_actor_by_uri(db, actor_uri), await get_actor_by_uri(db, group_uri)
        if follower is None or group is None:
            return None
        row = await db.execute(
            select(Follow.state).where(Follow.follower_id == follower.id, Follow.followed_id == group.id)
        )
        return row.scalar_one_or_none()


async def test_group_actor_webfinger_page_and_name_collisions(state, client, world) -> None:  # type: ignore[no-untyped-def]
    await make_group(state)
    response = await client.get("/groups/dermatology", headers=AS2)
    assert response.status_code == 200
    doc = await response.get_json()
    assert doc["type"] == "Group" and doc["id"] == GROUP and doc["preferredUsername"] == "dermatology"
    assert doc["inbox"] == f"{GROUP}/inbox" and doc["followers"] == f"{GROUP}/followers"
    assert doc["outbox"] == f"{GROUP}/outbox"
    assert doc["attributedTo"] == f"{GROUP}/moderators"
    moderators = await (await client.get("/groups/dermatology/moderators", headers=AS2)).get_json()
    assert moderators["type"] == "OrderedCollection"
    assert moderators["orderedItems"] == ["http://cases.test/users/drlee"]
    assert (
        doc["publicKey"]["id"] == f"{GROUP}#main-key"
        and "BEGIN PUBLIC KEY" in doc["publicKey"]["publicKeyPem"]
    )
    assert doc["assertionMethod"][0]["id"] == f"{GROUP}#ed25519-key"
    assert "fediverseCases:verifiedProfessional" not in doc
    finger = await client.get("/.well-known/webfinger?resource=acct:dermatology@cases.test")
    assert finger.status_code == 200
    assert {"rel": "self", "type": "application/activity+json", "href": GROUP} in (await finger.get_json())[
        "links"
    ]
    page = await client.get("/groups/dermatology", headers={"Accept": "text/html"})
    html = await page.get_data(as_text=True)
    assert page.status_code == 200 and "Dermatology" in html and "@dermatology@cases.test" in html
    for collection in ("followers", "outbox"):
        listed = await client.get(f"/groups/dermatology/{collection}", headers=AS2)
        assert (await listed.get_json())["totalItems"] == 0
    # A group's name is a WebFinger name: neither a person nor another group may take it.
    async with state.transaction() as db:
        with pytest.raises(group_service.GroupError):
            await group_service.create_group(
                db, state, group_service.NewGroup("drlee", "Lee"), Operator.shell()
            )
        with pytest.raises(group_service.GroupError):
            await group_service.create_group(
                db, state, group_service.NewGroup("dermatology", "x"), Operator.shell()
            )
    from fediverse_cases.services.accounts import AccountError

    with pytest.raises(AccountError):
        await create_account(state, "dermatology", role=Role.PROFESSIONAL)
    assert (await client.get("/groups/nosuch", headers=AS2)).status_code == 404


async def test_remote_join_follows_the_join_rule(state, client, world) -> None:  # type: ignore[no-untyped-def]
    alice, bob, unverified, _group, network = world
    await make_group(state)
    assert await deliver(client, state, alice, alice.activity("Follow", GROUP)) == 202
    assert await follow_state(state, alice.actor_uri) == "accepted"
    assert await deliver(client, state, unverified, unverified.activity("Follow", GROUP)) == 202
    assert await follow_state(state, unverified.actor_uri) is None
    await delivery.run_once(state)
    answers = {
        body["object"]["actor"]: body["type"]
        for _, body in posts_to(network, "Accept") + posts_to(network, "Reject")
    }
    assert answers == {alice.actor_uri: "Accept", unverified.actor_uri: "Reject"}
    assert (await (await client.get("/groups/dermatology/followers", headers=AS2)).get_json())[
        "totalItems"
    ] == 1

    # Leaving: Undo(Follow).
    follow = alice.activity("Follow", GROUP)
    await deliver(client, state, alice, alice.activity("Undo", follow))
    assert await follow_state(state, alice.actor_uri) is None

    # "local": professionals of this hospital only.
    await make_group(state, "localonly", "local")
    await deliver(client, state, bob, bob.activity("Follow", "http://cases.test/groups/localonly"))
    assert await follow_state(state, bob.actor_uri, "http://cases.test/groups/localonly") is None


async def test_approval_group_waits_for_a_moderator_on_the_group_page(state, client, world) -> None:  # type: ignore[no-untyped-def]
    alice, _bob, _unverified, _group, network = world
    await make_group(state, "tumourboard", "approval")
    group = "http://cases.test/groups/tumourboard"
    follow = alice.activity("Follow", group)
    await deliver(client, state, alice, follow)
    assert await follow_state(state, alice.actor_uri, group) == "pending"
    await delivery.run_once(state)
    assert posts_to(network, "Accept") == []

    await sign_in(client, "drlee")
    page = await (await client.get("/groups/tumourboard")).get_data(as_text=True)
    assert "Join requests" in page and "alice@remote.example" in page
    async with state.sessionmaker() as db:
        follow_id = (
            await db.execute(select(Follow.id).where(Follow.activity_uri == follow["id"]))
        ).scalar_one()
    # No CSRF token: refused.
    assert (await client.post(f"/groups/tumourboard/requests/{follow_id}/approve")).status_code in (400, 403)
    response = await post_form(
        client, f"/groups/tumourboard/requests/{follow_id}/approve", {}, page="/groups/tumourboard"
    )
    assert response.status_code == 302
    assert await follow_state(state, alice.actor_uri, group) == "accepted"
    await delivery.run_once(state)
    [(url, accept)] = posts_to(network, "Accept")
    assert url == f"{alice.actor_uri}/inbox" and accept["object"]["id"] == follow["id"]
    assert accept["actor"] == group


async def test_local_clinicians_join_and_leave_with_the_form(state, client, world) -> None:  # type: ignore[no-untyped-def]
    await make_group(state, "localonly", "local")
    await sign_in(client, "viewer")
    await post_form(client, "/groups/localonly/join", {}, page="/groups/localonly")
    assert (
        await follow_state(state, "http://cases.test/users/viewer", "http://cases.test/groups/localonly")
        is None
    )
    await post_form(client, "/logout", {}, page="/")
    await sign_in(client, "drlee")
    assert (await client.post("/groups/localonly/join")).status_code in (400, 403)  # no CSRF token
    response = await post_form(client, "/groups/localonly/join", {}, page="/groups/localonly")
    assert response.status_code == 302
    assert (
        await follow_state(state, "http://cases.test/users/drlee", "http://cases.test/groups/localonly")
        == "accepted"
    )
    assert "Leave group" in await (await client.get("/groups/localonly")).get_data(as_text=True)
    await post_form(client, "/groups/localonly/leave", {}, page="/groups/localonly")
    assert (
        await follow_state(state, "http://cases.test/users/drlee", "http://cases.test/groups/localonly")
        is None
    )


def case_create(peer: FakePeer, network: FakeNetwork, n: int, *, to_group: str = GROUP) -> dict[str, Any]:
    image_url = f"{peer.base}/media/{peer.username}-{n}-display.jpg"
    network.media[image_url] = lesion_jpeg()
    note = {
        "id": f"{peer.base}/cases/{peer.username}-{n}",
        "type": "Note",
        "attributedTo": peer.actor_uri,
        "content": "<p>Annular plaque on the forearm, three weeks.</p>",
        "to": [PUBLIC],
        "cc": [f"{peer.actor_uri}/followers", to_group],
        "audience": to_group,
        "attachment": [{"type": "Image", "mediaType": "image/jpeg", "url": image_url, "name": "plaque"}],
    }
    activity = peer.activity("Create", note, to=[PUBLIC], cc=note["cc"], audience=to_group)
    return peer.with_proof(activity)


async def test_a_members_case_is_announced_unchanged_to_every_member(state, client, world) -> None:  # type: ignore[no-untyped-def]
    alice, bob, unverified, _group, network = world
    await make_group(state)
    for member in (alice, bob):
        await deliver(client, state, member, member.activity("Follow", GROUP))
    async with state.transaction() as db:
        drlee = await get_local_actor_by_username(db, "drlee")
        group = await get_local_actor_by_username(db, "dermatology")
        await group_service.join(db, state, drlee, group)
    await delivery.run_once(state)
    network.calls.clear()

    create = case_create(alice, network, 1)
    assert await deliver(client, state, alice, create) == 202
    await delivery.run_once(state)
    announces = posts_to(network, "Announce")
    # One per member server (shared inboxes), none to ourselves.
    assert sorted(url for url, _ in announces) == [
        "https://other.example/inbox",
        "https://remote.example/inbox",
    ]
    for _, announce in announces:
        assert announce["actor"] == GROUP and announce["audience"] == GROUP
        assert announce["object"] == create  # the author's activity, unchanged
        verify_object(announce["object"], alice.ed.public_multibase)  # its proof still verifies
    # The case is kept here and is in the group page and the local member's home feed.
    await sign_in(client, "drlee")
    assert "Annular plaque" in await (await client.get("/groups/dermatology")).get_data(as_text=True)
    assert "Annular plaque" in await (await client.get("/feed/following")).get_data(as_text=True)

    # Comments in the group travel the same way: a remote member's reply addressed to the
    # group, and a local member's reply written on the case page.
    network.calls.clear()
    reply = {
        "id": f"{bob.actor_uri}/comments/1",
        "type": "Note",
        "attributedTo": bob.actor_uri,
        "inReplyTo": create["object"]["id"],
        "content": "<p>Tinea corporis; scrape for KOH.</p>",
        "to": [PUBLIC, alice.actor_uri],
        "cc": [GROUP],
        "audience": GROUP,
    }
    reply_create = bob.with_proof(bob.activity("Create", reply, to=reply["to"], cc=[GROUP], audience=GROUP))
    await deliver(client, state, bob, reply_create)
    async with state.sessionmaker() as db:
        public_id = (
            await db.execute(select(Case.public_id).where(Case.ap_id == create["object"]["id"]))
        ).scalar_one()
    written = await post_form(
        client,
        f"/cases/{public_id}/comments",
        {"content": "Agree, and check the feet."},
        page=f"/cases/{public_id}",
    )
    assert written.status_code == 302
    await delivery.run_once(state)
    relayed = [body["object"] for _, body in posts_to(network, "Announce")]
    assert reply_create in relayed  # bob's reply, unchanged
    ours = [a for a in relayed if a["actor"] == "http://cases.test/users/drlee"]
    assert len(ours) == 2 and ours[0]["object"]["audience"] == GROUP  # one per member server
    assert GROUP in ours[0]["object"]["cc"]

    page = await (await client.get("/groups/dermatology")).get_data(as_text=True)
    assert "Active discussions" in page and "2 comments" in page

    # A non-member (and a non-professional) is not announced.
    network.calls.clear()
    await deliver(client, state, unverified, case_create(unverified, network, 2))
    await delivery.run_once(state)
    assert posts_to(network, "Announce") == []

    # A moderator removes the post: Undo(Announce) to the members, gone from the group page.
    async with state.sessionmaker() as db:
        post_id = (await db.execute(select(GroupPost.id).where(GroupPost.comment_id.is_(None)))).scalar_one()
    response = await post_form(
        client, f"/groups/dermatology/posts/{post_id}/remove", {}, page="/groups/dermatology"
    )
    assert response.status_code == 302
    await delivery.run_once(state)
    undos = posts_to(network, "Undo")
    assert len(undos) == 2 and all(body["object"]["type"] == "Announce" for _, body in undos)
    assert "Annular plaque" not in await (await client.get("/groups/dermatology")).get_data(as_text=True)


async def test_an_announce_from_a_joined_group_brings_the_case_in(state, client, world) -> None:  # type: ignore[no-untyped-def]
    alice, _bob, _unverified, remote_group, network = world
    async with state.transaction() as db:
        drlee = await get_local_actor_by_username(db, "drlee")
        group = await get_or_fetch_actor(db, state, remote_group.actor_uri)
        assert group.actor_type == "Group"
        follow = await group_service.join(db, state, drlee, group)
        assert follow.state == "pending"
    await delivery.run_once(state)
    [(_, sent)] = posts_to(network, "Follow")
    await deliver(client, state, remote_group, remote_group.activity("Accept", sent))
    assert await follow_state(state, "http://cases.test/users/drlee", remote_group.actor_uri) == "accepted"

    create = case_create(alice, network, 3, to_group=remote_group.actor_uri)
    announce = remote_group.activity("Announce", create, to=[PUBLIC])
    assert await deliver(client, state, remote_group, announce) == 202
    async with state.sessionmaker() as db:
        case = (await db.execute(select(Case).where(Case.ap_id == create["object"]["id"]))).scalar_one()
        [post] = (await db.execute(select(GroupPost))).scalars().all()
    assert post.case_id == case.id and post.state == "received"
    # Taken on the author's proof: the Note was not fetched from its origin.
    assert network.gets_of(create["object"]["id"]) == 0
    await sign_in(client, "drlee")
    assert "Annular plaque" in await (await client.get("/feed/following")).get_data(as_text=True)

    # A tampered copy (proof no longer verifies) is fetched from its origin instead: 404 there.
    forged = case_create(alice, network, 4, to_group=remote_group.actor_uri)
    forged["object"]["content"] = "<p>Something else.</p>"
    await deliver(client, state, remote_group, remote_group.activity("Announce", forged))
    assert network.gets_of(forged["object"]["id"]) == 1
    async with state.sessionmaker() as db:
        assert (await db.execute(select(Case).where(Case.ap_id == forged["object"]["id"]))).first() is None

    # A boost by a person is not a group post.
    await deliver(client, state, alice, alice.activity("Announce", case_create(alice, network, 5)))
    async with state.sessionmaker() as db:
        assert len((await db.execute(select(GroupPost))).scalars().all()) == 1

    # The group takes it back: hidden from the group feed and the home feed.
    await deliver(client, state, remote_group, remote_group.activity("Undo", announce))
    assert "Annular plaque" not in await (await client.get("/feed/following")).get_data(as_text=True)


async def test_client_api_shows_a_group_as_an_account(state, client, world) -> None:  # type: ignore[no-untyped-def]
    await make_group(state, "localonly", "local")
    lookup = await client.get("/api/v1/accounts/lookup?acct=localonly")
    assert lookup.status_code == 200
    account = await lookup.get_json()
    assert account["group"] is True and account["username"] == "localonly"
    person = await (await client.get("/api/v1/accounts/lookup?acct=drlee")).get_json()
    assert person["group"] is False
    token = await user_token(client, "viewer")
    found = await (
        await client.get("/api/v2/search?q=localonly&type=accounts", headers=bearer(token))
    ).get_json()
    assert [a["group"] for a in found["accounts"]] == [True]
    # Following a group from a client is joining it, under the group's rule (viewers may not).
    refused = await client.post(f"/api/v1/accounts/{account['id']}/follow", headers=bearer(token))
    assert refused.status_code == 403
    token = await user_token(client, "drlee")
    joined = await client.post(f"/api/v1/accounts/{account['id']}/follow", headers=bearer(token))
    assert joined.status_code == 200 and (await joined.get_json())["following"] is True
