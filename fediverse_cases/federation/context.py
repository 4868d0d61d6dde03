"""What the federation layer needs from the application state, as a Protocol.

Imports point one way (services -> federation), so this layer never imports
``services.state.AppState``; the real ``AppState`` satisfies this Protocol structurally.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from fediverse_cases.core.urls import LocalUrls
from fediverse_cases.settings import Settings


class FederationState(Protocol):
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    urls: LocalUrls
    hooks: Any
    extras: dict[str, Any]

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]: ...
