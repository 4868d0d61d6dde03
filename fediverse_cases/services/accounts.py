"""Account use cases: register, sign in (with throttling), request and decide verification,
change roles, disable. Each call records its audit entry in the caller's transaction.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.accounts import (
    RegistrationForm,
    Role,
    VerificationStatus,
    missing_verification_fields,
    role_after_verification,
    validate_profile_fields,
    validate_registration,
)
from fediverse_cases.core.urls import LocalUrls
from fediverse_cases.federation import publish
from fediverse_cases.federation.state import FederationState
from fediverse_cases.services.actors import new_account_actor, sync_actor_from_account
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.passwords import Passwords
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Account
from fediverse_cases.storage.repositories import accounts as account_repo
from fediverse_cases.storage.repositories import audit

THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USERNAME = 5
MAX_FAILURES_PER_ADDRESS = 30
GENERIC_LOGIN_ERROR = "Username or password is incorrect."
THROTTLED_LOGIN_ERROR = "Too many failed sign-ins. Wait 15 minutes and try again."


class AccountError(Exception):
    """A request that cannot be carried out; ``field_errors`` maps form fields to messages."""

    def __init__(self, message: str, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


async def register(
    session: AsyncSession,
    urls: LocalUrls,
    passwords: Passwords,
    form: RegistrationForm,
    operator: Operator,
    *,
    role: Role = Role.VIEWER,
    verified: bool = False,
) -> Account:
    form = form.normalized()
    errors = validate_registration(form)
    if not errors:
        username_taken, email_taken = await account_repo.username_or_email_taken(
            session, form.username, form.email
        )
        if username_taken:
            errors["username"] = "This username is taken; choose another."
        if email_taken:
            # Neutral wording: do not confirm that a given address has an account here.
            errors["email"] = "This e-mail address cannot be used for a new account."
    if errors:
        raise AccountError("Please correct the marked fields.", errors)
    account = Account(
        username=form.username,
        email=form.email,
        password_hash=passwords.hash(form.password),
        display_name=form.display_name or form.username,
        occupation=form.occupation,
        specialty=form.specialty,
        licence_number=form.licence_number,
        institution=form.institution,
        role=role,
        verification_status=VerificationStatus.VERIFIED if verified else VerificationStatus.NONE,
        verified_at=utcnow() if verified else None,
        verification_note="",
        disabled=False,
        session_version=1,
    )
    session.add(account)
    await session.flush()
    session.add(new_account_actor(urls, account))
    audit.record(
        session,
        operator.entry(
            "account.register",
            target_type="account",
            target_id=account.username,
            details={"role": str(role), "verified": verified},
        ),
    )
    return account


class LoginOutcome(StrEnum):
    OK = "ok"
    INVALID = "invalid"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    account: Account | None = None

    @property
    def message(self) -> str:
        return THROTTLED_LOGIN_ERROR if self.outcome == LoginOutcome.THROTTLED else GENERIC_LOGIN_ERROR


async def authenticate(
    session: AsyncSession,
    passwords: Passwords,
    username: str,
    password: str,
    *,
    ip: str,
    now: datetime | None = None,
) -> LoginResult:
    """Check a sign-in; the audit entry is recorded in the session (caller commits).

    Failures are counted per attempted username and per address, whether or not the username
    exists, so the throttle itself does not reveal which usernames are real.
    """
    username = username.strip().lower()[:64]
    now = now or utcnow()
    by_name, by_ip = await audit.count_recent_login_failures(
        session, username=username, ip=ip, since=now - THROTTLE_WINDOW
    )
    if by_name >= MAX_FAILURES_PER_USERNAME or by_ip >= MAX_FAILURES_PER_ADDRESS:
        audit.record(
            session,
            Operator(None, username, ip).entry("login.throttled", target_type="account", target_id=username),
        )
        return LoginResult(LoginOutcome.THROTTLED)
    account = await account_repo.get_account_by_username(session, username)
    # argon2 releases the GIL: in a thread, one sign-in does not stall every other request.
    password_ok = await asyncio.to_thread(
        passwords.verify, account.password_hash if account else None, password
    )
    if account is None or not password_ok or account.disabled:
        audit.record(
            session,
            Operator(account.id if account else None, username, ip).entry(
                "login.failure", target_type="account", target_id=username
            ),
        )
        return LoginResult(LoginOutcome.INVALID)
    if passwords.needs_rehash(account.password_hash):
        # Older parameters (or argon2's defaults): upgrade while we hold the plain password.
        account.password_hash = await asyncio.to_thread(passwords.hash, password)
    audit.record(
        session,
        Operator(account.id, username, ip).entry("login.success", target_type="account", target_id=username),
    )
    return LoginResult(LoginOutcome.OK, account)


async def update_profile(
    session: AsyncSession,
    state: FederationState,
    account: Account,
    fields: dict[str, str],
    operator: Operator,
) -> None:
    cleaned = {name: fields.get(name, "").strip() for name in ("display_name", "specialty", "institution")}
    if account.verification_status != VerificationStatus.VERIFIED:
        cleaned["occupation"] = fields.get("occupation", "").strip()
        cleaned["licence_number"] = fields.get("licence_number", "").strip()
    errors = validate_profile_fields(cleaned)
    if errors:
        raise AccountError("Please correct the marked fields.", errors)
    for name, value in cleaned.items():
        setattr(account, name, value)
    account.approve_followers = fields.get("approve_followers", "") == "on"
    if not account.display_name:
        account.display_name = account.username
    await sync_actor(session, state, account)
    audit.record(
        session, operator.entry("account.profile_update", target_type="account", target_id=account.username)
    )


async def request_verification(
    session: AsyncSession,
    state: FederationState,
    account: Account,
    fields: dict[str, str],
    operator: Operator,
) -> None:
    if account.verification_status == VerificationStatus.VERIFIED:
        raise AccountError("You are already verified.")
    if account.verification_status == VerificationStatus.PENDING:
        raise AccountError("Your verification request is already waiting for an administrator.")
    details = {
        name: fields.get(name, "").strip()
        for name in ("occupation", "specialty", "licence_number", "institution")
    }
    errors = validate_profile_fields(details)
    for name in missing_verification_fields(
        details["occupation"], details["licence_number"], details["institution"]
    ):
        errors[name] = "Required for verification."
    if errors:
        raise AccountError("Please correct the marked fields.", errors)
    for name, value in details.items():
        setattr(account, name, value)
    account.verification_status = VerificationStatus.PENDING
    account.verification_requested_at = utcnow()
    account.verification_note = ""
    audit.record(
        session, operator.entry("verification.request", target_type="account", target_id=account.username)
    )


async def decide_verification(
    session: AsyncSession,
    state: FederationState,
    account: Account,
    *,
    approve: bool,
    reason: str,
    operator: Operator,
) -> None:
    reason = reason.strip()
    if not approve and not reason:
        raise AccountError(
            "Give a reason for the rejection; the applicant will see it.", {"reason": "Required."}
        )
    if len(reason) > 1000:
        raise AccountError("The reason is too long.", {"reason": "Use at most 1000 characters."})
    if approve:
        account.verification_status = VerificationStatus.VERIFIED
        account.verified_at = utcnow()
        account.role = role_after_verification(account.role)
    else:
        account.verification_status = VerificationStatus.REJECTED
        account.verified_at = None
    account.verification_note = reason
    await sync_actor(session, state, account)
    audit.record(
        session,
        operator.entry(
            "verification.approve" if approve else "verification.reject",
            target_type="account",
            target_id=account.username,
            details={"reason": reason} if reason else {},
        ),
    )


async def set_role(
    session: AsyncSession, state: FederationState, account: Account, role: str, operator: Operator
) -> None:
    try:
        new_role = Role(role)
    except ValueError:
        raise AccountError(f"Unknown role {role!r}; use one of {', '.join(r.value for r in Role)}.") from None
    old_role = account.role
    if new_role == old_role:
        return
    if new_role == Role.PROFESSIONAL and account.verification_status != VerificationStatus.VERIFIED:
        raise AccountError("Verify the person's credentials before making them a professional.")
    account.role = new_role
    await sync_actor(session, state, account)
    audit.record(
        session,
        operator.entry(
            "account.role_change",
            target_type="account",
            target_id=account.username,
            details={"from": old_role, "to": str(new_role)},
        ),
    )


async def set_disabled(
    session: AsyncSession, state: FederationState, account: Account, disabled: bool, operator: Operator
) -> None:
    if account.disabled == disabled:
        return
    if disabled and account.id == operator.account_id:
        raise AccountError("You cannot disable your own account.")
    account.disabled = disabled
    # Bumping the version invalidates every session cookie issued to this account.
    account.session_version += 1
    await sync_actor(session, state, account)
    audit.record(
        session,
        operator.entry(
            "account.disable" if disabled else "account.enable",
            target_type="account",
            target_id=account.username,
        ),
    )


async def sync_actor(session: AsyncSession, state: FederationState, account: Account) -> None:
    """Mirror the account on its actor; when what peers see changed (name, profession, the
    verified claim), tell them at once with Update(Person) — a revoked claim must not linger."""
    actor = await account_repo.get_actor_for_account(session, account.id)
    if actor is not None and sync_actor_from_account(actor, account):
        await publish.account_updated(session, state, account)
