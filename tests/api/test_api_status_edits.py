"""Editing through the client API follows the web's rule (a caption change waits for the
reviewer, a warning change applies and federates), history lists the versions oldest first,
and favourited_by names who liked a case."""

from __future__ import annotations

from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.storage.models import Case
from tests.support.api_server import bearer, user_token
from tests.support.case_rows import insert_case
from tests.support.instances import create_account


async def _case(state) -> Case:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        return (await db.execute(select(Case))).scalar_one()


async def test_a_caption_edit_through_the_api_waits_for_review(client, state) -> None:  # type: ignore[no-untyped-def]
    author = await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, author, caption="Annular plaque on the forearm")
    token = await user_token(client, "dr_ada")
    status_id = str(case.id * 2)
    response = await client.put(
        f"/api/v1/statuses/{status_id}",
        headers=bearer(token),
        form={"status": "Annular plaque; KOH positive"},
    )
    body = await response.get_json()
    assert response.status_code == 200, body
    assert body["fediverse_cases"]["edit_pending"] is True
    assert (await _case(state)).caption == "Annular plaque on the forearm"  # published version stays

    warned = await client.put(
        f"/api/v1/statuses/{status_id}",
        headers=bearer(token),
        form={"status": "Annular plaque on the forearm", "sensitive": "true", "spoiler_text": "Skin lesion"},
    )
    assert warned.status_code == 200 and (await warned.get_json())["fediverse_cases"]["edit_pending"] is False
    assert (await _case(state)).content_warning == "Skin lesion"
    history = await (await client.get(f"/api/v1/statuses/{status_id}/history")).get_json()
    assert [version["spoiler_text"] for version in history] == ["", "Skin lesion"]


async def test_only_the_author_edits_and_identifiers_are_refused(client, state) -> None:  # type: ignore[no-untyped-def]
    author = await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "dr_bob", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, author)
    bob = await user_token(client, "dr_bob")
    ada = await user_token(client, "dr_ada")
    assert (
        await client.put(f"/api/v1/statuses/{case.id * 2}", headers=bearer(bob), form={"status": "mine"})
    ).status_code == 403
    flagged = await client.put(
        f"/api/v1/statuses/{case.id * 2}",
        headers=bearer(ada),
        form={"status": "Seen in Mary Jones of Elm Street"},
    )
    assert flagged.status_code == 422


async def test_favourited_by_lists_who_liked_a_case(client, state) -> None:  # type: ignore[no-untyped-def]
    author = await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "dr_bob", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, author)
    bob = await user_token(client, "dr_bob")
    assert (
        await client.post(f"/api/v1/statuses/{case.id * 2}/favourite", headers=bearer(bob))
    ).status_code == 200
    likers = await (await client.get(f"/api/v1/statuses/{case.id * 2}/favourited_by")).get_json()
    assert [account["username"] for account in likers] == ["dr_bob"]
