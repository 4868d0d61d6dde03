"""Peer hosts as administrators name them: parsing ``host[:port]``/URLs, the scheme to speak,
seeding the allow-list from the settings and recording each peer's health.

The cached allow-list decision itself lives in ``federation.allow_list_cache``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.hosts import InvalidHost, normalize_host
from fediverse_cases.federation.state import FederationState
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Peer
from fediverse_cases.storage.repositories import peers as peers_repo


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


async def seed_from_settings(state: FederationState) -> int:
    """Add the hosts of ``federation.allowlist`` as allowed peers unless already known."""
    added = 0
    try:
        async with state.transaction() as db:
            for entry in state.settings.federation.allowlist:
                try:
                    address = parse_peer(entry)
                except InvalidHost:
                    continue
                if await peers_repo.get_peer(db, address.host) is None:
                    db.add(
                        Peer(
                            host=address.host,
                            state="allowed",
                            scheme=address.scheme or default_scheme(address.host),
                        )
                    )
                    added += 1
    except IntegrityError:
        # Every worker process of `serve` seeds at start; another one added the same hosts first.
        return 0
    if added:
        state.allow_list.invalidate()
    return added


async def peer_scheme(db: AsyncSession, host: str) -> str:
    peer = await peers_repo.get_peer(db, host)
    return peer.scheme if peer is not None else default_scheme(host)


async def record_health(
    db: AsyncSession, outcomes: dict[str, tuple[bool, bool]], when: datetime | None = None
) -> None:
    """``outcomes``: host -> (any success, gave up). Successes clear the failure streak and the
    unreachable mark; a give-up marks the peer unreachable since now."""
    when = when or utcnow()
    peers = await peers_repo.peers_by_hosts(db, outcomes)
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
