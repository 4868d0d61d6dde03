"""Fixtures for the whole suite: every database test runs on SQLite and on PostgreSQL.

When PostgreSQL is not reachable the PostgreSQL half is skipped, and the run says so in its
summary, never silently.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.databases import DatabaseFactory, postgres_available
from tests.support.instances import make_settings, make_state

_POSTGRES_PROBLEM_KEY = pytest.StashKey[str | None]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_POSTGRES_PROBLEM_KEY] = asyncio.run(postgres_available())


def pytest_report_header(config: pytest.Config) -> str:
    problem = config.stash[_POSTGRES_PROBLEM_KEY]
    return "PostgreSQL: available" if problem is None else f"PostgreSQL: NOT available ({problem})"


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    problem = config.stash[_POSTGRES_PROBLEM_KEY]
    if problem is not None:
        terminalreporter.write_sep(
            "!", f"NOTICE: PostgreSQL unreachable ({problem}); the PostgreSQL half of the suite was SKIPPED"
        )


@pytest.fixture(scope="session")
def database_factories(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, DatabaseFactory]]:
    root = tmp_path_factory.mktemp("databases")
    factories = {
        "sqlite": DatabaseFactory("sqlite", root),
        "postgresql": DatabaseFactory("postgresql", root),
    }
    yield factories
    factories["postgresql"].drop_all()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, database_factories: dict[str, DatabaseFactory]
) -> AsyncIterator[str]:
    backend = request.param
    if backend == "postgresql":
        problem = request.config.stash[_POSTGRES_PROBLEM_KEY]
        if problem is not None:
            pytest.skip(f"PostgreSQL unreachable: {problem}")
    factory = database_factories[backend]
    url = await factory.new_database()
    yield url
    await factory.drop_database(url)


@pytest.fixture
def settings_overrides() -> dict:
    """Override in a test module to change settings sections, e.g. {"registration": {...}}."""
    return {}


@pytest.fixture
async def state(database_url: str, tmp_path: Path, settings_overrides: dict):  # type: ignore[no-untyped-def]
    app_state = await make_state(make_settings(database_url, tmp_path, **settings_overrides))
    yield app_state
    await app_state.close()


@pytest.fixture
async def app(state):  # type: ignore[no-untyped-def]
    from fediverse_cases.web.app import create_app

    return create_app(state.settings, state)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()
