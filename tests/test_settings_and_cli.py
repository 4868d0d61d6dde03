"""Settings loading and the administrator commands (`init`, `users ...`, `demo --no-serve`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fediverse_cases.settings import SettingsError, load_settings, settings_from_mapping

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "fediverse_cases" / "instance_config" / "example.toml"


def test_example_config_documents_a_loadable_instance() -> None:
    settings = load_settings(EXAMPLE, env={})
    assert settings.federation.mode == "allowlist"
    assert settings.instance.host == "cases.st-example-hospital.org"
    assert settings.media_dir == (EXAMPLE.parent / "media").resolve()


def test_environment_overrides_the_file() -> None:
    settings = load_settings(
        EXAMPLE,
        env={
            "FEDIVERSE_CASES_DATABASE_URL": "postgresql+asyncpg://cases@db:5432/cases",
            "FEDIVERSE_CASES_FEDERATION_MODE": "open",
            "FEDIVERSE_CASES_SERVER_PORT": "9000",
            "FEDIVERSE_CASES_FEDERATION_ALLOWLIST": "a.example, b.example:8443",
        },
    )
    assert settings.database_url.startswith("postgresql+asyncpg://")
    assert settings.federation.mode == "open"
    assert settings.server.port == 9000
    assert settings.federation.allowlist == ("a.example", "b.example:8443")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"FEDIVERSE_CASES_DATABASE_URL": "mysql://x"}, "database.url must start with"),
        ({"FEDIVERSE_CASES_FEDERATION_MODE": "everyone"}, "federation.mode must be one of"),
        ({"FEDIVERSE_CASES_SESSION_SECRET": "short"}, "session.secret must be at least 32"),
        ({"FEDIVERSE_CASES_SERVER_PORT": "eighty"}, "server.port must be a whole number"),
        ({"FEDIVERSE_CASES_INSTANCE_BASE_URL": "cases.example"}, "instance.base_url must be like"),
    ],
)
def test_invalid_setting_is_named_in_one_line(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(EXAMPLE, env=env)


def _cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fediverse_cases.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd or REPO,
        timeout=120,
    )


def test_missing_setting_stops_start_up_with_one_clear_line(tmp_path: Path) -> None:
    config = tmp_path / "instance.toml"
    config.write_text('[instance]\nname = "X"\nbase_url = "https://x.example"\n')
    result = _cli("users", "list", "--config", str(config))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "fediverse-cases: missing setting database.url (or environment variable FEDIVERSE_CASES_DATABASE_URL)"
    ]


def _write_config(tmp_path: Path, database_url: str) -> Path:
    config = tmp_path / "instance.toml"
    config.write_text(
        '[instance]\nname = "CLI Hospital"\nbase_url = "http://cli.test"\n'
        f'[database]\nurl = "{database_url}"\n[session]\nsecret = "{"s" * 40}"\n'
    )
    return config


def test_init_requires_a_password_and_creates_the_admin(tmp_path: Path) -> None:
    config = _write_config(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    no_password = _cli("init", "--config", str(config), env={"FEDIVERSE_CASES_ADMIN_PASSWORD": ""})
    assert no_password.returncode == 2 and "FEDIVERSE_CASES_ADMIN_PASSWORD" in no_password.stderr
    created = _cli("init", "--config", str(config), env={"FEDIVERSE_CASES_ADMIN_PASSWORD": "a strong secret"})
    assert created.returncode == 0, created.stderr
    assert "admin account 'admin' created" in created.stdout
    again = _cli("init", "--config", str(config), env={"FEDIVERSE_CASES_ADMIN_PASSWORD": "a strong secret"})
    assert again.returncode == 0 and "already existed" in again.stdout
    listing = _cli("users", "list", "--config", str(config))
    assert "admin" in listing.stdout and "admin " in listing.stdout.splitlines()[1]


def test_users_commands_verify_set_role_and_disable(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    prepared = _cli("demo", "--data-dir", str(data_dir), "--port", "8999", "--no-serve")
    assert prepared.returncode == 0, prepared.stderr
    assert "demo-password" in prepared.stdout
    config = str(data_dir / "instance.toml")
    listing = _cli("users", "list", "--config", config)
    rows = {line.split()[0]: line.split() for line in listing.stdout.splitlines()[1:]}
    assert rows["clinician"][1:3] == ["professional", "verified"]
    assert rows["reviewer"][1] == "reviewer" and rows["admin"][1] == "admin"

    assert _cli("users", "verify", "reviewer", "--config", config).returncode == 0
    assert _cli("users", "set-role", "reviewer", "admin", "--config", config).returncode == 0
    assert _cli("users", "disable", "clinician", "--config", config).returncode == 0
    rows = {
        line.split()[0]: line.split()
        for line in _cli("users", "list", "--config", config).stdout.splitlines()[1:]
    }
    assert rows["reviewer"][1:3] == ["admin", "verified"]
    assert rows["clinician"][3] == "disabled"

    missing = _cli("users", "disable", "nobody", "--config", config)
    assert missing.returncode == 1 and "no account named 'nobody'" in missing.stderr
    bad_role = _cli("users", "set-role", "admin", "emperor", "--config", config)
    assert bad_role.returncode == 2


def test_worker_once_processes_what_is_due_and_exits(tmp_path: Path) -> None:
    from tests.support.server import ServedInstance

    instance = ServedInstance(tmp_path / "worker")
    instance.prepare()
    result = instance.command("worker", "--once")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(
        "deliveries attempted: 0; inbox items processed: 0; erasure re-checks run: 0; "
        "de-identification jobs run: 0; push rows handled: 0; pages escalated: 0"
    )


def test_serve_runs_several_worker_processes(tmp_path: Path) -> None:
    import httpx

    from tests.support.server import ServedInstance

    instance = ServedInstance(tmp_path / "multi", workers=2)
    instance.prepare()
    instance.start()
    try:
        pids = {line.split("[")[2].split("]")[0] for line in _running_lines(instance)}
        assert len(pids) == 2, pids
        assert httpx.get(f"{instance.url}/login", timeout=5).status_code == 200
    finally:
        instance.stop()


def _running_lines(instance) -> list[str]:  # type: ignore[no-untyped-def]
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        lines = [
            line for line in (instance.root / "server.log").read_text().splitlines() if "Running on" in line
        ]
        if len(lines) >= 2:
            return lines
        time.sleep(0.2)
    return lines


def test_dicom_settings_map_ae_titles_and_refuse_bad_ones() -> None:
    base = {
        "instance": {"name": "x", "base_url": "https://cases.example.org"},
        "database": {"url": "sqlite+aiosqlite:///x.db"},
        "session": {"secret": "s" * 40},
    }
    settings = settings_from_mapping(
        {**base, "dicom": {"retain_patient_characteristics": False, "calling_ae_titles": {"PACS1": "dr_a"}}}
    )
    assert settings.dicom.calling_ae_titles == (("PACS1", "dr_a"),)
    assert settings.dicom.retain_patient_characteristics is False
    assert load_settings(EXAMPLE, env={}).dicom.listener_ae_title == "FEDICASES"
    with pytest.raises(SettingsError, match=r"dicom\.calling_ae_titles"):
        settings_from_mapping({**base, "dicom": {"calling_ae_titles": {"A" * 17: "dr_a"}}})
    with pytest.raises(SettingsError, match=r"dicom\.listener_ae_title"):
        settings_from_mapping({**base, "dicom": {"listener_ae_title": "BAD\\TITLE"}})
    with pytest.raises(SettingsError, match="workers = 1"):
        settings_from_mapping({**base, "server": {"workers": 2}, "dicom": {"listener_in_serve": True}})
