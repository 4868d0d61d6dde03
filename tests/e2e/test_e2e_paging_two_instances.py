"""Paging a group across two real hospitals on loopback (issue 13).

A hosts the dermatology group; dr_req at A and bob and bea at B are members. Bob sets himself
on call at B (B's web form); bea does not. dr_req pages the group from A's web form: A delivers
the page Note (``fediverseCases:page``, addressed to bob and bea) to B, and B tells bob alone,
after fetching the case from A. Nobody answers, so the worker at A (``worker --once --now``, the
clock moved past ``escalate_after_minutes``) escalates: B now tells bea too. Bob answers by
commenting on the case at B; the comment reaches A, which records the first answer on the page
and tells dr_req at once; A's page view shows bob answered.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest

from fediverse_cases.core.accounts import Role
from tests.e2e.test_e2e_content_three_instances import poll, publish, query
from tests.e2e.test_e2e_groups_three_instances import join, member
from tests.support.instances import PASSWORD
from tests.support.live import LiveInstance
from tests.support.live_fixtures import live_instances  # noqa: F401

pytestmark = pytest.mark.e2e

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
QUESTION = "Granuloma annulare or tinea? Patient still in clinic."


async def signed_in(instance: LiveInstance, username: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=instance.url, timeout=60)
    token = CSRF.search((await client.get("/login")).text).group(1)  # type: ignore[union-attr]
    login = await client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert login.status_code == 302, login.text
    return client


async def form_post(client: httpx.AsyncClient, page: str, path: str, data: dict[str, str]) -> httpx.Response:
    token = CSRF.search((await client.get(page)).text).group(1)  # type: ignore[union-attr]
    return await client.post(path, data={**data, "csrf_token": token})


async def notifications(instance: LiveInstance, username: str, kind: str) -> list[str]:
    from sqlalchemy import select

    from fediverse_cases.storage.models import Notification
    from fediverse_cases.storage.repositories.accounts import get_account_by_username

    async def work(db: Any) -> list[str]:
        account = await get_account_by_username(db, username)
        rows = await db.execute(
            select(Notification.message).where(
                Notification.account_id == account.id, Notification.kind == kind
            )
        )
        return list(rows.scalars())

    return await query(instance, work)


async def the_page(instance: LiveInstance) -> Any:
    from sqlalchemy import select

    from fediverse_cases.storage.models import Page

    return await query(instance, lambda db: _first(db, select(Page)))


async def _first(db: Any, statement: Any) -> Any:
    return (await db.execute(statement)).scalars().first()


async def test_a_page_from_a_reaches_the_on_call_member_at_b_escalates_and_is_answered(
    live_instances,  # noqa: F811
) -> None:
    a = await live_instances("a", settings={"paging": {"escalate_after_minutes": 15}})
    b = await live_instances("b", allow=[a.host])
    await a.allow_peer(b.host)
    await a.create_account("dr_req", Role.PROFESSIONAL, verified=True)
    for name in ("bob", "bea"):
        await b.create_account(name, Role.PROFESSIONAL, verified=True)
    created = a.run_cli("groups", "create", "dermatology", "--name", "Dermatology", "--moderator", "dr_req")
    assert created.returncode == 0, created.stderr
    group_url = f"{a.url}/groups/dermatology"
    for instance in (a, b):
        await instance.start(timeout=180)

    await join(a, "dr_req", group_url)
    for name in ("bob", "bea"):
        await join(b, name, group_url)
    for instance, name in ((a, "dr_req"), (b, "bob"), (b, "bea")):
        await poll(lambda i=instance, n=name: member(i, n, group_url), f"{name} accepted in the group", 60)
    case = await publish(a, "dr_req", "Annular plaque on the forearm, scaly edge, three weeks.", 5)

    # Bob goes on call for A's group on his own hospital's groups page.
    bob = await signed_in(b, "bob")
    groups_page = (await bob.get("/groups")).text
    group_id = re.search(r'name="group" value="(\d+)"', groups_page).group(1)  # type: ignore[union-attr]
    on_call = await form_post(
        bob, "/groups", "/on-call", {"group": group_id, "enabled": "on", "next": "/groups"}
    )
    assert on_call.status_code == 302, on_call.text

    # dr_req pages the group from A's web form.
    requester = await signed_in(a, "dr_req")
    assert "Page this group" in (await requester.get("/groups/dermatology")).text
    sent = await form_post(
        requester,
        "/groups/dermatology/page",
        "/groups/dermatology/page",
        {"case": str(case.id), "urgency": "now", "question": QUESTION},
    )
    assert sent.status_code == 302, sent.text
    page_path = sent.headers["Location"]

    (told,) = await poll(lambda: notifications(b, "bob", "page"), "the page reaching bob at B", 60)
    assert QUESTION in told and "dr_req@" in told
    received = await poll(lambda: the_page(b), "B recording the page")
    assert received.urgency == "now" and not received.is_local
    assert received.case_id is not None, "B fetched the paged case from A"
    assert await notifications(b, "bea", "page") == []  # a member, not on call

    # Nobody answered: A's worker, its clock moved on, escalates to every member.
    page = await the_page(a)
    escalated = a.run_cli("worker", "--once", "--now", (page.sent_at + timedelta(minutes=16)).isoformat())
    assert escalated.returncode == 0, escalated.stderr
    assert "pages escalated: 1" in escalated.stdout
    (told_bea,) = await poll(lambda: notifications(b, "bea", "page"), "the escalation reaching bea at B", 60)
    assert told_bea.startswith("Escalated page (now)")
    assert len(await notifications(b, "bob", "page")) == 1  # bob was told already

    # Bob answers by commenting on the case at B; A records the first answer and tells dr_req.
    public_id_at_b = await query(b, lambda db: _case_public_id(db, case.ap_id))
    commented = await form_post(
        bob,
        f"/cases/{public_id_at_b}",
        f"/cases/{public_id_at_b}/comments",
        {"content": "Granuloma annulare: no scale at the edge. Send them over."},
    )
    assert commented.status_code == 302, commented.text
    (answered,) = await poll(
        lambda: notifications(a, "dr_req", "page_answered"), "dr_req told of bob's answer", 60
    )
    assert "bob@" in answered
    page = await the_page(a)
    assert page.first_answer_at is not None and page.first_answer_at > page.sent_at
    view = (await requester.get(page_path)).text
    assert f'data-recipient="bob@{b.host}"' in view and "answered " in view
    for client in (bob, requester):
        await client.aclose()


async def _case_public_id(db: Any, ap_id: str) -> str:
    from fediverse_cases.storage.repositories.cases import get_case_by_ap_id

    case = await get_case_by_ap_id(db, ap_id)
    assert case is not None
    return case.public_id
