"""Account roles, verification states, registration field rules and permission predicates.

Stdlib only. The web layer, the CLI and services all ask these functions "may this person do X",
so the rules live in exactly one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Role(StrEnum):
    VIEWER = "viewer"
    PROFESSIONAL = "professional"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class VerificationStatus(StrEnum):
    NONE = "none"
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


ROLE_LABELS = {
    Role.VIEWER: "Viewer",
    Role.PROFESSIONAL: "Verified professional",
    Role.REVIEWER: "Reviewer (privacy officer)",
    Role.ADMIN: "Administrator",
}

USERNAME_RE = re.compile(r"^[a-z0-9_]{3,30}$")
# Deliberately simple: one @, a dot in the domain, no spaces. Deliverability is checked by mail.
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
RESERVED_USERNAMES = frozenset({"admin_", "instance", "actor", "root", "system", "api", "static", "media"})

FIELD_LIMITS = {
    "display_name": 100,
    "occupation": 100,
    "specialty": 100,
    "licence_number": 64,
    "institution": 200,
}
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 1024


class AccountLike(Protocol):
    role: str
    verification_status: str
    disabled: bool


@dataclass(frozen=True)
class RegistrationForm:
    username: str
    email: str
    password: str
    display_name: str = ""
    occupation: str = ""
    specialty: str = ""
    licence_number: str = ""
    institution: str = ""

    def normalized(self) -> RegistrationForm:
        return RegistrationForm(
            username=self.username.strip().lower(),
            email=self.email.strip().lower(),
            password=self.password,
            display_name=self.display_name.strip(),
            occupation=self.occupation.strip(),
            specialty=self.specialty.strip(),
            licence_number=self.licence_number.strip(),
            institution=self.institution.strip(),
        )


def validate_registration(form: RegistrationForm) -> dict[str, str]:
    """Field name -> message for every problem; empty when the form is acceptable."""
    errors: dict[str, str] = {}
    if not USERNAME_RE.match(form.username):
        errors["username"] = "Use 3 to 30 lowercase letters, digits or underscores."
    elif form.username in RESERVED_USERNAMES:
        errors["username"] = "This username is reserved; choose another."
    if len(form.email) > 254 or not EMAIL_RE.match(form.email):
        errors["email"] = "Enter a valid e-mail address, like name@hospital.org."
    if len(form.password) < PASSWORD_MIN_LENGTH:
        errors["password"] = f"Use at least {PASSWORD_MIN_LENGTH} characters."
    elif len(form.password) > PASSWORD_MAX_LENGTH:
        errors["password"] = f"Use at most {PASSWORD_MAX_LENGTH} characters."
    errors.update(validate_profile_fields(vars(form)))
    return errors


def validate_profile_fields(fields: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name, limit in FIELD_LIMITS.items():
        if len(fields.get(name, "")) > limit:
            errors[name] = f"Use at most {limit} characters."
    return errors


def missing_verification_fields(occupation: str, licence_number: str, institution: str) -> list[str]:
    """A verification request needs the facts an admin checks against a professional register."""
    missing = []
    if not occupation.strip():
        missing.append("occupation")
    if not licence_number.strip():
        missing.append("licence_number")
    if not institution.strip():
        missing.append("institution")
    return missing


def is_verified_professional(account: AccountLike) -> bool:
    return not account.disabled and account.verification_status == VerificationStatus.VERIFIED


def can_post_and_comment(account: AccountLike | None) -> bool:
    return account is not None and is_verified_professional(account)


def can_review(account: AccountLike | None) -> bool:
    return account is not None and not account.disabled and account.role in (Role.REVIEWER, Role.ADMIN)


def is_admin(account: AccountLike | None) -> bool:
    return account is not None and not account.disabled and account.role == Role.ADMIN


def role_after_verification(current_role: str) -> str:
    """Approving a viewer makes them a professional; reviewers and admins keep their role."""
    return Role.PROFESSIONAL if current_role == Role.VIEWER else current_role
