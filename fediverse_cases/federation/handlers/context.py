"""What a handler receives: one inbox item being processed inside its own transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.activitypub.base import id_of
from fediverse_cases.federation.dereference import get_or_fetch_actor
from fediverse_cases.federation.state import FederationState
from fediverse_cases.storage.models import Actor


class Ignored(Exception):
    """The activity is understood but not for us (e.g. a Follow of an unknown actor)."""


class Dropped(Ignored):
    """Content a peer sent that we do not keep, for a reason admins see counted per peer on the
    peers page; ``reason`` is a short category (no ids), the log line has the details."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass
class InboxContext:
    """One inbox item being processed, inside its own transaction (``db``)."""

    db: AsyncSession
    state: FederationState
    signer: Actor  # the verified sender of the HTTP request
    activity: dict[str, Any]
    forwarded: bool = False
    # Set when the activity came embedded in an Announce by a group a local member belongs to.
    via_group: Actor | None = None

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
        return await get_or_fetch_actor(self.db, self.state, self.actor_iri)


Handler = Callable[[InboxContext], Awaitable[None]]
