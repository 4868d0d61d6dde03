"""Replies that travel: a forwarded comment is stored only with its author's valid integrity
proof (or a successful refetch from its origin); unverified authors are refused."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest

from fediverse_cases.core.accounts import Role
from fediverse_cases.crypto.integrity_proofs import sign_object
from fediverse_cases.crypto.keys import generate_ed25519_keypair, generate_rsa_keypair
from fediverse_cases.federation.handlers.context import Ignored
from fediverse_cases.federation.handlers.create import handle_create
from fediverse_cases.storage.models import Actor, Peer
from fediverse_cases.storage.repositories import comments as comments_repo
from fediverse_cases.storage.repositories import peers as peers_repo
from fediverse_cases.storage.repositories import tombstones as tombstones_repo
from tests.support.case_rows import insert_case
from tests.support.instances import create_account

B = "http://b.example"


@dataclass
class Ctx:
    db: Any
    state: Any
    signer: Actor
    activity: dict
    forwarded: bool


async def _remote_actor(state, name: str, host: str, *, verified: bool) -> tuple[Actor, str]:  # type: ignore[no-untyped-def]
    ed = generate_ed25519_keypair()
    rsa = generate_rsa_keypair()
    uri = f"http://{host}/users/{name}"
    async with state.transaction() as db:
        if await peers_repo.get_peer(db, host) is None:
            db.add(Peer(host=host, state="allowed", scheme="http"))
        from fediverse_cases.storage.base import utcnow

        actor = Actor(
            uri=uri,
            username=name,
            host=host,
            is_local=False,
            inbox_url=f"{uri}/inbox",
            public_key_id=f"{uri}#main-key",
            public_key_pem=rsa.public_pem,
            ed25519_key_id=f"{uri}#ed25519-key",
            ed25519_public_multibase=ed.public_multibase,
            verified_professional=verified,
            fetched_at=utcnow(),
        )
        db.add(actor)
    return actor, ed.private_pem


def _reply(author_uri: str, case_ap_id: str, text: str = "Looks like erythema multiforme") -> dict:
    note_id = author_uri.replace("/users/", "/comments/") + "-c1"
    return {
        "@context": ["https://www.w3.org/ns/activitystreams"],
        "id": note_id + "/activity",
        "type": "Create",
        "actor": author_uri,
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": author_uri,
            "inReplyTo": case_ap_id,
            "content": f"<p>{text}</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        },
    }


async def _deliver(state, signer: Actor, activity: dict, forwarded: bool) -> Ignored | None:  # type: ignore[no-untyped-def]
    """Run the handler as the inbox worker does: a refusal rolls its transaction back."""
    try:
        async with state.transaction() as db:
            await handle_create(Ctx(db, state, signer, activity, forwarded))
    except Ignored as refused:
        return refused
    return None


async def _stored(state, ap_id: str):  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        return await comments_repo.get_comment_by_ap_id(db, ap_id)


@pytest.fixture
def settings_overrides() -> dict:
    return {"federation": {"mode": "allowlist"}}


async def test_forwarded_comment_with_valid_author_proof_is_stored(state) -> None:
    alice = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, alice)
    bob, bob_key = await _remote_actor(state, "bob", "b.example", verified=True)
    carol, _ = await _remote_actor(state, "carol", "c.example", verified=True)
    activity = sign_object(_reply(bob.uri, case.ap_id), bob.ed25519_key_id, bob_key)
    await _deliver(state, carol, activity, forwarded=True)
    stored = await _stored(state, activity["object"]["id"])
    assert stored is not None and stored.content == "Looks like erythema multiforme"


async def test_forged_forwarded_comment_without_valid_proof_is_refused(state) -> None:
    alice = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, alice)
    bob, bob_key = await _remote_actor(state, "bob", "b.example", verified=True)
    mallory, mallory_key = await _remote_actor(state, "mallory", "c.example", verified=True)
    # Mallory forwards words she put in Bob's mouth: no proof, then a proof by her own key,
    # then a genuine proof over a tampered text. The origin refetch fails (b.example is not
    # reachable here), so nothing is stored.
    unsigned = _reply(bob.uri, case.ap_id, "forged")
    wrong_key = sign_object(_reply(bob.uri, case.ap_id, "forged"), bob.ed25519_key_id, mallory_key)
    tampered = sign_object(_reply(bob.uri, case.ap_id), bob.ed25519_key_id, bob_key)
    tampered = copy.deepcopy(tampered)
    tampered["object"]["content"] = "<p>forged</p>"
    for activity in (unsigned, wrong_key, tampered):
        await _deliver(state, mallory, activity, forwarded=True)
        assert await _stored(state, activity["object"]["id"]) is None


async def test_comment_from_unverified_remote_account_is_refused(state) -> None:
    alice = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, alice)
    viewer, _ = await _remote_actor(state, "vic", "b.example", verified=False)
    activity = _reply(viewer.uri, case.ap_id)
    refused = await _deliver(state, viewer, activity, forwarded=False)
    assert await _stored(state, activity["object"]["id"]) is None
    assert refused is not None and "not a verified or vouched professional" in str(refused)


async def test_vouched_peer_lets_its_unverified_accounts_comment(state) -> None:
    alice = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, alice)
    vic, _ = await _remote_actor(state, "vic", "b.example", verified=False)
    async with state.transaction() as db:
        (await peers_repo.get_peer(db, "b.example")).vouch_professionals = True
    activity = _reply(vic.uri, case.ap_id)
    await _deliver(state, vic, activity, forwarded=False)
    assert await _stored(state, activity["object"]["id"]) is not None


async def test_create_for_tombstoned_comment_is_ignored(state) -> None:
    alice = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, alice)
    bob, _ = await _remote_actor(state, "bob", "b.example", verified=True)
    activity = _reply(bob.uri, case.ap_id)
    async with state.transaction() as db:
        await tombstones_repo.remember_tombstone(db, activity["object"]["id"], "Note", "b.example")
    await _deliver(state, bob, activity, forwarded=False)
    assert await _stored(state, activity["object"]["id"]) is None


async def test_vouching_for_one_remote_actor_lets_only_that_actor_comment(state) -> None:
    from fediverse_cases.services.operator import Operator
    from fediverse_cases.services.peers import vouch_actor

    alice = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, alice)
    vic, _ = await _remote_actor(state, "vic", "b.example", verified=False)
    val, _ = await _remote_actor(state, "val", "b.example", verified=False)
    async with state.transaction() as db:
        await vouch_actor(db, state, vic.uri, Operator.system())
    from_vic = _reply(vic.uri, case.ap_id, "vouched for")
    from_val = _reply(val.uri, case.ap_id, "not vouched for")
    await _deliver(state, vic, from_vic, forwarded=False)
    await _deliver(state, val, from_val, forwarded=False)
    assert await _stored(state, from_vic["object"]["id"]) is not None
    assert await _stored(state, from_val["object"]["id"]) is None
