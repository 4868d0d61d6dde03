"""Local passwords turned off (``[sso] local_passwords = false``): the sign-in page offers the
hospital's sign-in, password sign-in refuses everyone but break-glass admins (audited), and
registration is closed - over the app's HTTP interface on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.storage.models import AuditEvent
from tests.support.instances import create_account
from tests.support.web import csrf_token

PROVIDER = {
    "id": "hospital",
    "label": "Sign in with Test General",
    "issuer": "https://idp.test",
    "client_id": "c",
}


@pytest.fixture
def settings_overrides() -> dict:
    return {
        "sso": {"local_passwords": False, "break_glass_accounts": ["root_admin"], "providers": [PROVIDER]}
    }


async def _password_sign_in(client, username: str) -> int:  # type: ignore[no-untyped-def]
    token = await csrf_token(client, "/login?local=1")
    response = await client.post(
        "/login", form={"username": username, "password": "correct horse battery", "csrf_token": token}
    )
    return response.status_code


async def test_sign_in_page_offers_the_hospital_and_hides_the_password_form(client) -> None:  # type: ignore[no-untyped-def]
    page = await (await client.get("/login")).get_data(as_text=True)
    assert 'id="sso-hospital"' in page and "Sign in with Test General" in page
    assert 'id="f-password"' not in page and 'id="break-glass"' in page
    assert ">Register<" not in page
    assert 'id="f-password"' in await (await client.get("/login?local=1")).get_data(as_text=True)


async def test_password_sign_in_is_refused_except_for_break_glass_admins(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "clinician")
    await create_account(state, "other_admin", role=Role.ADMIN)
    await create_account(state, "root_admin", role=Role.ADMIN)
    assert await _password_sign_in(client, "clinician") == 401
    assert await _password_sign_in(client, "other_admin") == 401  # an admin, but not listed
    assert await _password_sign_in(client, "root_admin") == 302
    async with state.sessionmaker() as db:
        rows = (await db.execute(select(AuditEvent).where(AuditEvent.action.startswith("login.")))).scalars()
        outcomes = [(row.action, row.target_id, (row.details or {}).get("reason")) for row in rows]
    assert outcomes == [
        ("login.failure", "clinician", "passwords_off"),
        ("login.failure", "other_admin", "passwords_off"),
        ("login.success", "root_admin", None),
    ]


async def test_registration_is_closed(client) -> None:  # type: ignore[no-untyped-def]
    assert (await client.get("/register")).status_code == 403
    token = await csrf_token(client, "/login")
    form = {"csrf_token": token, "username": "newbie", "email": "n@hospital.test", "password": "x" * 12}
    assert (await client.post("/register", form=form)).status_code == 403
