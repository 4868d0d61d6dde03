"""From a provider's verified claims to what we know about the person: subject, e-mail, names,
profession, institution and the roles their groups map to. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fediverse_cases.core.accounts import EMAIL_RE, FIELD_LIMITS, Role
from fediverse_cases.services.sso_errors import SignInRefused
from fediverse_cases.settings_sso import OidcProviderSettings

ROLE_RANK = {Role.VIEWER: 0, Role.PROFESSIONAL: 1, Role.REVIEWER: 2, Role.ADMIN: 3}


class ClaimError(SignInRefused):
    """The claims cannot make an account here."""


@dataclass(frozen=True)
class ClaimedPerson:
    subject: str
    email: str
    username_hint: str
    display_name: str
    profession: str
    institution: str
    # Every role the person's groups map to ("viewer" alone when only the default applies).
    roles: frozenset[Role]

    @property
    def top_role(self) -> Role:
        return max(self.roles, key=ROLE_RANK.__getitem__)

    @property
    def professional_by_claim(self) -> bool:
        return Role.PROFESSIONAL in self.roles

    @property
    def roles_text(self) -> str:
        return ",".join(sorted(self.roles))


def person_from_claims(provider: OidcProviderSettings, claims: Mapping[str, Any]) -> ClaimedPerson:
    names = provider.claims
    subject = _text(claims.get(names.subject))
    if not subject or len(subject) > 255:
        raise ClaimError("missing_subject", f"The sign-in service sent no usable {names.subject!r} claim.")
    email = _text(claims.get(names.email)).lower()
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise ClaimError("missing_email", "The sign-in service sent no usable e-mail address for you.")
    roles = _roles(provider, claims)
    if not roles:
        raise ClaimError(
            "unmapped_user",
            "Your account at the sign-in service is not in a group that may use this site. "
            "Ask your administrator for access.",
        )
    return ClaimedPerson(
        subject=subject,
        email=email,
        username_hint=_text(claims.get(names.username)) if names.username else "",
        display_name=_field(claims, names.display_name, "display_name"),
        profession=_field(claims, names.profession, "occupation"),
        institution=_field(claims, names.institution, "institution"),
        roles=frozenset(roles),
    )


def _roles(provider: OidcProviderSettings, claims: Mapping[str, Any]) -> set[Role]:
    mapping = provider.role_for_group
    groups = claims.get(provider.claims.groups) if provider.claims.groups else None
    if isinstance(groups, str):
        groups = groups.split()
    roles = {Role(mapping[g]) for g in groups or () if isinstance(g, str) and g in mapping}
    if not roles and provider.default_role:
        roles.add(Role(provider.default_role))
    return roles


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _field(claims: Mapping[str, Any], claim: str, field_name: str) -> str:
    return _text(claims.get(claim))[: FIELD_LIMITS[field_name]] if claim else ""


def username_candidates(person: ClaimedPerson) -> list[str]:
    """Usernames to try for a new account, best first (the caller adds numbers if all are taken)."""
    seeds = [person.username_hint.split("@", 1)[0], person.email.split("@", 1)[0], "user"]
    out = []
    for seed in seeds:
        name = re.sub(r"[^a-z0-9_]+", "_", seed.lower()).strip("_")[:26]
        if len(name) >= 3 and name not in out:
            out.append(name)
    return out
