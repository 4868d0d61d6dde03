"""Three real hospitals on loopback ports federate cases and comments over real HTTP.

A's clinician publishes; B and C follow her; B comments and A forwards the comment to C; D (not
on A's allow-list) is refused both ways; consent withdrawal removes the case from B and C and the
erasure report says so; B is stopped during a fan-out and catches up after a restart.
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from PIL import Image, ImageDraw

from fediverse_cases.core.accounts import Role
from fediverse_cases.storage.models import Case, Comment
from tests.support.live import LiveInstance
from tests.support.live_fixtures import live_instances  # noqa: F401

pytestmark = pytest.mark.e2e


def clinical_image(seed: int) -> bytes:
    """A plain synthetic 'skin lesion' (no faces, no text) the de-identifier accepts."""
    img = Image.new("RGB", (640, 480), (205, 160, 140))
    draw = ImageDraw.Draw(img)
    for i in range(12):
        r = 20 + (seed * 7 + i * 13) % 60
        x, y = 100 + (i * 37 + seed * 11) % 440, 80 + (i * 53 + seed * 5) % 320
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(170 - i * 3, 90 + i * 2, 80))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


async def poll(check: Callable[[], Awaitable[Any]], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def in_transaction(instance: LiveInstance, work: Callable[[Any, Any], Awaitable[Any]]) -> Any:
    """Run ``work(db, state)`` in one transaction on the instance's database; the services
    federate as in the server, so outbox rows are written like a web action."""
    async with instance.state() as state, state.transaction() as db:
        return await work(db, state)


async def query(instance: LiveInstance, work: Callable[[Any], Awaitable[Any]]) -> Any:
    async with instance.state() as state, state.sessionmaker() as db:
        return await work(db)


async def remote_case(instance: LiveInstance, ap_id: str) -> Case | None:
    from fediverse_cases.storage.repositories.cases import get_case_by_ap_id

    return await query(instance, lambda db: get_case_by_ap_id(db, ap_id))


async def follow(
    follower_instance: LiveInstance, username: str, target: LiveInstance, target_user: str
) -> None:
    from fediverse_cases.federation.dereference import get_or_fetch_actor
    from fediverse_cases.services import social
    from fediverse_cases.storage.repositories.accounts import get_local_actor_by_username

    async def work(db: Any, state: Any) -> None:
        me = await get_local_actor_by_username(db, username)
        them = await get_or_fetch_actor(db, state, target.actor_url(target_user))
        await social.follow(db, state, me, them)

    await in_transaction(follower_instance, work)


async def follow_accepted(instance: LiveInstance, username: str) -> bool:
    from sqlalchemy import select

    from fediverse_cases.storage.models import Actor, Follow

    async def work(db: Any) -> bool:
        rows = await db.execute(
            select(Follow.state).join(Actor, Actor.id == Follow.follower_id).where(Actor.username == username)
        )
        return any(state == "accepted" for (state,) in rows)

    return await query(instance, work)


async def publish(instance: LiveInstance, username: str, caption: str, seed: int) -> Case:
    from fediverse_cases.services.case_factory import create_published_case
    from fediverse_cases.storage.repositories.accounts import get_account_by_username

    async with instance.state() as state:
        async with state.sessionmaker() as db:
            account = await get_account_by_username(db, username)
        return await create_published_case(
            state, account, images=[clinical_image(seed)], caption=caption, tags=["dermatology"]
        )


async def comment_on(instance: LiveInstance, username: str, case_ap_id: str, text: str) -> Comment:
    from fediverse_cases.services.comments import post_comment
    from fediverse_cases.services.operator import Operator
    from fediverse_cases.services.social import viewer_for
    from fediverse_cases.storage.repositories.accounts import (
        get_account_by_username,
        get_local_actor_by_username,
    )
    from fediverse_cases.storage.repositories.cases import get_case_by_ap_id

    async def work(db: Any, state: Any) -> Comment:
        account = await get_account_by_username(db, username)
        actor = await get_local_actor_by_username(db, username)
        case = await get_case_by_ap_id(db, case_ap_id)
        return await post_comment(
            db,
            state,
            account,
            actor,
            viewer_for(account, actor),
            case,
            text,
            None,
            Operator(account.id, username),
        )

    return await in_transaction(instance, work)


async def queue_raw_comment(
    sender: LiveInstance, username: str, home: LiveInstance, case_ap_id: str, text: str
) -> str:
    """Queue a reply by ``username`` on ``sender``'s outbox to ``home``'s inbox directly, as a
    delivery written just before a revocation would be: the sender's worker signs and sends it."""
    import uuid

    from fediverse_cases.convert.activities import create_activity
    from fediverse_cases.federation.outbox import enqueue
    from fediverse_cases.storage.repositories.accounts import get_local_actor_by_username

    async def work(db: Any, state: Any) -> str:
        actor = await get_local_actor_by_username(db, username)
        note = {
            "id": f"{actor.uri}/late/{uuid.uuid4().hex}",
            "type": "Note",
            "attributedTo": actor.uri,
            "inReplyTo": case_ap_id,
            "content": f"<p>{text}</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [home.actor_url("alice")],
            "published": "2026-01-01T00:00:00Z",
        }
        activity = create_activity(note)
        await enqueue(db, state, activity=activity, sender=actor, inboxes=[f"{home.url}/inbox"])
        return str(activity["id"])

    return await in_transaction(sender, work)


async def _contains(texts: Awaitable[list[str]], text: str) -> bool:
    return text in await texts


async def comment_texts(instance: LiveInstance, case_ap_id: str) -> list[str]:
    from fediverse_cases.storage.repositories.cases import get_case_by_ap_id
    from fediverse_cases.storage.repositories.comments import comments_of_case

    async def work(db: Any) -> list[str]:
        case = await get_case_by_ap_id(db, case_ap_id)
        return [c.content for c in await comments_of_case(db, case.id)] if case else []

    return await query(instance, work)


async def test_cases_and_comments_travel_and_withdrawal_reaches_everyone(live_instances) -> None:  # noqa: F811
    from fediverse_cases.federation.erasure import erasure_report, recheck_peers
    from fediverse_cases.services.comments import CommentError

    a = await live_instances("a")
    b = await live_instances("b", allow=[a.host])
    # C allows B too: it must verify (and may fetch) what B's clinicians write.
    c = await live_instances("c", allow=[a.host, b.host])
    d = await live_instances("d", allow=[a.host])
    await a.allow_peer(b.host)
    await a.allow_peer(c.host)
    # B allows C back: C verifies what B's clinicians write by a signed fetch from B, and a
    # server refuses signed reads from hosts it does not allow (403).
    await b.allow_peer(c.host)
    await a.create_account("alice", Role.PROFESSIONAL, verified=True)
    await b.create_account("bob", Role.PROFESSIONAL, verified=True)
    await c.create_account("carol", Role.PROFESSIONAL, verified=True)
    await c.create_account("victor", Role.VIEWER, verified=False)
    await d.create_account("dave", Role.PROFESSIONAL, verified=True)
    for instance in (a, b, c, d):
        await instance.start()

    await follow(b, "bob", a, "alice")
    await follow(c, "carol", a, "alice")
    await poll(lambda: follow_accepted(b, "bob"), "B's follow accepted")
    await poll(lambda: follow_accepted(c, "carol"), "C's follow accepted")

    # D is not on A's allow-list: its signed requests are refused, and A never sends to it.
    async with httpx.AsyncClient() as http:
        assert (await http.post(f"{a.url}/inbox", json={"type": "Follow"})).status_code in (401, 403)
    # D's signed fetch of A's actor (the first step of a follow) is refused with 403, not
    # answered as if it were anonymous.
    from fediverse_cases.federation.dereference import FetchError

    with pytest.raises(FetchError, match="HTTP 403"):
        await follow(d, "dave", a, "alice")
    assert not await follow_accepted(d, "dave")

    case = await publish(a, "alice", "Annular plaque on the forearm, three weeks", seed=1)
    on_b = await poll(lambda: remote_case(b, case.ap_id), "the case on B")
    await poll(lambda: remote_case(c, case.ap_id), "the case on C")
    assert on_b.caption.startswith("Annular plaque") and not on_b.is_local

    async def peers_sent_to(db: Any) -> set[str]:
        from sqlalchemy import select

        from fediverse_cases.storage.models import Delivery

        return {host for (host,) in await db.execute(select(Delivery.peer_host))}

    assert d.host not in await query(a, peers_sent_to)

    from fediverse_cases.storage.repositories.cases import list_images

    images = await query(b, lambda db: list_images(db, on_b.id))
    assert images and images[0].media_key and images[0].remote_url.startswith(a.url)
    extension = ".png" if images[0].media_type == "image/png" else ".jpg"
    async with httpx.AsyncClient() as http:
        served = await http.get(f"{b.url}/media/{images[0].media_key}-display{extension}")
    assert served.status_code == 200, (on_b.visibility, on_b.state, on_b.hidden, images[0].media_type)
    assert served.status_code == 200 and served.headers["content-type"].startswith("image/")

    # A viewer on C cannot comment; bob on B can, and his comment reaches A and (forwarded) C.
    with pytest.raises(CommentError):
        await comment_on(c, "victor", case.ap_id, "I am not a clinician")
    await comment_on(b, "bob", case.ap_id, "Consider tinea corporis; scrape for KOH")
    await poll(lambda: comment_texts(a, case.ap_id), "bob's comment on A")
    assert await poll(lambda: comment_texts(c, case.ap_id), "bob's comment forwarded to C") == [
        "Consider tinea corporis; scrape for KOH"
    ]

    # alice edits the caption; once A's reviewer approves, B and C show the new text (Update).
    await a.create_account("privacy", Role.REVIEWER, verified=False)

    async def edit_and_approve(db: Any, state: Any) -> None:
        from fediverse_cases.services import case_edits
        from fediverse_cases.services.operator import Operator
        from fediverse_cases.storage.repositories.accounts import (
            get_account_by_username,
            get_local_actor_by_username,
        )
        from fediverse_cases.storage.repositories.cases import get_case_by_ap_id

        mine = await get_case_by_ap_id(db, case.ap_id)
        author = await get_account_by_username(db, "alice")
        edit = case_edits.CaseEdit(
            caption="Annular plaque on the forearm; KOH positive", specialties=["dermatology"]
        )
        await case_edits.propose_edit(
            db, state, mine, author, await get_local_actor_by_username(db, "alice"), edit, Operator.system()
        )
        reviewer = await get_account_by_username(db, "privacy")
        await case_edits.approve_edit(db, state, mine, reviewer, Operator.system())

    await in_transaction(a, edit_and_approve)

    async def edited_on(instance: LiveInstance) -> bool:
        copy = await remote_case(instance, case.ap_id)
        return copy is not None and "KOH positive" in copy.caption

    await poll(lambda: edited_on(b), "the edit on B")
    await poll(lambda: edited_on(c), "the edit on C")

    # B revokes bob's verification from its shell: A hears it as Update(Person) at once and
    # refuses the comment of his that B's queue still sends afterwards.
    revoked = b.run_cli("users", "verify", "bob", "--reject", "--reason", "licence lapsed")
    assert revoked.returncode == 0, revoked.stderr

    async def a_sees_bob_unverified() -> bool:
        from fediverse_cases.storage.repositories.accounts import get_actor_by_uri

        actor = await query(a, lambda db: get_actor_by_uri(db, b.actor_url("bob")))
        return actor is not None and not actor.verified_professional

    await poll(a_sees_bob_unverified, "A learning that bob's verification was revoked")
    late_id = await queue_raw_comment(b, "bob", a, case.ap_id, "Sent after my licence lapsed")

    async def a_processed(activity_id: str) -> bool:
        from sqlalchemy import select

        from fediverse_cases.storage.models import InboxItem

        rows = await query(
            a, lambda db: db.execute(select(InboxItem.state).where(InboxItem.activity_id == activity_id))
        )
        return any(state in ("done", "ignored") for (state,) in rows)

    await poll(lambda: a_processed(late_id), "A processing bob's late comment")
    assert "Sent after my licence lapsed" not in await comment_texts(a, case.ap_id)

    # A comment that names a patient, sent from B, is held at A (the case's home): shown nowhere
    # and not forwarded to C until A's privacy officer approves it.
    await b.create_account("bea", Role.PROFESSIONAL, verified=True)
    named_id = await queue_raw_comment(b, "bea", a, case.ap_id, "Like Mary Jones on Elm Street, sadly")

    async def a_holds(activity_id: str) -> bool:
        return await a_processed(activity_id)

    await poll(lambda: a_holds(named_id), "A processing bea's comment")
    assert "Like Mary Jones on Elm Street, sadly" not in await comment_texts(c, case.ap_id)

    async def approve_held(db: Any, state: Any) -> None:
        from sqlalchemy import select

        from fediverse_cases.services.comment_review import approve_comment
        from fediverse_cases.services.operator import Operator
        from fediverse_cases.storage.repositories.accounts import get_account_by_username

        [held] = (await db.execute(select(Comment).where(Comment.state == "held"))).scalars().all()
        reviewer = await get_account_by_username(db, "privacy")
        await approve_comment(db, state, reviewer, held, Operator.system())

    await in_transaction(a, approve_held)
    await poll(
        lambda: _contains(comment_texts(c, case.ap_id), "Like Mary Jones on Elm Street, sadly"),
        "the approved comment forwarded to C",
    )

    # B is down while A fans out a second case; it arrives after B restarts.
    await b.stop()
    second = await publish(a, "alice", "Second case while B is down", seed=2)
    await poll(lambda: remote_case(c, second.ap_id), "the second case on C")
    assert await remote_case(b, second.ap_id) is None
    await b.start()
    await poll(lambda: remote_case(b, second.ap_id), "the second case on B after restart", timeout=60)

    # Consent withdrawal on A removes the case from B and C; the erasure report says so.
    from fediverse_cases.services.operator import Operator
    from fediverse_cases.services.withdraw import withdraw_consent
    from fediverse_cases.storage.repositories.cases import get_case_by_ap_id

    async def withdraw(db: Any, state: Any) -> None:
        await withdraw_consent(db, state, await get_case_by_ap_id(db, case.ap_id), Operator.system())

    await in_transaction(a, withdraw)

    async def gone(instance: LiveInstance) -> bool:
        return await remote_case(instance, case.ap_id) is None

    await poll(lambda: gone(b), "the case purged from B")
    await poll(lambda: gone(c), "the case purged from C")

    async def delivered_everywhere() -> list[Any]:
        async with a.state() as state, state.sessionmaker() as db:
            rows = await erasure_report(db, await get_case_by_ap_id(db, case.ap_id))
        return rows if rows and all(r.delete_state == "done" for r in rows) else []

    rows = await poll(delivered_everywhere, "Delete delivered to B and C")
    assert {r.peer_host for r in rows} == {b.host, c.host}
    async with a.state() as state:
        results = dict(await recheck_peers(state, (await remote_case(a, case.ap_id)).id))
    assert results == {b.host: "gone", c.host: "gone"}
