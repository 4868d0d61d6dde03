"""The application's explicit state: settings, database, password hasher, URL scheme.

One ``AppState`` is built by ``create_app`` and handed to blueprints, workers and services;
nothing lives in module globals.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from fediverse_cases.core.urls import LocalUrls
from fediverse_cases.services.hooks import FederationHooks
from fediverse_cases.services.passwords import Passwords
from fediverse_cases.settings import Settings
from fediverse_cases.storage.db import create_engine, create_sessionmaker


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    urls: LocalUrls
    passwords: Passwords = field(default_factory=Passwords)
    hooks: FederationHooks = field(default_factory=FederationHooks)
    # Services added by later layers (media store, de-identifier, HTTP client, workers) live here.
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> AppState:
        engine = create_engine(settings.database_url)
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=create_sessionmaker(engine),
            urls=LocalUrls(settings.instance.base_url),
        )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work is committed on success and rolled back on any error."""
        async with self.sessionmaker() as session, session.begin():
            yield session

    async def close(self) -> None:
        await self.engine.dispose()
