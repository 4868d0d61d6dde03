"""Paging a group (issue 13), on SQLite and PostgreSQL, through the web forms, the client API,
signed inbox POSTs and the push queue:

- a member pages the group with a case (CSRF-protected form); only members on call (toggle or
  weekly schedule) are told, as a "page" notification the web UI and the client API show (a
  mention with the case as its status) and as an encrypted Web Push with Urgency: high;
- the page view shows who was paged, who has seen it (page view, case page, or the notification
  read through the API) and who answered; the first answer (a comment on the case, local or
  from a peer) tells the requester at once; moderators see the median first-answer time and the
  share answered within an hour;
- members at other hospitals get the page Note (``fediverseCases:page``) addressed to them; a
  page Note arriving here tells the mentioned local members on call (everyone it names once it
  escalated), never twice; pages from unbelieved senders are dropped;
- "urgent review": a page with a case waiting for review puts it first in the review queue,
  tells the reviewers, and goes out when the reviewer approves.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.core.case_access import CaseState
from fediverse_cases.crypto.integrity_proofs import verify_object
from fediverse_cases.federation import delivery
from fediverse_cases.federation.dereference import get_or_fetch_actor
from fediverse_cases.federation.workers import Workers
from fediverse_cases.services import groups as group_service
from fediverse_cases.services import paging as paging_service
from fediverse_cases.services import push_jobs
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer
from fediverse_cases.services.withdraw import withdraw_consent
from fediverse_cases.storage.models import AuditEvent, Case, Comment, Notification, Page, PageRecipient
from fediverse_cases.storage.repositories.accounts import get_local_actor_by_username
from tests.federation.test_fed_groups import FakeGroup
from tests.support.api_server import bearer, user_token
from tests.support.case_rows import insert_case
from tests.support.fed_peer import FakePeer, deliver, install_fake_network
from tests.support.instances import create_account
from tests.support.push_receiver import PushReceiver, b64url
from tests.support.web import csrf_token, post_form, sign_in

GROUP = "http://cases.test/groups/dermatology"
AS2 = {"Accept": "application/activity+json"}


@pytest.fixture
def receiver() -> Iterator[PushReceiver]:
    push_service = PushReceiver()
    push_service.start()
    yield push_service
    push_service.stop()


@pytest.fixture
def settings_overrides(receiver: PushReceiver) -> dict:
    return {"web_push": {"allowed_private_hosts": [receiver.host]}}


@pytest.fixture
async def world(state, client):  # type: ignore[no-untyped-def]
    """A group hosted here (moderator dr_mod); members dr_req, dr_on, dr_off and alice (at
    remote.example); a published public case of dr_req's."""
    async with state.transaction() as db:
        await allow_peer(db, state, "remote.example", Operator.system())
        await allow_peer(db, state, "other.example", Operator.system())
    accounts = {
        name: await create_account(state, name, role=Role.PROFESSIONAL, verified=True)
        for name in ("dr_req", "dr_on", "dr_off", "dr_mod")
    }
    accounts["reviewer"] = await create_account(state, "reviewer", role=Role.REVIEWER)
    alice = FakePeer("remote.example", "alice")
    bob = FakePeer("other.example", "bob")
    remote_group = FakeGroup("other.example", "cardio")
    network = install_fake_network(state, [alice, bob, remote_group])
    async with state.transaction() as db:
        await group_service.create_group(
            db,
            state,
            group_service.NewGroup(
                slug="dermatology", name="Dermatology", specialty="dermatology", moderators=["dr_mod"]
            ),
            Operator.shell(),
        )
    for name in ("dr_req", "dr_on", "dr_off", "dr_mod"):
        async with state.transaction() as db:
            me = await get_local_actor_by_username(db, name)
            group = await get_or_fetch_actor(db, state, GROUP)
            await group_service.join(db, state, me, group)
    assert await deliver(client, state, alice, alice.activity("Follow", GROUP)) == 202
    case = await insert_case(state, accounts["dr_req"], caption="Annular plaque, 3 cm, scaly edge")
    await delivery.run_once(state)  # the Accept to alice
    network.calls.clear()
    return {
        "accounts": accounts,
        "alice": alice,
        "bob": bob,
        "remote_group": remote_group,
        "network": network,
        "case": case,
    }


async def browser(app, username: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    await sign_in(client, username)
    return client


async def set_on_call(client, group_actor_id: int, back: str = "/groups/dermatology", **fields: Any):  # type: ignore[no-untyped-def]
    token = await csrf_token(client, back)
    return await client.post(
        "/on-call", form={"group": str(group_actor_id), "next": back, "csrf_token": token, **fields}
    )


async def group_actor_id(state, uri: str = GROUP) -> int:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        return (await get_or_fetch_actor(db, state, uri)).id


async def send_page(client, case_id: int, question: str, urgency: str = "now"):  # type: ignore[no-untyped-def]
    token = await csrf_token(client, "/groups/dermatology/page")
    return await client.post(
        "/groups/dermatology/page",
        form={"case": str(case_id), "urgency": urgency, "question": question, "csrf_token": token},
    )


async def kinds(state, username: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        me = await get_local_actor_by_username(db, username)
        rows = await db.execute(
            select(Notification.kind, Notification.message)
            .where(Notification.account_id == me.account_id)
            .order_by(Notification.id)
        )
        return [(k, m) for k, m in rows]


def page_posts(network) -> list[tuple[str, dict[str, Any]]]:  # type: ignore[no-untyped-def]
    found = []
    for request in network.calls:
        if request.method == "POST":
            body = json.loads(request.content)
            if body.get("type") == "Create" and "fediverseCases:page" in body["object"]:
                found.append((str(request.url), body))
    return found


def page_request(peer: FakePeer, number: int, escalates: str = "") -> dict[str, Any]:
    """A member at ``peer``'s hospital pages the group here: the page Note addressed to the Group
    (or, with ``escalates``, the escalation request of that page)."""
    case_id = f"{peer.actor_uri}/cases/{number}"
    peer.served[case_id] = {
        "id": case_id,
        "type": "Note",
        "attributedTo": peer.actor_uri,
        "content": "<p>Target lesions on the palms.</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }
    note = {
        "id": f"{peer.actor_uri}/pages/{number}" + ("/escalation" if escalates else ""),
        "type": "Note",
        "attributedTo": peer.actor_uri,
        "to": [GROUP],
        "audience": GROUP,
        "context": case_id,
        "content": "<p>Erythema multiforme? Patient in clinic.</p>",
        "fediverseCases:page": {
            "type": "fediverseCases:Page",
            "fediverseCases:urgency": "now",
            "fediverseCases:group": GROUP,
            "fediverseCases:case": case_id,
            "fediverseCases:escalated": bool(escalates),
            "fediverseCases:question": "Erythema multiforme? Patient in clinic.",
            **({"fediverseCases:escalates": escalates} if escalates else {}),
        },
    }
    return peer.activity("Create", note, to=[GROUP])


async def test_a_page_reaches_members_on_call_and_the_first_answer_tells_the_requester(
    state, app, client, world, receiver
) -> None:  # type: ignore[no-untyped-def]
    case, network, alice = world["case"], world["network"], world["alice"]
    group_id = await group_actor_id(state)
    on = await browser(app, "dr_on")
    # The on-call toggle is a form like any other: no CSRF token, no change.
    refused = await on.post("/on-call", form={"group": str(group_id), "enabled": "on"})
    assert refused.status_code == 400
    saved = await set_on_call(on, group_id, enabled="on")
    assert saved.status_code == 302
    # dr_off keeps a schedule that is not now: Sunday-only night shift is never "now" here
    # unless today is such a moment, so pick the weekday that is not today.
    off = await browser(app, "dr_off")
    other_day = str((datetime.now(UTC).weekday() + 3) % 7)
    assert (await set_on_call(off, group_id, days=other_day, start="08:00", end="09:00")).status_code == 302
    # dr_mod's schedule covers now (every day, from an hour ago to an hour ahead, UTC).
    now = datetime.now(UTC)
    window = {
        "start": (now - timedelta(hours=1)).strftime("%H:%M"),
        "end": (now + timedelta(hours=1)).strftime("%H:%M"),
    }
    mod = await browser(app, "dr_mod")
    mod_form = await (await mod.get("/groups/dermatology")).get_data(as_text=True)
    assert 'name="days" value="6"' in mod_form
    token = await csrf_token(mod, "/groups/dermatology")
    scheduled = await mod.post(
        "/on-call",
        form=[
            ("group", str(group_id)),
            ("next", "/groups/dermatology"),
            ("csrf_token", token),
            *[("days", str(d)) for d in range(7)],
            *window.items(),
        ],
    )
    assert scheduled.status_code == 302

    # dr_on's phone: a client-API push subscription that wants mentions.
    receiver.vapid_public_key = (await (await client.get("/api/v2/instance")).get_json())["configuration"][
        "vapid"
    ]["public_key"]
    on_token = await user_token(app.test_client(), "dr_on")
    device = receiver.device("on-phone")
    subscribed = await client.post(
        "/api/v1/push/subscription",
        headers=bearer(on_token),
        form={
            "subscription[endpoint]": receiver.endpoint("on-phone"),
            "subscription[keys][p256dh]": b64url(device.public_bytes),
            "subscription[keys][auth]": b64url(device.auth_secret),
            "data[alerts][mention]": "true",
            "data[policy]": "all",
        },
    )
    assert subscribed.status_code == 200

    requester = await browser(app, "dr_req")
    group_page = await (await requester.get("/groups/dermatology")).get_data(as_text=True)
    assert "Page this group" in group_page
    form = await (await requester.get("/groups/dermatology/page")).get_data(as_text=True)
    assert f'value="{case.id}"' in form
    missing = await requester.post(
        "/groups/dermatology/page", form={"case": str(case.id), "urgency": "now", "question": "x"}
    )
    assert missing.status_code == 400  # CSRF
    empty = await send_page(requester, case.id, "   ")
    assert empty.status_code == 422 and "short question" in await empty.get_data(as_text=True)
    sent = await send_page(requester, case.id, "Tinea or granuloma annulare? Patient waiting in clinic.")
    assert sent.status_code == 302
    page_url = sent.headers["Location"]
    async with state.sessionmaker() as db:
        audited = (await db.execute(select(AuditEvent).where(AuditEvent.action == "page.send"))).scalar_one()
    assert audited.case_id == case.id and audited.actor_label == "dr_req"

    # On call (toggle, or a schedule covering now): told. Off call (a schedule elsewhere in the
    # week) and the requester: not.
    assert [k for k, _ in await kinds(state, "dr_on")] == ["page"]
    assert [k for k, _ in await kinds(state, "dr_mod")] == ["page"]
    assert "Tinea or granuloma annulare?" in (await kinds(state, "dr_on"))[0][1]
    for name in ("dr_off", "dr_req"):
        assert "page" not in [k for k, _ in await kinds(state, name)], name

    # The client API shows it as a mention whose status is the case (Tusky and Ivory show it).
    listed = await (await client.get("/api/v1/notifications", headers=bearer(on_token))).get_json()
    (note,) = [n for n in listed if n["fediverse_cases"]["kind"] == "page"]
    assert note["type"] == "mention" and note["status"] is not None
    assert note["status"]["url"].endswith(case.public_id)
    assert note["account"]["username"] == "dr_req"

    # Web Push: encrypted for the device, decrypted by the suite's push receiver.
    while await push_jobs.run_once(state):
        pass
    (push,) = receiver.wait_for("on-phone", 1, timeout=10)
    assert push.payload["notification_type"] == "mention"
    assert push.payload["title"] == "dr_req paged you"
    assert "Tinea or granuloma annulare?" in push.payload["body"]
    assert {k.lower(): v for k, v in push.headers.items()}["urgency"] == "high"
    assert str(push.payload["notification_id"]) == note["id"]

    # Alice (member at remote.example) gets the page Note addressed to her.
    await delivery.run_once(state)
    ((inbox, create),) = page_posts(network)
    assert inbox == "https://remote.example/inbox"
    note_doc = create["object"]
    assert (
        note_doc["type"] == "Note"
        and note_doc["to"] == [alice.actor_uri]
        and create["to"] == [alice.actor_uri]
    )
    assert {"type": "Mention", "href": alice.actor_uri, "name": "@alice@remote.example"} in note_doc["tag"]
    assert note_doc["context"] == case.ap_id and case.ap_id in note_doc["content"]
    marker = note_doc["fediverseCases:page"]
    assert marker["fediverseCases:urgency"] == "now" and marker["fediverseCases:group"] == GROUP
    assert marker["fediverseCases:case"] == case.ap_id and marker["fediverseCases:escalated"] is False
    assert "https://www.w3.org/ns/activitystreams#Public" not in json.dumps(create)
    async with state.sessionmaker() as db:
        requester_actor = await get_local_actor_by_username(db, "dr_req")
    verify_object(create, requester_actor.ed25519_public_multibase)  # the requester's own proof
    assert create["proof"]["verificationMethod"] == requester_actor.ed25519_key_id

    # The page view: dr_on paged, not seen yet; alice's hospital tells her.
    view = await (await requester.get(page_url)).get_data(as_text=True)
    assert 'data-recipient="dr_on@cases.test"' in view and 'data-recipient="alice@remote.example"' in view
    assert 'data-recipient="dr_off@cases.test"' not in view
    assert view.count("seen ") == 0
    # Strangers (a member who was not paged) do not see it.
    assert (await off.get(page_url)).status_code == 404

    # dr_on opens the case: seen.
    assert (await on.get(f"/cases/{case.public_id}")).status_code == 200
    view = await (await requester.get(page_url)).get_data(as_text=True)
    assert view.count("seen ") == 1 and "answered " not in view

    # dr_on answers by commenting: answered, and the requester is told at once.
    token = await csrf_token(on, f"/cases/{case.public_id}")
    commented = await on.post(
        f"/cases/{case.public_id}/comments",
        form={"content": "Granuloma annulare: no scale at the edge. Happy to see them.", "csrf_token": token},
    )
    assert commented.status_code == 302
    told = [k for k, _ in await kinds(state, "dr_req")]
    assert "page_answered" in told
    view = await (await requester.get(page_url)).get_data(as_text=True)
    assert "answered " in view and "first answer" in view
    async with state.sessionmaker() as db:
        page = (await db.execute(select(Page))).scalar_one()
        assert page.first_answer_at is not None and page.first_answer_at >= page.sent_at

    # Alice answers later from her hospital: her answer is recorded, the requester is not told twice.
    comment = {
        "id": f"{alice.actor_uri}/comments/7",
        "type": "Note",
        "attributedTo": alice.actor_uri,
        "inReplyTo": case.ap_id,
        "content": "<p>Agree, granuloma annulare.</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }
    assert await deliver(client, state, alice, alice.activity("Create", comment, to=comment["to"])) == 202
    view = await (await requester.get(page_url)).get_data(as_text=True)
    assert view.count("answered ") == 2
    assert [k for k, _ in await kinds(state, "dr_req")].count("page_answered") == 1

    # The moderator sees the group's response figures.
    moderator = await browser(app, "dr_mod")
    figures = await (await moderator.get("/groups/dermatology")).get_data(as_text=True)
    assert "Response to pages" in figures
    assert '<strong class="median">0 min</strong>' in figures
    assert '<strong class="within-hour">100%</strong>' in figures
    plain_member = await (await on.get("/groups/dermatology")).get_data(as_text=True)
    assert "Response to pages" not in plain_member


async def test_reading_the_notification_marks_the_page_seen(state, app, client, world) -> None:  # type: ignore[no-untyped-def]
    """Through the client API (dismiss, or the notifications read marker) and the web UI's
    "Mark all as read"; the notifications page links to the page."""
    case = world["case"]
    group_id = await group_actor_id(state)
    for name in ("dr_on", "dr_off", "dr_mod"):
        await set_on_call(await browser(app, name), group_id, enabled="on")
    requester = await browser(app, "dr_req")
    page_url = (await send_page(requester, case.id, "Biopsy today?", urgency="today")).headers["Location"]
    on_token = await user_token(app.test_client(), "dr_on")
    off_token = await user_token(app.test_client(), "dr_off")
    on_note = next(
        n
        for n in await (await client.get("/api/v1/notifications", headers=bearer(on_token))).get_json()
        if n["fediverse_cases"]["kind"] == "page"
    )
    dismissed = await client.post(f"/api/v1/notifications/{on_note['id']}/dismiss", headers=bearer(on_token))
    assert dismissed.status_code == 200
    off_list = await (await client.get("/api/v1/notifications", headers=bearer(off_token))).get_json()
    marker = await client.post(
        "/api/v1/markers",
        headers=bearer(off_token),
        json={"notifications": {"last_read_id": off_list[0]["id"]}},
    )
    assert marker.status_code == 200
    assert (await marker.get_json())["notifications"]["last_read_id"] == off_list[0]["id"]
    moderator = await browser(app, "dr_mod")
    listing = await (await moderator.get("/notifications")).get_data(as_text=True)
    assert f'href="{page_url}">Open the page' in listing
    async with state.sessionmaker() as db:
        mod_actor = await get_local_actor_by_username(db, "dr_mod")
        unseen = (
            await db.execute(select(PageRecipient).where(PageRecipient.actor_id == mod_actor.id))
        ).scalar_one()
        assert unseen.seen_at is None  # listing is not reading
    token = await csrf_token(moderator, "/notifications")
    assert (await moderator.post("/notifications/read", form={"csrf_token": token})).status_code == 302
    async with state.sessionmaker() as db:
        rows = (await db.execute(select(PageRecipient).order_by(PageRecipient.id))).scalars().all()
        seen = {r.actor_id: r.seen_at is not None for r in rows}
        actors = [await get_local_actor_by_username(db, n) for n in ("dr_on", "dr_off", "dr_mod")]
    assert all(seen[a.id] for a in actors)
    view = await (await requester.get(page_url)).get_data(as_text=True)
    assert view.count("seen ") == 3 and "Page (today)" in view


async def test_the_workers_escalation_loop_escalates_a_page_that_is_due(state, app, client, world) -> None:  # type: ignore[no-untyped-def]
    """The loop ``serve`` and ``fediverse-cases worker`` run (not only its step)."""
    await send_page(await browser(app, "dr_req"), world["case"].id, "Anyone?")
    async with state.transaction() as db:
        page = (await db.execute(select(Page))).scalar_one()
        # Sent 31 minutes ago (the default wait is 30).
        page.sent_at = datetime.now(UTC) - timedelta(minutes=31)
    workers = Workers(state, jobs=[paging_service.job_loop(state)], federation=False)
    workers.start()
    try:
        for _ in range(100):
            if [k for k, _ in await kinds(state, "dr_off")] == ["page"]:
                break
            await asyncio.sleep(0.1)
    finally:
        await workers.stop()
    assert [k for k, _ in await kinds(state, "dr_off")] == ["page"]
    async with state.sessionmaker() as db:
        assert (await db.execute(select(Page.escalated_at))).scalar_one() is not None


async def test_urgent_review_goes_first_tells_reviewers_and_pages_on_approval(
    state, app, client, world
) -> None:  # type: ignore[no-untyped-def]
    accounts = world["accounts"]
    older = await insert_case(state, accounts["dr_off"], case_state=CaseState.PENDING, caption="Older case")
    urgent = await insert_case(state, accounts["dr_req"], case_state=CaseState.PENDING, caption="Urgent rash")
    group_id = await group_actor_id(state)
    await set_on_call(await browser(app, "dr_on"), group_id, enabled="on")
    reviewer = await browser(app, "reviewer")
    queue = await (await reviewer.get("/review")).get_data(as_text=True)
    assert queue.index(older.public_id) < queue.index(urgent.public_id)

    requester = await browser(app, "dr_req")
    form = await (await requester.get("/groups/dermatology/page")).get_data(as_text=True)
    assert "urgent review" in form
    sent = await send_page(requester, urgent.id, "Stevens-Johnson? Need eyes on this now.")
    assert sent.status_code == 302
    assert "waiting for an urgent review" in await (await requester.get(sent.headers["Location"])).get_data(
        as_text=True
    )
    assert [k for k, _ in await kinds(state, "reviewer")] == ["urgent_review"]
    assert "page" not in [k for k, _ in await kinds(state, "dr_on")]  # nothing before review
    queue = await (await reviewer.get("/review")).get_data(as_text=True)
    assert queue.index(urgent.public_id) < queue.index(older.public_id)
    assert queue.count("Urgent review: a page waits on it") == 1

    token = await csrf_token(reviewer, f"/review/{urgent.public_id}")
    decided = await reviewer.post(
        f"/review/{urgent.public_id}", form={"decision": "approve", "note": "", "csrf_token": token}
    )
    assert decided.status_code == 302
    assert [k for k, _ in await kinds(state, "dr_on")] == ["page"]
    async with state.sessionmaker() as db:
        page = (await db.execute(select(Page))).scalar_one()
    assert page.state == "sent" and page.sent_at is not None


async def test_rejecting_a_case_an_urgent_page_waits_on_cancels_the_page_and_tells_the_requester(
    state, app, client, world
) -> None:  # type: ignore[no-untyped-def]
    accounts = world["accounts"]
    urgent = await insert_case(state, accounts["dr_req"], case_state=CaseState.PENDING, caption="Urgent rash")
    await set_on_call(await browser(app, "dr_on"), await group_actor_id(state), enabled="on")
    requester = await browser(app, "dr_req")
    sent = await send_page(requester, urgent.id, "Stevens-Johnson? Need eyes on this now.")
    assert sent.status_code == 302
    reviewer = await browser(app, "reviewer")
    token = await csrf_token(reviewer, f"/review/{urgent.public_id}")
    decided = await reviewer.post(
        f"/review/{urgent.public_id}",
        form={"decision": "reject", "note": "The photo shows a name band.", "csrf_token": token},
    )
    assert decided.status_code == 302
    async with state.sessionmaker() as db:
        page = (await db.execute(select(Page))).scalar_one()
    assert page.state == "cancelled" and page.sent_at is None
    told = [m for k, m in await kinds(state, "dr_req") if k == "page_cancelled"]
    assert len(told) == 1 and "name band" in told[0]
    assert "cancelled: the reviewer did not approve" in await (
        await requester.get(sent.headers["Location"])
    ).get_data(as_text=True)
    assert "page" not in [k for k, _ in await kinds(state, "dr_on")]  # never sent
    queue = await (await reviewer.get("/review")).get_data(as_text=True)
    assert "Urgent review: a page waits on it" not in queue


async def test_an_unanswered_page_escalates_once_to_every_member(state, app, client, world) -> None:  # type: ignore[no-untyped-def]
    """The escalation step itself with an injected clock (the worker path with --now is tested
    against a real instance in test_fed_paging_cli)."""
    case, network, alice = world["case"], world["network"], world["alice"]
    await set_on_call(await browser(app, "dr_on"), await group_actor_id(state), enabled="on")
    await send_page(await browser(app, "dr_req"), case.id, "Anyone free?")
    await delivery.run_once(state)
    network.calls.clear()
    async with state.sessionmaker() as db:
        sent_at = (await db.execute(select(Page.sent_at))).scalar_one()
    assert await paging_service.escalate_due(state, now=sent_at + timedelta(minutes=29)) == 0
    assert "page" not in [k for k, _ in await kinds(state, "dr_off")]
    assert await paging_service.escalate_due(state, now=sent_at + timedelta(minutes=30)) == 1
    for name in ("dr_off", "dr_mod"):
        told = await kinds(state, name)
        assert [k for k, _ in told] == ["page"] and told[0][1].startswith("Escalated page"), name
    assert [k for k, _ in await kinds(state, "dr_on")] == ["page"]  # not told twice
    await delivery.run_once(state)
    ((_, create),) = page_posts(network)
    marker = create["object"]["fediverseCases:page"]
    assert marker["fediverseCases:escalated"] is True
    assert create["object"]["to"] == [alice.actor_uri]
    assert await paging_service.escalate_due(state, now=sent_at + timedelta(hours=5)) == 0


async def test_a_page_from_another_hospital_tells_the_members_on_call_here(state, app, client, world) -> None:  # type: ignore[no-untyped-def]
    bob, remote_group, network = world["bob"], world["remote_group"], world["network"]
    # dr_on and dr_off join the cardiology group at other.example; dr_on is on call for it.
    for name in ("dr_on", "dr_off"):
        async with state.transaction() as db:
            me = await get_local_actor_by_username(db, name)
            group = await get_or_fetch_actor(db, state, remote_group.actor_uri)
            await group_service.join(db, state, me, group)
        await delivery.run_once(state)
        follow = [json.loads(r.content) for r in network.calls if r.method == "POST"][-1]
        await deliver(client, state, remote_group, remote_group.activity("Accept", follow))
    remote_group_id = await group_actor_id(state, remote_group.actor_uri)
    on = await browser(app, "dr_on")
    index = await (await on.get("/groups")).get_data(as_text=True)
    assert f'name="group" value="{remote_group_id}"' in index  # the on-call form for a joined remote group
    assert (await set_on_call(on, remote_group_id, back="/groups", enabled="on")).status_code == 302

    case_doc = {
        "id": f"{bob.actor_uri}/cases/9",
        "type": "Note",
        "attributedTo": bob.actor_uri,
        "content": "<p>Chest pain, ECG attached.</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }
    bob.served[case_doc["id"]] = case_doc  # text-only: not kept as a case; the page still arrives

    def page_note(note_id: str, escalated: bool = False, **extra: Any) -> dict[str, Any]:
        people = ["http://cases.test/users/dr_on", "http://cases.test/users/dr_off"]
        return {
            "id": note_id,
            "type": "Note",
            "attributedTo": bob.actor_uri,
            "to": people,
            "context": case_doc["id"],
            "content": "<p>STEMI? Cath lab?</p>",
            "tag": [{"type": "Mention", "href": uri} for uri in people],
            "fediverseCases:page": {
                "type": "fediverseCases:Page",
                "fediverseCases:urgency": "now",
                "fediverseCases:group": remote_group.actor_uri,
                "fediverseCases:case": case_doc["id"],
                "fediverseCases:escalated": escalated,
                "fediverseCases:question": "STEMI? Cath lab?",
                **extra,
            },
        }

    first = page_note(f"{bob.actor_uri}/pages/1")
    activity = bob.activity("Create", first, to=first["to"])
    assert await deliver(client, state, bob, activity) == 202
    assert [k for k, _ in await kinds(state, "dr_on")] == ["page"]
    assert "STEMI? Cath lab?" in (await kinds(state, "dr_on"))[0][1]
    assert await kinds(state, "dr_off") == []  # a member, but not on call
    await deliver(client, state, bob, activity)  # the same page again: nobody is told twice
    assert [k for k, _ in await kinds(state, "dr_on")] == ["page"]

    # A page naming someone else's page as the one it escalates is dropped.
    forged = page_note(
        f"{bob.actor_uri}/pages/2/escalation",
        True,
        **{"fediverseCases:escalates": "https://remote.example/pages/x"},
    )
    await deliver(client, state, bob, bob.activity("Create", forged, to=forged["to"]))
    assert await kinds(state, "dr_off") == []

    # The escalation: everyone it names is told now, once.
    escalation = page_note(
        f"{bob.actor_uri}/pages/1/escalation", True, **{"fediverseCases:escalates": first["id"]}
    )
    await deliver(client, state, bob, bob.activity("Create", escalation, to=escalation["to"]))
    assert [k for k, _ in await kinds(state, "dr_off")] == ["page"]
    assert [k for k, _ in await kinds(state, "dr_on")] == ["page"]
    async with state.sessionmaker() as db:
        pages = (await db.execute(select(Page))).scalars().all()
    assert len(pages) == 1 and pages[0].escalated_at is not None and not pages[0].is_local

    # A page for nobody on call here keeps nothing and fetches nothing; nor does a page through a
    # group nobody here joined.
    fetches = network.gets_of(case_doc["id"])
    quiet = {
        **page_note(f"{bob.actor_uri}/pages/3"),
        "tag": [{"type": "Mention", "href": "http://cases.test/users/dr_off"}],
    }
    await deliver(client, state, bob, bob.activity("Create", quiet, to=quiet["to"]))
    stranger = page_note(f"{bob.actor_uri}/pages/4")
    stranger["fediverseCases:page"]["fediverseCases:group"] = "https://other.example/groups/unknown"
    await deliver(client, state, bob, bob.activity("Create", stranger, to=stranger["to"]))
    async with state.sessionmaker() as db:
        assert len((await db.execute(select(Page))).scalars().all()) == 1
    assert network.gets_of(case_doc["id"]) == fetches and fetches >= 1
    assert network.gets_of("https://other.example/groups/unknown") == 0
    assert [k for k, _ in await kinds(state, "dr_on")] == ["page"]

    # An unverified sender's page is dropped.
    eve = FakePeer("other.example", "eve", verified=False)
    network.peers.append(eve)
    fake = {**page_note(f"{eve.actor_uri}/pages/1"), "attributedTo": eve.actor_uri}
    await deliver(client, state, eve, eve.activity("Create", fake, to=fake["to"]))
    async with state.sessionmaker() as db:
        assert len((await db.execute(select(Page))).scalars().all()) == 1


async def test_a_member_elsewhere_pages_the_group_here_through_its_inbox(state, app, client, world) -> None:  # type: ignore[no-untyped-def]
    """The group's home side of a page request: a member at another hospital sends the page Note
    addressed to the Group; we check membership and claim, tell our members on call, and
    announce the request as received to the other members' servers (not the requester's)."""
    alice, bob, network = world["alice"], world["bob"], world["network"]
    assert await deliver(client, state, bob, bob.activity("Follow", GROUP)) == 202  # bob joins
    await set_on_call(await browser(app, "dr_on"), await group_actor_id(state), enabled="on")
    await delivery.run_once(state)
    network.calls.clear()

    sent = page_request(alice, 1)
    assert await deliver(client, state, alice, sent) == 202
    told = await kinds(state, "dr_on")
    assert [k for k, _ in told] == ["page"] and "Erythema multiforme?" in told[0][1]
    assert await kinds(state, "dr_off") == []  # not on call
    async with state.sessionmaker() as db:
        page = (await db.execute(select(Page))).scalar_one()
    assert page.is_local and page.ap_id == f"{alice.actor_uri}/pages/1" and page.sent_at is not None
    await delivery.run_once(state)
    posts = [(r.url, json.loads(r.content)) for r in network.calls if r.method == "POST"]
    assert [str(url) for url, _ in posts] == ["https://other.example/inbox"]  # bob's server only
    ((_, announce),) = posts
    assert announce["type"] == "Announce" and announce["actor"] == GROUP
    assert announce["object"] == sent  # as received
    assert "https://www.w3.org/ns/activitystreams#Public" not in announce["to"] + announce["cc"]

    assert await deliver(client, state, alice, sent) == 202  # again: nobody told twice
    assert len(await kinds(state, "dr_on")) == 1
    # Someone who is not a member (eve, verified at other.example) pages nobody through us.
    eve = FakePeer("other.example", "eve")
    network.peers.append(eve)
    assert await deliver(client, state, eve, page_request(eve, 2)) == 202
    async with state.sessionmaker() as db:
        assert len((await db.execute(select(Page))).scalars().all()) == 1
    assert len(await kinds(state, "dr_on")) == 1


async def test_the_requesters_hospital_escalates_a_page_it_sent_through_the_group_here(
    state, app, client, world
) -> None:  # type: ignore[no-untyped-def]
    """The group's home side of an escalation (inbox replay): the requester's hospital owns it
    (our worker leaves a relayed page alone); its escalation request is accepted only for a page
    we relayed, from the same requester, on its host; it tells every member here not told yet
    and is announced as received to the other members' servers; a second one does nothing."""
    alice, bob, network = world["alice"], world["bob"], world["network"]
    assert await deliver(client, state, bob, bob.activity("Follow", GROUP)) == 202  # bob joins
    await set_on_call(await browser(app, "dr_on"), await group_actor_id(state), enabled="on")
    await delivery.run_once(state)
    assert await deliver(client, state, alice, page_request(alice, 1)) == 202
    await delivery.run_once(state)
    network.calls.clear()
    async with state.sessionmaker() as db:
        page = (await db.execute(select(Page))).scalar_one()
    assert [k for k, _ in await kinds(state, "dr_on")] == ["page"]
    # Our worker does not escalate a page a member elsewhere sent through us.
    assert await paging_service.escalate_due(state, now=page.sent_at + timedelta(hours=5)) == 0
    assert await kinds(state, "dr_off") == []

    page_id = f"{alice.actor_uri}/pages/1"
    # bob (a member, at another host) cannot escalate alice's page; nor anyone a page unknown here.
    forged = page_request(bob, 1, escalates=page_id)
    assert await deliver(client, state, bob, forged) == 202
    unknown = page_request(alice, 9, escalates=f"{alice.actor_uri}/pages/9")
    assert await deliver(client, state, alice, unknown) == 202
    # rita, a member on alice's host, cannot escalate alice's page either.
    rita = FakePeer("remote.example", "rita")
    network.peers.append(rita)
    assert await deliver(client, state, rita, rita.activity("Follow", GROUP)) == 202
    not_hers = page_request(rita, 1, escalates=page_id)
    assert await deliver(client, state, rita, not_hers) == 202
    assert await kinds(state, "dr_off") == []
    async with state.sessionmaker() as db:
        assert (await db.execute(select(Page))).scalar_one().escalated_at is None
    await delivery.run_once(state)
    assert [json.loads(r.content)["type"] for r in network.calls if r.method == "POST"] == [
        "Accept"
    ]  # rita's
    network.calls.clear()

    escalation = page_request(alice, 1, escalates=page_id)
    assert await deliver(client, state, alice, escalation) == 202
    for name in ("dr_off", "dr_mod", "dr_req"):  # every member here, on call or not
        told = await kinds(state, name)
        assert [k for k, _ in told] == ["page"], name
        assert told[0][1].startswith("Escalated page (now) from alice@remote.example"), told
    assert [k for k, _ in await kinds(state, "dr_on")] == ["page"]  # told already
    await delivery.run_once(state)
    posts = [(str(r.url), json.loads(r.content)) for r in network.calls if r.method == "POST"]
    assert [url for url, _ in posts] == ["https://other.example/inbox"]  # not back to alice's
    ((_, announce),) = posts
    assert announce["type"] == "Announce" and announce["actor"] == GROUP
    assert announce["object"] == escalation  # as received: alice's proof verifies at bob's
    assert "https://www.w3.org/ns/activitystreams#Public" not in announce["to"] + announce["cc"]
    async with state.sessionmaker() as db:
        page = (await db.execute(select(Page))).scalar_one()
    assert page.escalated_at is not None

    # The escalation again (a new activity): nobody told twice, nothing announced again.
    network.calls.clear()
    assert await deliver(client, state, alice, page_request(alice, 1, escalates=page_id)) == 202
    await delivery.run_once(state)
    assert [r for r in network.calls if r.method == "POST"] == []
    for name in ("dr_off", "dr_mod", "dr_on"):
        assert len(await kinds(state, name)) == 1, name


async def test_our_member_paging_a_group_hosted_elsewhere_escalates_through_the_groups_home(
    state, app, client, world
) -> None:  # type: ignore[no-untyped-def]
    """The requester's side: dr_req pages cardio (hosted at other.example) and nobody answers.
    Our worker escalates the page (we are the case's home: answers arrive here): dr_off, a
    member here not on call, is told, and the group's home gets the escalation request, the
    escalation Note addressed to the Group, signed and proved by dr_req; once."""
    case, remote_group, network = world["case"], world["remote_group"], world["network"]
    for name in ("dr_req", "dr_off"):
        async with state.transaction() as db:
            me = await get_local_actor_by_username(db, name)
            await group_service.join(
                db, state, me, await get_or_fetch_actor(db, state, remote_group.actor_uri)
            )
        await delivery.run_once(state)
        follow = [json.loads(r.content) for r in network.calls if r.method == "POST"][-1]
        await deliver(client, state, remote_group, remote_group.activity("Accept", follow))
    cardio = await group_actor_id(state, remote_group.actor_uri)
    requester = await browser(app, "dr_req")
    token = await csrf_token(requester, f"/page?group={cardio}")
    sent = await requester.post(
        "/page",
        form={
            "group": str(cardio),
            "case": str(case.id),
            "urgency": "now",
            "question": "Tinea or granuloma annulare?",
            "csrf_token": token,
        },
    )
    assert sent.status_code == 302
    await delivery.run_once(state)
    network.calls.clear()
    async with state.sessionmaker() as db:
        page = (await db.execute(select(Page))).scalar_one()
        group_inbox = (await get_or_fetch_actor(db, state, remote_group.actor_uri)).inbox_url
        requester_actor = await get_local_actor_by_username(db, "dr_req")
    assert await kinds(state, "dr_off") == []  # not on call
    assert await paging_service.escalate_due(state, now=page.sent_at + timedelta(minutes=29)) == 0
    assert await paging_service.escalate_due(state, now=page.sent_at + timedelta(minutes=30)) == 1
    ((kind, message),) = await kinds(state, "dr_off")
    assert kind == "page" and message.startswith("Escalated page (now) from dr_req")
    await delivery.run_once(state)
    ((url, create),) = [(str(r.url), json.loads(r.content)) for r in network.calls if r.method == "POST"]
    assert url == group_inbox
    note = create["object"]
    assert create["type"] == "Create" and create["id"] == f"{page.ap_id}/escalation/activity"
    assert note["id"] == f"{page.ap_id}/escalation" and note["attributedTo"] == requester_actor.uri
    assert note["to"] == [remote_group.actor_uri] and note["audience"] == remote_group.actor_uri
    assert note["tag"] == []
    marker = note["fediverseCases:page"]
    assert marker["fediverseCases:escalated"] is True and marker["fediverseCases:escalates"] == page.ap_id
    assert marker["fediverseCases:group"] == remote_group.actor_uri
    assert "https://www.w3.org/ns/activitystreams#Public" not in json.dumps(create)
    verify_object(create, requester_actor.ed25519_public_multibase)  # the requester's own proof
    network.calls.clear()
    assert await paging_service.escalate_due(state, now=page.sent_at + timedelta(hours=5)) == 0
    await delivery.run_once(state)
    assert [r for r in network.calls if r.method == "POST"] == []
    assert len(await kinds(state, "dr_off")) == 1


async def test_a_view_from_a_recipient_elsewhere_marks_the_page_seen_here(state, app, client, world) -> None:  # type: ignore[no-untyped-def]
    """Seen, federated (receiving side): alice's hospital tells us she opened dr_req's page."""
    case, alice, bob = world["case"], world["alice"], world["bob"]
    requester = await browser(app, "dr_req")
    sent = await send_page(requester, case.id, "Anyone free?")
    async with state.sessionmaker() as db:
        page = (await db.execute(select(Page))).scalar_one()

    def seen_by(view: str, handle: str) -> bool:
        row = view.split(f'data-recipient="{handle}"', 1)[1].split("</tr>", 1)[0]
        return 'class="seen">seen ' in row

    view = await (await requester.get(sent.headers["Location"])).get_data(as_text=True)
    assert not seen_by(view, "alice@remote.example")
    # Bob was not paged (no member): his View changes nothing; nor does one naming no page.
    assert await deliver(client, state, bob, bob.activity("View", page.ap_id, to=[])) == 202
    assert await deliver(client, state, alice, alice.activity("View", f"{page.ap_id}x", to=[])) == 202
    async with state.sessionmaker() as db:
        rows = (
            (await db.execute(select(PageRecipient).where(PageRecipient.page_id == page.id))).scalars().all()
        )
    assert all(r.seen_at is None for r in rows) and len(rows) == 1  # alice only (nobody on call here)
    assert await deliver(client, state, alice, alice.activity("View", page.ap_id, to=[])) == 202
    view = await (await requester.get(sent.headers["Location"])).get_data(as_text=True)
    assert seen_by(view, "alice@remote.example")


async def test_a_held_answer_answers_the_page_only_once_the_reviewer_approves_it(
    state, app, client, world
) -> None:  # type: ignore[no-untyped-def]
    case = world["case"]
    await set_on_call(await browser(app, "dr_on"), await group_actor_id(state), enabled="on")
    await send_page(await browser(app, "dr_req"), case.id, "Seen this before?")
    on = await browser(app, "dr_on")
    path = f"/cases/{case.public_id}"
    held = await post_form(
        on,
        f"{path}/comments",
        {"content": "Reminds me of Mary Jones from ward 4, who lives on Elm Street", "send_for_review": "1"},
        page=path,
    )
    assert held.status_code == 302
    assert "page_answered" not in [k for k, _ in await kinds(state, "dr_req")]
    async with state.sessionmaker() as db:
        assert (await db.execute(select(Page.first_answer_at))).scalar_one() is None
        held_id = (await db.execute(select(Comment.public_id))).scalar_one()
    reviewer = await browser(app, "reviewer")
    decided = await post_form(
        reviewer, f"/review/comments/{held_id}", {"decision": "approve"}, page="/review/comments"
    )
    assert decided.status_code == 302
    assert "page_answered" in [k for k, _ in await kinds(state, "dr_req")]
    async with state.sessionmaker() as db:
        assert (await db.execute(select(Page.first_answer_at))).scalar_one() is not None


async def test_identifiers_never_travel_in_a_page_and_withdrawal_removes_pages(
    state, app, client, world
) -> None:  # type: ignore[no-untyped-def]
    case, bob, remote_group, network = world["case"], world["bob"], world["remote_group"], world["network"]
    await set_on_call(await browser(app, "dr_on"), await group_actor_id(state), enabled="on")
    requester = await browser(app, "dr_req")
    refused = await send_page(requester, case.id, "Mr John Smith, MRN 12345678: tinea?")
    assert refused.status_code == 422 and "may identify a patient" in await refused.get_data(as_text=True)
    assert await kinds(state, "dr_on") == []
    assert (await send_page(requester, case.id, "Tinea or granuloma annulare?")).status_code == 302
    assert [k for k, _ in await kinds(state, "dr_on")] == ["page"]

    # From a peer: a flagged question is withheld here, the page still arrives.
    async with state.transaction() as db:
        me = await get_local_actor_by_username(db, "dr_off")
        await group_service.join(db, state, me, await get_or_fetch_actor(db, state, remote_group.actor_uri))
    await delivery.run_once(state)
    follow = [json.loads(r.content) for r in network.calls if r.method == "POST"][-1]
    await deliver(client, state, remote_group, remote_group.activity("Accept", follow))
    off = await browser(app, "dr_off")
    await set_on_call(off, await group_actor_id(state, remote_group.actor_uri), back="/groups", enabled="on")
    flagged = "Reminds me of Mary Jones from ward 4, who lives on Elm Street"
    note = {
        "id": f"{bob.actor_uri}/pages/5",
        "type": "Note",
        "attributedTo": bob.actor_uri,
        "to": ["http://cases.test/users/dr_off"],
        "context": f"{bob.actor_uri}/cases/5",
        "content": f"<p>{flagged}</p>",
        "tag": [{"type": "Mention", "href": "http://cases.test/users/dr_off"}],
        "fediverseCases:page": {
            "fediverseCases:urgency": "today",
            "fediverseCases:group": remote_group.actor_uri,
            "fediverseCases:question": flagged,
        },
    }
    await deliver(client, state, bob, bob.activity("Create", note, to=note["to"]))
    ((kind, message),) = await kinds(state, "dr_off")
    assert kind == "page" and "Mary Jones" not in message and "withheld" in message

    # Consent withdrawn: the pages about the case, their questions and notifications go too.
    async with state.transaction() as db:
        await withdraw_consent(db, state, await db.get(Case, case.id), Operator.system())
    assert await kinds(state, "dr_on") == []
    async with state.sessionmaker() as db:
        assert (await db.execute(select(Page).where(Page.case_id == case.id))).scalars().all() == []
        assert (await db.execute(select(PageRecipient))).scalars().all() != []  # bob's page stays
