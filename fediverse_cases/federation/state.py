"""The one state object of a running instance: settings, database, URLs and every per-process
service, each a typed field built once by :meth:`FederationState.from_settings`.

Services, the web app, the CLI and the workers all receive it (``services.state.AppState`` adds
the web-only fields). It lives in the federation layer because the deepest things it holds —
the outbound transport, the allow-list cache, the inbox writer — are federation's, and imports
point downward: this module imports the modules whose objects it holds, never the modules that
use it, so there is no import cycle through it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from fediverse_cases.core.urls import LocalUrls
from fediverse_cases.deidentify import Deidentifier
from fediverse_cases.federation.allow_list_cache import AllowListCache
from fediverse_cases.federation.inbox_writer import InboxWriter
from fediverse_cases.federation.push_transport import PushTransport
from fediverse_cases.federation.signer_keys import SignerKey
from fediverse_cases.federation.transport import Transport
from fediverse_cases.media.runtime import build_deidentifier
from fediverse_cases.media.store import LocalMediaStore, LocalPrivateStore
from fediverse_cases.settings import Settings
from fediverse_cases.storage.change_signal import ChangeSignal
from fediverse_cases.storage.db import create_engine, create_sessionmaker
from fediverse_cases.storage.models import Actor


@dataclass
class WakeEvents:
    """Set by whoever writes due rows in this process, so the matching worker looks at once."""

    delivery: asyncio.Event = field(default_factory=asyncio.Event)
    inbox: asyncio.Event = field(default_factory=asyncio.Event)
    erasure: asyncio.Event = field(default_factory=asyncio.Event)
    deid: asyncio.Event = field(default_factory=asyncio.Event)
    push: asyncio.Event = field(default_factory=asyncio.Event)
    paging: asyncio.Event = field(default_factory=asyncio.Event)

    def all(self) -> tuple[asyncio.Event, ...]:
        return (self.delivery, self.inbox, self.erasure, self.deid, self.push, self.paging)


def pool_size(settings: Settings) -> int:
    """Connections kept open per process: ``[database] max_connections`` shared out among the
    hypercorn workers, half kept open and half (``max_overflow``) opened under load, so N workers
    never open more than the database was sized for; at least 2 each (a request and a background
    worker may both hold one, and a handler may open a second session)."""
    return max(2, settings.database_max_connections // (2 * max(1, settings.server.workers)))


def change_signal_path(settings: Settings) -> Path:
    """Beside ``private_dir`` (which holds only originals and consent forms), named after it:
    every process with these settings on this machine maps the same file."""
    private = settings.private_dir.resolve()
    return private.parent / f".{private.name}.change-signal"


@dataclass
class FederationState:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    urls: LocalUrls
    media_store: LocalMediaStore
    private_store: LocalPrivateStore
    deidentifier: Deidentifier
    allow_list: AllowListCache
    transport: Transport
    # Web Push endpoints (push services, not peers): the same address guard, no allow-list.
    push_transport: PushTransport
    inbox_writer: InboxWriter
    # Shared with every process on this host: which rows changed (cached documents check it).
    change_signal: ChangeSignal
    wake: WakeEvents = field(default_factory=WakeEvents)
    # Parsed public keys of verified signers by keyId, so a busy inbox verifies without a query.
    signer_keys: dict[str, SignerKey] = field(default_factory=dict)
    # Remote case id -> when its conversation was last refreshed on opening (monotonic seconds);
    # see federation.handlers.context_backfill.refresh_when_opened.
    conversations_refreshed: dict[int, float] = field(default_factory=dict)
    # Our instance actor (signs fetches); loaded once, it never changes while we run.
    instance_actor: Actor | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> FederationState:
        return cls(**cls.fields_from_settings(settings))

    @staticmethod
    def fields_from_settings(settings: Settings) -> dict[str, object]:
        """The shared fields, built once; subclasses add theirs and call ``cls(**fields)``."""
        engine = create_engine(
            settings.database_url, pool_size=pool_size(settings), max_overflow=pool_size(settings)
        )
        change_signal = ChangeSignal(change_signal_path(settings))
        sessionmaker = create_sessionmaker(engine, change_signal)
        allow_list = AllowListCache(settings, sessionmaker)
        return {
            "settings": settings,
            "engine": engine,
            "sessionmaker": sessionmaker,
            "urls": LocalUrls(settings.instance.base_url),
            "media_store": LocalMediaStore(settings.media_dir),
            "private_store": LocalPrivateStore(settings.private_dir),
            "deidentifier": build_deidentifier(settings),
            "allow_list": allow_list,
            "transport": Transport(settings, allow_list),
            "push_transport": PushTransport(
                frozenset(settings.web_push.allowed_private_hosts), settings.instance.base_url
            ),
            "inbox_writer": InboxWriter(sessionmaker),
            "change_signal": change_signal,
        }

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work is committed on success and rolled back on any error."""
        async with self.sessionmaker() as session, session.begin():
            yield session

    async def close(self) -> None:
        await self.transport.aclose()
        await self.push_transport.aclose()
        await self.engine.dispose()
        self.change_signal.close()
