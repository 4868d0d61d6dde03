"""Tables for OpenID Connect sign-in: which provider identity belongs to which local account,
and the pending sign-ins (state, nonce, PKCE verifier) that a provider's answer must match once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fediverse_cases.storage.base import Base, UTCDateTime, utcnow


class OidcIdentity(Base):
    """A person at a provider (issuer + stable subject claim) linked to one local account."""

    __tablename__ = "oidc_identities"
    __table_args__ = (UniqueConstraint("provider", "subject", name="uq_oidc_identities_provider_subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    issuer: Mapped[str] = mapped_column(String(2048))
    subject: Mapped[str] = mapped_column(String(255))
    # The roles the provider's groups gave at the last sign-in (comma-separated), so a change of
    # group membership - not every sign-in - is what changes the account's role.
    claimed_roles: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OidcLoginState(Base):
    """A sign-in sent to a provider and not yet answered. Deleted when the answer arrives, so
    each state (and its nonce and PKCE verifier) is used at most once."""

    __tablename__ = "oidc_login_states"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # SHA-256 of the state parameter: a database reader cannot answer a pending sign-in.
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # SHA-256 of a random value kept in the browser's session cookie: the answer must come back
    # to the browser that started the sign-in (no login CSRF with someone else's callback URL).
    browser_hash: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(32))
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str] = mapped_column(String(128))
    # Set when a signed-in person links this provider to their account instead of signing in.
    link_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True
    )
    next_path: Mapped[str] = mapped_column(String(2048), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
