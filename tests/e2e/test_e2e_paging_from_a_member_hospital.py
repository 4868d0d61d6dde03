"""A page that starts at a member's hospital, not at the group's home (issue 13).

A hosts the dermatology group; amy (A), dr_req and bob (B) and cleo (C) are members, each on
call at their own hospital. dr_req pages the group from the "Page a group" form on her own
case's page at B. B tells bob (on call there) itself and sends the page request (the page Note
addressed to the Group) to A. A checks dr_req is an admitted member, tells amy, and announces
the request, as received, to C, which tells cleo. Amy answers by commenting on the case at A;
the comment reaches B, where dr_req is told of the first answer and the page view shows it.
Nobody answers at first: B's worker, its clock moved on (``worker --once --now``), escalates
dr_req's page: B tells bea (a member, not on call) and sends the escalation request to the group;
A tells ann (not on call) and announces it to C, which tells cora (not on call); each once, and
A's own worker does not escalate the page again. Cleo opening the page at C tells B (a ``View``
of the page): B's page view shows she saw it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from fediverse_cases.core.accounts import Role
from tests.e2e.test_e2e_content_three_instances import poll, publish, query
from tests.e2e.test_e2e_groups_three_instances import join, member
from tests.e2e.test_e2e_paging_two_instances import form_post, notifications, signed_in
from tests.support.live_fixtures import live_instances  # noqa: F401

pytestmark = pytest.mark.e2e

QUESTION = "Pityriasis rosea or secondary syphilis? Patient waiting in clinic."


async def pages(instance: Any) -> list[Any]:
    from sqlalchemy import select

    from fediverse_cases.storage.models import Page

    return await query(instance, lambda db: _all(db, select(Page)))


async def _all(db: Any, statement: Any) -> list[Any]:
    return list((await db.execute(statement)).scalars())


async def on_call(instance: Any, username: str) -> None:
    client = await signed_in(instance, username)
    groups_page = (await client.get("/groups")).text
    group_id = re.search(r'name="group" value="(\d+)"', groups_page).group(1)  # type: ignore[union-attr]
    set_on = await form_post(
        client, "/groups", "/on-call", {"group": group_id, "enabled": "on", "next": "/groups"}
    )
    assert set_on.status_code == 302, set_on.text
    await client.aclose()


async def test_a_member_at_another_hospital_pages_the_group_through_its_home(
    live_instances,  # noqa: F811
) -> None:
    a = await live_instances("a")
    b = await live_instances("b", allow=[a.host])
    c = await live_instances("c", allow=[a.host])
    await a.allow_peer(b.host)
    await a.allow_peer(c.host)
    await b.allow_peer(c.host)
    await c.allow_peer(b.host)
    for name in ("amy", "ann"):
        await a.create_account(name, Role.PROFESSIONAL, verified=True)
    for name in ("dr_req", "bob", "bea", "bert"):
        await b.create_account(name, Role.PROFESSIONAL, verified=True)
    for name in ("cleo", "cora"):
        await c.create_account(name, Role.PROFESSIONAL, verified=True)
    created = a.run_cli("groups", "create", "dermatology", "--name", "Dermatology", "--moderator", "amy")
    assert created.returncode == 0, created.stderr
    group_url = f"{a.url}/groups/dermatology"
    for instance in (a, b, c):
        await instance.start(timeout=180)

    joined = ((a, "amy"), (a, "ann"), (b, "dr_req"), (b, "bob"), (b, "bea"), (c, "cleo"), (c, "cora"))
    for instance, name in joined:
        await join(instance, name, group_url)
    for instance, name in joined:
        await poll(lambda i=instance, n=name: member(i, n, group_url), f"{name} accepted in the group", 60)
    for instance, name in ((a, "amy"), (b, "bob"), (c, "cleo")):
        await on_call(instance, name)
    case = await publish(b, "dr_req", "Herald patch then a fir-tree rash on the trunk, two weeks.", 7)

    requester = await signed_in(b, "dr_req")
    groups_page = (await requester.get("/groups")).text
    assert "Page this group" in groups_page
    case_page = (await requester.get(f"/cases/{case.public_id}")).text
    assert "Page a group" in case_page and "dermatology@" in case_page
    group_id = re.search(r'name="group" required>\s*<option value="(\d+)"', case_page).group(1)  # type: ignore[union-attr]
    sent = await form_post(
        requester,
        f"/cases/{case.public_id}",
        "/page",
        {"group": group_id, "case": str(case.id), "urgency": "now", "question": QUESTION},
    )
    assert sent.status_code == 302, sent.text
    page_path = sent.headers["Location"]

    # B tells its own member on call; A, the group's home, tells amy and relays to C for cleo.
    (told_bob,) = await poll(lambda: notifications(b, "bob", "page"), "the page reaching bob at B", 60)
    assert QUESTION in told_bob
    (told_amy,) = await poll(lambda: notifications(a, "amy", "page"), "the page reaching amy at A", 60)
    assert QUESTION in told_amy and f"dr_req@{b.host}" in told_amy
    (told_cleo,) = await poll(lambda: notifications(c, "cleo", "page"), "the page reaching cleo at C", 60)
    assert QUESTION in told_cleo and f"dr_req@{b.host}" in told_cleo
    assert await notifications(b, "dr_req", "page") == []  # the requester is not paged
    assert await notifications(b, "bert", "page") == []  # not a member
    (at_a,) = await pages(a)
    assert at_a.is_local and at_a.case_id is not None and at_a.state == "sent"
    (at_c,) = await pages(c)
    assert at_c.ap_id == at_a.ap_id and not at_c.is_local
    # One page each: B's request came back to nobody twice.
    assert len(await pages(b)) == 1
    assert len(await notifications(b, "bob", "page")) == 1
    off_call = ((a, "ann"), (b, "bea"), (c, "cora"))
    for instance, name in off_call:
        assert await notifications(instance, name, "page") == [], name

    # Nobody answered: B's worker (dr_req's hospital, the case's home) escalates the page.
    (at_b,) = await pages(b)
    later = (at_b.sent_at + timedelta(hours=3)).isoformat()
    escalated = b.run_cli("worker", "--once", "--now", later)
    assert escalated.returncode == 0, escalated.stderr
    assert "pages escalated: 1" in escalated.stdout
    for instance, name in off_call:
        (told,) = await poll(
            lambda i=instance, n=name: notifications(i, n, "page"), f"the escalation reaching {name}", 60
        )
        assert told.startswith("Escalated page (now)") and QUESTION in told, (name, told)
    # A's own worker leaves the page to B; B's does not escalate it twice.
    again_at_a = a.run_cli("worker", "--once", "--now", later)
    assert again_at_a.returncode == 0 and "pages escalated: 0" in again_at_a.stdout, again_at_a.stdout
    again_at_b = b.run_cli("worker", "--once", "--now", later)
    assert again_at_b.returncode == 0 and "pages escalated: 0" in again_at_b.stdout, again_at_b.stdout
    (at_a,) = await pages(a)
    assert at_a.escalated_at is not None
    for instance, name in (*off_call, (a, "amy"), (b, "bob"), (c, "cleo")):
        assert len(await notifications(instance, name, "page")) == 1, name
    assert await notifications(b, "dr_req", "page") == []

    # Cleo opens the page at C: dr_req's page view at B shows she has seen it (a View to B).
    cleo = await signed_in(c, "cleo")
    assert (await cleo.get(f"/pages/{at_c.id}")).status_code == 200
    cleo_row = re.compile(rf'data-recipient="cleo@{re.escape(c.host)}">.*?<td class="seen">seen ', re.S)

    async def seen_at_b() -> bool:
        return bool(cleo_row.search((await requester.get(page_path)).text))

    await poll(seen_at_b, "cleo's seeing the page reaching B", 60)

    # Bert is no member: B offers him no form for the group.
    bert = await signed_in(b, "bert")
    assert (await bert.get(f"/page?group={group_id}")).status_code == 404

    # Amy answers on the case at A; the first answer reaches dr_req at B.
    public_id_at_a = await query(a, lambda db: _public_id(db, case.ap_id))
    amy = await signed_in(a, "amy")
    commented = await form_post(
        amy,
        f"/cases/{public_id_at_a}",
        f"/cases/{public_id_at_a}/comments",
        {"content": "Pityriasis rosea: the herald patch fits. Check serology if in doubt."},
    )
    assert commented.status_code == 302, commented.text
    (answered,) = await poll(
        lambda: notifications(b, "dr_req", "page_answered"), "dr_req told of amy's answer at B", 60
    )
    assert "amy@" in answered
    view = (await requester.get(page_path)).text
    assert f'data-recipient="amy@{a.host}"' in view and "answered " in view
    for client in (requester, bert, amy, cleo):
        await client.aclose()


async def _public_id(db: Any, ap_id: str) -> str:
    from fediverse_cases.storage.repositories.cases import get_case_by_ap_id

    found = await get_case_by_ap_id(db, ap_id)
    assert found is not None
    return found.public_id
