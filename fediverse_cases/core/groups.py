"""Rules of specialty groups: slugs, join policies, who may join and who may post.

Stdlib only. A group's slug is also its WebFinger name (``acct:<slug>@host``), so it follows the
username alphabet and must never name a person. Join policies:

- ``local``: verified professionals of this hospital only;
- ``peers``: verified professionals of this hospital or of an allowed peer (whose home instance
  claims ``verifiedProfessional``, or whom an admin here vouched for);
- ``approval``: the same people, but a moderator approves each one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from fediverse_cases.core.specialties import SPECIALTIES


class JoinPolicy(StrEnum):
    LOCAL = "local"
    PEERS = "peers"
    APPROVAL = "approval"


SLUG_RE = re.compile(r"^[a-z0-9_]{3,30}$")


class GroupRuleError(ValueError):
    """A group setting breaks a rule; the message says which."""


def check_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if not SLUG_RE.match(slug):
        raise GroupRuleError("a group slug is 3-30 characters of a-z, 0-9 and _")
    return slug


def check_policy(policy: str) -> JoinPolicy:
    try:
        return JoinPolicy(policy)
    except ValueError:
        raise GroupRuleError(f"join policy must be one of {', '.join(p.value for p in JoinPolicy)}") from None


@dataclass(frozen=True)
class Applicant:
    """What is known about someone asking to join: are they local, is their professional claim
    believed here (verified at an allowed home, or vouched for), is their host allowed."""

    is_local: bool
    professional: bool
    host_allowed: bool


def join_decision(policy: str, applicant: Applicant) -> str:
    """``accept``, ``pending`` (a moderator decides) or ``reject``."""
    if not applicant.professional or not (applicant.is_local or applicant.host_allowed):
        return "reject"
    if policy == JoinPolicy.LOCAL and not applicant.is_local:
        return "reject"
    if policy == JoinPolicy.APPROVAL:
        return "pending"
    return "accept"


@dataclass(frozen=True)
class DefaultGroup:
    slug: str
    name: str
    specialty: str
    summary: str


def default_groups() -> tuple[DefaultGroup, ...]:
    """One group per seeded specialty, open to verified professionals of allowed peers."""
    return tuple(
        DefaultGroup(
            slug=slug,
            name=label,
            specialty=slug,
            summary=f"{label} cases and discussion between hospitals.",
        )
        for slug, label in SPECIALTIES
    )
