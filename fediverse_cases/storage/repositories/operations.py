"""Counts for operators (``/metrics`` and ``fediverse-cases doctor``): work waiting per peer and
per state. Grouped counts only, so a scrape costs a few index scans however large the tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import Actor, Case, DeidJob, Delivery, InboxItem, Peer


async def pending_deliveries_by_peer(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(Delivery.peer_host, func.count())
        .where(Delivery.state == "pending")
        .group_by(Delivery.peer_host)
    )
    return {host: count for host, count in rows.all()}


async def inbox_items_by_state(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(InboxItem.state, func.count()).group_by(InboxItem.state))
    return {state: count for state, count in rows.all()}


async def deid_jobs_by_state(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(DeidJob.state, func.count()).group_by(DeidJob.state))
    return {state: count for state, count in rows.all()}


async def oldest_waiting_deid_job(session: AsyncSession) -> datetime | None:
    """When the oldest de-identification job still waiting or running was queued."""
    found = await session.execute(select(func.min(DeidJob.created_at)).where(DeidJob.state == "pending"))
    return found.scalar_one_or_none()


async def cases_by_state(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Case.state, func.count()).where(Case.is_local).group_by(Case.state))
    return {state: count for state, count in rows.all()}


async def local_actor_keys(session: AsyncSession) -> list[tuple[str, str, str]]:
    """(uri, private key PEM, public key PEM) of every local actor."""
    rows = await session.execute(
        select(Actor.uri, Actor.private_key_pem, Actor.public_key_pem).where(Actor.is_local.is_(True))
    )
    return [(uri, private, public) for uri, private, public in rows.all()]


async def allowed_peers(session: AsyncSession) -> list[tuple[str, str]]:
    """(host, scheme) of every peer an administrator allowed."""
    rows = await session.execute(
        select(Peer.host, Peer.scheme).where(Peer.state == "allowed").order_by(Peer.host)
    )
    return [(host, scheme) for host, scheme in rows.all()]
