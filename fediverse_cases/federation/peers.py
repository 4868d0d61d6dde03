"""The effective allow-list of this instance: peers stored in the database plus the mode.

Every direction asks :func:`current_allow_list` (inbound requests, deliveries, dereferencing,
media fetches). The decision itself is ``core.hosts.AllowList``; this module only builds it from
the ``peers`` table and caches it briefly per process (``CACHE_SECONDS``) so a busy inbox does
not query the table per request. A change made in this process invalidates the cache at once;
other processes see it within ``CACHE_SECONDS``, and removal also cancels queued deliveries in
the database, so nothing is sent after a removal either way.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.hosts import AllowList, InvalidHost, normalize_host
from fediverse_cases.federation.context import FederationState
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Peer
from fediverse_cases.storage.repositories import federation as repo

CACHE_SECONDS = 2.0
_CACHE_KEY = "federation.allow_list"
_LOCK_KEY = "federation.allow_list_lock"


@dataclass(frozen=True)
class PeerAddress:
    """What an administrator typed: ``host[:port]`` or a base URL (which also gives the scheme)."""

    host: str
    scheme: str | None


def parse_peer(text: str) -> PeerAddress:
    """``b.example``, ``127.0.0.1:8001`` or ``http://127.0.0.1:8001``; raise InvalidHost."""
    text = text.strip()
    scheme: str | None = None
    for prefix in ("https://", "http://"):
        if text.lower().startswith(prefix):
            scheme = prefix[:-3]
            text = text[len(prefix) :].rstrip("/")
            break
    return PeerAddress(normalize_host(text), scheme)


def default_scheme(host: str) -> str:
    """Loopback test peers speak plain http; every real peer speaks https."""
    name = host.rsplit(":", 1)[0].strip("[]") if not host.endswith("]") else host.strip("[]")
    try:
        return "http" if ipaddress.ip_address(name).is_loopback else "https"
    except ValueError:
        return "http" if name == "localhost" else "https"


async def build_allow_list(db: AsyncSession, state: FederationState) -> AllowList:
    peers = await repo.list_peers(db)
    return AllowList.build(
        mode=state.settings.federation.mode,  # type: ignore[arg-type]
        allowed=[p.host for p in peers if p.state == "allowed"],
        blocked=[p.host for p in peers if p.state == "blocked"],
        local_hosts=[state.settings.instance.host],
    )


async def current_allow_list(state: FederationState, db: AsyncSession | None = None) -> AllowList:
    cached = state.extras.get(_CACHE_KEY)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]  # type: ignore[no-any-return]
    # Single flight: a fan-out of a thousand sends must not rebuild it a thousand times at once.
    async with _rebuild_lock(state):
        cached = state.extras.get(_CACHE_KEY)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]  # type: ignore[no-any-return]
        if db is None:
            async with state.sessionmaker() as session:
                allow_list = await build_allow_list(session, state)
        else:
            allow_list = await build_allow_list(db, state)
        state.extras[_CACHE_KEY] = (time.monotonic() + CACHE_SECONDS, allow_list)
    return allow_list


def _rebuild_lock(state: FederationState) -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    entry = state.extras.get(_LOCK_KEY)
    if entry is None or entry[0] is not loop:
        entry = (loop, asyncio.Lock())
        state.extras[_LOCK_KEY] = entry
    return entry[1]  # type: ignore[no-any-return]


def invalidate(state: FederationState) -> None:
    state.extras.pop(_CACHE_KEY, None)


async def seed_from_settings(state: FederationState) -> int:
    """Add the hosts of ``federation.allowlist`` as allowed peers unless already known."""
    added = 0
    async with state.transaction() as db:
        for entry in state.settings.federation.allowlist:
            try:
                address = parse_peer(entry)
            except InvalidHost:
                continue
            if await repo.get_peer(db, address.host) is None:
                db.add(
                    Peer(
                        host=address.host,
                        state="allowed",
                        scheme=address.scheme or default_scheme(address.host),
                    )
                )
                added += 1
    if added:
        invalidate(state)
    return added


async def peer_scheme(db: AsyncSession, host: str) -> str:
    peer = await repo.get_peer(db, host)
    return peer.scheme if peer is not None else default_scheme(host)


async def record_health(
    db: AsyncSession, outcomes: dict[str, tuple[bool, bool]], when: datetime | None = None
) -> None:
    """``outcomes``: host -> (any success, gave up). Successes clear the failure streak and the
    unreachable mark; a give-up marks the peer unreachable since now."""
    when = when or utcnow()
    peers = await repo.peers_by_hosts(db, outcomes)
    for host, (succeeded, gave_up) in outcomes.items():
        peer = peers.get(host)
        if peer is None:
            continue
        if succeeded:
            peer.last_success_at = when
            peer.consecutive_failures = 0
            peer.unreachable_since = None
        else:
            peer.last_failure_at = when
            peer.consecutive_failures += 1
            if gave_up and peer.unreachable_since is None:
                peer.unreachable_since = when
