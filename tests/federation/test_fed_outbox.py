"""The outbox as Mastodon and GoToSocial serve it — an OrderedCollection with ``first``/``last``
and pages of public Create activities, newest first, linked by ``next``/``prev`` — and every
Create id we emit answers with its activity (410 once consent is withdrawn)."""

from __future__ import annotations

from sqlalchemy import update

from fediverse_cases.core.accounts import Role
from fediverse_cases.storage.models import Case
from tests.support.case_rows import insert_case, minutes_ago
from tests.support.instances import create_account

AS2 = {"Accept": "application/activity+json"}


async def test_the_outbox_pages_public_creates_newest_first(client, state, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from fediverse_cases.web.blueprints import activitypub

    monkeypatch.setattr(activitypub, "OUTBOX_PAGE_SIZE", 2)
    alice = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
    cases = [
        await insert_case(state, alice, caption=f"Case {n}", published_at=minutes_ago(10 - n))
        for n in range(3)
    ]
    await insert_case(state, alice, caption="Members only", visibility="followers")
    await insert_case(state, alice, caption="Still pending", case_state="pending")

    outbox = await (await client.get("/users/alice/outbox", headers=AS2)).get_json()
    assert outbox["type"] == "OrderedCollection" and outbox["totalItems"] == 3
    first = await (await client.get(outbox["first"].replace("http://cases.test", ""), headers=AS2)).get_json()
    assert first["type"] == "OrderedCollectionPage" and first["partOf"] == outbox["id"]
    assert [item["type"] for item in first["orderedItems"]] == ["Create", "Create"]
    assert [item["object"]["id"] for item in first["orderedItems"]] == [cases[2].ap_id, cases[1].ap_id]
    second = await (await client.get(first["next"].replace("http://cases.test", ""), headers=AS2)).get_json()
    assert [item["object"]["id"] for item in second["orderedItems"]] == [cases[0].ap_id]
    assert "next" not in second and second["prev"]


async def test_a_create_id_is_fetchable_and_gone_after_withdrawal(client, state) -> None:  # type: ignore[no-untyped-def]
    alice = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, alice)
    outbox = await (await client.get("/users/alice/outbox?page=true", headers=AS2)).get_json()
    activity_id = outbox["orderedItems"][0]["id"]
    assert activity_id == f"{case.ap_id}/activity"
    fetched = await client.get(activity_id.replace("http://cases.test", ""), headers=AS2)
    assert fetched.status_code == 200 and (await fetched.get_json())["object"]["id"] == case.ap_id
    async with state.transaction() as db:
        await db.execute(update(Case).where(Case.id == case.id).values(state="withdrawn", caption=""))
    gone = await client.get(activity_id.replace("http://cases.test", ""), headers=AS2)
    assert gone.status_code == 410
