"""Statements of FEDERATION.md that had no test of their own (issue 18), each test's docstring
quoting the statement it backs: what a peer's Create becomes here, where our Likes, reports and
Update(Person) go, proofs on what we send, object endpoints (signed access, caching,
copy-status), withdrawal and delivery rules, and the time bounds pinned to the stated values.
Driven through the signed inbox, the pages and forms, and the delivery worker."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from PIL import Image
from sqlalchemy import select, update

from fediverse_cases.core.accounts import Role
from fediverse_cases.core.case_access import CaseState, Visibility
from fediverse_cases.crypto.integrity_proofs import verify_object
from fediverse_cases.federation import delivery
from fediverse_cases.federation.dereference import get_or_fetch_actor
from fediverse_cases.federation.outbox import enqueue
from fediverse_cases.services.follow_remote import follow_remote, unfollow_actor
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import (
    Actor,
    CaseImage,
    CaseTag,
    Comment,
    Delivery,
    Flag,
    Follow,
    Like,
    Peer,
    PeerDrop,
)
from fediverse_cases.storage.repositories.accounts import get_instance_actor
from tests.federation import test_fed_delivery, test_fed_inbox_notes
from tests.federation.test_fed_delivery import queue, rows
from tests.federation.test_fed_inbox_notes import World, lesion_jpeg
from tests.support.case_rows import actor_of, insert_case
from tests.support.fed_peer import FakePeer, deliver, install_fake_network
from tests.support.http_peer import FakeHttpPeer, Reply
from tests.support.instances import create_account
from tests.support.web import post_form, sign_in

# The fixtures of the modules whose worlds these statements live in.
world = test_fed_inbox_notes.world
peer = test_fed_delivery.peer

AS2 = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
_EXIF_ARTIST = "Dr Someone At Peer Hospital"


def _jpeg_with_exif() -> bytes:
    """The lesion photograph as a peer might serve it: with EXIF naming a person (tag 0x013B,
    Artist) and a camera model (0x0110)."""
    img = Image.open(io.BytesIO(lesion_jpeg()))
    exif = Image.Exif()
    exif[0x013B] = _EXIF_ARTIST
    exif[0x0110] = "PeerCam 3000"
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


async def _drops(state, host: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        found = (await db.execute(select(PeerDrop).where(PeerDrop.peer_host == host))).scalars()
        return {row.reason: row.count for row in found}


async def test_a_case_by_someone_nobody_here_follows_is_dropped_and_counted(world: World) -> None:
    """FEDERATION.md, Activities/Accepted: "Create(Note) without inReplyTo: stored as a remote
    case only if a local account follows its author" and the drop is "counted per peer and
    reason" (posts by people nobody here follows)."""
    followed = world.case_note(n=1)
    await world.send(world.alice, "Create", followed)
    assert await world.case(followed["id"]) is not None

    stranger = {**world.case_note(n=2), "id": f"{world.mallory.base}/cases/m2"}
    stranger["attributedTo"] = world.mallory.actor_uri
    await world.send(world.mallory, "Create", stranger)
    assert await world.case(stranger["id"]) is None
    assert (await _drops(world.state, "remote.example")).get("post by someone nobody here follows") == 1


async def test_remote_images_are_de_identified_again_not_served_as_received(world: World) -> None:
    """FEDERATION.md: remote images are "run through our own de-identification engine again
    (metadata stripped ...), and the engine's output is what we store and serve", and PHI
    guarantees: "we never serve a peer's bytes as received"."""
    note = world.case_note(n=3)
    as_received = _jpeg_with_exif()
    world.network.media[note["attachment"][0]["url"]] = as_received
    assert _EXIF_ARTIST.encode() in as_received
    await world.send(world.alice, "Create", note)
    case = await world.case(note["id"])
    assert case is not None
    async with world.state.sessionmaker() as db:
        [key] = (await db.execute(select(CaseImage.media_key).where(CaseImage.case_id == case.id))).scalars()
    files = world.state.media_store.files(key)
    assert files
    served = 0
    for path in files:
        response = await world.client.get(f"/media/{path.name}")
        assert response.status_code == 200
        body = await response.get_data()
        assert body != as_received and _EXIF_ARTIST.encode() not in body and b"PeerCam" not in body
        assert not Image.open(io.BytesIO(body)).getexif()
        served += 1
    assert served >= 1


async def test_a_refused_image_is_dropped_and_a_case_without_images_is_dropped(world: World) -> None:
    """FEDERATION.md: "a refused image is dropped (logged). A case with no surviving image is
    dropped." and counted per peer ("images refused")."""
    two = world.case_note(n=4)
    broken_url = f"{world.alice.base}/media/4-broken.jpg"
    world.network.media[broken_url] = b"\xff\xd8\xff not really a jpeg"
    two["attachment"] = [*two["attachment"], {**two["attachment"][0], "url": broken_url}]
    await world.send(world.alice, "Create", two)
    case = await world.case(two["id"])
    assert case is not None
    async with world.state.sessionmaker() as db:
        images = (await db.execute(select(CaseImage).where(CaseImage.case_id == case.id))).scalars().all()
    assert len(images) == 1

    none_left = world.case_note(n=5)
    none_left["attachment"] = [{**none_left["attachment"][0], "url": broken_url}]
    await world.send(world.alice, "Create", none_left)
    assert await world.case(none_left["id"]) is None
    assert (await _drops(world.state, "remote.example")).get("no image survived de-identification") == 1


@pytest.mark.parametrize(
    ("age", "gives_up"), [(timedelta(days=2), False), (timedelta(days=3, minutes=1), True)]
)
async def test_the_peer_is_marked_unreachable_after_three_days(state, peer, age, gives_up) -> None:  # type: ignore[no-untyped-def]
    """FEDERATION.md, Delivery: "after 3 days the peer is marked unreachable" (not at 2)."""
    await queue(state, [peer.url("/broken/inbox")])
    async with state.transaction() as db:
        await db.execute(update(Delivery).values(first_attempt_at=utcnow() - age, attempts=1))
    await delivery.run_once(state)
    async with state.sessionmaker() as db:
        health = (await db.execute(select(Peer).where(Peer.host == peer.host))).scalar_one()
    assert ((await rows(state))["broken"].state == "gave_up") is gives_up
    assert (health.unreachable_since is not None) is gives_up


def _reply(peer_: FakePeer, case_ap_id: str, n: int) -> dict:
    note = {
        "id": f"{peer_.actor_uri}/notes/{n}",
        "type": "Note",
        "attributedTo": peer_.actor_uri,
        "inReplyTo": case_ap_id,
        "content": f"<p>Differential number {n}: consider tinea.</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }
    return peer_.with_proof(peer_.activity("Create", note))


@pytest.mark.parametrize(("age", "refetched"), [(timedelta(hours=5), False), (timedelta(hours=7), True)])
async def test_a_remote_claim_is_refetched_once_six_hours_old(client, state, age, refetched) -> None:  # type: ignore[no-untyped-def]
    """FEDERATION.md: "a stored actor (keys and claim) is fetched again once it is 6 hours old"
    (at 5 hours the revoked claim still counts, at 7 it no longer does)."""
    author = await create_account(state, "dr_author", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, author)
    alice = FakePeer("b.example", "alice", verified=True)
    install_fake_network(state, [alice])
    async with state.transaction() as db:
        await allow_peer(db, state, "b.example", Operator.system())
    assert await deliver(client, state, alice, _reply(alice, case.ap_id, 1)) == 202
    alice.verified = False  # revoked at B; the Update(Person) is lost on the way
    async with state.transaction() as db:
        await db.execute(update(Actor).where(Actor.uri == alice.actor_uri).values(fetched_at=utcnow() - age))
    assert await deliver(client, state, alice, _reply(alice, case.ap_id, 2)) == 202
    async with state.sessionmaker() as db:
        stored = {c.ap_id for c in (await db.execute(select(Comment))).scalars()}
    assert (f"{alice.actor_uri}/notes/2" in stored) is not refetched


async def _deliveries(state, kind: str) -> list[Delivery]:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        found = await db.execute(select(Delivery).where(Delivery.activity_type == kind).order_by(Delivery.id))
        return list(found.scalars())


async def test_likes_and_reports_of_a_remote_case_go_home_and_its_delete_purges_them(world: World) -> None:
    """FEDERATION.md, Activities/Sent: "Like/Undo(Like) on remote cases (to the case's home),
    Flag (reports go to the home instance of the content, sent by our instance actor so the
    reporter stays anonymous)"; Accepted: a Delete "purges a remote case (... likes, flags)"."""
    note = world.case_note(n=6)
    await world.send(world.alice, "Create", note)
    case = await world.case(note["id"])
    assert case is not None
    await sign_in(world.client, "lou")
    page = f"/cases/{case.public_id}"
    assert (await post_form(world.client, f"{page}/like", {}, page=page)).status_code == 302
    assert (await post_form(world.client, f"{page}/unlike", {}, page=page)).status_code == 302
    assert (await post_form(world.client, f"{page}/like", {}, page=page)).status_code == 302
    home = {world.alice.actor_uri + "/inbox", f"{world.alice.base}/inbox"}
    likes, undos = await _deliveries(world.state, "Like"), await _deliveries(world.state, "Undo")
    assert len(likes) == 2 and len(undos) == 1
    for row in [*likes, *undos]:
        assert row.inbox_url in home
        payload = json.loads(row.payload)
        assert payload["actor"].endswith("/users/lou")
    assert json.loads(likes[0].payload)["object"] == note["id"]
    assert json.loads(undos[0].payload)["object"]["type"] == "Like"

    response = await post_form(world.client, f"{page}/flag", {"reason": "looks identifiable"}, page=page)
    assert response.status_code == 302
    [flag] = await _deliveries(world.state, "Flag")
    async with world.state.sessionmaker() as db:
        instance = await get_instance_actor(db)
    assert instance is not None
    payload = json.loads(flag.payload)
    assert flag.inbox_url in home and flag.sender_actor_id == instance.id
    assert payload["actor"] == instance.uri and "lou" not in flag.payload
    assert note["id"] in json.dumps(payload["object"])
    await _assert_every_delivery_carries_its_senders_proof(world.state, {"Like", "Undo", "Flag"})
    async with world.state.sessionmaker() as db:
        assert (await db.execute(select(Like).where(Like.case_id == case.id))).scalars().all()
        assert (await db.execute(select(Flag).where(Flag.case_id == case.id))).scalars().all()

    await world.send(world.alice, "Delete", {"id": note["id"], "type": "Tombstone", "formerType": "Note"})
    async with world.state.sessionmaker() as db:
        assert (await db.execute(select(Like).where(Like.case_id == case.id))).scalars().all() == []
        assert (await db.execute(select(Flag).where(Flag.case_id == case.id))).scalars().all() == []


async def test_withdrawal_in_the_case_page_cancels_pending_deliveries_of_the_case(world: World) -> None:
    """FEDERATION.md, Consent withdrawal: withdrawal "cancels still-pending deliveries of the
    case" (the follower still gets the Delete)."""
    author = await create_account(world.state, "dr_withdraw", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(world.state, author)
    author_actor = await actor_of(world.state, author)
    async with world.state.transaction() as db:
        alice = await get_or_fetch_actor(db, world.state, world.alice.actor_uri)
        db.add(Follow(follower_id=alice.id, followed_id=author_actor.id, state="accepted"))
        create = {
            "id": f"{case.ap_id}/activity",
            "type": "Create",
            "actor": author_actor.uri,
            "object": case.ap_id,
        }
        await enqueue(
            db,
            world.state,
            activity=create,
            sender=author_actor,
            inboxes=[f"{world.alice.base}/inbox"],
            object_id=case.ap_id,
        )
    await sign_in(world.client, "dr_withdraw")
    page = f"/cases/{case.public_id}/withdraw"
    response = await post_form(world.client, page, {"confirm": "withdraw"}, page=page)
    assert response.status_code == 302
    [create_row] = await _deliveries(world.state, "Create")
    [delete_row] = await _deliveries(world.state, "Delete")
    assert create_row.state == "cancelled"
    assert delete_row.state == "pending" and delete_row.object_id == case.ap_id
    await _assert_every_delivery_carries_its_senders_proof(world.state, {"Delete"})


async def test_a_followers_and_peers_case_is_served_only_to_signed_gets_from_allowed_peers(
    world: World,
) -> None:
    """FEDERATION.md, Object endpoints: "'Followers and peers' cases are served only to signed
    GETs from allowed peers" (an unsigned GET gets 404, a signed one from an allowed peer 200)."""
    author = await create_account(world.state, "dr_peers", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(world.state, author, visibility=Visibility.FOLLOWERS)
    path = f"/cases/{case.public_id}"
    unsigned = await world.client.get(path, headers={"Accept": AS2, "Host": "cases.test"})
    assert unsigned.status_code == 404
    signed = {**world.alice.signed_get(case.ap_id), "Host": "cases.test"}
    response = await world.client.get(path, headers=signed)
    assert response.status_code == 200
    note = await response.get_json()
    assert note["id"] == case.ap_id and PUBLIC not in json.dumps(note)


async def test_a_received_case_not_addressed_to_public_is_shown_to_signed_in_members_only(
    world: World,
) -> None:
    """FEDERATION.md, Addressing: "Received cases addressed otherwise than Public are shown to
    signed-in members only"."""
    public = world.case_note(n=9)
    await world.send(world.alice, "Create", public)
    public_case = await world.case(public["id"])
    assert public_case is not None
    assert (await world.client.get(f"/cases/{public_case.public_id}")).status_code == 200
    note = world.case_note(n=8)
    note["to"], note["cc"] = [f"{world.alice.actor_uri}/followers"], []
    await world.send(world.alice, "Create", note)
    case = await world.case(note["id"])
    assert case is not None
    page = f"/cases/{case.public_id}"
    assert (await world.client.get(page)).status_code == 404
    await sign_in(world.client, "lou")
    response = await world.client.get(page)
    assert response.status_code == 200 and "Annular plaque" in await response.get_data(as_text=True)


async def test_comment_replies_outbox_and_collection_documents_revalidate_with_304(state, client) -> None:  # type: ignore[no-untyped-def]
    """FEDERATION.md, Object endpoints/Caching: every 200 of a "comment, replies, outbox or
    collection document carries a strong ETag, and If-None-Match with the current tag gets 304
    with no body"; they say `public, no-cache`."""
    author = await create_account(state, "dr_cache", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, author)
    actor = await actor_of(state, author)
    async with state.transaction() as db:
        db.add(
            Comment(
                public_id="cm1",
                ap_id=state.urls.comment("cm1"),
                case_id=case.id,
                author_actor_id=actor.id,
                content="Consider biopsy",
                state="visible",
            )
        )
    headers = {"Accept": AS2, "Host": "cases.test"}
    paths = [
        "/comments/cm1",
        f"/cases/{case.public_id}/replies",
        f"/cases/{case.public_id}/activity",
        "/users/dr_cache/outbox",
        "/users/dr_cache/outbox?page=1",
        "/users/dr_cache/followers",
        "/users/dr_cache/following",
        "/actor/outbox",
    ]
    for path in paths:
        first = await client.get(path, headers=headers)
        assert first.status_code == 200, path
        etag = first.headers.get("ETag", "")
        assert etag.startswith('"') and first.headers["Cache-Control"] == "public, no-cache", path
        again = await client.get(path, headers={**headers, "If-None-Match": etag})
        assert again.status_code == 304 and await again.get_data() == b"", path
        other = await client.get(path, headers={**headers, "If-None-Match": '"something-else"'})
        assert other.status_code == 200, path


async def _assert_every_delivery_carries_its_senders_proof(state, kinds: set[str]) -> None:  # type: ignore[no-untyped-def]
    """FEDERATION.md, Signatures: "Every activity we send carries a FEP-8b32 integrity proof
    (eddsa-jcs-2022) whose verification method is the actor's #ed25519-key"."""
    async with state.sessionmaker() as db:
        found = list((await db.execute(select(Delivery))).scalars())
        seen = set()
        for row in found:
            sender = await db.get(Actor, row.sender_actor_id)
            assert sender is not None
            payload = json.loads(row.payload)
            proof = verify_object(payload, sender.ed25519_public_multibase, f"{sender.uri}#ed25519-key")
            assert proof.verification_method == f"{sender.uri}#ed25519-key"
            seen.add(row.activity_type)
    assert kinds <= seen, seen


async def test_update_person_reaches_followers_allowed_peers_and_every_inbox_once(state, client) -> None:  # type: ignore[no-untyped-def]
    """FEDERATION.md, Activities/Sent: Update(Person) goes "to followers, allowed peers' instance
    actors and every inbox the person ever sent to"; Delivery: "One delivery row per distinct
    inbox (shared inbox preferred)" (two followers on one server: one row); every activity sent
    carries the sender's FEP-8b32 proof."""
    drlee = await create_account(state, "drlee", role=Role.PROFESSIONAL, verified=True)
    local = await actor_of(state, drlee)
    alice, mallory = FakePeer("followers.example", "alice"), FakePeer("followers.example", "mallory")
    hospital = FakePeer("peer.example", "instance")
    carol = FakePeer("sent.example", "carol")
    install_fake_network(state, [alice, mallory, hospital, carol])
    async with state.transaction() as db:
        for host in ("followers.example", "peer.example", "sent.example"):
            await allow_peer(db, state, host, Operator.system(), scheme="https")
    async with state.transaction() as db:
        for follower in (alice, mallory):
            remote = await get_or_fetch_actor(db, state, follower.actor_uri)
            db.add(Follow(follower_id=remote.id, followed_id=local.id, state="accepted"))
        await get_or_fetch_actor(db, state, hospital.actor_uri)
    async with state.transaction() as db:
        # The peer hospital's instance actor, as its document would type it.
        await db.execute(update(Actor).where(Actor.uri == hospital.actor_uri).values(actor_type="Service"))
        # Something drlee once sent to carol's own inbox (a like of her post).
        like = {
            "id": f"{local.uri}#like-1",
            "type": "Like",
            "actor": local.uri,
            "object": f"{carol.base}/notes/1",
        }
        await enqueue(db, state, activity=like, sender=local, inboxes=[f"{carol.actor_uri}/inbox"])

    await sign_in(client, "drlee")
    response = await post_form(
        client,
        "/settings/profile",
        {"display_name": "Dr Lee Renamed", "specialty": "Dermatology", "institution": "General"},
        page="/settings/profile",
    )
    assert response.status_code == 302
    updates = await _deliveries(state, "Update")
    assert sorted(row.inbox_url for row in updates) == [
        "https://followers.example/inbox",
        "https://peer.example/inbox",
        f"{carol.actor_uri}/inbox",
    ]
    assert all(json.loads(row.payload)["object"]["name"] == "Dr Lee Renamed" for row in updates)
    await _assert_every_delivery_carries_its_senders_proof(state, {"Update", "Like"})


async def test_a_delivery_redirected_to_another_host_is_retried_later_not_followed(state, peer) -> None:  # type: ignore[no-untyped-def]
    """FEDERATION.md, Delivery: a POST redirect is followed only on the same host; "a redirect
    elsewhere is retried later, not treated as final" (even to another allowed peer)."""
    other = await FakeHttpPeer(lambda path: Reply(202)).start()
    try:
        async with state.transaction() as db:
            await allow_peer(db, state, other.host, Operator.system())
        moved = await FakeHttpPeer(lambda path: Reply(307, {"Location": other.url("/inbox")})).start()
        try:
            async with state.transaction() as db:
                await allow_peer(db, state, moved.host, Operator.system())
            started = utcnow()
            await queue(state, [moved.url("/inbox")])
            assert await delivery.run_once(state) == 1
        finally:
            await moved.stop()
        assert [r.path for r in moved.received] == ["/inbox"]
        assert other.received == []
        [row] = await _deliveries(state, "Create")
        assert row.state == "pending" and row.last_status is None and "another host" in row.last_error
        assert row.next_attempt_at > started
    finally:
        await other.stop()


async def test_admins_see_the_erasure_report(state, app, client) -> None:  # type: ignore[no-untyped-def]
    """FEDERATION.md, Consent withdrawal: the erasure report is shown to the author, reviewers
    "and admins" (a professional who is none of these gets 404)."""
    author = await create_account(state, "dr_gone", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "boss", role=Role.ADMIN)
    await create_account(state, "bystander", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, author, case_state=CaseState.WITHDRAWN, caption="")
    page = f"/cases/{case.public_id}/erasure"
    await sign_in(client, "bystander")
    assert (await client.get(page)).status_code == 404
    admin = app.test_client()
    await sign_in(admin, "boss")
    response = await admin.get(page)
    assert response.status_code == 200
    assert "never left this instance" in await response.get_data(as_text=True)


async def test_can_like_and_can_reply_name_the_case_audience(world: World) -> None:
    """FEDERATION.md, Activities: every case Note's interactionPolicy gives "canReply and canLike
    its audience" (Public for a public case; followers and peers, never Public, otherwise)."""
    author = await create_account(world.state, "dr_policy", role=Role.PROFESSIONAL, verified=True)
    signed = {"Accept": AS2, "Host": "cases.test"}
    for visibility in (Visibility.PUBLIC, Visibility.FOLLOWERS):
        case = await insert_case(world.state, author, visibility=visibility)
        headers = (
            {**world.alice.signed_get(case.ap_id), "Host": "cases.test"} if visibility != "public" else signed
        )
        response = await world.client.get(f"/cases/{case.public_id}", headers=headers)
        assert response.status_code == 200
        note = await response.get_json()
        audience = {*note.get("to", []), *note.get("cc", [])}
        policy = note["interactionPolicy"]
        for rule in ("canLike", "canReply"):
            allowed = set(policy[rule]["always"])
            assert allowed and allowed <= audience | {note["attributedTo"]}, (visibility, rule, policy)
            assert (PUBLIC in allowed) is (visibility == Visibility.PUBLIC), (visibility, rule)
        if visibility == Visibility.FOLLOWERS:
            assert f"{note['attributedTo']}/followers" in policy["canLike"]["always"]


async def test_copy_status_answers_only_the_objects_home_with_held_and_tombstoned(world: World) -> None:
    """FEDERATION.md, Object endpoints: `GET /ap/copy-status?id=<iri>` (signed GET from the
    object's own host) → {"id", "held", "tombstoned"} with 200 while we hold a copy, 410 once
    it is deleted here; anyone else is refused."""
    note = world.case_note(n=10)
    await world.send(world.alice, "Create", note)
    url = f"http://cases.test/ap/copy-status?{urlencode({'id': note['id']})}"
    path = url.removeprefix("http://cases.test")

    def signed(peer_: FakePeer, target: str) -> dict[str, str]:
        return {**peer_.signed_get(target), "Host": "cases.test"}

    held = await world.client.get(path, headers=signed(world.alice, url))
    assert held.status_code == 200
    assert await held.get_json() == {"id": note["id"], "held": True, "tombstoned": False}
    assert (await world.client.get(path, headers={"Host": "cases.test"})).status_code == 403
    elsewhere_url = (
        f"http://cases.test/ap/copy-status?{urlencode({'id': 'https://elsewhere.example/cases/1'})}"
    )
    elsewhere = await world.client.get(
        elsewhere_url.removeprefix("http://cases.test"), headers=signed(world.alice, elsewhere_url)
    )
    assert elsewhere.status_code == 403

    await world.send(world.alice, "Delete", {"id": note["id"], "type": "Tombstone", "formerType": "Note"})
    gone = await world.client.get(path, headers=signed(world.alice, url))
    assert gone.status_code == 410
    assert await gone.get_json() == {"id": note["id"], "held": False, "tombstoned": True}


async def test_media_on_a_host_that_is_not_allowed_is_never_fetched(world: World) -> None:
    """FEDERATION.md, Allow-list: we never "fetch media from a non-allowed host"."""
    note = world.case_note(n=11)
    blocked = "https://blocked.example/media/11.jpg"
    world.network.media[blocked] = lesion_jpeg()
    note["attachment"] = [{**note["attachment"][0], "url": blocked}]
    await world.send(world.alice, "Create", note)
    assert await world.case(note["id"]) is None
    assert world.network.requests_to("blocked.example") == []


async def test_our_documents_define_their_extension_terms_inline(state, client) -> None:  # type: ignore[no-untyped-def]
    """FEDERATION.md, Actors and Cases: the `fediverseCases:` prefix (=
    https://fediverse-cases.example/ns#) is defined inline in our @context, next to
    "blurhash": "toot:blurhash", "sensitive": "as:sensitive" and security/v1 on case Notes."""
    author = await create_account(state, "dr_context", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, author)
    headers = {"Accept": AS2, "Host": "cases.test"}
    for path in ("/users/dr_context", f"/cases/{case.public_id}"):
        document = await (await client.get(path, headers=headers)).get_json()
        terms: dict = {}
        for entry in document["@context"]:
            if isinstance(entry, dict):
                terms |= entry
        assert terms["fediverseCases"] == "https://fediverse-cases.example/ns#", path
        assert "https://w3id.org/security/v1" in document["@context"], path
        if path.startswith("/cases/"):
            assert terms["blurhash"] == "toot:blurhash" and terms["sensitive"] == "as:sensitive"


async def test_comments_by_non_professionals_are_dropped_and_counted(world: World) -> None:
    """FEDERATION.md, Activities/Accepted: a comment from someone who is not a verified or vouched
    professional is not stored, and the drop is counted per peer and reason ("comments by
    non-professionals")."""
    author = await create_account(world.state, "dr_host", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(world.state, author)
    world.mallory.verified = False
    reply = world.comment_note(world.mallory, case.ap_id, text="Looks like tinea to me")
    await world.send(world.mallory, "Create", reply)
    assert await world.comment(reply["id"]) is None
    drops = await _drops(world.state, "remote.example")
    assert drops.get("comment by someone not a verified or vouched professional") == 1


async def test_a_professional_claim_is_believed_only_from_the_home_actor_document(world: World) -> None:
    """FEDERATION.md, Actors: "Only the home instance's own actor document is believed; the claim
    is not transferable" (a copy of the actor embedded in the activity claiming the badge does
    not make an unverified author's comment count)."""
    author = await create_account(world.state, "dr_home", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(world.state, author)
    world.mallory.verified = False
    claimed = {**world.mallory.actor_document(), "fediverseCases:verifiedProfessional": True}
    claimed["fediverseCases:profession"] = "Radiologist"
    reply = world.comment_note(world.mallory, case.ap_id, text="Looks like tinea to me")
    reply["attributedTo"] = claimed
    activity = world.mallory.activity("Create", reply)
    activity["actor"] = claimed
    status = await deliver(world.client, world.state, world.mallory, activity)
    assert status == 202, status
    assert await world.comment(reply["id"]) is None
    async with world.state.sessionmaker() as db:
        stored = (
            await db.execute(select(Actor).where(Actor.uri == world.mallory.actor_uri))
        ).scalar_one_or_none()
    assert stored is None or not stored.verified_professional


async def test_follow_accept_and_undo_we_send_carry_the_senders_proof(world: World) -> None:
    """FEDERATION.md, Signatures: "Every activity we send carries a FEP-8b32 integrity proof"
    whose verification method is the actor's #ed25519-key: here the Accept of an inbound Follow,
    an outbound Follow and its Undo, as they arrive at the peer."""
    lou = await create_account(world.state, "lou_follows", role=Role.PROFESSIONAL, verified=True)
    await world.send(world.mallory, "Follow", "http://cases.test/users/lou_follows")
    _follow, remote = await follow_remote(world.state, lou, "@mallory@remote.example", Operator.system())
    assert await unfollow_actor(world.state, lou, remote.id, Operator.system())
    await delivery.run_once(world.state)
    await _assert_every_delivery_carries_its_senders_proof(world.state, {"Accept", "Follow", "Undo"})
    sent = [json.loads(r.content) for r in world.network.calls if r.method == "POST"]
    assert {activity["type"] for activity in sent} >= {"Accept", "Follow", "Undo"}
    lou_actor = await actor_of(world.state, lou)
    for activity in sent:
        verify_object(activity, lou_actor.ed25519_public_multibase, f"{lou_actor.uri}#ed25519-key")


async def test_an_update_of_a_remote_case_changes_its_tags(world: World) -> None:
    """FEDERATION.md, Activities/Accepted: "Update(Note): caption/content warning/tags of a remote
    case" (the tags part; caption and content warning are in test_fed_inbox_notes.py)."""
    note = world.case_note(n=12)
    await world.send(world.alice, "Create", note)
    case = await world.case(note["id"])
    assert case is not None

    async def tags() -> set[str]:
        async with world.state.sessionmaker() as db:
            return set((await db.execute(select(CaseTag.tag).where(CaseTag.case_id == case.id))).scalars())

    assert "dermatology" in await tags()
    await world.send(world.alice, "Update", {**note, "tag": [{"type": "Hashtag", "name": "#tinea"}]})
    after = await tags()
    assert "tinea" in after and "dermatology" not in after


async def test_a_signed_get_of_a_comment_from_a_host_not_allowed_gets_403(world: World) -> None:
    """FEDERATION.md, Object endpoints: a signed GET from a host that is not allowed gets 403
    before any key fetch — for comments too (cases, actors and collections are tested
    elsewhere); the same GET unsigned is anonymous and gets the public comment."""
    author = await create_account(world.state, "dr_comment", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(world.state, author)
    actor = await actor_of(world.state, author)
    async with world.state.transaction() as db:
        db.add(
            Comment(
                public_id="cm9",
                ap_id=world.state.urls.comment("cm9"),
                case_id=case.id,
                author_actor_id=actor.id,
                content="Consider biopsy",
                state="visible",
            )
        )
    url = world.state.urls.comment("cm9")
    eve = FakePeer("stranger.example", "eve")
    refused = await world.client.get("/comments/cm9", headers={**eve.signed_get(url), "Host": "cases.test"})
    assert refused.status_code == 403
    assert world.network.requests_to("stranger.example") == []
    anonymous = await world.client.get("/comments/cm9", headers={"Accept": AS2, "Host": "cases.test"})
    assert anonymous.status_code == 200 and "Consider biopsy" in (await anonymous.get_json())["content"]
