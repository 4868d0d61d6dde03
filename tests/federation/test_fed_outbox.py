"""The outbox as Mastodon and GoToSocial serve it — an OrderedCollection with ``first``/``last``
and pages of public Create activities, newest first, linked by ``next``/``prev`` — and every
Create id we emit answers with its activity (410 once consent is withdrawn)."""

from __future__ import annotations

from sqlalchemy import update

from fediverse_cases.core.accounts import Role
from fediverse_cases.storage.models import Case
from tests.support.case_rows import insert_case, minutes_ago
from tests.support.instances import create_account
from tests.support.statements import counted_statements

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


async def test_an_outbox_page_costs_the_same_queries_for_any_number_of_cases(client, state) -> None:  # type: ignore[no-untyped-def]
    # A peer paging back through an author's outbox meets pages nobody fetched before: each one
    # loads every kind of row once for all its cases, not once per case (20 cases a page).
    alice = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
    cases = [
        await insert_case(
            state,
            alice,
            caption=f"Case {n}",
            tags=(f"topic{n}",),
            images=1 + n % 3,
            published_at=minutes_ago(20 - n),
        )
        for n in range(8)
    ]

    async def page_of(newer_than: Case) -> tuple[list[dict], list[str]]:
        with counted_statements(state) as statements:
            response = await client.get(f"/users/alice/outbox?page=true&min_id={newer_than.id}", headers=AS2)
        assert response.status_code == 200
        return (await response.get_json())["orderedItems"], statements

    two, two_statements = await page_of(cases[5])
    seven, seven_statements = await page_of(cases[0])
    assert len(two) == 2 and len(seven) == 7
    assert len(seven_statements) == len(two_statements)

    # Each item is its case's own Note (its images and tags, not a neighbour's).
    for item in seven:
        fetched = await client.get(item["object"]["id"].replace("http://cases.test", ""), headers=AS2)
        note = await fetched.get_json()
        assert item["object"] == {key: value for key, value in note.items() if key != "@context"}
        number = int(note["content"].split("Case ")[1][0])
        assert len(note["attachment"]) == 1 + number % 3
        assert f"#topic{number}" in {tag["name"] for tag in note["tag"]}
