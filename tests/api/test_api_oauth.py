"""OAuth 2 over the real database (SQLite and PostgreSQL): app registration, the consent page,
authorization code with PKCE, client credentials, revocation, expiry, scopes and roles, the
authorized-apps settings page and the `tokens` command."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, update

from fediverse_cases.cli import main as cli_main
from fediverse_cases.core.accounts import Role
from fediverse_cases.services import oauth as oauth_service
from fediverse_cases.services.operator import Operator
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import AuditEvent, OAuthApp, OAuthToken
from tests.support.api_server import (
    REDIRECT_URI,
    approve,
    authorize_query,
    bearer,
    code_from,
    pkce_pair,
    register_app,
    user_token,
)
from tests.support.instances import create_account
from tests.support.web import post_form, sign_in


async def _exchange(client, app, code: str, verifier: str | None = None, secret: bool = True):  # type: ignore[no-untyped-def]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": app.client_id,
        "redirect_uri": REDIRECT_URI,
    }
    if secret:
        form["client_secret"] = app.client_secret
    if verifier:
        form["code_verifier"] = verifier
    return await client.post("/oauth/token", form=form)


async def test_authorization_code_flow_with_pkce_gives_a_working_token(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    app = await register_app(client, "read write")
    await sign_in(client, "dr_ada")
    verifier, challenge = pkce_pair()
    page = await client.get("/oauth/authorize", query_string=authorize_query(app, "read write", challenge))
    html = await page.get_data(as_text=True)
    assert (
        "Test Client" in html and 'data-scope="write"' in html and "https://client.example/callback" in html
    )
    assert "form-action 'self' https://client.example" in page.headers["Content-Security-Policy"]

    redirect = code_from(await approve(client, authorize_query(app, "read write", challenge, state="s-1")))
    assert redirect["state"] == ["s-1"]
    # PKCE lets a public client (no secret) exchange the code.
    response = await _exchange(client, app, redirect["code"][0], verifier, secret=False)
    body = await response.get_json()
    assert response.status_code == 200, body
    assert body["token_type"] == "Bearer" and body["scope"] == "read write"

    me = await client.get("/api/v1/accounts/verify_credentials", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert (await me.get_json())["username"] == "dr_ada"
    async with state.sessionmaker() as db:
        stored = (await db.execute(select(OAuthToken))).scalar_one()
        stored_app = (await db.execute(select(OAuthApp))).scalar_one()
        actions = list((await db.execute(select(AuditEvent.action))).scalars())
    assert body["access_token"] not in stored.token_hash and len(stored.token_hash) == 64
    assert stored.token_hash == oauth_service.hash_secret(body["access_token"])
    assert stored_app.client_secret_hash == oauth_service.hash_secret(app.client_secret)
    assert "oauth.authorize" in actions


async def test_code_works_once_and_a_replay_revokes_the_token(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    app = await register_app(client, "read")
    await sign_in(client, "dr_ada")
    code = code_from(await approve(client, authorize_query(app, "read")))["code"][0]
    first = await _exchange(client, app, code)
    assert first.status_code == 200
    token = (await first.get_json())["access_token"]
    replay = await _exchange(client, app, code)
    assert replay.status_code == 400 and (await replay.get_json())["error"] == "invalid_grant"
    after = await client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    assert after.status_code == 401


async def test_wrong_pkce_verifier_is_refused_and_burns_the_code(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    app = await register_app(client, "read")
    await sign_in(client, "dr_ada")
    verifier, challenge = pkce_pair()
    code = code_from(await approve(client, authorize_query(app, "read", challenge)))["code"][0]
    wrong = await _exchange(client, app, code, "x" * 50)
    assert wrong.status_code == 400 and (await wrong.get_json())["error"] == "invalid_grant"
    assert (await _exchange(client, app, code, verifier)).status_code == 400


async def test_code_without_pkce_or_secret_is_refused(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    app = await register_app(client, "read")
    await sign_in(client, "dr_ada")
    code = code_from(await approve(client, authorize_query(app, "read")))["code"][0]
    response = await _exchange(client, app, code, secret=False)
    assert response.status_code == 401 and (await response.get_json())["error"] == "invalid_client"


async def test_expired_code_is_refused(client, state) -> None:  # type: ignore[no-untyped-def]
    from fediverse_cases.storage.models import OAuthAuthorizationCode

    await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    app = await register_app(client, "read")
    await sign_in(client, "dr_ada")
    code = code_from(await approve(client, authorize_query(app, "read")))["code"][0]
    async with state.transaction() as db:
        await db.execute(update(OAuthAuthorizationCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert (await _exchange(client, app, code)).status_code == 400


async def test_approve_without_csrf_token_is_refused(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    app = await register_app(client, "read")
    await sign_in(client, "dr_ada")
    response = await client.post(
        "/oauth/authorize", form={**authorize_query(app, "read"), "decision": "approve"}
    )
    assert response.status_code == 400
    assert "Location" not in response.headers


async def test_deny_sends_access_denied_back_to_the_app(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    app = await register_app(client, "read")
    await sign_in(client, "dr_ada")
    redirect = code_from(await approve(client, authorize_query(app, "read"), decision="deny"))
    assert redirect["error"] == ["access_denied"] and "code" not in redirect


async def test_authorize_with_unregistered_redirect_uri_shows_an_error_not_a_redirect(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    app = await register_app(client, "read")
    await sign_in(client, "dr_ada")
    query = {**authorize_query(app, "read"), "redirect_uri": "https://evil.example/steal"}
    response = await client.get("/oauth/authorize", query_string=query)
    assert response.status_code == 400 and "Location" not in response.headers
    assert "redirect URI" in await response.get_data(as_text=True)


async def test_authorize_when_signed_out_goes_to_login(client, state) -> None:  # type: ignore[no-untyped-def]
    app = await register_app(client, "read")
    response = await client.get("/oauth/authorize", query_string=authorize_query(app, "read"))
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


async def test_viewer_is_granted_read_scopes_only(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "visitor", role=Role.VIEWER)
    app = await register_app(client, "read write follow")
    await sign_in(client, "visitor")
    page = await (
        await client.get("/oauth/authorize", query_string=authorize_query(app, "read write follow"))
    ).get_data(as_text=True)
    assert 'id="withheld-scopes"' in page
    code = code_from(await approve(client, authorize_query(app, "read write follow")))["code"][0]
    body = await (await _exchange(client, app, code)).get_json()
    assert body["scope"] == "read"


async def test_client_credentials_token_reads_the_instance_but_is_no_user(client, state) -> None:  # type: ignore[no-untyped-def]
    app = await register_app(client, "read write")
    response = await client.post(
        "/oauth/token",
        form={
            "grant_type": "client_credentials",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "scope": "read",
        },
    )
    body = await response.get_json()
    assert response.status_code == 200 and body["scope"] == "read"
    headers = bearer(body["access_token"])
    assert (await client.get("/api/v1/apps/verify_credentials", headers=headers)).status_code == 200
    assert (await client.get("/api/v1/instance", headers=headers)).status_code == 200
    me = await client.get("/api/v1/accounts/verify_credentials", headers=headers)
    assert me.status_code == 422 and "authenticated user" in (await me.get_json())["error"]


async def test_client_credentials_with_wrong_secret_is_401(client, state) -> None:  # type: ignore[no-untyped-def]
    app = await register_app(client, "read")
    response = await client.post(
        "/oauth/token",
        form={"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": "nope"},
    )
    assert response.status_code == 401 and (await response.get_json())["error"] == "invalid_client"


async def test_revoked_token_is_401(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    app = await register_app(client, "read")
    token = await user_token(client, "dr_ada", "read", app=app)
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))).status_code == 200
    revoked = await client.post(
        "/oauth/revoke", form={"client_id": app.client_id, "client_secret": app.client_secret, "token": token}
    )
    assert revoked.status_code == 200
    response = await client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    assert response.status_code == 401 and (await response.get_json()) == {
        "error": "The access token is invalid"
    }


async def test_expired_token_is_401(client, state) -> None:  # type: ignore[no-untyped-def]
    account = await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    async with state.transaction() as db:
        issued = await oauth_service.create_script_token(
            db, account, "read", Operator.system(), expires_in=timedelta(hours=1)
        )
    headers = bearer(issued.access_token)
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=headers)).status_code == 200
    async with state.transaction() as db:
        await db.execute(update(OAuthToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=headers)).status_code == 401


async def test_unknown_token_is_401(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/api/v1/accounts/verify_credentials", headers=bearer("made-up"))
    assert response.status_code == 401 and "error" in await response.get_json()


async def test_missing_or_wrong_scope_is_403(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "dr_bob", role=Role.PROFESSIONAL, verified=True)
    read_statuses_only = await user_token(client, "dr_ada", "read:statuses")
    me = await client.get("/api/v1/accounts/verify_credentials", headers=bearer(read_statuses_only))
    assert me.status_code == 403
    assert await me.get_json() == {"error": "This action is outside the authorized scopes"}
    read_only = await user_token(client, "dr_ada", "read")
    bob = await (
        await client.get(
            "/api/v1/accounts/lookup", query_string={"acct": "dr_bob"}, headers=bearer(read_only)
        )
    ).get_json()
    follow = await client.post(f"/api/v1/accounts/{bob['id']}/follow", headers=bearer(read_only))
    assert follow.status_code == 403 and "error" in await follow.get_json()


async def test_a_demoted_account_loses_write_scopes_at_once(client, state) -> None:  # type: ignore[no-untyped-def]
    from fediverse_cases.storage.models import Account

    await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    bob = await create_account(state, "dr_bob", role=Role.PROFESSIONAL, verified=True)
    token = await user_token(client, "dr_ada", "read write follow")
    async with state.transaction() as db:
        await db.execute(
            update(Account).where(Account.username == "dr_ada").values(verification_status="none")
        )
    async with state.sessionmaker() as db:
        from fediverse_cases.storage.repositories.accounts import get_actor_for_account

        bob_actor = await get_actor_for_account(db, bob.id)
    assert bob_actor is not None
    response = await client.post(f"/api/v1/accounts/{bob_actor.id}/follow", headers=bearer(token))
    assert response.status_code == 403


async def test_well_known_metadata_describes_the_endpoints(client) -> None:  # type: ignore[no-untyped-def]
    body = await (await client.get("/.well-known/oauth-authorization-server")).get_json()
    assert body["token_endpoint"] == "http://cases.test/oauth/token"
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert {"authorization_code", "client_credentials"} <= set(body["grant_types_supported"])
    assert {"read", "write", "follow", "push", "read:statuses", "write:media"} <= set(
        body["scopes_supported"]
    )


async def test_app_registration_rejects_bad_input(client) -> None:  # type: ignore[no-untyped-def]
    no_redirect = await client.post("/api/v1/apps", form={"client_name": "X"})
    assert no_redirect.status_code == 422 and "error" in await no_redirect.get_json()
    bad_scope = await client.post(
        "/api/v1/apps", form={"client_name": "X", "redirect_uris": REDIRECT_URI, "scopes": "read everything"}
    )
    assert bad_scope.status_code == 422
    script = await client.post(
        "/api/v1/apps", form={"client_name": "X", "redirect_uris": "javascript:alert(1)"}
    )
    assert script.status_code == 422


async def test_settings_page_lists_and_revokes_authorized_apps(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    token = await user_token(client, "dr_ada", "read")
    await sign_in(client, "dr_ada")
    page = await (await client.get("/settings/apps")).get_data(as_text=True)
    assert "Test Client" in page and "data-app-id=" in page
    app_id = page.split('data-app-id="')[1].split('"')[0]
    response = await post_form(client, f"/settings/apps/{app_id}/revoke", {}, page="/settings/apps")
    assert response.status_code == 302
    assert "No application has access" in await (await client.get("/settings/apps")).get_data(as_text=True)
    assert (await client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))).status_code == 401


async def test_tokens_command_issues_a_working_token(client, state, tmp_path) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "visitor", role=Role.VIEWER)
    config = tmp_path / "cli.toml"
    config.write_text(
        '[instance]\nname = "T"\nbase_url = "http://cases.test"\n'
        f'[database]\nurl = "{state.settings.database_url}"\n[session]\nsecret = "{"s" * 40}"\n'
    )
    import contextlib
    import io

    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        status = await asyncio.to_thread(
            cli_main, ["tokens", "create", "dr_ada", "--scopes", "read write", "--config", str(config)]
        )
    assert status == 0
    token = output.getvalue().strip()
    me = await client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    assert me.status_code == 200 and (await me.get_json())["username"] == "dr_ada"
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors):
        refused = await asyncio.to_thread(
            cli_main, ["tokens", "create", "visitor", "--scopes", "write", "--config", str(config)]
        )
    assert refused == 1 and "does not allow: write" in errors.getvalue()
