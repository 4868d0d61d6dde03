"""The change signal bumps after a commit exactly when rows changed: bulk statements that matched
nothing (the queue workers' idle claims) leave every slot alone; a rollback bumps nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import String, delete, update
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from fediverse_cases.storage.change_signal import ChangeSignal
from fediverse_cases.storage.db import create_sessionmaker


class Base(DeclarativeBase):
    pass


class Row(Base):
    __tablename__ = "rows_for_signal_test"
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String)


CASES: list[tuple[str, Any, Any, bool]] = [
    ("update by primary keys", update(Row), [{"id": 1, "text": "x"}], True),
    ("update matching nothing", update(Row).where(Row.id == 5).values(text="z"), None, False),
    ("update matching a row", update(Row).where(Row.id == 2).values(text="z"), None, True),
    ("delete matching nothing", delete(Row).where(Row.id == 9), None, False),
    ("update returning a row", update(Row).where(Row.id == 2).values(text="w").returning(Row), None, True),
    (
        "update returning nothing",
        update(Row).where(Row.id == 7).values(text="w").returning(Row.id),
        None,
        False,
    ),
]


@pytest.mark.parametrize(("label", "statement", "params", "bumps"), CASES, ids=[c[0] for c in CASES])
async def test_bulk_statements_bump_only_when_they_changed_rows(
    tmp_path, label, statement, params, bumps
) -> None:  # type: ignore[no-untyped-def]
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'signal.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    signal = ChangeSignal(tmp_path / "signal")
    sessions = create_sessionmaker(engine, signal)
    async with sessions() as db, db.begin():
        db.add_all([Row(id=1, text="a"), Row(id=2, text="b")])
    before = signal.snapshot()
    async with sessions() as db, db.begin():
        await (db.execute(statement, params) if params else db.execute(statement))
    assert (signal.snapshot() != before) is bumps, label
    # A second mapping of the file (what another process has) sees the same slots.
    assert ChangeSignal(tmp_path / "signal").snapshot() == signal.snapshot()
    unchanged = signal.snapshot()
    with pytest.raises(RuntimeError):
        async with sessions() as db, db.begin():
            db.add(Row(id=3, text="c"))
            await db.flush()
            raise RuntimeError("rolled back")
    assert signal.snapshot() == unchanged
    await engine.dispose()
