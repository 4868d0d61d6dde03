"""The signed inbox: what it refuses (and with which status), what it stores, and that the
allow-list is checked before any key is fetched."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer
from fediverse_cases.storage.models import InboxItem
from tests.support.fed_peer import FakePeer, install_fake_network

INBOX = "http://cases.test/inbox"


@pytest.fixture
async def alice(state):  # type: ignore[no-untyped-def]
    async with state.transaction() as db:
        await allow_peer(db, state, "remote.example", Operator.system())
        await allow_peer(db, state, "other.example", Operator.system())
    return FakePeer("remote.example", "alice")


async def post(client, headers: dict[str, str], body: bytes):  # type: ignore[no-untyped-def]
    return await client.post("/inbox", data=body, headers={**headers, "Host": "cases.test"})


async def stored(state) -> int:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        return int((await db.execute(select(func.count(InboxItem.id)))).scalar_one())


def like(peer: FakePeer) -> dict:
    return peer.activity("Like", "http://cases.test/cases/abc")


async def test_inbox_accepts_a_signed_activity_from_an_allowed_peer(state, client, alice):  # type: ignore[no-untyped-def]
    install_fake_network(state, [alice])
    response = await post(client, *alice.signed_post(INBOX, like(alice)))
    assert response.status_code == 202, await response.get_data(as_text=True)
    assert await stored(state) == 1


async def test_inbox_rejects_unsigned_post(state, client, alice):  # type: ignore[no-untyped-def]
    body = json.dumps(like(alice)).encode()
    response = await post(client, {"Content-Type": "application/activity+json"}, body)
    assert response.status_code == 401
    assert await stored(state) == 0


async def test_inbox_rejects_a_body_that_does_not_match_its_digest(state, client, alice):  # type: ignore[no-untyped-def]
    install_fake_network(state, [alice])
    headers, body = alice.signed_post(INBOX, like(alice))
    tampered = body.replace(b"Like", b"Flag")
    response = await post(client, headers, tampered)
    assert response.status_code == 401
    assert "digest" in (await response.get_json())["message"].lower()


@pytest.mark.parametrize("offset", [timedelta(hours=-3), timedelta(minutes=30)])
async def test_inbox_rejects_stale_and_future_dates(state, client, alice, offset):  # type: ignore[no-untyped-def]
    install_fake_network(state, [alice])
    headers, body = alice.signed_post(INBOX, like(alice), now=datetime.now(UTC) + offset)
    response = await post(client, headers, body)
    assert response.status_code == 401
    assert await stored(state) == 0


async def test_inbox_rejects_an_activity_signed_by_someone_other_than_its_actor(state, client, alice):  # type: ignore[no-untyped-def]
    mallory = FakePeer("remote.example", "mallory")
    install_fake_network(state, [alice, mallory])
    response = await post(client, *mallory.signed_post(INBOX, like(alice)))
    assert response.status_code == 403
    assert await stored(state) == 0


async def test_non_allowed_host_gets_403_before_any_key_fetch(state, client, alice):  # type: ignore[no-untyped-def]
    stranger = FakePeer("evil.example", "eve")
    network = install_fake_network(state, [alice, stranger])
    response = await post(client, *stranger.signed_post(INBOX, like(stranger)))
    assert response.status_code == 403
    assert network.calls == []  # not even the stranger's key was fetched


async def test_inbox_rejects_deleting_an_object_on_another_host(state, client, alice):  # type: ignore[no-untyped-def]
    install_fake_network(state, [alice])
    delete = alice.activity("Delete", "https://other.example/notes/1")
    response = await post(client, *alice.signed_post(INBOX, delete))
    assert response.status_code == 403
    assert "origin" in (await response.get_json())["message"]


async def test_activity_naming_a_host_that_is_not_allowed_is_dropped(state, client, alice):  # type: ignore[no-untyped-def]
    install_fake_network(state, [alice])
    activity = alice.activity("Like", "https://evil.example/notes/1")
    response = await post(client, *alice.signed_post(INBOX, activity))
    assert response.status_code == 202
    assert "dropped" in (await response.get_json())["message"]
    assert await stored(state) == 0


async def test_inbox_rejects_oversized_body_with_413(state, client, alice):  # type: ignore[no-untyped-def]
    activity = like(alice) | {"content": "x" * 300_000}
    response = await post(client, *alice.signed_post(INBOX, activity))
    assert response.status_code == 413


async def test_inbox_rejects_too_deeply_nested_json_with_400(state, client, alice):  # type: ignore[no-untyped-def]
    deep: dict = {}
    node = deep
    for _ in range(40):
        node["x"] = {}
        node = node["x"]
    response = await post(client, *alice.signed_post(INBOX, like(alice) | {"deep": deep}))
    assert response.status_code == 400


async def test_duplicate_activity_is_stored_once(state, client, alice):  # type: ignore[no-untyped-def]
    install_fake_network(state, [alice])
    activity = like(alice)
    first = await post(client, *alice.signed_post(INBOX, activity))
    second = await post(client, *alice.signed_post(INBOX, activity))
    assert (first.status_code, second.status_code) == (202, 202)
    assert (await second.get_json())["message"] == "duplicate"
    assert await stored(state) == 1


async def test_rotated_key_is_refetched_once_and_then_verifies(state, client, alice):  # type: ignore[no-untyped-def]
    network = install_fake_network(state, [alice])
    assert (await post(client, *alice.signed_post(INBOX, like(alice)))).status_code == 202
    fetches_before = len(network.calls)
    alice.rotate_key()  # same keyId, new key: our cached copy is now stale
    response = await post(client, *alice.signed_post(INBOX, like(alice)))
    assert response.status_code == 202, await response.get_data(as_text=True)
    assert len(network.calls) == fetches_before + 1
    assert await stored(state) == 2


async def test_signature_from_a_key_that_never_verifies_is_401_after_one_refetch(state, client, alice):  # type: ignore[no-untyped-def]
    network = install_fake_network(state, [alice])
    assert (await post(client, *alice.signed_post(INBOX, like(alice)))).status_code == 202
    impostor = FakePeer("remote.example", "alice", key_name="impostor")
    before = len(network.calls)
    response = await post(client, *impostor.signed_post(INBOX, like(alice)))
    assert response.status_code == 401
    assert len(network.calls) == before + 1


async def test_invalid_integrity_proof_is_refused(state, client, alice):  # type: ignore[no-untyped-def]
    install_fake_network(state, [alice])
    activity = alice.with_proof(like(alice))
    activity["object"] = "http://cases.test/cases/other"  # changed after signing
    response = await post(client, *alice.signed_post(INBOX, activity))
    assert response.status_code == 401
    assert "proof" in (await response.get_json())["message"]


async def test_inbox_accepts_an_rfc9421_signature(state, client, alice):  # type: ignore[no-untyped-def]
    from fediverse_cases.crypto.http_signatures import sign_request_rfc9421

    install_fake_network(state, [alice])
    body = json.dumps(like(alice)).encode()
    headers = {"Content-Type": "application/activity+json"}
    headers.update(sign_request_rfc9421("POST", INBOX, headers, body, alice.key_id, alice.rsa.private_pem))
    response = await post(client, headers, body)
    assert response.status_code == 202, await response.get_data(as_text=True)


async def test_forwarded_activity_with_the_authors_proof_is_trusted(state, client, alice):  # type: ignore[no-untyped-def]
    relay = FakePeer("other.example", "hospital")
    install_fake_network(state, [alice, relay])
    activity = alice.with_proof(like(alice))
    response = await post(client, *relay.signed_post(INBOX, activity))
    assert response.status_code == 202, await response.get_data(as_text=True)
    async with state.sessionmaker() as db:
        item = (await db.execute(select(InboxItem))).scalar_one()
    assert item.forwarded and item.refetch == ""


async def test_forwarded_create_without_proof_is_kept_only_to_refetch_its_object(state, client, alice):  # type: ignore[no-untyped-def]
    relay = FakePeer("other.example", "hospital")
    install_fake_network(state, [alice, relay])
    note = {
        "id": f"{alice.actor_uri}/notes/1",
        "type": "Note",
        "attributedTo": alice.actor_uri,
        "content": "hi",
    }
    response = await post(client, *relay.signed_post(INBOX, alice.activity("Create", note)))
    assert response.status_code == 202
    async with state.sessionmaker() as db:
        item = (await db.execute(select(InboxItem))).scalar_one()
    assert item.forwarded and item.refetch == note["id"]
