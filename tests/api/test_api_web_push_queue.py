"""Web Push on SQLite and PostgreSQL: subscriptions made through the client API and the web
UI's CSRF-protected endpoint, and the push worker's queue (claim with a lease, fan-out to each
wanted subscription, send) delivering to the suite's push service, which checks the VAPID
signature and decrypts each message. An instance made before Web Push gets its VAPID key on
first use."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.services import push_jobs
from fediverse_cases.storage.models import PushDelivery
from tests.support.api_server import bearer, register_app, user_token
from tests.support.instances import create_account
from tests.support.push_receiver import PushReceiver, b64url
from tests.support.web import csrf_token, sign_in


@pytest.fixture
def receiver() -> Iterator[PushReceiver]:
    push_service = PushReceiver()
    push_service.start()
    yield push_service
    push_service.stop()


@pytest.fixture
def settings_overrides(receiver: PushReceiver) -> dict:
    return {"web_push": {"allowed_private_hosts": [receiver.host]}}


async def _work_the_queue(state) -> None:  # type: ignore[no-untyped-def]
    """What the push worker loop does between wake-ups: run until nothing is due."""
    while await push_jobs.run_once(state):
        pass


def _device_form(receiver: PushReceiver, name: str, **extra: str) -> dict[str, str]:
    device = receiver.device(name)
    return {
        "subscription[endpoint]": receiver.endpoint(name),
        "subscription[keys][p256dh]": b64url(device.public_bytes),
        "subscription[keys][auth]": b64url(device.auth_secret),
        **extra,
    }


async def test_api_and_browser_subscriptions_get_pushes_through_the_queue(state, client, receiver) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "dr_bob", role=Role.PROFESSIONAL, verified=True)
    key = (await (await client.get("/api/v2/instance")).get_json())["configuration"]["vapid"]["public_key"]
    assert key, "an instance made before Web Push makes its VAPID key on first use"
    receiver.vapid_public_key = key
    ada = await user_token(client, "dr_ada")
    bob = await user_token(client, "dr_bob")
    viewer_scopes = await client.post("/api/v1/push/subscription", form=_device_form(receiver, "x"))
    assert viewer_scopes.status_code == 401

    made = await client.post(
        "/api/v1/push/subscription",
        headers=bearer(ada),
        form=_device_form(receiver, "ada-app", **{"data[alerts][follow]": "true", "data[policy]": "all"}),
    )
    assert made.status_code == 200, await made.get_data(as_text=True)
    body = await made.get_json()
    assert body["alerts"]["follow"] is True and body["alerts"]["mention"] is False
    assert body["server_key"] == key

    quiet = await client.post(  # a second app that only wants pushes from people ada follows
        "/api/v1/push/subscription",
        headers=bearer(await user_token(client, "dr_ada")),
        json={
            "subscription": {
                "endpoint": receiver.endpoint("ada-quiet"),
                "keys": {
                    "p256dh": b64url(receiver.device("ada-quiet").public_bytes),
                    "auth": b64url(receiver.devices["ada-quiet"].auth_secret),
                },
            },
            "data": {"alerts": {"follow": True}, "policy": "followed"},
        },
    )
    assert quiet.status_code == 200 and (await quiet.get_json())["policy"] == "followed"

    # An app whose token is revoked afterwards: its subscription hears nothing more.
    revoked_app = await register_app(client)
    revoked_token = await user_token(client, "dr_ada", app=revoked_app)
    made_revoked = await client.post(
        "/api/v1/push/subscription",
        headers=bearer(revoked_token),
        form=_device_form(receiver, "ada-revoked", **{"data[alerts][follow]": "true"}),
    )
    assert made_revoked.status_code == 200
    revoke = {"client_id": revoked_app.client_id, "client_secret": revoked_app.client_secret}
    assert (await client.post("/oauth/revoke", form={**revoke, "token": revoked_token})).status_code == 200

    # The web UI's toggle: the settings page carries the key; the endpoint wants the CSRF token.
    await sign_in(client, "dr_ada")
    page = await (await client.get("/settings/profile")).get_data(as_text=True)
    assert f'<meta name="vapid-public-key" content="{key}">' in page
    browser = receiver.device("ada-browser")
    subscription = {
        "endpoint": receiver.endpoint("ada-browser"),
        "keys": {"p256dh": b64url(browser.public_bytes), "auth": b64url(browser.auth_secret)},
    }
    assert (await client.post("/settings/push", json=subscription)).status_code == 400
    token = await csrf_token(client, "/settings/profile")
    registered = await client.post("/settings/push", json=subscription, headers={"X-CSRF-Token": token})
    assert registered.status_code == 200, await registered.get_data(as_text=True)

    me = await (await client.get("/api/v1/accounts/verify_credentials", headers=bearer(ada))).get_json()
    followed = await client.post(f"/api/v1/accounts/{me['id']}/follow", headers=bearer(bob))
    assert followed.status_code == 200
    async with state.sessionmaker() as db:
        queued = (await db.execute(select(PushDelivery))).scalars().all()
    assert [(row.subscription_id, row.state) for row in queued] == [(None, "pending")]

    await _work_the_queue(state)
    (app_push,) = receiver.wait_for("ada-app", 1, timeout=5)
    (browser_push,) = receiver.wait_for("ada-browser", 1, timeout=5)
    assert app_push.payload["notification_type"] == browser_push.payload["notification_type"] == "follow"
    assert app_push.payload["title"] == "dr_bob is now following you"
    assert receiver.received("ada-quiet") == []  # ada does not follow bob
    assert receiver.received("ada-revoked") == []
    async with state.sessionmaker() as db:
        states = sorted(row.state for row in (await db.execute(select(PushDelivery))).scalars())
    assert states == ["sent", "sent"]

    # Unticking the toggle removes this browser's subscription; the app's stays.
    removed = await client.delete(
        "/settings/push", json={"endpoint": subscription["endpoint"]}, headers={"X-CSRF-Token": token}
    )
    assert (await removed.get_json())["removed"] is True
    changed = await client.put(
        "/api/v1/push/subscription", headers=bearer(ada), form={"data[alerts][mention]": "1"}
    )
    alerts = (await changed.get_json())["alerts"]
    assert alerts["mention"] is True and alerts["follow"] is True
    assert (await client.delete("/api/v1/push/subscription", headers=bearer(ada))).status_code == 200
    assert (await client.get("/api/v1/push/subscription", headers=bearer(ada))).status_code == 404


async def test_a_private_endpoint_nobody_allowed_is_never_contacted(state, client, receiver) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "dr_bob", role=Role.PROFESSIONAL, verified=True)
    receiver.vapid_public_key = (await (await client.get("/api/v2/instance")).get_json())["configuration"][
        "vapid"
    ]["public_key"]
    ada = await user_token(client, "dr_ada")
    bob = await user_token(client, "dr_bob")
    # https, so the subscription is accepted; its host is loopback and not in allowed_private_hosts.
    form = _device_form(receiver, "sneaky", **{"data[alerts][follow]": "true"})
    form["subscription[endpoint]"] = f"https://127.0.0.1:{receiver.port + 1}/push/sneaky"
    assert (await client.post("/api/v1/push/subscription", headers=bearer(ada), form=form)).status_code == 200
    me = await (await client.get("/api/v1/accounts/verify_credentials", headers=bearer(ada))).get_json()
    await client.post(f"/api/v1/accounts/{me['id']}/follow", headers=bearer(bob))

    await _work_the_queue(state)
    async with state.sessionmaker() as db:
        (row,) = (
            await db.execute(select(PushDelivery).where(PushDelivery.subscription_id.is_not(None)))
        ).scalars()
    assert row.state == "failed" and "non-public address" in row.last_error
    assert receiver.received("sneaky") == []
