"""Update and Delete of Notes arriving over the signed inbox, processed by the inbox worker:
edits by the author apply, edits and deletions by anyone else are refused, a Delete purges a
remote case with its cached image files and comments, and a Delete that arrives before its
Create is remembered so the Create is ignored."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.federation.dereference import get_or_fetch_actor
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer
from fediverse_cases.storage.models import Case, CaseImage, Comment, Follow
from fediverse_cases.storage.repositories import cases as cases_repo
from fediverse_cases.storage.repositories import comments as comments_repo
from fediverse_cases.storage.repositories import tombstones as tombstones_repo
from tests.support.case_rows import actor_of, insert_case
from tests.support.fed_peer import FakeNetwork, FakePeer, deliver, install_fake_network
from tests.support.instances import create_account

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
_IMAGE: list[bytes] = []


def lesion_jpeg() -> bytes:
    """A synthetic lesion photograph (no faces, no text) the de-identifier accepts."""
    if not _IMAGE:
        img = Image.new("RGB", (640, 480), (205, 160, 140))
        draw = ImageDraw.Draw(img)
        for i in range(8):
            r = 20 + i * 5
            x, y = 120 + i * 50, 100 + (i * 37) % 280
            draw.ellipse((x - r, y - r, x + r, y + r), fill=(170 - i * 3, 90 + i * 2, 80))
        out = io.BytesIO()
        img.save(out, "JPEG", quality=90)
        _IMAGE.append(out.getvalue())
    return _IMAGE[0]


class World:
    """Two remote accounts on one allowed peer (alice writes cases, mallory is another account
    on the same host) and a local follower of alice, over a fake network."""

    def __init__(self, state: Any, client: Any, network: FakeNetwork, alice: FakePeer, mallory: FakePeer):
        self.state, self.client, self.network = state, client, network
        self.alice, self.mallory = alice, mallory

    def case_note(self, n: int = 1, caption: str = "Annular plaque, 3 weeks") -> dict[str, Any]:
        image_url = f"{self.alice.base}/media/{n}-display.jpg"
        self.network.media[image_url] = lesion_jpeg()
        return {
            "id": f"{self.alice.base}/cases/{n}",
            "type": "Note",
            "attributedTo": self.alice.actor_uri,
            "content": f"<p>{caption}</p>",
            "to": [PUBLIC],
            "cc": [f"{self.alice.actor_uri}/followers"],
            "attachment": [
                {"type": "Image", "mediaType": "image/jpeg", "url": image_url, "name": "plaque", "width": 640}
            ],
            "tag": [{"type": "Hashtag", "name": "#dermatology"}],
        }

    def comment_note(self, author: FakePeer, parent: str, n: int = 1, text: str = "Tinea?") -> dict[str, Any]:
        return {
            "id": f"{author.actor_uri}/comments/{n}",
            "type": "Note",
            "attributedTo": author.actor_uri,
            "inReplyTo": parent,
            "content": f"<p>{text}</p>",
            "to": [PUBLIC],
        }

    async def send(self, peer: FakePeer, kind: str, obj: Any, expect: int = 202) -> None:
        status = await deliver(self.client, self.state, peer, peer.activity(kind, obj))
        assert status == expect, f"{kind}: inbox answered {status}, expected {expect}"

    async def forge_update(self, note: dict[str, Any], content: str) -> None:
        """Mallory edits alice's Note: as alice's (the inbox refuses it), then claiming to be its
        author (the inbox accepts it, the handler must refuse it: alice wrote the stored copy)."""
        await self.send(self.mallory, "Update", {**note, "content": content}, expect=403)
        claimed = {**note, "content": content, "attributedTo": self.mallory.actor_uri}
        await self.send(self.mallory, "Update", claimed)

    async def case(self, ap_id: str) -> Case | None:
        async with self.state.sessionmaker() as db:
            return await cases_repo.get_case_by_ap_id(db, ap_id)

    async def comment(self, ap_id: str) -> Comment | None:
        async with self.state.sessionmaker() as db:
            return await comments_repo.get_comment_by_ap_id(db, ap_id)

    async def tombstoned(self, ap_id: str) -> bool:
        async with self.state.sessionmaker() as db:
            return await tombstones_repo.is_tombstoned(db, ap_id)


@pytest.fixture
async def world(state, client) -> World:  # type: ignore[no-untyped-def]
    alice = FakePeer("remote.example", "alice")
    mallory = FakePeer("remote.example", "mallory")
    network = install_fake_network(state, [alice, mallory])
    lou = await create_account(state, "lou", role=Role.PROFESSIONAL, verified=True)
    lou_actor = await actor_of(state, lou)
    async with state.transaction() as db:
        await allow_peer(db, state, "remote.example", Operator.system(), scheme="https")
        remote = await get_or_fetch_actor(db, state, alice.actor_uri)
        db.add(Follow(follower_id=lou_actor.id, followed_id=remote.id, state="accepted"))
    return World(state, client, network, alice, mallory)


async def _image_keys(state: Any, case_id: int) -> list[str]:
    async with state.sessionmaker() as db:
        return list(
            (await db.execute(select(CaseImage.media_key).where(CaseImage.case_id == case_id))).scalars()
        )


async def test_update_of_a_remote_case_changes_its_caption(world: World) -> None:
    note = world.case_note(caption="Annular plaque, 3 weeks")
    await world.send(world.alice, "Create", note)
    assert (await world.case(note["id"])) is not None
    edited = {
        **note,
        "content": "<p>Annular plaque, 5 weeks, now scaly</p>",
        "summary": "Scaling",
        "sensitive": True,
    }
    await world.send(world.alice, "Update", edited)
    case = await world.case(note["id"])
    assert case is not None
    assert case.caption == "Annular plaque, 5 weeks, now scaly"
    assert case.content_warning == "Scaling" and case.sensitive


async def test_update_of_a_remote_case_from_non_author_is_refused(world: World) -> None:
    note = world.case_note(caption="Annular plaque, 3 weeks")
    await world.send(world.alice, "Create", note)
    await world.forge_update(note, "<p>forged caption</p>")
    case = await world.case(note["id"])
    assert case is not None and case.caption == "Annular plaque, 3 weeks"


async def test_update_of_a_remote_comment_changes_its_text(state, world: World) -> None:  # type: ignore[no-untyped-def]
    lou = await create_account(state, "lou2", role=Role.PROFESSIONAL, verified=True)
    local_case = await insert_case(state, lou)
    note = world.comment_note(world.alice, local_case.ap_id, text="Tinea corporis?")
    await world.send(world.alice, "Create", note)
    assert (await world.comment(note["id"])) is not None
    await world.send(world.alice, "Update", {**note, "content": "<p>Tinea corporis; do a KOH prep</p>"})
    comment = await world.comment(note["id"])
    assert comment is not None
    assert comment.content == "Tinea corporis; do a KOH prep"
    assert comment.edited_at is not None


async def test_update_from_non_author_is_refused(state, world: World) -> None:  # type: ignore[no-untyped-def]
    lou = await create_account(state, "lou2", role=Role.PROFESSIONAL, verified=True)
    local_case = await insert_case(state, lou)
    note = world.comment_note(world.alice, local_case.ap_id, text="Tinea corporis?")
    await world.send(world.alice, "Create", note)
    await world.forge_update(note, "<p>words alice never wrote</p>")
    comment = await world.comment(note["id"])
    assert comment is not None and comment.content == "Tinea corporis?" and comment.edited_at is None


async def test_delete_purges_remote_case_with_its_image_files_and_comments(world: World) -> None:
    note = world.case_note()
    await world.send(world.alice, "Create", note)
    case = await world.case(note["id"])
    assert case is not None
    keys = await _image_keys(world.state, case.id)
    assert keys and all(world.state.media_store.files(key) for key in keys)
    reply = world.comment_note(world.mallory, note["id"], text="Agree, likely tinea")
    await world.send(world.mallory, "Create", reply)
    assert (await world.comment(reply["id"])) is not None

    tombstone = {"id": note["id"], "type": "Tombstone", "formerType": "Note"}
    await world.send(world.alice, "Delete", tombstone)

    assert await world.case(note["id"]) is None
    assert await world.comment(reply["id"]) is None
    assert await _image_keys(world.state, case.id) == []
    assert all(world.state.media_store.files(key) == [] for key in keys)
    assert await world.tombstoned(note["id"])
    # A replayed Create of the deleted case does not bring it back.
    await world.send(world.alice, "Create", note)
    assert await world.case(note["id"]) is None


async def test_delete_before_create_is_remembered_and_the_create_ignored(world: World) -> None:
    note = world.case_note(n=7)
    await world.send(world.alice, "Delete", {"id": note["id"], "type": "Tombstone", "formerType": "Note"})
    assert await world.tombstoned(note["id"])
    await world.send(world.alice, "Create", note)
    assert await world.case(note["id"]) is None
    # Ignored before any work: the image was never even fetched.
    assert world.network.gets_of(note["attachment"][0]["url"]) == 0


async def test_delete_by_non_author_is_refused(world: World) -> None:
    note = world.case_note()
    await world.send(world.alice, "Create", note)
    case = await world.case(note["id"])
    assert case is not None
    keys = await _image_keys(world.state, case.id)
    await world.send(world.mallory, "Delete", {"id": note["id"], "type": "Tombstone", "formerType": "Note"})
    assert await world.case(note["id"]) is not None
    assert all(world.state.media_store.files(key) for key in keys)
    assert not await world.tombstoned(note["id"])


async def test_delete_of_a_remote_comment_by_non_author_is_refused(state, world: World) -> None:  # type: ignore[no-untyped-def]
    lou = await create_account(state, "lou2", role=Role.PROFESSIONAL, verified=True)
    local_case = await insert_case(state, lou)
    note = world.comment_note(world.alice, local_case.ap_id)
    await world.send(world.alice, "Create", note)
    await world.send(world.mallory, "Delete", {"id": note["id"], "type": "Tombstone"})
    comment = await world.comment(note["id"])
    assert comment is not None and comment.state == "visible"
    await world.send(world.alice, "Delete", {"id": note["id"], "type": "Tombstone"})
    comment = await world.comment(note["id"])
    assert comment is not None and comment.state == "deleted" and comment.content == ""
