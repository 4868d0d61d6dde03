"""Ids are never reused (migration 0019_ids_never_reused), on SQLite and PostgreSQL.

A peer's case purged by its Delete leaves its id behind for good: the next case gets a new id
and the old API status id stays 404. A database created before 0019 keeps every row, every
child row, the case search index and foreign-key enforcement through the upgrade, and from
then on does not reuse the id of its last row either.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import AsyncEngine

from fediverse_cases.storage.db import create_engine
from fediverse_cases.storage.migrate import alembic_config, upgrade_to_head
from fediverse_cases.storage.models import Case
from tests.federation.test_fed_inbox_notes import World, world  # noqa: F401
from tests.support.api_server import bearer, user_token
from tests.support.databases import DatabaseFactory


async def _case_id(world: World, ap_id: str) -> int:  # noqa: F811
    case = await world.case(ap_id)
    assert case is not None
    return case.id


async def test_a_purged_case_id_is_not_given_to_the_next_case(world: World) -> None:  # noqa: F811
    first = world.case_note(1)
    await world.send(world.alice, "Create", first)
    old_id = await _case_id(world, first["id"])
    token = await user_token(world.client, "lou", scopes="read")
    status_id = str(old_id * 2)  # API status ids of cases (web.api.status_serializers)
    seen = await world.client.get(f"/api/v1/statuses/{status_id}", headers=bearer(token))
    assert seen.status_code == 200 and (await seen.get_json())["uri"] == first["id"]

    await world.send(world.alice, "Delete", first["id"])
    assert await world.case(first["id"]) is None
    second = world.case_note(2, caption="A different plaque")
    await world.send(world.alice, "Create", second)

    assert await _case_id(world, second["id"]) > old_id
    gone = await world.client.get(f"/api/v1/statuses/{status_id}", headers=bearer(token))
    assert gone.status_code == 404


def _filler(column: sa.Column, n: int) -> Any:
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return 1
    if isinstance(kind, sa.DateTime):
        return datetime(2026, 1, 1, tzinfo=UTC) if kind.timezone else datetime(2026, 1, 1)
    if isinstance(kind, sa.Date):
        return datetime(2026, 1, 1).date()
    return f"{column.name}-{n}"


async def _insert(engine: AsyncEngine, table: str, n: int, **values: Any) -> int:
    """A row with every required column filled, as a pre-0019 schema has it (reflected)."""

    def work(sync: sa.Connection) -> int:
        reflected = sa.Table(table, sa.MetaData(), autoload_with=sync)
        row = {
            c.name: _filler(c, n)
            for c in reflected.columns
            if not c.nullable and c.name != "id" and c.server_default is None
        }
        row.update(values)
        return int(sync.execute(reflected.insert().values(**row).returning(reflected.c.id)).scalar_one())

    async with engine.begin() as connection:
        return await connection.run_sync(work)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_upgrade_keeps_rows_children_search_and_foreign_keys(
    backend: str, database_factories: dict[str, DatabaseFactory], request: pytest.FixtureRequest
) -> None:
    if backend == "postgresql":
        from tests.conftest import _POSTGRES_PROBLEM_KEY

        if request.config.stash[_POSTGRES_PROBLEM_KEY] is not None:
            pytest.skip("PostgreSQL unreachable")
    factory = database_factories[backend]
    url = await factory.new_empty_database()
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), "0015_one_head"))
        actor = await _insert(engine, "actors", 1)
        published = {"state": "published", "visibility": "public", "published_at": datetime(2026, 1, 2)}
        kept = await _insert(engine, "cases", 1, author_actor_id=actor, caption="Annular plaque", **published)
        last = await _insert(engine, "cases", 2, author_actor_id=actor, caption="Second", **published)
        await _insert(engine, "case_tags", 1, case_id=kept, tag="dermatology")
        await _insert(engine, "comments", 1, case_id=kept, author_actor_id=actor, parent_id=None)

        await upgrade_to_head(engine)

        # (A row deleted before the upgrade leaves no trace on SQLite; from now on none is reused.)
        async with engine.begin() as connection:
            await connection.execute(sa.text("DELETE FROM cases WHERE id = :id"), {"id": last})

        async with engine.begin() as connection:
            count = (await connection.execute(sa.text("SELECT count(*) FROM cases"))).scalar_one()
            children = (
                await connection.execute(
                    sa.text("SELECT (SELECT count(*) FROM case_tags) + (SELECT count(*) FROM comments)")
                )
            ).scalar_one()
        assert (count, children) == (1, 2)
        newer = await _insert(engine, "cases", 3, author_actor_id=actor, caption="Third")
        assert newer > last
        # The search triggers were recreated: a tag added now is found, as is the one from before.
        await _insert(engine, "case_tags", 2, case_id=kept, tag="psoriasis")

        from fediverse_cases.storage.db import create_sessionmaker
        from fediverse_cases.storage.repositories.search import search_cases

        async with create_sessionmaker(engine)() as db:
            for word in ("dermatology", "psoriasis"):
                found = await search_cases(db, word, signed_in=True, limit=5)
                assert [item.case.id for item in found.items] == [kept], word
            # Foreign keys are still enforced on the migrated database's connections.
            db.add(Case(public_id="orphan", ap_id="https://x.example/orphan", author_actor_id=999_999))
            with pytest.raises(sa.exc.IntegrityError):
                await db.flush()
    finally:
        await engine.dispose()
        await factory.drop_database(url)
