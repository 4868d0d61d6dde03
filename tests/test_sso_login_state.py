"""A pending single sign-on is answered at most once, only by the browser that started it, and
only within ten minutes - on SQLite and PostgreSQL (the DELETE ... RETURNING that decides it)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from fediverse_cases.services import sso
from fediverse_cases.services.sso_protocol import AuthorizationRequest
from fediverse_cases.settings_sso import OidcProviderSettings
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import OidcLoginState

PROVIDER = OidcProviderSettings(id="hospital", label="Test General", issuer="https://idp.test", client_id="c")


async def _remember(state, value: str, browser: str = "browser-1") -> None:  # type: ignore[no-untyped-def]
    request = AuthorizationRequest(
        f"https://idp.test/auth?state={value}", value, f"nonce-{value}", f"v-{value}"
    )
    async with state.transaction() as db:
        await sso.remember_sign_in(
            db, PROVIDER, request, browser_secret=browser, next_path="/", link_account_id=None
        )


async def _take(
    state, value: str, browser: str = "browser-1", provider: str = "hospital"
) -> sso.PendingSignIn:  # type: ignore[no-untyped-def]
    async with state.transaction() as db:
        pending = await sso.take_sign_in(db, value)
    sso.check_sign_in(pending, provider, browser)
    return pending


async def test_a_pending_sign_in_is_taken_once(state) -> None:  # type: ignore[no-untyped-def]
    await _remember(state, "state-a")
    pending = await _take(state, "state-a")
    assert (pending.nonce, pending.code_verifier) == ("nonce-state-a", "v-state-a")
    with pytest.raises(sso.SsoError) as replay:
        await _take(state, "state-a")
    assert replay.value.reason == "unknown_state"


@pytest.mark.parametrize(
    ("browser", "provider", "age_minutes", "reason"),
    [
        ("browser-2", "hospital", 0, "other_browser"),
        ("browser-1", "registry", 0, "expired_state"),
        ("browser-1", "hospital", 11, "expired_state"),
    ],
)
async def test_a_mismatched_answer_is_refused_and_uses_up_the_state(  # type: ignore[no-untyped-def]
    state, browser: str, provider: str, age_minutes: int, reason: str
) -> None:
    await _remember(state, "state-b")
    async with state.transaction() as db:
        await db.execute(update(OidcLoginState).values(created_at=utcnow() - timedelta(minutes=age_minutes)))
    with pytest.raises(sso.SsoError) as refused:
        await _take(state, "state-b", browser, provider)
    assert refused.value.reason == reason
    with pytest.raises(sso.SsoError) as again:
        await _take(state, "state-b")
    assert again.value.reason == "unknown_state"
