"""The application's state: the federation layer's state plus what only the services and the
web app use (password hasher, client-API and withdrawal-page rate limiters, the audit rows that
reads commit in groups).

One ``AppState`` is built by ``AppState.from_settings`` (in ``create_app`` and each CLI command)
and handed to blueprints, workers and services; nothing lives in module globals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fediverse_cases.core.rate_limit import RateLimits, SlidingWindowLimiter
from fediverse_cases.federation.state import FederationState
from fediverse_cases.services.passwords import Passwords
from fediverse_cases.services.sso_protocol import OidcClients
from fediverse_cases.settings import Settings
from fediverse_cases.storage.audit_appends import CommittedAppends


@dataclass
class AppState(FederationState):
    passwords: Passwords = field(default_factory=Passwords)
    api_rate_limiter: SlidingWindowLimiter = field(default_factory=SlidingWindowLimiter)
    # Tries on the public withdrawal page, per client address and per code (services.withdrawal_page).
    withdrawal_limiter: SlidingWindowLimiter = field(default_factory=SlidingWindowLimiter)
    # OpenID providers' metadata and signing keys, fetched on first use (services.sso_protocol).
    oidc: OidcClients = field(default_factory=OidcClients)
    # Audit rows a read records before it is answered (a signed-in case view), committed in groups.
    audit_appends: CommittedAppends = field(init=False)

    def __post_init__(self) -> None:
        self.audit_appends = CommittedAppends(self.engine)

    async def close(self) -> None:
        self.audit_appends.close()
        await super().close()

    @classmethod
    def from_settings(cls, settings: Settings) -> AppState:
        window = settings.withdrawal.window_minutes * 60.0
        return cls(
            **cls.fields_from_settings(settings),  # type: ignore[arg-type]
            withdrawal_limiter=SlidingWindowLimiter(RateLimits(window_seconds=window)),
        )
