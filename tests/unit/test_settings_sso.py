"""The ``[sso]`` settings: a bad provider entry stops start-up with one line naming the setting,
and the client secret can come from the environment."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from fediverse_cases.settings import SettingsError, load_settings, settings_from_mapping

BASE = {
    "instance": {"name": "Test", "base_url": "https://cases.test"},
    "database": {"url": "sqlite+aiosqlite:///x.db"},
    "session": {"secret": "s" * 40},
}
EXAMPLE = Path(__file__).resolve().parents[2] / "fediverse_cases" / "instance_config" / "example.toml"
PROVIDER = {"id": "hospital", "issuer": "https://login.test/realms/staff", "client_id": "cases"}


def _sso(sso: dict) -> object:
    return settings_from_mapping({**BASE, "sso": sso}).sso


def test_providers_load_with_defaults_and_mappings() -> None:
    sso = _sso(
        {
            "providers": [
                {
                    **PROVIDER,
                    "issuer": "https://login.test/realms/staff/",
                    "claims": {"groups": "roles", "profession": "title"},
                    "group_roles": {"cases-admins": "admin", "clinicians": "professional"},
                    "trust_professional_claim": True,
                },
                {"id": "registry", "issuer": "https://registry.test", "client_id": "r", "default_role": ""},
            ]
        }
    )
    hospital = sso.provider("hospital")  # type: ignore[attr-defined]
    assert hospital.issuer == "https://login.test/realms/staff"  # the trailing slash is not the issuer's
    assert hospital.scopes == ("openid", "profile", "email")
    assert hospital.claims.subject == "sub" and hospital.claims.groups == "roles"
    assert hospital.role_for_group == {"cases-admins": "admin", "clinicians": "professional"}
    assert hospital.trust_professional_claim and hospital.end_session
    assert sso.provider("registry").default_role == ""  # type: ignore[attr-defined]
    assert sso.local_passwords  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("sso", "message"),
    [
        ({"providers": [{**PROVIDER, "client_id": ""}]}, "missing setting sso.providers.hospital.client_id"),
        ({"providers": [{**PROVIDER, "id": "Hospital One"}]}, r"sso.providers\[0\].id must be"),
        ({"providers": [PROVIDER, PROVIDER]}, "id must be unique"),
        ({"providers": [{**PROVIDER, "issuer": "login.test"}]}, "issuer must be the provider's"),
        ({"providers": [{**PROVIDER, "scopes": ["profile"]}]}, "scopes must include openid"),
        (
            {"providers": [{**PROVIDER, "claims": {"groups": "g"}, "group_roles": {"x": "superuser"}}]},
            "group_roles.x must be one of viewer, professional, reviewer, admin",
        ),
        ({"providers": [{**PROVIDER, "group_roles": {"x": "admin"}}]}, "group_roles needs"),
        ({"providers": [{**PROVIDER, "default_role": "admin"}]}, "default_role must be"),
        (
            {"providers": [{**PROVIDER, "id_token_algorithms": ["HS256"]}]},
            "id_token_algorithms may hold only",
        ),
        (
            {"providers": [{**PROVIDER, "claims": {"mail": "x"}}]},
            "unknown setting sso.providers.hospital.claims.mail",
        ),
        ({"local_passwords": False}, "needs at least one"),
    ],
)
def test_invalid_sso_setting_is_named(sso: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        _sso(sso)


def test_client_secret_comes_from_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "instance.toml"
    config.write_text(
        '[instance]\nname = "T"\nbase_url = "https://cases.test"\n[database]\nurl = "sqlite+aiosqlite:///x"\n'
        f'[session]\nsecret = "{"s" * 40}"\n'
        '[[sso.providers]]\nid = "st-mary"\nissuer = "https://idp.test"\nclient_id = "c"\nclient_secret = "file"\n'
    )
    assert load_settings(config, env={}).sso.providers[0].client_secret == "file"
    env = {"FEDIVERSE_CASES_SSO_ST_MARY_CLIENT_SECRET": "from-env"}
    assert load_settings(config, env=env).sso.providers[0].client_secret == "from-env"


def test_the_worked_examples_in_example_toml_load() -> None:
    lines = EXAMPLE.read_text().splitlines()
    start = lines.index("# [sso]")
    end = lines.index("# # end of [sso]")
    block = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines[start:end])
    keycloak, entra = settings_from_mapping({**BASE, **tomllib.loads(block)}).sso.providers
    assert keycloak.issuer.endswith("/realms/staff") and keycloak.trust_professional_claim
    assert keycloak.role_for_group["cases-professionals"] == "professional"
    assert keycloak.claims.profession == "profession" and keycloak.default_role == ""
    assert entra.claims.subject == "oid" and entra.claims.groups == "roles"
    assert entra.role_for_group["Cases.Admin"] == "admin" and not entra.trust_professional_claim


def test_password_sign_in_can_be_turned_off_from_the_environment(tmp_path: Path) -> None:
    env = {
        "FEDIVERSE_CASES_SSO_LOCAL_PASSWORDS": "false",
        "FEDIVERSE_CASES_SSO_BREAK_GLASS_ACCOUNTS": "admin, root_admin",
    }
    config = tmp_path / "instance.toml"
    config.write_text(
        EXAMPLE.read_text() + '\n[[sso.providers]]\nid = "h"\nissuer = "https://idp.test"\nclient_id = "c"\n'
    )
    sso = load_settings(config, env=env).sso
    assert not sso.local_passwords and sso.break_glass_accounts == ("admin", "root_admin")
