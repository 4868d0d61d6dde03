"""Web Push end to end: Mastodon.py subscribes through ``/api/v1/push/subscription`` with a
device's keys, another clinician follows, comments and favourites over the client API, and the
suite's push service (``tests.support.push_receiver``: RFC 8030 service side, RFC 8292 VAPID
check, RFC 8291 decryption written from the RFCs) receives what the instance sent, over real
HTTP from a served instance and its push worker. Nothing is mocked."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator

import httpx
import pytest
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError, MastodonNotFoundError

from fediverse_cases.settings import load_settings
from fediverse_cases.storage.repositories.accounts import get_account_by_username
from tests.api.test_api_mastodon_py import _client
from tests.support.api_server import seed_served_accounts
from tests.support.case_rows import insert_case
from tests.support.instances import make_state
from tests.support.push_receiver import PushDevice, PushReceiver
from tests.support.server import ServedInstance

SCOPES = ["read", "write", "follow", "push"]


@pytest.fixture(scope="module")
def receiver() -> Iterator[PushReceiver]:
    push_service = PushReceiver()
    push_service.start()
    yield push_service
    push_service.stop()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, receiver: PushReceiver) -> Iterator[ServedInstance]:
    instance = ServedInstance(
        tmp_path_factory.mktemp("web_push"),
        # The receiver is on loopback: the admin allows exactly its host:port, nothing else.
        extra_config=f'[web_push]\nallowed_private_hosts = ["{receiver.host}"]\n',
    )
    instance.prepare()
    seed_served_accounts(
        str(instance.config_path), [("dr_ada", "professional", True), ("dr_bob", "professional", True)]
    )
    asyncio.run(_seed_published_case(str(instance.config_path), "dr_ada"))
    instance.start(timeout=120)
    receiver.vapid_public_key = httpx.get(f"{instance.url}/api/v2/instance", timeout=10).json()[
        "configuration"
    ]["vapid"]["public_key"]
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def ada(served: ServedInstance) -> Mastodon:
    return _client(served.url, "dr_ada", SCOPES)


@pytest.fixture(scope="module")
def bob(served: ServedInstance) -> Mastodon:
    return _client(served.url, "dr_bob", SCOPES)


async def _seed_published_case(config_path: str, username: str) -> None:
    """A published case of ``username``'s (the upload and review pipeline has its own tests)."""
    state = await make_state(load_settings(config_path))
    try:
        async with state.sessionmaker() as db:
            author = await get_account_by_username(db, username)
        assert author is not None
        await insert_case(state, author, caption="Annular erythematous plaque on the forearm")
    finally:
        await state.close()


def _subscribe(client: Mastodon, receiver: PushReceiver, name: str, **alerts: bool) -> dict:  # type: ignore[type-arg]
    device = receiver.device(name)
    return client.push_subscription_set(
        receiver.endpoint(name), {"pubkey": device.public_bytes, "auth": device.auth_secret}, **alerts
    )


def test_vapid_public_key_is_the_same_everywhere_a_client_looks(
    served: ServedInstance, ada: Mastodon
) -> None:
    v1 = httpx.get(f"{served.url}/api/v1/instance", timeout=10).json()
    v2 = httpx.get(f"{served.url}/api/v2/instance", timeout=10).json()
    key = v2["configuration"]["vapid"]["public_key"]
    assert len(PushDevice("x").public_bytes) == 65 and len(key) == 87  # 65 bytes, base64url
    assert v1["configuration"]["vapid"]["public_key"] == key
    assert ada.app_verify_credentials()["vapid_key"] == key
    settings = httpx.get(f"{served.url}/login", timeout=10)
    assert settings.status_code == 200


def test_subscribed_device_decrypts_follow_comment_and_favourite_pushes(
    served: ServedInstance, receiver: PushReceiver, ada: Mastodon, bob: Mastodon
) -> None:
    subscription = _subscribe(
        ada, receiver, "ada-phone", follow_events=True, mention_events=True, favourite_events=True
    )
    assert subscription["endpoint"] == receiver.endpoint("ada-phone")
    assert subscription["server_key"] == receiver.vapid_public_key
    assert subscription["alerts"]["mention"] is True and subscription["alerts"]["reblog"] is False
    assert subscription["policy"] == "all"
    assert str(ada.push_subscription()["id"]) == str(subscription["id"])

    me = ada.me()
    bob.account_follow(me["id"])
    (follow,) = receiver.wait_for("ada-phone", 1)
    assert follow.payload["notification_type"] == "follow"
    assert follow.payload["title"] == "dr_bob is now following you"
    assert "access_token" not in follow.payload
    assert follow.claims["aud"] == receiver.origin
    assert follow.headers["urgency"] == "normal"
    notifications = ada.notifications()
    assert str(follow.payload["notification_id"]) == str(notifications[0]["id"])
    assert notifications[0]["type"] == "follow"

    case = bob.timeline_public(local=True)[0]
    bob.status_post("Consider tinea corporis; scrape the edge.", in_reply_to_id=case["id"])
    mention = receiver.wait_for("ada-phone", 2)[1]
    assert mention.payload["notification_type"] == "mention"
    assert mention.payload["title"] == "dr_bob commented on your case"
    assert mention.payload["body"] == "Consider tinea corporis; scrape the edge."

    bob.status_favourite(case["id"])
    favourite = receiver.wait_for("ada-phone", 3)[2]
    assert favourite.payload["notification_type"] == "favourite"
    assert favourite.payload["title"] == "dr_bob favourited your case"
    assert favourite.payload["body"].startswith("Annular erythematous plaque")

    # Favourites switched off (PUT): the next favourite is not pushed, the next comment is.
    changed = ada.push_subscription_update(favourite_events=False, policy=None)
    assert changed["alerts"]["favourite"] is False and changed["alerts"]["mention"] is True
    bob.status_unfavourite(case["id"])
    bob.status_favourite(case["id"])
    bob.status_post("Or a fixed drug eruption.", in_reply_to_id=case["id"])
    pushed = receiver.wait_for("ada-phone", 4)
    assert pushed[3].payload["body"] == "Or a fixed drug eruption."
    assert len(receiver.received("ada-phone")) == 4


def test_unsubscribing_stops_pushes_to_that_device(
    served: ServedInstance, receiver: PushReceiver, ada: Mastodon, bob: Mastodon
) -> None:
    tablet = _client(served.url, "dr_ada", SCOPES)  # a second app, its own token and subscription
    _subscribe(tablet, receiver, "ada-tablet", mention_events=True)
    before = len(receiver.received("ada-phone"))
    ada.push_subscription_delete()
    with pytest.raises(MastodonNotFoundError):
        ada.push_subscription()

    case = bob.timeline_public(local=True)[0]
    bob.status_post("Biopsy if it does not settle.", in_reply_to_id=case["id"])
    (reached,) = receiver.wait_for("ada-tablet", 1)
    assert reached.payload["body"] == "Biopsy if it does not settle."
    time.sleep(1.0)  # the phone's push, had there been one, went out in the same worker pass
    assert len(receiver.received("ada-phone")) == before


def test_a_gone_device_410_removes_its_subscription(
    served: ServedInstance, receiver: PushReceiver, bob: Mastodon
) -> None:
    old = _client(served.url, "dr_ada", SCOPES)
    _subscribe(old, receiver, "ada-old-phone", mention_events=True)
    receiver.answer_with("ada-old-phone", 410)
    case = bob.timeline_public(local=True)[0]
    bob.status_post("Any travel history?", in_reply_to_id=case["id"])
    deadline = time.monotonic() + 30
    while True:
        try:
            old.push_subscription()
        except MastodonNotFoundError:
            break
        assert time.monotonic() < deadline, "the subscription survived a 410"
        time.sleep(0.3)


def test_subscriptions_are_checked_and_private_endpoints_refused(
    served: ServedInstance, receiver: PushReceiver, ada: Mastodon
) -> None:
    device = PushDevice("bad")
    keys = {"pubkey": device.public_bytes, "auth": device.auth_secret}
    with pytest.raises(MastodonAPIError):  # plain http to a host nobody allowed
        ada.push_subscription_set("http://192.0.2.1/push/x", keys)
    with pytest.raises(MastodonAPIError):  # an auth secret is 16 bytes
        ada.push_subscription_set("https://push.example/x", {"pubkey": device.public_bytes, "auth": b"short"})
    with pytest.raises(MastodonAPIError):  # not a P-256 point
        ada.push_subscription_set(
            "https://push.example/x", {"pubkey": b"\x04" + b"\x01" * 64, "auth": device.auth_secret}
        )


def test_a_push_waits_out_a_down_receiver_and_a_killed_server(
    served: ServedInstance, receiver: PushReceiver, bob: Mastodon
) -> None:
    pager = _client(served.url, "dr_ada", SCOPES)
    _subscribe(pager, receiver, "ada-pager", mention_events=True)
    receiver.stop()
    case = bob.timeline_public(local=True)[0]
    bob.status_post("Urgent: spreading erythema, please look.", in_reply_to_id=case["id"])

    database = served.root / "instance.db"
    deadline = time.monotonic() + 30
    while True:  # the worker tried, found nobody, and kept the push for later
        with sqlite3.connect(database) as db:
            row = db.execute(
                "SELECT d.state, d.attempts, d.last_error FROM push_deliveries d "
                "JOIN push_subscriptions s ON s.id = d.subscription_id WHERE s.endpoint = ?",
                (receiver.endpoint("ada-pager"),),
            ).fetchone()
        if row is not None and row[1] >= 1 and row[2]:
            break
        assert time.monotonic() < deadline, f"no failed attempt recorded: {row}"
        time.sleep(0.3)
    assert row[0] == "pending"

    served.stop()  # the worker dies with the push still queued
    receiver.start()
    served.start(timeout=120)
    (arrived,) = receiver.wait_for("ada-pager", 1, timeout=60)
    assert arrived.payload["body"] == "Urgent: spreading erythema, please look."
