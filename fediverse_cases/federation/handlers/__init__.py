"""Inbox dispatch: one module per activity family, one dispatch table.

Each module in ``HANDLER_MODULES`` exposes ``HANDLES: dict[str, Handler]`` (activity type ->
handler) and optionally ``UNDO_HANDLES: dict[str, Handler]`` (type of the undone object ->
handler). Unknown types are ignored and logged, never stored half-understood.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.activitypub.base import id_of
from fediverse_cases.federation.context import FederationState
from fediverse_cases.storage.models import Actor

HANDLER_MODULES: tuple[str, ...] = (
    "fediverse_cases.federation.handlers.follow",
    "fediverse_cases.federation.handlers.create",
    "fediverse_cases.federation.handlers.update",
    "fediverse_cases.federation.handlers.delete",
    "fediverse_cases.federation.handlers.like",
    "fediverse_cases.federation.handlers.flag",
)


@dataclass
class InboxContext:
    """One inbox item being processed, inside its own transaction (``db``)."""

    db: AsyncSession
    state: FederationState
    signer: Actor  # the verified sender of the HTTP request
    activity: dict[str, Any]
    forwarded: bool = False
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def actor_iri(self) -> str:
        return str(id_of(self.activity.get("actor")) or "")

    @property
    def object_iri(self) -> str | None:
        return id_of(self.activity.get("object"))

    async def actor(self) -> Actor:
        """The activity's author: the signer, unless the activity was forwarded."""
        if not self.forwarded and self.actor_iri == self.signer.uri:
            return self.signer
        from fediverse_cases.federation.dereference import get_or_fetch_actor

        return await get_or_fetch_actor(self.db, self.state, self.actor_iri)


Handler = Callable[[InboxContext], Awaitable[None]]


@dataclass(frozen=True)
class HandlerTables:
    handles: dict[str, Handler]
    undo_handles: dict[str, Handler]


def load_handlers(modules: tuple[str, ...] = HANDLER_MODULES) -> HandlerTables:
    handles: dict[str, Handler] = {}
    undo_handles: dict[str, Handler] = {}
    for name in modules:
        module = importlib.import_module(name)
        handles.update(getattr(module, "HANDLES", {}))
        undo_handles.update(getattr(module, "UNDO_HANDLES", {}))
    from fediverse_cases.federation.handlers.undo import handle_undo

    handles.setdefault("Undo", handle_undo)
    return HandlerTables(handles, undo_handles)


def handler_tables(state: FederationState) -> HandlerTables:
    tables = state.extras.get("federation.handlers")
    if tables is None:
        tables = load_handlers()
        state.extras["federation.handlers"] = tables
    return tables  # type: ignore[no-any-return]


class Ignored(Exception):
    """The activity is understood but not for us (e.g. a Follow of an unknown actor)."""


async def dispatch(ctx: InboxContext) -> bool:
    """Run the handler for the activity's type; False when there is none (ignored)."""
    kind = ctx.activity.get("type")
    handler = handler_tables(ctx.state).handles.get(kind) if isinstance(kind, str) else None
    if handler is None:
        return False
    await handler(ctx)
    return True
