"""Appending to and reading the audit log. Functions take a session first and never commit
(``storage/audit_appends.py`` commits the rows a read must record before it is answered)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import AuditEvent


@dataclass(frozen=True)
class AuditEntry:
    """What happened, by whom; never a patient identifier."""

    action: str
    actor_label: str
    actor_account_id: int | None = None
    target_type: str = ""
    target_id: str = ""
    case_id: int | None = None
    ip: str = ""
    details: dict[str, Any] | None = None


def audit_columns(entry: AuditEntry) -> dict[str, Any]:
    return {
        "action": entry.action,
        "actor_label": entry.actor_label,
        "actor_account_id": entry.actor_account_id,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "case_id": entry.case_id,
        "ip": entry.ip,
        "details": entry.details or {},
    }


def record(session: AsyncSession, entry: AuditEntry) -> AuditEvent:
    event = AuditEvent(**audit_columns(entry))
    session.add(event)
    return event


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor: str = ""
    case_id: int | None = None
    target: str = ""


async def list_events(
    session: AsyncSession, audit_filter: AuditFilter, *, limit: int = 200, before_id: int | None = None
) -> Sequence[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if audit_filter.action:
        query = query.where(AuditEvent.action.startswith(audit_filter.action))
    if audit_filter.actor:
        query = query.where(AuditEvent.actor_label == audit_filter.actor)
    if audit_filter.case_id is not None:
        query = query.where(AuditEvent.case_id == audit_filter.case_id)
    if audit_filter.target:
        query = query.where(AuditEvent.target_id == audit_filter.target)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return (await session.execute(query)).scalars().all()


async def count_recent_login_failures(
    session: AsyncSession, *, username: str, ip: str, since: datetime
) -> tuple[int, int]:
    """Failures for this username and from this address since ``since``."""
    base = select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "login.failure", AuditEvent.created_at >= since
    )
    by_name = (await session.execute(base.where(AuditEvent.target_id == username))).scalar_one()
    by_ip = (await session.execute(base.where(AuditEvent.ip == ip))).scalar_one() if ip else 0
    return int(by_name), int(by_ip)
