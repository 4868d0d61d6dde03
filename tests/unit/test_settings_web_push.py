"""The ``[web_push]`` settings: which private push hosts an admin allowed (normalised like every
host), the VAPID contact, one-line errors naming the setting, and the example file's values."""

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


def test_defaults_allow_no_private_push_host() -> None:
    web_push = settings_from_mapping(BASE).web_push
    assert web_push.allowed_private_hosts == () and web_push.contact == ""


def test_allowed_hosts_are_normalised_and_bad_ones_named() -> None:
    web_push = settings_from_mapping(
        {
            **BASE,
            "web_push": {
                "allowed_private_hosts": ["Relay.Hospital.Internal:443", "127.0.0.1:8765"],
                "contact": "mailto:it@hospital.test",
            },
        }
    ).web_push
    assert web_push.allowed_private_hosts == ("relay.hospital.internal", "127.0.0.1:8765")
    assert web_push.contact == "mailto:it@hospital.test"
    with pytest.raises(SettingsError, match=r"web_push\.allowed_private_hosts"):
        settings_from_mapping({**BASE, "web_push": {"allowed_private_hosts": ["http://relay/"]}})
    with pytest.raises(SettingsError, match=r"web_push\.contact"):
        settings_from_mapping({**BASE, "web_push": {"contact": "it@hospital.test"}})


def test_environment_override_and_example_file(tmp_path: Path) -> None:
    config = tmp_path / "instance.toml"
    config.write_text(
        '[instance]\nname = "T"\nbase_url = "https://cases.test"\n[database]\nurl = "sqlite+aiosqlite:///x.db"\n'
        f'[session]\nsecret = "{"s" * 40}"\n'
    )
    settings = load_settings(config, env={"FEDIVERSE_CASES_WEB_PUSH_ALLOWED_PRIVATE_HOSTS": "10.0.0.5:8080"})
    assert settings.web_push.allowed_private_hosts == ("10.0.0.5:8080",)
    example = tomllib.loads(EXAMPLE.read_text())["web_push"]
    assert example == {"contact": "", "allowed_private_hosts": []}
