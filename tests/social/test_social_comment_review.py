"""Comments that may identify a patient are held for the home hospital's reviewer: the author
sees the findings first and may send it anyway; a held comment is shown to nobody, served to no
client and sent to no peer until a reviewer approves it. Remote comments with findings are held
the same way, and approval forwards them unchanged. An instance can hold new accounts too."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.federation.dereference import get_or_fetch_actor
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import AuditEvent, Comment, Delivery, Notification
from fediverse_cases.storage.repositories.object_fetches import record_object_fetch
from tests.support.case_rows import insert_case
from tests.support.fed_peer import FakePeer, deliver, install_fake_network
from tests.support.instances import create_account
from tests.support.web import post_form, sign_in

MARY = "Reminds me of Mary Jones from ward 4, who lives on Elm Street"


async def _comments(state) -> list[Comment]:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        return list((await db.execute(select(Comment).order_by(Comment.id))).scalars())


async def _setup(state):  # type: ignore[no-untyped-def]
    author = await create_account(state, "dr_author", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "dr_peer", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "privacy", role=Role.REVIEWER)
    return await insert_case(state, author)


async def _comment(client, case, content: str, **extra: str):  # type: ignore[no-untyped-def]
    path = f"/cases/{case.public_id}"
    return await post_form(client, f"{path}/comments", {"content": content, **extra}, page=path)


async def test_a_name_and_street_are_flagged_and_the_author_may_send_it_for_review(client, state) -> None:  # type: ignore[no-untyped-def]
    case = await _setup(state)
    await sign_in(client, "dr_peer")
    refused = await _comment(client, case, MARY)
    assert refused.status_code == 422
    page = await refused.get_data(as_text=True)
    assert '<mark class="phi" title="a name">Mary Jones</mark>' in page
    assert '<mark class="phi" title="an address or place">Elm Street</mark>' in page
    assert "Send to the privacy officer" in page and await _comments(state) == []

    sent = await _comment(client, case, MARY, send_for_review="1")
    assert sent.status_code == 302
    [held] = await _comments(state)
    assert held.state == "held" and "name" in held.held_reason and "address" in held.held_reason

    anonymous = client.app.test_client()
    assert "Mary Jones" not in await (await anonymous.get(f"/cases/{case.public_id}")).get_data(as_text=True)
    other = client.app.test_client()
    await sign_in(other, "dr_author")
    assert "Mary Jones" not in await (await other.get(f"/cases/{case.public_id}")).get_data(as_text=True)
    async with state.sessionmaker() as db:
        assert list((await db.execute(select(Notification))).scalars()) == []  # nobody told yet
        actions = list((await db.execute(select(AuditEvent.action))).scalars())
    assert "comment.hold" in actions


async def test_the_reviewer_approves_a_held_comment_from_the_queue(client, state) -> None:  # type: ignore[no-untyped-def]
    case = await _setup(state)
    await sign_in(client, "dr_peer")
    await _comment(client, case, MARY, send_for_review="1")
    [held] = await _comments(state)
    reviewer = client.app.test_client()
    await sign_in(reviewer, "privacy")
    queue = await (await reviewer.get("/review/comments")).get_data(as_text=True)
    assert (
        f'id="held-{held.public_id}"' in queue
        and '<mark class="phi" title="a name">Mary Jones</mark>' in queue
    )
    answer = await post_form(
        reviewer, f"/review/comments/{held.public_id}", {"decision": "approve"}, page="/review/comments"
    )
    assert answer.status_code == 302
    [shown] = await _comments(state)
    assert shown.state == "visible"
    page = await (await client.app.test_client().get(f"/cases/{case.public_id}")).get_data(as_text=True)
    assert "Mary Jones" in page
    async with state.sessionmaker() as db:
        kinds = list((await db.execute(select(Notification.kind))).scalars())
    assert kinds == ["comment"]  # the case's author hears of it only now


async def test_a_rejected_comment_is_erased_and_its_author_is_told_why(client, state) -> None:  # type: ignore[no-untyped-def]
    case = await _setup(state)
    await sign_in(client, "dr_peer")
    await _comment(client, case, MARY, send_for_review="1")
    [held] = await _comments(state)
    reviewer = client.app.test_client()
    await sign_in(reviewer, "privacy")
    missing_reason = await post_form(
        reviewer, f"/review/comments/{held.public_id}", {"decision": "reject"}, page="/review/comments"
    )
    assert missing_reason.status_code == 302 and (await _comments(state))[0].state == "held"
    await post_form(
        reviewer,
        f"/review/comments/{held.public_id}",
        {"decision": "reject", "reason": "names a patient"},
        page="/review/comments",
    )
    [gone] = await _comments(state)
    assert gone.state == "deleted" and gone.content == ""
    notices = await (await client.get("/notifications")).get_data(as_text=True)
    assert "Your comment was not published: names a patient" in notices


async def test_others_cannot_decide_on_held_comments(client, state) -> None:  # type: ignore[no-untyped-def]
    case = await _setup(state)
    await sign_in(client, "dr_peer")
    await _comment(client, case, MARY, send_for_review="1")
    [held] = await _comments(state)
    assert (await client.get("/review/comments")).status_code == 403
    answer = await post_form(client, f"/review/comments/{held.public_id}", {"decision": "approve"}, page="/")
    assert answer.status_code == 403 and (await _comments(state))[0].state == "held"


async def test_an_api_reply_with_identifiers_is_held_not_published(client, state) -> None:  # type: ignore[no-untyped-def]
    from tests.support.api_server import bearer, user_token

    case = await _setup(state)
    headers = bearer(await user_token(client.app.test_client(), "dr_peer"))
    response = await client.post(
        "/api/v1/statuses", form={"status": MARY, "in_reply_to_id": str(case.id * 2)}, headers=headers
    )
    assert response.status_code == 200, await response.get_data(as_text=True)
    body = await response.get_json()
    assert body["fediverse_cases"]["held_for_review"] is True
    assert (await client.get(f"/api/v1/statuses/{body['id']}")).status_code == 404
    context = await (await client.get(f"/api/v1/statuses/{case.id * 2}/context")).get_json()
    assert context["descendants"] == []


class TestHoldingNewAccounts:
    @pytest.fixture
    def settings_overrides(self) -> dict:
        return {"moderation": {"hold_comments_of_new_accounts_days": 7}}

    async def test_a_clean_comment_of_a_new_account_waits(self, client, state) -> None:  # type: ignore[no-untyped-def]
        case = await _setup(state)
        await sign_in(client, "dr_peer")
        response = await _comment(client, case, "Consider tinea incognito; a KOH prep would help.")
        assert response.status_code == 302
        [held] = await _comments(state)
        assert held.state == "held" and held.held_reason == "account younger than 7 days"


async def test_a_remote_comment_with_identifiers_is_held_then_forwarded_unchanged(client, state) -> None:  # type: ignore[no-untyped-def]
    author = await create_account(state, "dr_author", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "privacy", role=Role.REVIEWER)
    case = await insert_case(state, author)
    alice, carol = FakePeer("b.example", "alice"), FakePeer("c.example", "carol")
    network = install_fake_network(state, [alice, carol])
    async with state.transaction() as db:
        for host in ("b.example", "c.example"):
            await allow_peer(db, state, host, Operator.system())
        holder = await get_or_fetch_actor(db, state, carol.actor_uri)
        await record_object_fetch(db, case.ap_id, "c.example", holder.id, utcnow())  # C holds the case
    note = {
        "id": f"{alice.actor_uri}/notes/1",
        "type": "Note",
        "attributedTo": alice.actor_uri,
        "inReplyTo": case.ap_id,
        "content": f"<p>{MARY}</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }
    create = alice.with_proof(alice.activity("Create", note))
    assert await deliver(client, state, alice, create) == 202  # the peer learns nothing
    [held] = await _comments(state)
    assert held.state == "held" and not held.is_local
    async with state.sessionmaker() as db:
        assert list((await db.execute(select(Delivery))).scalars()) == []  # not forwarded
    reviewer = client.app.test_client()
    await sign_in(reviewer, "privacy")
    await post_form(
        reviewer, f"/review/comments/{held.public_id}", {"decision": "approve"}, page="/review/comments"
    )
    async with state.sessionmaker() as db:
        [forward] = list((await db.execute(select(Delivery))).scalars())
    assert forward.inbox_url == "https://c.example/inbox"
    assert json.loads(forward.payload)["proof"] == create["proof"]  # alice's own proof travels
    assert not [r for r in network.calls if r.method == "POST"]  # nothing was sent before approval
