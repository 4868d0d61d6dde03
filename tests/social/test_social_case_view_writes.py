"""Reading takes no write lock it does not need: a signed-in case view writes its ``case.view``
audit row and nothing else (the row is committed before the page is answered, and a view whose
row cannot be written is not answered), and a worker poll that finds nothing due writes nothing on
SQLite (an UPDATE there takes the one write lock)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.federation import delivery
from fediverse_cases.storage.models import AuditEvent
from tests.support.case_rows import insert_case
from tests.support.instances import create_account
from tests.support.statements import observing_statements
from tests.support.web import sign_in

_WRITE = re.compile(r"^\s*(insert|update|delete|replace)\b", re.IGNORECASE)


@contextmanager
def written(state) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if _WRITE.match(statement):
            seen.append(statement)

    with observing_statements(state, note):
        yield seen


async def test_signed_in_case_view_writes_only_its_audit_row(client, state) -> None:  # type: ignore[no-untyped-def]
    author = await create_account(state, "dr_writes", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "quiet_reader")
    case = await insert_case(state, author)
    await sign_in(client, "quiet_reader")
    with written(state) as writes:
        response = await client.get(f"/cases/{case.public_id}")
    assert response.status_code == 200
    assert len(writes) == 1 and "audit_events" in writes[0], writes
    async with state.sessionmaker() as db:
        views = (await db.execute(select(AuditEvent).where(AuditEvent.action == "case.view"))).scalars().all()
    assert [(event.actor_label, event.case_id, event.target_id) for event in views] == [
        ("quiet_reader", case.id, case.public_id)
    ]


async def test_a_view_whose_audit_row_cannot_be_written_is_not_answered(client, state) -> None:  # type: ignore[no-untyped-def]
    # Concurrent views share one audit INSERT (storage/audit_appends.py): when it fails (a full
    # disk, a lost connection), none of them shows the case, and the next view is written again.
    author = await create_account(state, "dr_fails", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "denied_reader")
    case = await insert_case(state, author)
    await sign_in(client, "denied_reader")

    def refuse_audit(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if _WRITE.match(statement) and "audit_events" in statement:
            raise OSError("disk full")

    with observing_statements(state, refuse_audit):
        answers = await asyncio.gather(*(client.get(f"/cases/{case.public_id}") for _ in range(4)))
    assert [response.status_code for response in answers] == [500] * 4
    for response in answers:
        assert "Annular erythematous plaque" not in await response.get_data(as_text=True)

    response = await client.get(f"/cases/{case.public_id}")
    assert response.status_code == 200
    assert "Annular erythematous plaque" in await response.get_data(as_text=True)
    async with state.sessionmaker() as db:
        views = (await db.execute(select(AuditEvent).where(AuditEvent.action == "case.view"))).scalars().all()
    assert [event.actor_label for event in views] == ["denied_reader"]


async def test_a_poll_with_nothing_due_writes_nothing_on_sqlite(state) -> None:  # type: ignore[no-untyped-def]
    with written(state) as writes:
        assert await delivery.run_once(state) == 0
    if state.engine.dialect.name == "sqlite":
        assert writes == []
