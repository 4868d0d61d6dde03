"""The federation admin pages, Update(Person) from the real forms, and the signed-fetch record."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.federation.outbox import enqueue
from fediverse_cases.federation.signed_fetch import NotAllowed, note_signed_fetch
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer
from fediverse_cases.storage.models import Delivery, Follow, ObjectFetch, Peer
from fediverse_cases.storage.repositories.accounts import get_account_by_username, get_local_actor_by_username
from fediverse_cases.storage.repositories.object_fetches import hosts_that_fetched
from fediverse_cases.web.state import app_state
from tests.support.fed_peer import FakePeer, install_fake_network
from tests.support.instances import create_account
from tests.support.web import post_form, sign_in


async def test_admin_allows_lists_and_removes_peers(state, client):  # type: ignore[no-untyped-def]
    await create_account(state, "boss", role=Role.ADMIN)
    await sign_in(client, "boss")
    response = await post_form(
        client,
        "/admin/federation/peers",
        {"action": "allow", "host": "cases.b.example", "vouch": "1"},
        page="/admin/federation",
    )
    assert response.status_code == 302
    page = await (await client.get("/admin/federation")).get_data(as_text=True)
    assert "https://cases.b.example" in page
    async with state.sessionmaker() as db:
        peer = (await db.execute(select(Peer))).scalar_one()
    assert peer.state == "allowed" and peer.vouch_professionals

    bad = await post_form(
        client, "/admin/federation/peers", {"action": "allow", "host": "not a host"}, page="/admin/federation"
    )
    assert bad.status_code == 400 and "not a host name" in await bad.get_data(as_text=True)

    await post_form(
        client,
        "/admin/federation/peers",
        {"action": "remove", "host": "cases.b.example"},
        page="/admin/federation",
    )
    async with state.sessionmaker() as db:
        assert (await db.execute(select(Peer))).first() is None


async def test_federation_admin_is_for_admins_only(state, client):  # type: ignore[no-untyped-def]
    await create_account(state, "drlee", role=Role.PROFESSIONAL, verified=True)
    await sign_in(client, "drlee")
    assert (await client.get("/admin/federation")).status_code == 403
    assert (await client.get("/admin/federation/deliveries")).status_code == 403


async def test_delivery_state_per_object_is_shown(state, client):  # type: ignore[no-untyped-def]
    await create_account(state, "boss", role=Role.ADMIN)
    await create_account(state, "drlee", role=Role.PROFESSIONAL, verified=True)
    async with state.transaction() as db:
        await allow_peer(db, state, "cases.b.example", Operator.system())
        sender = await get_local_actor_by_username(db, "drlee")
        activity = {
            "id": "http://cases.test/a/1",
            "type": "Create",
            "actor": sender.uri,
            "object": "http://cases.test/cases/c1",
        }  # type: ignore[union-attr]
        await enqueue(
            db,
            state,
            activity=activity,
            sender=sender,
            inboxes=["https://cases.b.example/inbox"],
            object_id="http://cases.test/cases/c1",  # type: ignore[arg-type]
        )
    await sign_in(client, "boss")
    page = await (
        await client.get("/admin/federation/deliveries?object=http://cases.test/cases/c1")
    ).get_data(as_text=True)
    assert "https://cases.b.example/inbox" in page and "pending" in page
    other = await (
        await client.get("/admin/federation/deliveries?object=http://cases.test/cases/zz")
    ).get_data(as_text=True)
    assert "No deliveries for this object" in other


async def _remote_follower_of_drlee(state) -> FakePeer:  # type: ignore[no-untyped-def]
    alice = FakePeer("remote.example", "alice")
    install_fake_network(state, [alice])
    async with state.transaction() as db:
        await allow_peer(db, state, "remote.example", Operator.system())
    from fediverse_cases.federation.dereference import get_or_fetch_actor

    async with state.transaction() as db:
        remote = await get_or_fetch_actor(db, state, alice.actor_uri)
        local = await get_local_actor_by_username(db, "drlee")
        db.add(
            Follow(
                follower_id=remote.id,
                followed_id=local.id,  # type: ignore[union-attr]
                state="accepted",
                activity_uri=f"{alice.actor_uri}#f",
            )
        )
    return alice


async def _person_updates(state) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        rows = (await db.execute(select(Delivery).where(Delivery.activity_type == "Update"))).scalars()
        return [(row.inbox_url, json.loads(row.payload)) for row in rows]


async def test_profile_edit_in_the_settings_form_sends_update_person(state, client):  # type: ignore[no-untyped-def]
    await create_account(state, "drlee", role=Role.PROFESSIONAL, verified=True)
    await _remote_follower_of_drlee(state)
    await sign_in(client, "drlee")
    response = await post_form(
        client,
        "/settings/profile",
        {"display_name": "Dr Lee Renamed", "specialty": "Dermatology", "institution": "General"},
        page="/settings/profile",
    )
    assert response.status_code == 302
    [(inbox, update)] = await _person_updates(state)
    assert inbox == "https://remote.example/inbox"  # the shared inbox
    assert update["type"] == "Update" and update["object"]["type"] == "Person"
    assert update["object"]["name"] == "Dr Lee Renamed"
    assert update["object"]["fediverseCases:verifiedProfessional"] is True


async def test_saving_an_unchanged_profile_sends_nothing(state, client):  # type: ignore[no-untyped-def]
    await create_account(state, "drlee", role=Role.PROFESSIONAL, verified=True)
    await _remote_follower_of_drlee(state)
    async with state.sessionmaker() as db:
        account = await get_account_by_username(db, "drlee")
    await sign_in(client, "drlee")
    await post_form(
        client,
        "/settings/profile",
        {
            "display_name": account.display_name,
            "specialty": account.specialty,
            "institution": account.institution,
        },
        page="/settings/profile",
    )
    assert await _person_updates(state) == []


async def test_disabling_an_account_in_the_admin_page_revokes_the_claim_at_peers(state, client):  # type: ignore[no-untyped-def]
    await create_account(state, "boss", role=Role.ADMIN)
    await create_account(state, "drlee", role=Role.PROFESSIONAL, verified=True)
    await _remote_follower_of_drlee(state)
    await sign_in(client, "boss")
    response = await post_form(
        client, "/admin/users/drlee", {"action": "disable", "role": ""}, page="/admin/users"
    )
    assert response.status_code == 302
    [(_inbox, update)] = await _person_updates(state)
    assert update["object"]["fediverseCases:verifiedProfessional"] is False


async def test_signed_fetch_by_an_allowed_peer_is_recorded(state, app):  # type: ignore[no-untyped-def]
    alice = FakePeer("remote.example", "alice")
    install_fake_network(state, [alice])
    async with state.transaction() as db:
        await allow_peer(db, state, "remote.example", Operator.system())
    url = "http://cases.test/cases/c1"
    stranger = FakePeer("evil.example", "eve")
    stranger_get = app.test_request_context(
        "/cases/c1", headers={**stranger.signed_get(url), "Host": "cases.test"}
    )
    async with stranger_get, state.transaction() as db:
        assert app_state() is state
        with pytest.raises(NotAllowed):  # the endpoints answer 403
            await note_signed_fetch(db, state, url)
    alice_get = app.test_request_context("/cases/c1", headers={**alice.signed_get(url), "Host": "cases.test"})
    async with alice_get, state.transaction() as db:
        signer = await note_signed_fetch(db, state, url)
        assert signer is not None and signer.host == "remote.example"
    async with state.sessionmaker() as db:
        assert await hosts_that_fetched(db, url) == ["remote.example"]
        assert len((await db.execute(select(ObjectFetch))).scalars().all()) == 1
