"""All storage models; importing this package registers every table on ``Base.metadata``."""

from __future__ import annotations

from fediverse_cases.storage.models.accounts import Account, Actor, Follow
from fediverse_cases.storage.models.audit import AuditEvent
from fediverse_cases.storage.models.cases import (
    Case,
    CaseImage,
    CaseTag,
    Comment,
    Consent,
    Flag,
    Like,
    Notification,
    ReviewDecision,
)

__all__ = [
    "Account",
    "Actor",
    "AuditEvent",
    "Case",
    "CaseImage",
    "CaseTag",
    "Comment",
    "Consent",
    "Flag",
    "Follow",
    "Like",
    "Notification",
    "ReviewDecision",
]
