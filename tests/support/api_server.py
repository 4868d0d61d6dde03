"""Client-API test helpers: the OAuth dance through the Quart test client, bearer headers,
and a served instance with accounts for Mastodon.py (which needs a real HTTP server)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from quart.typing import TestClientProtocol

from tests.support.web import CSRF_RE, csrf_token, sign_in

REDIRECT_URI = "https://client.example/callback"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class RegisteredClient:
    client_id: str
    client_secret: str


async def register_app(
    client: TestClientProtocol, scopes: str = "read write follow push", redirect_uri: str = REDIRECT_URI
) -> RegisteredClient:
    response = await client.post(
        "/api/v1/apps",
        form={
            "client_name": "Test Client",
            "redirect_uris": redirect_uri,
            "scopes": scopes,
            "website": "https://client.example",
        },
    )
    assert response.status_code == 200, await response.get_data(as_text=True)
    body = await response.get_json()
    return RegisteredClient(body["client_id"], body["client_secret"])


def authorize_query(
    app: RegisteredClient, scopes: str, challenge: str = "", state: str = "xyz"
) -> dict[str, str]:
    query = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": scopes,
        "state": state,
    }
    if challenge:
        query.update(code_challenge=challenge, code_challenge_method="S256")
    return query


async def approve(client: TestClientProtocol, query: dict[str, str], decision: str = "approve") -> Any:
    """Open the consent page (signed in) and press a button; returns the redirect response."""
    page = await client.get("/oauth/authorize", query_string=query)
    html = await page.get_data(as_text=True)
    assert page.status_code == 200, html
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the consent page"
    token = match.group(1)
    return await client.post("/oauth/authorize", form={**query, "csrf_token": token, "decision": decision})


def code_from(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI), location
    return parse_qs(urlsplit(location).query)


async def user_token(
    client: TestClientProtocol,
    username: str,
    scopes: str = "read write follow push",
    app: RegisteredClient | None = None,
) -> str:
    """Sign ``username`` in, approve an app with PKCE and exchange the code for a token."""
    app = app or await register_app(client, scopes)
    await sign_in(client, username)
    verifier, challenge = pkce_pair()
    code = code_from(await approve(client, authorize_query(app, scopes, challenge)))["code"][0]
    response = await client.post(
        "/oauth/token",
        form={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
    )
    assert response.status_code == 200, await response.get_data(as_text=True)
    await client.post("/logout", form={"csrf_token": await csrf_token(client, "/")})
    return (await response.get_json())["access_token"]


def seed_served_accounts(config_path: str, accounts: list[tuple[str, str, bool]]) -> None:
    """Create (username, role, verified) accounts in a served instance's database, before start."""
    import asyncio

    from fediverse_cases.core.accounts import Role
    from fediverse_cases.settings import load_settings
    from tests.support.instances import create_account, make_state

    async def work() -> None:
        state = await make_state(load_settings(config_path))
        try:
            for username, role, verified in accounts:
                await create_account(state, username, role=Role(role), verified=verified)
        finally:
            await state.close()

    asyncio.run(work())


def approve_in_browser(base_url: str, authorize_url: str, username: str) -> str:
    """Sign in over real HTTP, approve the consent page, return the code from the redirect."""
    import re

    import httpx

    from tests.support.instances import PASSWORD

    with httpx.Client(base_url=base_url, follow_redirects=False, timeout=30) as browser:
        login = browser.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)  # type: ignore[union-attr]
        signed_in = browser.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
        )
        assert signed_in.status_code == 302, signed_in.text
        page = browser.get(authorize_url)
        assert page.status_code == 200, page.text
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
        approved = browser.post("/oauth/authorize", data={**fields, "decision": "approve"})
        assert approved.status_code == 200, approved.text  # out-of-band: the code is shown
        return re.search(r'id="authorization-code">([^<]+)<', approved.text).group(1)  # type: ignore[union-attr]
