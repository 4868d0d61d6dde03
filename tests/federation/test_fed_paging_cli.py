"""Page escalation through the real worker path: `fediverse-cases worker --once --now TIME`
against an instance's database. A page nobody answered escalates once, at
``[paging] escalate_after_minutes`` after it was sent (here 20, set in the config file), to every
member of the group; an answered page never does."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from fediverse_cases.services import comments
from fediverse_cases.services import groups as group_service
from fediverse_cases.services import paging as paging_service
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.viewers import viewer_for
from fediverse_cases.storage.models import Case, Notification, Page
from fediverse_cases.storage.repositories.accounts import get_account_by_username, get_local_actor_by_username
from fediverse_cases.storage.repositories.groups import get_group_by_slug, is_member
from tests.federation.test_fed_peers_cli import Cli
from tests.support.case_rows import insert_case
from tests.support.live import LiveInstance, free_port

MEMBERS = ("dr_req", "dr_on", "dr_off", "dr_mod")


async def _join_and_page(instance: LiveInstance, question: str) -> tuple[int, datetime]:
    async with instance.state() as state:
        async with state.transaction() as db:
            group, actor = await get_group_by_slug(db, "dermatology")  # type: ignore[misc]
            for name in MEMBERS:
                me = await get_local_actor_by_username(db, name)
                if me is not None and not await is_member(db, actor.id, me.id):
                    await group_service.join(db, state, me, actor)
            on_call = await get_account_by_username(db, "dr_on")
            assert on_call is not None
            await paging_service.set_on_call(
                db, on_call, actor, enabled=True, schedule=paging_service.Schedule()
            )
            requester = await get_account_by_username(db, "dr_req")
            assert requester is not None
        case = await insert_case(state, requester, caption="Annular plaque")
        async with state.transaction() as db:
            group, actor = await get_group_by_slug(db, "dermatology")  # type: ignore[misc]
            me = await get_local_actor_by_username(db, "dr_req")
            assert me is not None
            page = await paging_service.send_page(
                db,
                state,
                requester,
                me,
                group,
                actor,
                paging_service.NewPage(case=case, urgency="now", question=question),
            )
            assert page.sent_at is not None
            return page.id, page.sent_at


async def _pages_told(instance: LiveInstance, username: str) -> list[str]:
    async with instance.state() as state, state.sessionmaker() as db:
        account = await get_account_by_username(db, username)
        assert account is not None
        rows = await db.execute(
            select(Notification.message).where(
                Notification.account_id == account.id, Notification.kind == "page"
            )
        )
        return list(rows.scalars())


async def _answer(instance: LiveInstance, page_id: int) -> None:
    """dr_on comments on the paged case (the comment service, as the web form calls it)."""
    async with instance.state() as state, state.transaction() as db:
        page = await db.get(Page, page_id)
        assert page is not None
        account = await get_account_by_username(db, "dr_on")
        actor = await get_local_actor_by_username(db, "dr_on")
        case = await db.get(Case, page.case_id)
        await comments.post_comment(
            db,
            state,
            account,
            actor,
            await viewer_for(db, account),
            case,
            "Granuloma annulare; happy to see them.",
            None,
            Operator.system(),
        )
        assert page.first_answer_at is not None


def test_worker_once_with_now_escalates_an_unanswered_page_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    instance = LiveInstance(
        "pager", free_port(), tmp_path / "pager", settings={"paging": {"escalate_after_minutes": 20}}
    )
    asyncio.run(instance.prepare())
    for name in MEMBERS:
        asyncio.run(instance.create_account(name))
    run = Cli(instance, capsys)
    made = run("groups", "create", "dermatology", "--name", "Dermatology", "--moderator", "dr_mod")
    assert made.returncode == 0, made.stderr
    _, sent_at = asyncio.run(_join_and_page(instance, "Anyone free for a look?"))
    assert asyncio.run(_pages_told(instance, "dr_on")) != []
    assert asyncio.run(_pages_told(instance, "dr_off")) == []

    early = run("worker", "--once", "--now", (sent_at + timedelta(minutes=19)).isoformat())
    assert early.returncode == 0, early.stderr
    assert "pages escalated: 0" in early.stdout
    assert asyncio.run(_pages_told(instance, "dr_off")) == []

    due = run("worker", "--once", "--now", (sent_at + timedelta(minutes=20)).isoformat())
    assert "pages escalated: 1" in due.stdout
    for name in ("dr_off", "dr_mod"):
        (told,) = asyncio.run(_pages_told(instance, name))
        assert told.startswith("Escalated page (now) from dr_req") and "Anyone free" in told
    assert len(asyncio.run(_pages_told(instance, "dr_on"))) == 1  # told once, not again

    again = run("worker", "--once", "--now", (sent_at + timedelta(hours=3)).isoformat())
    assert "pages escalated: 0" in again.stdout

    # An answered page does not escalate, however late it is.
    answered_id, answered_sent = asyncio.run(_join_and_page(instance, "Second opinion today?"))
    asyncio.run(_answer(instance, answered_id))
    late = run("worker", "--once", "--now", (answered_sent + timedelta(hours=2)).isoformat())
    assert "pages escalated: 0" in late.stdout

    with pytest.raises(SystemExit) as refused:
        run("worker", "--once", "--now", "yesterday")
    assert refused.value.code == 2 and "not an ISO 8601 time" in capsys.readouterr().err
