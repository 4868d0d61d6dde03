"""All storage models; importing this package registers every table on ``Base.metadata``."""

from __future__ import annotations

from fediverse_cases.storage.models.accounts import Account, Actor, Follow
from fediverse_cases.storage.models.audit import AuditEvent

__all__ = ["Account", "Actor", "AuditEvent", "Follow"]
