"""Flags over the real database: a flagged case or comment is hidden at once for everyone
(page, feeds, search) except its author and reviewers; reviewers uphold or dismiss; audited."""

from __future__ import annotations

from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.storage.models import AuditEvent, Comment, Flag
from tests.support.case_rows import insert_case
from tests.support.instances import create_account
from tests.support.web import post_form, sign_in


async def _setup(state):  # type: ignore[no-untyped-def]
    author = await create_account(state, "dr_flagged", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "reporter")
    await create_account(state, "privacy", role=Role.REVIEWER)
    return await insert_case(state, author, caption="Questionable xanthoma photo", tags=("dermatology",))


async def _visible_everywhere(client, case) -> list[bool]:  # type: ignore[no-untyped-def]
    page = await client.get(f"/cases/{case.public_id}")
    local = await (await client.get("/feed/local")).get_data(as_text=True)
    tag = await (await client.get("/tags/dermatology")).get_data(as_text=True)
    search = await (await client.get("/search?q=xanthoma")).get_data(as_text=True)
    return [page.status_code == 200, case.public_id in local, case.public_id in tag, case.public_id in search]


async def _decide(state, client, decision: str) -> int:  # type: ignore[no-untyped-def]
    reviewer = client.app.test_client()
    await sign_in(reviewer, "privacy")
    queue = await (await reviewer.get("/moderation/flags")).get_data(as_text=True)
    async with state.sessionmaker() as db:
        flag = (await db.execute(select(Flag))).scalar_one()
    assert f'id="flag-{flag.id}"' in queue
    response = await post_form(
        reviewer, f"/moderation/flags/{flag.id}", {"decision": decision}, page="/moderation/flags"
    )
    return response.status_code


async def test_flagged_case_is_hidden_at_once_and_dismissal_restores_it(client, state) -> None:  # type: ignore[no-untyped-def]
    case = await _setup(state)
    await sign_in(client, "reporter")
    assert await _visible_everywhere(client, case) == [True] * 4
    path = f"/cases/{case.public_id}"
    assert (await post_form(client, f"{path}/flag", {"reason": ""}, page=path)).status_code == 422
    response = await post_form(client, f"{path}/flag", {"reason": "Possible tattoo visible"}, page=path)
    assert response.status_code == 302
    assert await _visible_everywhere(client, case) == [False] * 4
    anonymous = client.app.test_client()
    assert await _visible_everywhere(anonymous, case) == [False] * 4
    author = client.app.test_client()
    await sign_in(author, "dr_flagged")
    page = await (await author.get(path)).get_data(as_text=True)
    assert "Hidden pending a reviewer" in page
    assert await _decide(state, client, "dismiss") == 302
    assert await _visible_everywhere(client, case) == [True] * 4
    async with state.sessionmaker() as db:
        actions = list((await db.execute(select(AuditEvent.action))).scalars())
        flag = (await db.execute(select(Flag))).scalar_one()
    assert "case.flag" in actions and "flag.decide" in actions and flag.state == "dismissed"


async def test_upheld_flag_keeps_the_case_hidden(client, state) -> None:  # type: ignore[no-untyped-def]
    case = await _setup(state)
    await sign_in(client, "reporter")
    path = f"/cases/{case.public_id}"
    await post_form(client, f"{path}/flag", {"reason": "Identifiable"}, page=path)
    assert await _decide(state, client, "uphold") == 302
    assert await _visible_everywhere(client, case) == [False] * 4
    async with state.sessionmaker() as db:
        assert (await db.execute(select(Flag.state))).scalar_one() == "upheld"


async def test_flagged_comment_is_hidden_until_dismissed(client, state) -> None:  # type: ignore[no-untyped-def]
    case = await _setup(state)
    path = f"/cases/{case.public_id}"
    commenter = client.app.test_client()
    await sign_in(commenter, "dr_flagged")
    await post_form(commenter, f"{path}/comments", {"content": "Rude remark about a colleague"}, page=path)
    async with state.sessionmaker() as db:
        comment = (await db.execute(select(Comment))).scalar_one()
    await sign_in(client, "reporter")
    flagged = await post_form(
        client, f"/comments/{comment.public_id}/flag", {"reason": "Unprofessional"}, page=path
    )
    assert flagged.status_code == 302
    assert "Rude remark" not in await (await client.get(path)).get_data(as_text=True)
    assert await _decide(state, client, "dismiss") == 302
    assert "Rude remark" in await (await client.get(path)).get_data(as_text=True)


async def test_only_reviewers_see_and_decide_flags(client, state) -> None:  # type: ignore[no-untyped-def]
    case = await _setup(state)
    await sign_in(client, "reporter")
    path = f"/cases/{case.public_id}"
    await post_form(client, f"{path}/flag", {"reason": "Check this"}, page=path)
    assert (await client.get("/moderation/flags")).status_code == 403
    async with state.sessionmaker() as db:
        flag = (await db.execute(select(Flag))).scalar_one()
    response = await post_form(client, f"/moderation/flags/{flag.id}", {"decision": "dismiss"}, page="/")
    assert response.status_code == 403
    async with state.sessionmaker() as db:
        assert (await db.execute(select(Flag.state))).scalar_one() == "open"
