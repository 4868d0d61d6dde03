"""The OpenID Connect protocol towards one provider: discovery, the authorization request with
PKCE, the code exchange, ID-token verification and userinfo.

Authlib supplies the protocol rules (discovery metadata validation, the S256 code challenge, the
ID-token claim checks of OpenID Connect Core 3.1.3.7) and joserfc, Authlib's JOSE library, the
signature check against the provider's JWKS. The HTTP calls go through httpx to the issuer the
admin configured (not a user-supplied address), with timeouts and a response size cap.
Caches (metadata, JWKS) live on the ``OidcClients`` object held by the app state.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc import jwt
from joserfc.errors import (
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from fediverse_cases.services.sso_errors import SignInRefused
from fediverse_cases.settings_sso import OidcProviderSettings

HTTP_TIMEOUT = httpx.Timeout(10.0)
MAX_RESPONSE_BYTES = 512 * 1024
METADATA_TTL_SECONDS = 3600
JWKS_TTL_SECONDS = 600


class OidcError(SignInRefused):
    """The provider cannot be reached or its answer cannot be trusted."""


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class VerifiedSignIn:
    claims: dict[str, Any]


@dataclass
class _Cached:
    value: dict[str, Any]
    fetched: float


@dataclass
class OidcClients:
    """Provider metadata and key sets, fetched on first use and refreshed when stale (keys also
    when a token names a key id we do not have: providers rotate keys)."""

    metadata: dict[str, _Cached] = field(default_factory=dict)
    jwks: dict[str, _Cached] = field(default_factory=dict)

    async def provider_metadata(self, provider: OidcProviderSettings) -> dict[str, Any]:
        cached = self.metadata.get(provider.id)
        if cached and time.monotonic() - cached.fetched < METADATA_TTL_SECONDS:
            return cached.value
        document = await _get_json(f"{provider.issuer}/.well-known/openid-configuration", "discovery")
        # OpenID Connect Discovery 4.3: the document must name exactly the issuer we asked.
        if document.get("issuer") != provider.issuer:
            raise OidcError(
                "wrong_issuer",
                f"The sign-in service answered as {str(document.get('issuer'))[:200]!r}, "
                f"not as the configured {provider.issuer!r}.",
            )
        try:
            OpenIDProviderMetadata(document).validate()
        except ValueError as exc:
            raise OidcError(
                "bad_discovery", f"The sign-in service's configuration is invalid: {exc}"
            ) from None
        self.metadata[provider.id] = _Cached(document, time.monotonic())
        return document

    async def authorization_request(
        self, provider: OidcProviderSettings, redirect_uri: str
    ) -> AuthorizationRequest:
        metadata = await self.provider_metadata(provider)
        state, nonce, verifier = generate_token(43), generate_token(43), generate_token(64)
        query = {
            "response_type": "code",
            "client_id": provider.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(provider.scopes),
            "state": state,
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
        endpoint = metadata["authorization_endpoint"]
        separator = "&" if "?" in endpoint else "?"
        return AuthorizationRequest(f"{endpoint}{separator}{urlencode(query)}", state, nonce, verifier)

    async def complete(
        self, provider: OidcProviderSettings, *, code: str, redirect_uri: str, nonce: str, code_verifier: str
    ) -> VerifiedSignIn:
        """Exchange the code, verify the ID token, and merge userinfo claims for the same subject."""
        metadata = await self.provider_metadata(provider)
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        auth: httpx.Auth | None = None
        if provider.client_secret:
            auth = httpx.BasicAuth(provider.client_id, provider.client_secret)
        else:
            form["client_id"] = provider.client_id  # a public client, protected by PKCE alone
        tokens = await _post_json(metadata["token_endpoint"], form, auth)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("no_id_token", "The sign-in service sent no ID token.")
        access_token = tokens.get("access_token") if isinstance(tokens.get("access_token"), str) else None
        claims = await self._verify_id_token(provider, metadata, id_token, nonce, access_token)
        userinfo_url = metadata.get("userinfo_endpoint")
        if access_token and isinstance(userinfo_url, str):
            extra = await _get_json(userinfo_url, "userinfo", bearer=access_token)
            # OpenID Connect Core 5.3.4: userinfo for another subject must not be used.
            if extra.get("sub") != claims["sub"]:
                raise OidcError(
                    "userinfo_subject", "The sign-in service's user information is for someone else."
                )
            claims = {**extra, **claims}
        return VerifiedSignIn(claims)

    async def end_session_url(
        self, provider: OidcProviderSettings, post_logout_redirect_uri: str
    ) -> str | None:
        """RP-initiated logout, when the provider offers it (None also when it cannot be reached:
        our own sign-out has happened already and must not wait on the provider)."""
        if not provider.end_session:
            return None
        try:
            endpoint = (await self.provider_metadata(provider)).get("end_session_endpoint")
        except OidcError:
            return None
        if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
            return None
        query = urlencode(
            {"client_id": provider.client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
        )
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    async def _verify_id_token(
        self,
        provider: OidcProviderSettings,
        metadata: dict[str, Any],
        id_token: str,
        nonce: str,
        access_token: str | None,
    ) -> dict[str, Any]:
        keys = await self._key_set(provider, metadata, refresh=False)
        try:
            try:
                token = jwt.decode(id_token, keys, algorithms=list(provider.id_token_algorithms))
            except InvalidKeyIdError:
                # A key id we do not have: the provider may have rotated its keys since we fetched.
                keys = await self._key_set(provider, metadata, refresh=True)
                token = jwt.decode(id_token, keys, algorithms=list(provider.id_token_algorithms))
        except (JoseError, ValueError) as exc:
            raise OidcError("bad_signature", f"The ID token's signature is not valid ({exc}).") from None
        claims = CodeIDToken(
            token.claims,
            token.header,
            options={
                "iss": {"essential": True, "value": provider.issuer},
                "aud": {"essential": True, "value": provider.client_id},
                "exp": {"essential": True},
                "iat": {"essential": True},
                "sub": {"essential": True},
                "nonce": {"essential": True, "value": nonce},
            },
            params={"nonce": nonce, "client_id": provider.client_id, "access_token": access_token},
        )
        try:
            claims.validate(leeway=provider.clock_skew_seconds)
        except ExpiredTokenError:
            raise OidcError("expired_token", "The ID token has expired. Sign in again.") from None
        except (InvalidClaimError, MissingClaimError) as exc:
            claim = getattr(exc, "claim", "") or str(exc)
            reason = {"iss": "wrong_issuer", "aud": "wrong_audience", "nonce": "wrong_nonce"}.get(
                claim, "invalid_claim"
            )
            raise OidcError(reason, f"The ID token is not valid for this site ({claim}).") from None
        except JoseError as exc:
            raise OidcError("invalid_claim", f"The ID token is not valid: {exc.error}.") from None
        return dict(claims)

    async def _key_set(
        self, provider: OidcProviderSettings, metadata: dict[str, Any], *, refresh: bool
    ) -> KeySet:
        cached = self.jwks.get(provider.id)
        if refresh or not cached or time.monotonic() - cached.fetched > JWKS_TTL_SECONDS:
            cached = _Cached(await _get_json(metadata["jwks_uri"], "jwks"), time.monotonic())
            self.jwks[provider.id] = cached
        try:
            return KeySet.import_key_set(cached.value)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError):
            raise OidcError("bad_jwks", "The sign-in service's signing keys cannot be read.") from None


async def _get_json(url: str, what: str, *, bearer: str | None = None) -> dict[str, Any]:
    headers = {"Accept": "application/json"}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, follow_redirects=False) as client:
            response = await client.get(url, headers=headers)
    except httpx.HTTPError as exc:
        raise OidcError(
            "provider_unreachable", f"The sign-in service could not be reached ({what})."
        ) from exc
    return _json(response, what)


async def _post_json(url: str, form: dict[str, str], auth: httpx.Auth | None) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, follow_redirects=False) as client:
            response = await client.post(
                url, data=form, auth=auth or httpx.USE_CLIENT_DEFAULT, headers={"Accept": "application/json"}
            )
    except httpx.HTTPError as exc:
        raise OidcError("provider_unreachable", "The sign-in service could not be reached (token).") from exc
    return _json(response, "token")


def _json(response: httpx.Response, what: str) -> dict[str, Any]:
    if len(response.content) > MAX_RESPONSE_BYTES:
        raise OidcError("provider_error", f"The sign-in service's {what} answer is too large.")
    try:
        document = response.json()
    except ValueError:
        document = None
    if response.status_code != 200 or not isinstance(document, dict):
        error = document.get("error", "") if isinstance(document, dict) else ""
        raise OidcError(
            "provider_error",
            f"The sign-in service refused the {what} request (HTTP {response.status_code} {str(error)[:80]}).".replace(
                " )", ")"
            ),
        )
    return document
