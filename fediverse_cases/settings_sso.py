"""The ``[sso]`` section of the instance file: OpenID Connect providers and password sign-in policy.

Owns the names, defaults and validation of the single sign-on settings (documented in
fediverse_cases/instance_config/example.toml). Stdlib only; ``settings.py`` calls
``sso_settings_from_mapping`` and turns ``SsoSettingsError`` into its own ``SettingsError``, so
a bad provider entry stops start-up with one line naming the setting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

ROLE_NAMES = ("viewer", "professional", "reviewer", "admin")
PROVIDER_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
# Asymmetric algorithms only: an HMAC-signed ID token would be "signed" with the client secret,
# which every deployment of the same client shares; "none" is never accepted.
DEFAULT_ID_TOKEN_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "EdDSA",
)


class SsoSettingsError(ValueError):
    """A ``[sso]`` setting is missing or invalid; the message names it."""


@dataclass(frozen=True)
class ClaimNames:
    """Which ID-token (or userinfo) claim carries each fact; empty means "not mapped"."""

    subject: str = "sub"
    email: str = "email"
    display_name: str = "name"
    username: str = "preferred_username"
    profession: str = ""
    institution: str = ""
    groups: str = ""


@dataclass(frozen=True)
class OidcProviderSettings:
    id: str
    label: str
    issuer: str
    client_id: str
    client_secret: str = ""
    scopes: tuple[str, ...] = ("openid", "profile", "email")
    claims: ClaimNames = field(default_factory=ClaimNames)
    # Group (or role) claim value -> one of ROLE_NAMES.
    group_roles: tuple[tuple[str, str], ...] = ()
    # Role of people in none of the mapped groups; "" refuses them (an "unmapped user").
    default_role: str = "viewer"
    # True: membership of a group mapped to "professional" makes the person a verified
    # professional at once. False: they land in the manual verification queue as today.
    trust_professional_claim: bool = False
    # Ask the provider to end its session too (RP-initiated logout) when it offers that.
    end_session: bool = True
    id_token_algorithms: tuple[str, ...] = DEFAULT_ID_TOKEN_ALGORITHMS
    clock_skew_seconds: int = 60

    @property
    def role_for_group(self) -> dict[str, str]:
        return dict(self.group_roles)


@dataclass(frozen=True)
class SsoSettings:
    providers: tuple[OidcProviderSettings, ...] = ()
    # False: only break-glass accounts may still sign in with a password; registration is closed.
    local_passwords: bool = True
    break_glass_accounts: tuple[str, ...] = ()

    def provider(self, provider_id: str) -> OidcProviderSettings | None:
        return next((p for p in self.providers if p.id == provider_id), None)


def sso_settings_from_mapping(raw: Mapping[str, Any]) -> SsoSettings:
    local_passwords = raw.get("local_passwords", True)
    if isinstance(local_passwords, str) and local_passwords.lower() in ("true", "false"):
        local_passwords = local_passwords.lower() == "true"
    if not isinstance(local_passwords, bool):
        raise SsoSettingsError(f"setting sso.local_passwords must be true or false, got {local_passwords!r}")
    break_glass = _names(raw, "sso.break_glass_accounts", "break_glass_accounts")
    providers_raw = raw.get("providers", [])
    if not isinstance(providers_raw, list) or not all(isinstance(p, Mapping) for p in providers_raw):
        raise SsoSettingsError("[[sso.providers]] must be a list of tables")
    providers = tuple(_provider(p, index) for index, p in enumerate(providers_raw))
    ids = [p.id for p in providers]
    if len(set(ids)) != len(ids):
        raise SsoSettingsError("setting sso.providers[].id must be unique")
    if not local_passwords and not providers:
        raise SsoSettingsError("setting sso.local_passwords = false needs at least one [[sso.providers]]")
    return SsoSettings(providers=providers, local_passwords=local_passwords, break_glass_accounts=break_glass)


def _provider(raw: Mapping[str, Any], index: int) -> OidcProviderSettings:
    where = f"sso.providers[{index}]"
    provider_id = _text(raw, where, "id", required=True)
    if not PROVIDER_ID_RE.match(provider_id):
        raise SsoSettingsError(f"setting {where}.id must be 1-32 lowercase letters, digits, - or _")
    where = f"sso.providers.{provider_id}"
    issuer = _text(raw, where, "issuer", required=True).rstrip("/")
    parts = urlsplit(issuer)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        raise SsoSettingsError(f"setting {where}.issuer must be the provider's https:// issuer URL")
    scopes = _names(raw, f"{where}.scopes", "scopes") or ("openid", "profile", "email")
    if "openid" not in scopes:
        raise SsoSettingsError(f"setting {where}.scopes must include openid")
    claims_raw = raw.get("claims", {})
    if not isinstance(claims_raw, Mapping):
        raise SsoSettingsError(f"[{where}.claims] must be a table")
    unknown = set(claims_raw) - set(ClaimNames.__dataclass_fields__)
    if unknown:
        raise SsoSettingsError(f"unknown setting {where}.claims.{sorted(unknown)[0]}")
    claims = ClaimNames(**{name: _text(claims_raw, f"{where}.claims", name) for name in claims_raw})
    if not claims.subject or not claims.email:
        raise SsoSettingsError(f"setting {where}.claims.subject and .email cannot be empty")
    roles_raw = raw.get("group_roles", {})
    if not isinstance(roles_raw, Mapping):
        raise SsoSettingsError(f"[{where}.group_roles] must be a table of group = role")
    for group, role in roles_raw.items():
        if role not in ROLE_NAMES:
            raise SsoSettingsError(
                f"setting {where}.group_roles.{group} must be one of {', '.join(ROLE_NAMES)}, got {role!r}"
            )
    if roles_raw and not claims.groups:
        raise SsoSettingsError(f"setting {where}.group_roles needs {where}.claims.groups")
    default_role = _text(raw, where, "default_role", default="viewer")
    if default_role not in ("", "viewer"):
        # Higher roles come from a group the admin named, never to everyone the provider knows.
        raise SsoSettingsError(
            f'setting {where}.default_role must be "viewer" or "" (refuse), got {default_role!r}'
        )
    algorithms = (
        _names(raw, f"{where}.id_token_algorithms", "id_token_algorithms") or DEFAULT_ID_TOKEN_ALGORITHMS
    )
    bad = [alg for alg in algorithms if alg not in DEFAULT_ID_TOKEN_ALGORITHMS]
    if bad:
        raise SsoSettingsError(
            f"setting {where}.id_token_algorithms may hold only {', '.join(DEFAULT_ID_TOKEN_ALGORITHMS)}"
        )
    skew = raw.get("clock_skew_seconds", 60)
    if isinstance(skew, bool) or not isinstance(skew, int) or not 0 <= skew <= 600:
        raise SsoSettingsError(f"setting {where}.clock_skew_seconds must be between 0 and 600")
    return OidcProviderSettings(
        id=provider_id,
        label=_text(raw, where, "label", default=f"Sign in with {provider_id}"),
        issuer=issuer,
        client_id=_text(raw, where, "client_id", required=True),
        client_secret=_text(raw, where, "client_secret"),
        scopes=scopes,
        claims=claims,
        group_roles=tuple((str(group), str(role)) for group, role in roles_raw.items()),
        default_role=default_role,
        trust_professional_claim=_flag(raw, where, "trust_professional_claim", False),
        end_session=_flag(raw, where, "end_session", True),
        id_token_algorithms=algorithms,
        clock_skew_seconds=skew,
    )


def _text(raw: Mapping[str, Any], where: str, key: str, *, required: bool = False, default: str = "") -> str:
    value = raw.get(key, default)
    if not isinstance(value, str):
        raise SsoSettingsError(f"setting {where}.{key} must be text")
    if required and not value.strip():
        raise SsoSettingsError(f"missing setting {where}.{key}")
    return value.strip()


def _flag(raw: Mapping[str, Any], where: str, key: str, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise SsoSettingsError(f"setting {where}.{key} must be true or false")
    return value


def _names(raw: Mapping[str, Any], dotted: str, key: str) -> tuple[str, ...]:
    value = raw.get(key, ())
    if isinstance(value, str):
        value = [item for item in value.replace(",", " ").split() if item]
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise SsoSettingsError(f"setting {dotted} must be a list of text values")
    return tuple(value)


def apply_secret_overrides(raw: dict[str, Any], env: Mapping[str, str]) -> None:
    """``FEDIVERSE_CASES_SSO_<ID>_CLIENT_SECRET`` (id upper-cased, - as _) replaces a provider's
    client_secret, so the secret can live in the service's environment instead of the file."""
    sso = raw.get("sso")
    providers = sso.get("providers") if isinstance(sso, dict) else None
    for provider in providers if isinstance(providers, list) else ():
        if isinstance(provider, dict) and isinstance(provider.get("id"), str):
            name = f"FEDIVERSE_CASES_SSO_{provider['id'].upper().replace('-', '_')}_CLIENT_SECRET"
            if name in env:
                provider["client_secret"] = env[name]
