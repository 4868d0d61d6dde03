"""Single sign-on use cases: remember a sign-in sent to a provider, take it back exactly once,
and turn a provider's verified claims into a local account - created just in time, updated at
each later sign-in, or linked to the person's existing account. Every outcome is audited.

Role changes follow group changes between sign-ins (not every sign-in), so an admin's manual
decision is not undone by the next sign-in; leaving the professional group revokes the verified
claim and peers hear of it through the same Update(Person) path as any revocation
(``accounts.sync_actor``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.accounts import (
    RESERVED_USERNAMES,
    Role,
    VerificationStatus,
    role_after_verification,
)
from fediverse_cases.core.urls import LocalUrls
from fediverse_cases.federation.state import FederationState
from fediverse_cases.services.accounts import sync_actor
from fediverse_cases.services.actors import new_account_actor
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.sso_claims import ClaimedPerson, username_candidates
from fediverse_cases.services.sso_errors import SignInRefused
from fediverse_cases.services.sso_protocol import AuthorizationRequest
from fediverse_cases.settings_sso import OidcProviderSettings, SsoSettings
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Account, OidcIdentity, OidcLoginState
from fediverse_cases.storage.repositories import accounts as account_repo
from fediverse_cases.storage.repositories import audit
from fediverse_cases.storage.repositories import oidc as oidc_repo

LOGIN_STATE_TTL = timedelta(minutes=10)


class SsoError(SignInRefused):
    """A sign-in that must not go through here (replayed state, e-mail of an unlinked account, ...)."""


@dataclass(frozen=True)
class PendingSignIn:
    provider: str
    nonce: str
    code_verifier: str
    link_account_id: int | None
    next_path: str
    browser_hash: str
    created_at: datetime


@dataclass(frozen=True)
class SignInOutcome:
    account: Account
    created: bool
    linked: bool


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


async def remember_sign_in(
    db: AsyncSession,
    provider: OidcProviderSettings,
    request: AuthorizationRequest,
    *,
    browser_secret: str,
    next_path: str,
    link_account_id: int | None,
) -> None:
    await oidc_repo.drop_login_states_before(db, utcnow() - LOGIN_STATE_TTL)
    db.add(
        OidcLoginState(
            state_hash=digest(request.state),
            browser_hash=digest(browser_secret),
            provider=provider.id,
            nonce=request.nonce,
            code_verifier=request.code_verifier,
            link_account_id=link_account_id,
            next_path=next_path[:2048],
        )
    )


async def take_sign_in(db: AsyncSession, state: str) -> PendingSignIn:
    """The pending sign-in this answer names, removed so it cannot be answered twice. Check it
    with ``check_sign_in`` after the transaction: a refused answer uses the state up too."""
    row = await oidc_repo.take_login_state(db, digest(state)) if state else None
    if row is None:
        raise SsoError(
            "unknown_state",
            "This sign-in link was already used or has expired. Start again from the sign-in page.",
        )
    return PendingSignIn(
        row.provider,
        row.nonce,
        row.code_verifier,
        row.link_account_id,
        row.next_path,
        row.browser_hash,
        row.created_at,
    )


def check_sign_in(pending: PendingSignIn, provider_id: str, browser_secret: str) -> None:
    if pending.provider != provider_id or pending.created_at < utcnow() - LOGIN_STATE_TTL:
        raise SsoError("expired_state", "This sign-in took too long or was mixed up. Start again.")
    if not browser_secret or digest(browser_secret) != pending.browser_hash:
        raise SsoError("other_browser", "This sign-in was started in another browser. Start again here.")


def record_failure(db: AsyncSession, provider_id: str, reason: str, ip: str, *, subject: str = "") -> None:
    audit.record(
        db,
        Operator(None, f"sso:{provider_id}", ip).entry(
            "login.sso.failure",
            target_type="oidc_identity",
            target_id=f"{provider_id}:{subject}"[:255] if subject else provider_id,
            details={"provider": provider_id, "reason": reason},
        ),
    )


async def sign_in_with_claims(
    db: AsyncSession,
    state: FederationState,
    urls: LocalUrls,
    provider: OidcProviderSettings,
    person: ClaimedPerson,
    *,
    pending: PendingSignIn,
    ip: str,
) -> SignInOutcome:
    identity = await oidc_repo.find_identity(db, provider.id, person.subject)
    if identity is not None and identity.issuer != provider.issuer:
        # A subject is unique only within its issuer (OpenID Connect Core 2): after the admin
        # pointed this provider id elsewhere, an old link must not open the account.
        raise SsoError(
            "issuer_changed",
            "The sign-in service is not the one this sign-in was linked with; ask an administrator.",
        )
    created = linked = False
    if pending.link_account_id is not None:
        account = await _link(db, provider, person, identity, pending.link_account_id, ip)
        linked = True
    elif identity is None:
        account = await _create_account(db, urls, provider, person, ip)
        created = True
    else:
        found = await account_repo.get_account(db, identity.account_id)
        assert found is not None  # the foreign key cascades: an identity always has its account
        account = found
    if account.disabled:
        raise SsoError("account_disabled", "This account is disabled. Ask an administrator.")
    operator = Operator(account.id, account.username, ip)
    previous = frozenset(Role(r) for r in identity.claimed_roles.split(",") if r) if identity else frozenset()
    if identity is None:
        identity = OidcIdentity(
            account_id=account.id, provider=provider.id, issuer=provider.issuer, subject=person.subject
        )
        db.add(identity)
    if not created:
        _update_profile(account, person)
        email_taken = (await account_repo.username_or_email_taken(db, "", person.email))[1]
        if person.email != account.email and not email_taken:
            account.email = person.email
    if created or linked or previous != person.roles:
        _apply_roles(db, provider, account, person, previous, operator, first=created)
    identity.claimed_roles = person.roles_text
    identity.last_login_at = utcnow()
    await db.flush()
    await sync_actor(db, state, account)
    audit.record(
        db,
        operator.entry(
            "login.sso.success",
            target_type="account",
            target_id=account.username,
            details={"provider": provider.id, "subject": person.subject, "roles": person.roles_text},
        ),
    )
    return SignInOutcome(account, created, linked)


async def _link(
    db: AsyncSession,
    provider: OidcProviderSettings,
    person: ClaimedPerson,
    identity: OidcIdentity | None,
    account_id: int,
    ip: str,
) -> Account:
    account = await account_repo.get_account(db, account_id)
    if account is None:
        raise SsoError("link_account_gone", "The account to link no longer exists.")
    if identity is not None and identity.account_id != account.id:
        raise SsoError("identity_taken", "This sign-in is already linked to another account here.")
    if identity is None and any(
        i.provider == provider.id for i in await oidc_repo.identities_of(db, account.id)
    ):
        raise SsoError(
            "already_linked", f"Your account is already linked to another {provider.label!r} identity."
        )
    audit.record(
        db,
        Operator(account.id, account.username, ip).entry(
            "sso.link",
            target_type="account",
            target_id=account.username,
            details={"provider": provider.id, "subject": person.subject},
        ),
    )
    return account


async def _create_account(
    db: AsyncSession, urls: LocalUrls, provider: OidcProviderSettings, person: ClaimedPerson, ip: str
) -> Account:
    if (await account_repo.username_or_email_taken(db, "", person.email))[1]:
        # Never join an existing account by e-mail alone: that would let whoever controls the
        # address at any configured provider take the account over. The person links it instead.
        raise SsoError(
            "email_in_use",
            "An account with your e-mail address already exists here. Sign in with its password, "
            "then link this sign-in from your settings.",
        )
    account = Account(
        username=await _free_username(db, person),
        email=person.email,
        password_hash="",  # no password: argon2 never verifies an empty hash
        display_name=person.display_name or person.email.split("@", 1)[0],
        occupation=person.profession,
        specialty="",
        licence_number="",
        institution=person.institution,
        role=Role.VIEWER,
        verification_status=VerificationStatus.NONE,
        verification_note="",
        disabled=False,
        session_version=1,
    )
    db.add(account)
    await db.flush()
    db.add(new_account_actor(urls, account))
    audit.record(
        db,
        Operator(account.id, account.username, ip).entry(
            "account.register",
            target_type="account",
            target_id=account.username,
            details={"provider": provider.id, "subject": person.subject, "just_in_time": True},
        ),
    )
    return account


async def _free_username(db: AsyncSession, person: ClaimedPerson) -> str:
    candidates = username_candidates(person)
    for base in candidates:
        for suffix in ("", *(str(n) for n in range(2, 100))):
            name = f"{base}{suffix}"
            if name in RESERVED_USERNAMES:
                continue
            if not (await account_repo.username_or_email_taken(db, name, ""))[0]:
                return name
    raise SsoError("no_username", "No free username could be made for you; ask an administrator.")


def _update_profile(account: Account, person: ClaimedPerson) -> None:
    """Mapped claims are the source of truth for the fields they carry; unmapped ones stay."""
    if person.display_name:
        account.display_name = person.display_name
    if person.institution:
        account.institution = person.institution
    if person.profession:
        account.occupation = person.profession


def _apply_roles(
    db: AsyncSession,
    provider: OidcProviderSettings,
    account: Account,
    person: ClaimedPerson,
    previous: frozenset[Role],
    operator: Operator,
    *,
    first: bool,
) -> None:
    before = (str(account.role), str(account.verification_status))
    if person.professional_by_claim and Role.PROFESSIONAL not in previous:
        if provider.trust_professional_claim:
            account.verification_status = VerificationStatus.VERIFIED
            account.verified_at = utcnow()
            account.verification_note = f"Verified by the group claim of {provider.label}."
        elif first:
            # Not trusted for this provider: the person waits in the manual queue, as today.
            account.verification_status = VerificationStatus.PENDING
            account.verification_requested_at = utcnow()
    elif Role.PROFESSIONAL in previous and not person.professional_by_claim and _verified(account):
        account.verification_status = VerificationStatus.NONE
        account.verified_at = None
        account.verification_note = f"Revoked: no longer in the professional group at {provider.label}."
    if first or (previous and previous != person.roles):
        # The groups changed (or this is the first sign-in): they decide the role.
        target = person.top_role
        account.role = Role.VIEWER if target == Role.PROFESSIONAL and not _verified(account) else target
    elif account.role == Role.VIEWER and _verified(account):
        account.role = Role(role_after_verification(account.role))
    elif account.role == Role.PROFESSIONAL and not _verified(account):
        account.role = Role.VIEWER
    after = (str(account.role), str(account.verification_status))
    if after != before:
        audit.record(
            db,
            operator.entry(
                "sso.role_change",
                target_type="account",
                target_id=account.username,
                details={
                    "provider": provider.id,
                    "from": {"role": before[0], "verification": before[1]},
                    "to": {"role": after[0], "verification": after[1]},
                    "groups_gave": person.roles_text,
                },
            ),
        )


def _verified(account: Account) -> bool:
    return account.verification_status == VerificationStatus.VERIFIED


def password_sign_in_allowed(sso: SsoSettings, account: Account | None, username: str) -> bool:
    """With local passwords off only break-glass admins may use one (all admins when no list is
    configured, else the listed ones)."""
    if sso.local_passwords:
        return True
    if sso.break_glass_accounts and username not in sso.break_glass_accounts:
        return False
    return account is not None and account.role == Role.ADMIN
