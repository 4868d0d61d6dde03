"""Test databases: one migrated template per backend per test run, a fresh copy per test.

SQLite copies a migrated file; PostgreSQL uses CREATE DATABASE ... TEMPLATE, so every test
starts from the real migrated schema in well under a second and nothing leaks between tests.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from fediverse_cases.storage.db import create_engine
from fediverse_cases.storage.migrate import upgrade_to_head

POSTGRES_URL = os.environ.get(
    "FEDIVERSE_CASES_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _with_database(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


async def postgres_available() -> str | None:
    """None when reachable, else the reason (shown in the test summary)."""
    try:
        conn = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL), timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        return f"{type(error).__name__}: {error}"
    await conn.close()
    return None


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()


@dataclass
class DatabaseFactory:
    """Makes fresh, migrated databases for one backend during one test run."""

    backend: str
    workdir: Path
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    _template: str | None = None
    _created: list[str] = field(default_factory=list)

    async def _ensure_template(self) -> str:
        if self._template is not None:
            return self._template
        if self.backend == "sqlite":
            path = self.workdir / "template.db"
            await _migrate(f"sqlite+aiosqlite:///{path}")
            self._template = str(path)
        else:
            name = f"fc_tpl_{self.run_id}"
            await self._admin(f'CREATE DATABASE "{name}"')
            self._created.append(name)
            await _migrate(_with_database(POSTGRES_URL, name))
            self._template = name
        return self._template

    async def new_database(self) -> str:
        template = await self._ensure_template()
        if self.backend == "sqlite":
            path = self.workdir / f"db_{uuid.uuid4().hex[:10]}.db"
            shutil.copyfile(template, path)
            return f"sqlite+aiosqlite:///{path}"
        name = f"fc_{self.run_id}_{uuid.uuid4().hex[:10]}"
        await self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        self._created.append(name)
        return _with_database(POSTGRES_URL, name)

    async def new_empty_database(self) -> str:
        """A database with no schema at all (what `init` or `restore` starts from)."""
        if self.backend == "sqlite":
            return f"sqlite+aiosqlite:///{self.workdir / f'empty_{uuid.uuid4().hex[:10]}.db'}"
        name = f"fc_{self.run_id}_{uuid.uuid4().hex[:10]}"
        await self._admin(f'CREATE DATABASE "{name}"')
        self._created.append(name)
        return _with_database(POSTGRES_URL, name)

    async def drop_database(self, url: str) -> None:
        if self.backend != "postgresql":
            return
        name = url.rsplit("/", 1)[1]
        await self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self._created:
            self._created.remove(name)

    async def _admin(self, sql: str) -> None:
        conn = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def drop_all(self) -> None:
        if self.backend != "postgresql" or not self._created:
            return

        async def drop() -> None:
            for name in reversed(list(self._created)):
                await self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        asyncio.run(drop())
