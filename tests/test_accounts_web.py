"""Accounts over the real database (SQLite and PostgreSQL): registration, sign-in, throttling,
CSRF, verification, roles, disabling and the audit trail, through the HTML pages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from fediverse_cases.core.accounts import Role
from fediverse_cases.storage.models import Account, Actor, AuditEvent
from tests.support.instances import PASSWORD, create_account
from tests.support.web import csrf_token, post_form, sign_in

REGISTRATION = {
    "username": "dr_ada",
    "email": "ada@hospital.test",
    "password": PASSWORD,
    "display_name": "Ada Lovelace",
    "occupation": "Physician",
    "specialty": "Dermatology",
    "licence_number": "GMC-123456",
    "institution": "St Elsewhere",
}


async def _count(state, model) -> int:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        return int((await db.execute(select(func.count()).select_from(model))).scalar_one())


async def _audit_actions(state) -> list[str]:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        return list((await db.execute(select(AuditEvent.action).order_by(AuditEvent.id))).scalars())


async def test_register_creates_viewer_with_actor_and_signs_in(client, state) -> None:  # type: ignore[no-untyped-def]
    response = await post_form(client, "/register", REGISTRATION, page="/register")
    assert response.status_code == 302
    page = await (await client.get("/settings/profile")).get_data(as_text=True)
    assert "Ada Lovelace" in page and "Viewer" in page
    async with state.sessionmaker() as db:
        account = (await db.execute(select(Account).where(Account.username == "dr_ada"))).scalar_one()
        actor = (await db.execute(select(Actor).where(Actor.account_id == account.id))).scalar_one()
    assert account.role == "viewer" and account.verification_status == "none"
    assert account.password_hash.startswith("$argon2id$") and PASSWORD not in account.password_hash
    assert actor.uri == "http://cases.test/users/dr_ada" and "BEGIN PUBLIC KEY" in actor.public_key_pem
    assert "account.register" in await _audit_actions(state)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "valid e-mail"),
        ("username", "Bad Name!", "lowercase letters"),
        ("display_name", "x" * 101, "at most 100"),
        ("institution", "y" * 5000, "at most 200"),
        ("password", "short", "at least 10"),
    ],
)
async def test_register_rejects_bad_input_and_writes_nothing(client, state, field, value, message) -> None:  # type: ignore[no-untyped-def]
    response = await post_form(client, "/register", {**REGISTRATION, field: value}, page="/register")
    assert response.status_code == 422
    assert message in await response.get_data(as_text=True)
    assert await _count(state, Account) == 0
    assert await _count(state, AuditEvent) == 0


async def test_register_duplicate_username_is_refused_on_the_form(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "dr_ada")
    response = await post_form(
        client, "/register", {**REGISTRATION, "email": "other@hospital.test"}, page="/register"
    )
    assert response.status_code == 422
    assert "This username is taken" in await response.get_data(as_text=True)
    assert await _count(state, Account) == 1


async def test_post_without_csrf_token_is_refused_and_nothing_written(client, state) -> None:  # type: ignore[no-untyped-def]
    await client.get("/register")
    response = await client.post("/register", form=REGISTRATION)
    assert response.status_code == 400
    assert "did not come from this site" in await response.get_data(as_text=True)
    wrong = await client.post("/register", form={**REGISTRATION, "csrf_token": "forged"})
    assert wrong.status_code == 400
    assert await _count(state, Account) == 0


async def test_login_errors_do_not_reveal_which_usernames_exist(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "real_user")
    wrong_password = await post_form(
        client, "/login", {"username": "real_user", "password": "nope nope nope"}
    )
    no_such_user = await post_form(client, "/login", {"username": "ghost_user", "password": "nope nope nope"})
    assert wrong_password.status_code == no_such_user.status_code == 401
    body_a = await wrong_password.get_data(as_text=True)
    body_b = await no_such_user.get_data(as_text=True)
    assert "Username or password is incorrect." in body_a and "Username or password is incorrect." in body_b


async def test_login_is_throttled_after_repeated_failures(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "target")
    for _ in range(5):
        response = await post_form(client, "/login", {"username": "target", "password": "wrong password!"})
        assert response.status_code == 401
    throttled = await post_form(client, "/login", {"username": "target", "password": PASSWORD})
    assert throttled.status_code == 429
    assert "Too many failed sign-ins" in await throttled.get_data(as_text=True)
    assert (await client.get("/settings/profile")).status_code == 302  # still signed out
    actions = await _audit_actions(state)
    assert actions.count("login.failure") == 5 and "login.throttled" in actions


async def test_login_success_sets_hardened_cookie_and_audits(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "nurse_joy")
    response = await post_form(client, "/login", {"username": "nurse_joy", "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "login.success" in await _audit_actions(state)


async def test_an_active_session_moves_its_expiry_on_without_a_cookie_on_every_page(
    client, state, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    # The 12-hour session cookie is sent again (moving its expiry on) when the reader has used it
    # for REFRESH_SECONDS since it was last sent, not with every page (signing it each time was a
    # tenth of a signed-in page's cost).
    from fediverse_cases.web import sessions

    await create_account(state, "nurse_joy")
    await sign_in(client, "nurse_joy")
    await client.get("/")  # the first page puts the session's CSRF token in it: a new cookie
    for path in ("/", "/feed/local", "/settings/profile"):
        response = await client.get(path)
        assert response.status_code == 200 and "Sign out" in await response.get_data(as_text=True)
        assert "Set-Cookie" not in response.headers, path

    later = sessions.wall_clock() + sessions.REFRESH_SECONDS + 1
    monkeypatch.setattr(sessions, "wall_clock", lambda: later)
    response = await client.get("/")
    cookie = response.headers.get("Set-Cookie", "")
    assert cookie.startswith("fc_session=") and "Expires=" in cookie and "HttpOnly" in cookie
    monkeypatch.undo()
    response = await client.get("/")
    assert "Sign out" in await response.get_data(as_text=True)  # the refreshed cookie is good
    assert "Set-Cookie" not in response.headers

    # Twelve hours without a refresh: signed out.
    import time

    twelve_hours_on = time.time() + 12 * 3600 + 1
    monkeypatch.setattr(time, "time", lambda: twelve_hours_on)
    response = await client.get("/")
    page = await response.get_data(as_text=True)
    monkeypatch.undo()
    assert "Sign out" not in page and "Sign in" in page


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/phish",
        "/\\evil.example/",
        "/\\/evil.example/",
        "https://evil.example/",
        "/\t/evil.example",
        "evil",
    ],
)
async def test_login_next_parameter_cannot_redirect_off_site(client, state, target: str) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "nurse_joy")
    response = await post_form(
        client, "/login", {"username": "nurse_joy", "password": PASSWORD, "next": target}
    )
    assert response.headers["Location"] == "/"


async def test_login_next_parameter_keeps_a_same_site_path(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "nurse_joy")
    response = await post_form(
        client, "/login", {"username": "nurse_joy", "password": PASSWORD, "next": "/cases?tag=derm"}
    )
    assert response.headers["Location"] == "/cases?tag=derm"


async def test_verification_request_approval_and_badge(client, state, app) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "boss", role=Role.ADMIN)
    await create_account(state, "dr_bob")
    await sign_in(client, "dr_bob")
    incomplete = await post_form(
        client, "/settings/verification", {"occupation": "Physician"}, page="/settings/profile"
    )
    assert incomplete.status_code == 422
    assert "Required for verification." in await incomplete.get_data(as_text=True)
    response = await post_form(
        client,
        "/settings/verification",
        {"occupation": "Radiologist", "licence_number": "GMC-42", "institution": "St Elsewhere"},
        page="/settings/profile",
    )
    assert response.status_code == 302

    admin = app.test_client()
    await sign_in(admin, "boss")
    queue = await (await admin.get("/admin/verifications")).get_data(as_text=True)
    assert "dr_bob" in queue and "GMC-42" in queue
    # A viewer cannot decide on anyone.
    assert (
        await post_form(
            client, "/admin/verifications/dr_bob", {"decision": "approve"}, page="/settings/profile"
        )
    ).status_code == 403
    approved = await post_form(admin, "/admin/verifications/dr_bob", {"decision": "approve"}, page="/admin/")
    assert approved.status_code == 302

    profile = await (await client.get("/users/dr_bob")).get_data(as_text=True)
    assert "Verified Radiologist" in profile
    async with state.sessionmaker() as db:
        actor = (await db.execute(select(Actor).where(Actor.username == "dr_bob"))).scalar_one()
    assert actor.verified_professional and actor.profession == "Radiologist"
    actions = await _audit_actions(state)
    assert "verification.request" in actions and "verification.approve" in actions


async def test_rejection_needs_a_reason_which_the_applicant_sees(client, state, app) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "boss", role=Role.ADMIN)
    await create_account(state, "dr_eve")
    await sign_in(client, "dr_eve")
    await post_form(
        client,
        "/settings/verification",
        {"occupation": "Nurse", "licence_number": "NMC-9", "institution": "Elsewhere"},
        page="/settings/profile",
    )
    admin = app.test_client()
    await sign_in(admin, "boss")
    no_reason = await post_form(admin, "/admin/verifications/dr_eve", {"decision": "reject"}, page="/admin/")
    assert no_reason.status_code == 422
    assert "Give a reason" in await no_reason.get_data(as_text=True)
    await post_form(
        admin,
        "/admin/verifications/dr_eve",
        {"decision": "reject", "reason": "Licence not found"},
        page="/admin/",
    )
    page = await (await client.get("/settings/profile")).get_data(as_text=True)
    assert "Licence not found" in page and "Verified" not in page


async def test_admin_changes_role_and_disabling_ends_sessions(client, state, app) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "boss", role=Role.ADMIN)
    await create_account(state, "priv_officer")
    await sign_in(client, "priv_officer")
    admin = app.test_client()
    await sign_in(admin, "boss")
    response = await post_form(
        admin, "/admin/users/priv_officer", {"action": "set_role", "role": "reviewer"}, page="/admin/"
    )
    assert response.status_code == 302
    assert "Reviewer (privacy officer)" in await (await client.get("/settings/profile")).get_data(
        as_text=True
    )
    # Unverified people cannot be made professionals by a role change alone.
    refused = await post_form(
        admin, "/admin/users/priv_officer", {"action": "set_role", "role": "professional"}, page="/admin/"
    )
    assert refused.status_code == 422
    await post_form(admin, "/admin/users/priv_officer", {"action": "disable"}, page="/admin/")
    assert (await client.get("/settings/profile")).status_code == 302  # the live session is gone
    assert (
        await post_form(client, "/login", {"username": "priv_officer", "password": PASSWORD})
    ).status_code == 401
    actions = await _audit_actions(state)
    assert "account.role_change" in actions and "account.disable" in actions


async def test_admin_pages_are_for_admins_only(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "viewer_vi")
    assert (await client.get("/admin/")).status_code == 302
    await sign_in(client, "viewer_vi")
    for path in ("/admin/", "/admin/verifications", "/admin/users", "/admin/audit", "/admin/audit.csv"):
        assert (await client.get(path)).status_code == 403, path


async def test_audit_log_page_filter_and_csv_export(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "boss", role=Role.ADMIN)
    await post_form(client, "/login", {"username": "=cmd|evil", "password": "wrong password"})
    await sign_in(client, "boss")
    page = await (await client.get("/admin/audit?action=login.failure")).get_data(as_text=True)
    assert "login.failure" in page and "login.success" not in page
    csv_response = await client.get("/admin/audit.csv")
    assert csv_response.headers["Content-Type"].startswith("text/csv")
    body = await csv_response.get_data(as_text=True)
    assert body.splitlines()[0].startswith("id,time_utc,actor,action")
    assert "login.success" in body and "login.failure" in body
    assert "'=cmd|evil" in body  # CSV injection neutralised


async def test_audit_log_is_append_only_in_the_database(state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "someone")
    for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
        with pytest.raises((DBAPIError, IntegrityError)):
            async with state.transaction() as db:
                await db.execute(text(statement))
    assert await _count(state, AuditEvent) == 1


async def test_every_form_on_a_page_carries_a_csrf_token(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "boss", role=Role.ADMIN)
    await sign_in(client, "boss")
    for path in ("/register", "/login", "/settings/profile", "/admin/users"):
        html = await (await client.get(path)).get_data(as_text=True)
        posts = html.count('method="post"')
        assert posts and html.count('name="csrf_token"') >= posts, path
    assert await csrf_token(client)
