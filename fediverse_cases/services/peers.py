"""Managing the allow-list: allow, block, remove (optionally purging what was cached), vouch.

Every change is audited. Removing or blocking a peer cancels its queued deliveries in the same
transaction, so nothing more is sent to it; ``purge`` also deletes the remote actors of that host
with their cases, comments, likes and follows (database cascades) and the cached media files.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.hosts import InvalidHost, host_of
from fediverse_cases.federation.peers import default_scheme, parse_peer
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Peer
from fediverse_cases.storage.repositories import accounts as account_repo
from fediverse_cases.storage.repositories import deliveries as deliveries_repo
from fediverse_cases.storage.repositories import peers as peers_repo
from fediverse_cases.storage.repositories.audit import record


class PeerError(ValueError):
    """Bad input for a peer operation; the message is for the administrator."""


@dataclass(frozen=True)
class RemoveResult:
    host: str
    existed: bool
    cancelled_deliveries: int
    purged_actors: int = 0
    purged_media: int = 0


def _address(text: str, state: AppState):  # type: ignore[no-untyped-def]
    try:
        address = parse_peer(text)
    except InvalidHost as error:
        raise PeerError(f"not a host name: {text!r} ({error})") from None
    if address.host == state.settings.instance.host:
        raise PeerError("that is this instance's own host")
    return address


async def allow_peer(
    db: AsyncSession,
    state: AppState,
    text: str,
    operator: Operator,
    *,
    vouch_professionals: bool = False,
    scheme: str | None = None,
) -> Peer:
    address = _address(text, state)
    peer = await peers_repo.get_peer(db, address.host)
    if peer is None:
        peer = Peer(host=address.host, consecutive_failures=0)
        db.add(peer)
    peer.state = "allowed"
    peer.scheme = scheme or address.scheme or (peer.scheme if peer.id else default_scheme(address.host))
    peer.vouch_professionals = vouch_professionals
    peer.updated_at = utcnow()
    await db.flush()
    await peers_repo.vouch_host_actors(db, address.host, vouch_professionals)
    record(
        db,
        operator.entry(
            "peer.allow",
            target_type="peer",
            target_id=address.host,
            details={"vouch_professionals": vouch_professionals, "scheme": peer.scheme},
        ),
    )
    state.allow_list.invalidate()
    return peer


async def block_peer(db: AsyncSession, state: AppState, text: str, operator: Operator) -> int:
    address = _address(text, state)
    peer = await peers_repo.get_peer(db, address.host)
    if peer is None:
        peer = Peer(
            host=address.host, scheme=address.scheme or default_scheme(address.host), consecutive_failures=0
        )
        db.add(peer)
    peer.state = "blocked"
    peer.vouch_professionals = False
    peer.updated_at = utcnow()
    await db.flush()
    await peers_repo.vouch_host_actors(db, address.host, False)
    cancelled = await deliveries_repo.cancel_pending_for_host(db, address.host, "cancelled: peer blocked")
    record(
        db,
        operator.entry(
            "peer.block", target_type="peer", target_id=address.host, details={"cancelled": cancelled}
        ),
    )
    state.allow_list.invalidate()
    return cancelled


async def remove_peer(
    db: AsyncSession, state: AppState, text: str, operator: Operator, *, purge: bool = False
) -> RemoveResult:
    address = _address(text, state)
    existed = bool(await peers_repo.delete_peer(db, address.host))
    cancelled = await deliveries_repo.cancel_pending_for_host(db, address.host, "cancelled: peer removed")
    purged_actors = purged_media = 0
    if purge:
        keys = await peers_repo.media_keys_from_host(db, address.host)
        purged_actors = await peers_repo.delete_remote_actors_of_host(db, address.host)
        for key in keys:
            state.media_store.delete(key)
            purged_media += 1
    record(
        db,
        operator.entry(
            "peer.remove",
            target_type="peer",
            target_id=address.host,
            details={"cancelled": cancelled, "purge": purge, "actors": purged_actors, "media": purged_media},
        ),
    )
    state.allow_list.invalidate()
    return RemoveResult(address.host, existed, cancelled, purged_actors, purged_media)


async def vouch_actor(
    db: AsyncSession, state: AppState, actor_url: str, operator: Operator, *, vouched: bool = True
) -> None:
    try:
        host_of(actor_url)
    except InvalidHost as error:
        raise PeerError(str(error)) from None
    actor = await account_repo.get_actor_by_uri(db, actor_url)
    if actor is None or actor.is_local:
        raise PeerError(f"no remote actor {actor_url} is known here (follow or fetch it first)")
    actor.vouched = vouched
    record(
        db,
        operator.entry(
            "peer.vouch_actor", target_type="actor", target_id=actor_url, details={"vouched": vouched}
        ),
    )
