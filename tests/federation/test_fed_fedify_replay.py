"""Replays every activity the Fedify 2.3 peer sent us (``tests/interop/payloads/fedify-2.3``,
captured verbatim), signed as a fake peer at its origin, and checks what a user would see.

The captured integrity proofs were made with Fedify's Ed25519 key; the replay cannot have it, so
each ``proof`` is removed and made again with the fake peer's key (same cryptosuite), which is
what keeps the test honest about proofs: the captured one, by another key under the same key
id, is refused (the last check).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from fediverse_cases.core.accounts import Role
from fediverse_cases.crypto.integrity_proofs import sign_object
from fediverse_cases.federation.dereference import get_or_fetch_actor
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer
from fediverse_cases.storage.models import Comment, Follow, Like
from fediverse_cases.storage.repositories.accounts import get_local_actor_by_username
from tests.support.case_rows import insert_case
from tests.support.fed_peer import FakePeer, deliver, install_fake_network
from tests.support.instances import create_account

PAYLOADS = Path(__file__).resolve().parents[1] / "interop" / "payloads" / "fedify-2.3"
HOSPITAL = "http://127.0.0.1:18080"
CASE = "745fad1d32abb087080c"
OUR_FOLLOW = f"{HOSPITAL}/users/clinician#follows/522191880b444883bf8d38121365d01e"


class FedifyActor(FakePeer):
    """A fake peer whose Ed25519 key has Fedify's id (``#multikey-2``), as in the captures."""

    def __init__(self) -> None:
        super().__init__(host="127.0.0.1:18086", username="peer", scheme="http", verified=False)

    @property
    def multikey_id(self) -> str:
        return f"{self.actor_uri}#multikey-2"

    def actor_document(self) -> dict[str, Any]:
        document = super().actor_document()
        document["assertionMethod"][0]["id"] = self.multikey_id
        return document

    def with_proof(self, document: dict[str, Any]) -> dict[str, Any]:
        return sign_object(document, self.multikey_id, self.ed.private_pem)


@pytest.fixture
def settings_overrides() -> dict:
    return {"instance": {"base_url": HOSPITAL}}


def payload(name: str, peer: FakePeer) -> dict[str, Any]:
    document = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    del document["proof"]
    return peer.with_proof(document)


async def _count(state: Any, model: Any, *where: Any) -> int:
    async with state.sessionmaker() as db:
        return int((await db.execute(select(func.count()).select_from(model).where(*where))).scalar_one())


async def test_every_captured_fedify_activity_is_processed_as_a_user_expects(state, client) -> None:  # type: ignore[no-untyped-def]
    peer = FedifyActor()
    install_fake_network(state, [peer])
    clinician = await create_account(state, "clinician", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, clinician, public_id=CASE)
    async with state.transaction() as db:
        # As in the captured run: the host is allowed and vouched for (its people may comment).
        await allow_peer(db, state, peer.host, Operator.system(), scheme="http", vouch_professionals=True)
        remote = await get_or_fetch_actor(db, state, peer.actor_uri)
        local = await get_local_actor_by_username(db, "clinician")
        assert local is not None
        db.add(Follow(follower_id=local.id, followed_id=remote.id, state="pending", activity_uri=OUR_FOLLOW))

    # 01: Fedify follows our clinician.
    assert await deliver(client, state, peer, payload("01-follow", peer)) == 202
    assert await _count(state, Follow, Follow.followed_id == local.id, Follow.state == "accepted") == 1
    # 02: its reply (single-valued to and tag, Public in cc) is shown on the case.
    reply_id = json.loads((PAYLOADS / "02-create-note.json").read_text())["object"]["id"]
    assert await deliver(client, state, peer, payload("02-create-note", peer)) == 202
    async with state.sessionmaker() as db:
        reply = (await db.execute(select(Comment).where(Comment.ap_id == reply_id))).scalar_one()
    assert reply.case_id == case.id and reply.state == "visible" and "nummular eczema" in reply.content
    # 03: its Like of the case.
    assert await deliver(client, state, peer, payload("03-like", peer)) == 202
    assert await _count(state, Like) == 1
    # 04: Accept of our Follow, embedding the Follow with our actor expanded.
    assert await deliver(client, state, peer, payload("04-accept-follow", peer)) == 202
    assert await _count(state, Follow, Follow.follower_id == local.id, Follow.state == "accepted") == 1
    # 05: Undo of its Follow, embedding the Follow.
    assert await deliver(client, state, peer, payload("05-undo-follow", peer)) == 202
    assert await _count(state, Follow, Follow.followed_id == local.id) == 0

    # The captured proof, made with Fedify's own key, names the same key id but does not verify
    # with the key the actor document now holds: refused, not kept.
    forged = json.loads((PAYLOADS / "03-like.json").read_text(encoding="utf-8"))
    assert await deliver(client, state, peer, forged) == 401
    assert await _count(state, Like) == 1
