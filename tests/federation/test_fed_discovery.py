"""Discovery and actor documents: WebFinger, NodeInfo, content negotiation on /users/<name>,
the instance actor, collections; and resolving @name@host:port through WebFinger."""

from __future__ import annotations

import pytest

from fediverse_cases.core.accounts import Role
from fediverse_cases.federation.dereference import FetchError, fetch_document, resolve_handle
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer
from tests.support.fed_peer import FakePeer, install_fake_network
from tests.support.instances import create_account

AS2 = "application/activity+json"
LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


async def test_webfinger_finds_a_local_person(state, client):  # type: ignore[no-untyped-def]
    await create_account(state, "drlee", role=Role.PROFESSIONAL, verified=True)
    response = await client.get("/.well-known/webfinger?resource=acct:drlee@cases.test")
    assert response.status_code == 200
    assert response.content_type.startswith("application/jrd+json")
    document = await response.get_json()
    assert document["subject"] == "acct:drlee@cases.test"
    self_link = next(link for link in document["links"] if link["rel"] == "self")
    assert self_link == {"rel": "self", "type": AS2, "href": "http://cases.test/users/drlee"}


async def test_webfinger_answers_404_for_other_hosts_and_unknown_people(state, client):  # type: ignore[no-untyped-def]
    assert (await client.get("/.well-known/webfinger?resource=acct:nobody@cases.test")).status_code == 404
    assert (
        await client.get("/.well-known/webfinger?resource=acct:admin@elsewhere.example")
    ).status_code == 404
    assert (await client.get("/.well-known/webfinger")).status_code == 400


async def test_nodeinfo_says_this_is_a_fediverse_cases_instance(state, client):  # type: ignore[no-untyped-def]
    links = await (await client.get("/.well-known/nodeinfo")).get_json()
    assert links["links"][0]["href"] == "http://cases.test/nodeinfo/2.1"
    document = await (await client.get("/nodeinfo/2.1")).get_json()
    assert document["version"] == "2.1"
    assert document["software"]["name"] == "fediverse-cases"
    assert document["metadata"]["fediverseCases"]["instance"] is True


@pytest.mark.parametrize("accept", [AS2, LD])
async def test_actor_url_serves_as2_to_activitypub_clients(state, client, accept):  # type: ignore[no-untyped-def]
    await create_account(state, "drlee", role=Role.PROFESSIONAL, verified=True, occupation="Radiologist")
    response = await client.get("/users/drlee", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.content_type.startswith(AS2)
    assert "Accept" in response.headers.get("Vary", "")
    actor = await response.get_json()
    assert actor["type"] == "Person"
    assert actor["id"] == "http://cases.test/users/drlee"
    assert actor["publicKey"]["id"] == "http://cases.test/users/drlee#main-key"
    assert actor["publicKey"]["owner"] == actor["id"]
    assert "BEGIN PUBLIC KEY" in actor["publicKey"]["publicKeyPem"]
    assert actor["assertionMethod"][0]["type"] == "Multikey"
    assert actor["assertionMethod"][0]["id"] == "http://cases.test/users/drlee#ed25519-key"
    assert actor["endpoints"]["sharedInbox"] == "http://cases.test/inbox"
    assert actor["inbox"] == "http://cases.test/users/drlee/inbox"
    assert actor["fediverseCases:verifiedProfessional"] is True
    assert actor["fediverseCases:profession"] == "Radiologist"


async def test_actor_url_serves_html_to_browsers(state, client):  # type: ignore[no-untyped-def]
    await create_account(state, "drlee", role=Role.PROFESSIONAL, verified=True)
    response = await client.get(
        "/users/drlee", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    )
    assert response.status_code == 200
    assert response.content_type.startswith("text/html")
    assert "Accept" in response.headers.get("Vary", "")


async def test_unverified_viewer_makes_no_professional_claim(state, client):  # type: ignore[no-untyped-def]
    await create_account(state, "visitor")
    actor = await (await client.get("/users/visitor", headers={"Accept": AS2})).get_json()
    assert actor["fediverseCases:verifiedProfessional"] is False
    assert "fediverseCases:profession" not in actor


async def test_instance_actor_is_a_service_with_keys(state, client):  # type: ignore[no-untyped-def]
    actor = await (await client.get("/actor", headers={"Accept": AS2})).get_json()
    assert actor["type"] == "Service"
    assert actor["id"] == "http://cases.test/actor"
    assert actor["publicKey"]["id"] == "http://cases.test/actor#main-key"


async def test_collections_publish_counts_only(state, client):  # type: ignore[no-untyped-def]
    await create_account(state, "drlee", role=Role.PROFESSIONAL, verified=True)
    for name in ("followers", "following", "outbox"):
        document = await (await client.get(f"/users/drlee/{name}", headers={"Accept": AS2})).get_json()
        assert document["type"] == "OrderedCollection"
        assert document["totalItems"] == 0
    assert (await client.get("/users/nobody/followers")).status_code == 404


async def test_handle_with_port_resolves_through_webfinger(state):  # type: ignore[no-untyped-def]
    peer = FakePeer("127.0.0.1:8123", "drkim", scheme="http")
    async with state.transaction() as db:
        await allow_peer(db, state, "127.0.0.1:8123", Operator.system())
    network = install_fake_network(state, [peer])
    async with state.transaction() as db:
        actor = await resolve_handle(db, state, "@drkim@127.0.0.1:8123")
    assert actor.uri == "http://127.0.0.1:8123/users/drkim"
    assert actor.host == "127.0.0.1:8123"
    assert actor.verified_professional is True
    assert actor.shared_inbox_url == "http://127.0.0.1:8123/inbox"
    assert str(network.calls[0].url).startswith(
        "http://127.0.0.1:8123/.well-known/webfinger?resource=acct:drkim@127.0.0.1:8123"
    )


async def test_handle_on_a_host_that_is_not_allowed_is_not_looked_up(state):  # type: ignore[no-untyped-def]
    network = install_fake_network(state, [FakePeer("remote.example", "x")])
    async with state.transaction() as db:
        with pytest.raises(FetchError, match="not an allowed peer"):
            await resolve_handle(db, state, "@x@remote.example")
    assert network.calls == []


async def test_document_not_served_as_activitystreams_json_is_refused(state):  # type: ignore[no-untyped-def]
    peer = FakePeer("remote.example", "drx")
    async with state.transaction() as db:
        await allow_peer(db, state, "remote.example", Operator.system())
    network = install_fake_network(state, [peer])
    note_url = f"{peer.base}/notes/1"
    # Same JSON, wrong media type (plain application/json): not an ActivityStreams document.
    network.canned[note_url] = (200, {"id": note_url, "type": "Note", "content": "hi"})
    with pytest.raises(FetchError, match="not ActivityStreams JSON"):
        await fetch_document(state, note_url)
    peer.served[note_url] = {"id": note_url, "type": "Note", "content": "hi"}
    del network.canned[note_url]
    assert (await fetch_document(state, note_url))["id"] == note_url
