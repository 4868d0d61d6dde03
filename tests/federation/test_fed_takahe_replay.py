"""Replays every activity a real Takahē 0.11 server sent us (``tests/interop/payloads/takahe-0.11``,
captured verbatim), signed as a fake peer at its origin, and checks what a user would see.

Takahē's shapes differ from ours: ``to: "as:Public"`` as a string, single-valued ``cc`` and
``tag``, actor ids and hashtag links ending in a slash, image attachments typed ``Document``,
and **one Update id reused for every edit of a post** — an edit after the first must still be
applied, while an exact replay stays a duplicate.
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
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer, vouch_actor
from fediverse_cases.storage.models import Case, CaseImage, CaseTag, Comment, Follow, Like
from fediverse_cases.storage.repositories.accounts import get_local_actor_by_username
from tests.support.case_rows import insert_case
from tests.support.fed_peer import FakePeer, install_fake_network
from tests.support.instances import create_account
from tests.support.web import sign_in

PAYLOADS = Path(__file__).resolve().parents[1] / "interop" / "payloads" / "takahe-0.11"
HOSPITAL = "https://hospital.test"
DOC = "https://takahe.test/@doc@takahe.test/"
STRANGER = "https://other.test/@stranger@other.test/"
REPLIED_CASE, BOOSTED_CASE, LESION_CASE = (
    "64b2541f8e0d0ee15321",
    "4625376d768cb05f521b",
    "205655cac2868a0d0a30",
)
OUR_FOLLOW = f"{HOSPITAL}/users/clinician#follows/c6c0ef1b25234aa891e5a299018a0d21"
IMAGE_URL = "https://takahe.test/media/attachments/2026/12/1/o2Gaor_3csR8D-lIZPLMJOp6wSQ.webp"


class TakaheActor(FakePeer):
    """A fake peer whose actor has Takahē's URL shapes (trailing slashes, shared ``/inbox/``)."""

    def __init__(self, actor_uri: str) -> None:
        host = actor_uri.split("/")[2]
        super().__init__(host=host, username=actor_uri.rstrip("/").rsplit("@", 2)[-2], verified=False)
        self._uri = actor_uri

    @property
    def actor_uri(self) -> str:  # type: ignore[override]
        return self._uri

    def actor_document(self) -> dict[str, Any]:
        document = super().actor_document()
        document.update(
            inbox=f"{self._uri}inbox/",
            outbox=f"{self._uri}outbox/",
            followers=f"{self._uri}followers/",
            endpoints={"sharedInbox": f"https://{self.host}/inbox/"},
        )
        del document["fediverseCases:verifiedProfessional"], document["fediverseCases:profession"]
        return document


@pytest.fixture
def settings_overrides() -> dict:
    return {"instance": {"base_url": HOSPITAL}}


def payload(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))


def scan_image() -> bytes:
    """A plain synthetic scan (no text, no face) for the Takahē image post."""
    image = Image.new("L", (640, 640), 30)
    ImageDraw.Draw(image).ellipse((260, 250, 360, 350), fill=200)
    out = io.BytesIO()
    image.convert("RGB").save(out, "WEBP")
    return out.getvalue()


class Hospital:
    def __init__(self, state: Any, client: Any) -> None:
        self.state, self.client = state, client
        self.doc, self.stranger = TakaheActor(DOC), TakaheActor(STRANGER)
        self.network = install_fake_network(state, [self.doc, self.stranger])
        self.network.media[IMAGE_URL] = scan_image()

    async def send(self, activity: dict[str, Any], sender: FakePeer | None = None) -> int:
        from tests.support.fed_peer import deliver

        return await deliver(self.client, self.state, sender or self.doc, activity)

    async def count(self, model: Any, *where: Any) -> int:
        async with self.state.sessionmaker() as db:
            return int((await db.execute(select(func.count()).select_from(model).where(*where))).scalar_one())

    async def comment(self, ap_id: str) -> Comment | None:
        async with self.state.sessionmaker() as db:
            return (await db.execute(select(Comment).where(Comment.ap_id == ap_id))).scalar_one_or_none()

    async def case(self, ap_id: str) -> Case | None:
        async with self.state.sessionmaker() as db:
            return (await db.execute(select(Case).where(Case.ap_id == ap_id))).scalar_one_or_none()


@pytest.fixture
async def hospital(state, client) -> Hospital:  # type: ignore[no-untyped-def]
    clinician = await create_account(state, "clinician", role=Role.PROFESSIONAL, verified=True)
    for public_id in (REPLIED_CASE, BOOSTED_CASE, LESION_CASE):
        await insert_case(state, clinician, public_id=public_id)
    async with state.transaction() as db:
        await allow_peer(db, state, "takahe.test", Operator.system(), scheme="https")
    world = Hospital(state, client)
    from fediverse_cases.federation.dereference import get_or_fetch_actor

    async with state.transaction() as db:  # the clinician asked to follow doc (answered by 04)
        remote = await get_or_fetch_actor(db, state, DOC)
        local = await get_local_actor_by_username(db, "clinician")
        db.add(Follow(follower_id=local.id, followed_id=remote.id, state="pending", activity_uri=OUR_FOLLOW))  # type: ignore[union-attr]
    return world


async def test_every_captured_takahe_activity_is_processed_as_a_user_expects(
    hospital: Hospital, state
) -> None:  # type: ignore[no-untyped-def]
    h = hospital
    reply_1, reply_2 = (payload(n)["object"]["id"] for n in ("02-create-note", "03-create-note"))
    image_post, text_post = (payload(n)["object"]["id"] for n in ("05-create-note", "06-create-note"))

    # 01: doc follows our clinician; the follow is accepted and answered at doc's own inbox.
    assert await h.send(payload("01-follow")) == 202
    assert await h.count(Follow, Follow.state == "accepted") == 1
    # 02: a reply before any vouching: doc is not a verified professional here, so it is dropped.
    assert await h.send(payload("02-create-note")) == 202
    assert await h.comment(reply_1) is None
    async with state.transaction() as db:
        await vouch_actor(db, state, DOC, Operator.system())
    # 03: after vouching, the reply (single-valued cc and tag, as:Public) is shown on the case.
    assert await h.send(payload("03-create-note")) == 202
    stored = await h.comment(reply_2)
    assert stored is not None and stored.state == "visible" and "Reply 2" in stored.content
    # 04: Accept of our clinician's Follow.
    assert await h.send(payload("04-accept-follow")) == 202
    assert await h.count(Follow, Follow.state == "accepted") == 2
    # 05: an image post from a followed account becomes a remote case, its image de-identified
    # again here; the trailing-slash hashtag is kept as a tag.
    assert await h.send(payload("05-create-note")) == 202
    case = await h.case(image_post)
    assert case is not None and "round opacity" in case.caption
    assert await h.count(CaseImage, CaseImage.case_id == case.id) == 1
    assert await h.count(CaseTag, CaseTag.case_id == case.id, CaseTag.tag == "radiology") == 1
    # 06: a text-only post is not a case: dropped.
    assert await h.send(payload("06-create-note")) == 202
    assert await h.case(text_post) is None
    # 07 / 10: Like and its Undo on our case.
    assert await h.send(payload("07-like")) == 202
    assert await h.count(Like) == 1
    # 08 / 09: edits of the reply and of the image post.
    assert await h.send(payload("08-update-note")) == 202
    assert "EDITED Reply 2" in (await h.comment(reply_2)).content  # type: ignore[union-attr]
    assert await h.send(payload("09-update-note")) == 202
    assert (await h.case(image_post)).caption.startswith("EDITED Takahe case")  # type: ignore[union-attr]
    # A second edit under the same Update id (as Takahē sends it) is applied; a replay is not.
    again = payload("09-update-note")
    again["object"]["content"] = payload("12-delete-note")["object"]["content"]
    assert await h.send(again) == 202
    assert (await h.case(image_post)).caption.startswith("EDITED AGAIN")  # type: ignore[union-attr]
    assert await h.send(payload("09-update-note")) == 202  # an exact replay of the first edit
    assert (await h.case(image_post)).caption.startswith("EDITED AGAIN")  # type: ignore[union-attr]
    assert await h.send(payload("10-undo-like")) == 202
    assert await h.count(Like) == 0
    # 11 then 12 / 13: a reply, then Deletes of the image post and of that reply.
    reply_3 = payload("11-create-note")["object"]["id"]
    assert await h.send(payload("11-create-note")) == 202
    assert (await h.comment(reply_3)) is not None
    assert await h.send(payload("12-delete-note")) == 202
    assert await h.case(image_post) is None
    assert await h.send(payload("13-delete-note")) == 202
    assert (await h.comment(reply_3)).state == "deleted"  # type: ignore[union-attr]
    # 14: a boost of our case is understood and ignored.
    assert await h.send(payload("14-announce")) == 202
    # 15 / 16: Undo of doc's follow, then a new follow.
    assert await h.send(payload("15-undo-follow")) == 202
    assert await h.count(Follow, Follow.state == "accepted") == 1
    assert await h.send(payload("16-follow")) == 202
    assert await h.count(Follow, Follow.state == "accepted") == 2
    # 17 / 20: more replies.
    for name in ("17-create-note", "20-create-note"):
        assert await h.send(payload(name)) == 202
        assert await h.comment(payload(name)["object"]["id"]) is not None
    # 18 / 19: a domain this hospital does not allow is refused before anything is fetched.
    before = len(h.network.calls)
    assert await h.send(payload("19-follow"), h.stranger) == 403
    assert await h.send(payload("18-undo-follow"), h.stranger) == 403
    assert len(h.network.calls) == before

    # The admin sees, per peer, what was not kept and why.
    await create_account(state, "boss", role=Role.ADMIN)
    await sign_in(h.client, "boss")
    page = await (await h.client.get("/admin/federation")).get_data(as_text=True)
    assert 'id="peer-drops"' in page
    assert "<td>takahe.test</td><td>text-only post: not a case</td><td>1</td>" in page
    assert (
        "<td>takahe.test</td><td>comment by someone not a verified or vouched professional</td><td>1</td>"
        in page
    )


async def test_accept_and_replies_are_answered_at_takahes_own_inboxes(hospital: Hospital, state) -> None:  # type: ignore[no-untyped-def]
    from fediverse_cases.federation import delivery

    await hospital.send(payload("01-follow"))
    await delivery.run_once(state)
    [accept] = [r for r in hospital.network.calls if r.method == "POST"]
    assert str(accept.url) == f"{DOC}inbox/"  # from its actor document, with the slash
