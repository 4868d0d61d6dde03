"""Replays every activity a real bovine-herd 0.5.19 server sent us
(``tests/interop/payloads/bovine-herd-0.5``, captured verbatim), signed as a fake peer at its
origin, and checks what a user would see.

bovine's shapes differ from ours and from Takahē's: opaque actor ids (``/endpoints/<token>``)
with an equally opaque followers collection, single-valued ``to``/``cc``/``attachment``, DID and
Multikey contexts, a bare ``Tombstone`` in its Delete, and a loopback origin over plain http
(allowed here only because an admin allowed that host).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from fediverse_cases.core.accounts import Role
from fediverse_cases.federation.dereference import get_or_fetch_actor
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer
from fediverse_cases.storage.models import Case, CaseImage, Follow
from fediverse_cases.storage.repositories.accounts import get_local_actor_by_username
from tests.support.fed_peer import FakePeer, deliver, install_fake_network
from tests.support.instances import create_account
from tests.support.web import sign_in

PAYLOADS = Path(__file__).resolve().parents[1] / "interop" / "payloads" / "bovine-herd-0.5"
HOSPITAL = "http://127.0.0.1:18080"
HERD = "http://127.0.0.1:18085/endpoints/3-Aq_i1-DngwltCgMEMABGMN-2_0Ng7ESYI5Msazaog"
HERD_FOLLOWERS = "http://127.0.0.1:18085/endpoints/nJ3KO8YWjR1NIUX8L-ru8YgFDTMlroZDJSuQv9BVD7c"
HERD_INBOX = "http://127.0.0.1:18085/endpoints/inbox-token"
OUR_FOLLOW = f"{HOSPITAL}/users/clinician#follows/c0d3052a7814463cbd9f19c6e803052d"
IMAGE_URL = "http://127.0.0.1:18085/media/lesion.jpg"


class BovineActor(FakePeer):
    """A fake peer with bovine's opaque endpoint ids."""

    def __init__(self) -> None:
        super().__init__(host="127.0.0.1:18085", username="herd", scheme="http", verified=False)

    @property
    def actor_uri(self) -> str:  # type: ignore[override]
        return HERD

    def actor_document(self) -> dict[str, Any]:
        document = super().actor_document()
        document.update(
            inbox=HERD_INBOX,
            outbox="http://127.0.0.1:18085/endpoints/outbox-token",
            followers=HERD_FOLLOWERS,
            endpoints={},
        )
        del document["fediverseCases:verifiedProfessional"], document["fediverseCases:profession"]
        return document


@pytest.fixture
def settings_overrides() -> dict:
    return {"instance": {"base_url": HOSPITAL}}


def payload(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))


def lesion_jpeg() -> bytes:
    image = Image.new("RGB", (640, 480), (205, 160, 140))
    ImageDraw.Draw(image).ellipse((260, 190, 380, 290), fill=(160, 90, 80))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


async def _count(state: Any, model: Any, *where: Any) -> int:
    async with state.sessionmaker() as db:
        return int((await db.execute(select(func.count()).select_from(model).where(*where))).scalar_one())


async def _case(state: Any, ap_id: str) -> Case | None:
    async with state.sessionmaker() as db:
        return (await db.execute(select(Case).where(Case.ap_id == ap_id))).scalar_one_or_none()


async def test_every_captured_bovine_activity_is_processed_as_a_user_expects(state, client) -> None:  # type: ignore[no-untyped-def]
    herd = BovineActor()
    network = install_fake_network(state, [herd])
    network.media[IMAGE_URL] = lesion_jpeg()
    await create_account(state, "clinician", role=Role.PROFESSIONAL, verified=True)

    # Before an admin allows the loopback host, its signed POST is refused before any fetch.
    assert await deliver(client, state, herd, payload("13-follow")) == 403
    assert network.calls == []

    async with state.transaction() as db:
        await allow_peer(db, state, herd.host, Operator.system(), scheme="http")
        remote = await get_or_fetch_actor(db, state, HERD)
        local = await get_local_actor_by_username(db, "clinician")
        assert local is not None
        # The clinician asked to follow the herd actor (answered by 14).
        db.add(Follow(follower_id=local.id, followed_id=remote.id, state="pending", activity_uri=OUR_FOLLOW))

    # 13: the herd actor follows our clinician; accepted, and the Accept goes to its opaque inbox.
    assert await deliver(client, state, herd, payload("13-follow")) == 202
    assert await _count(state, Follow, Follow.followed_id == local.id, Follow.state == "accepted") == 1
    from fediverse_cases.federation import delivery

    await delivery.run_once(state)
    accepts = [r for r in network.calls if r.method == "POST" and str(r.url) == HERD_INBOX]
    assert accepts and json.loads(accepts[-1].content)["type"] == "Accept"

    # 14: Accept of our Follow, named by id only.
    assert await deliver(client, state, herd, payload("14-accept")) == 202
    assert await _count(state, Follow, Follow.follower_id == local.id, Follow.state == "accepted") == 1

    # 15: an image post (single-valued attachment, to: as:Public) becomes a case with its image.
    image_post = payload("15-create-note")["object"]["id"]
    assert await deliver(client, state, herd, payload("15-create-note")) == 202
    case = await _case(state, image_post)
    assert case is not None and "erythematous plaque" in case.caption
    assert case.visibility == "public"
    assert await _count(state, CaseImage, CaseImage.case_id == case.id) == 1

    # 16: a text-only post is not a case: dropped, and counted for the admin.
    text_post = payload("16-create-note")["object"]["id"]
    assert await deliver(client, state, herd, payload("16-create-note")) == 202
    assert await _case(state, text_post) is None

    # 17: Delete with a bare Tombstone purges the case and its image.
    assert await deliver(client, state, herd, payload("17-delete-tombstone")) == 202
    assert await _case(state, image_post) is None
    assert await _count(state, CaseImage) == 0
    # A replay of its Create is ignored (the id is remembered).
    assert await deliver(client, state, herd, payload("15-create-note")) == 202
    assert await _case(state, image_post) is None

    await create_account(state, "boss", role=Role.ADMIN)
    await sign_in(client, "boss")
    page = await (await client.get("/admin/federation")).get_data(as_text=True)
    assert "<td>127.0.0.1:18085</td><td>text-only post: not a case</td><td>1</td>" in page
