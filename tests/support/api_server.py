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
