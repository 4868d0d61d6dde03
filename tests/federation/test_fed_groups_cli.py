"""`fediverse-cases groups ...` and `init --default-groups` from the shell, against a real
instance database; the groups they create are served at /groups/<slug> and by WebFinger."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from fediverse_cases.core.specialties import SPECIALTIES
from tests.federation.test_fed_peers_cli import Cli
from tests.support.live import LiveInstance, free_port


def test_groups_cli_creates_lists_and_names_moderators(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    instance = LiveInstance("cli", free_port(), tmp_path / "cli")
    asyncio.run(instance.prepare())
    asyncio.run(instance.create_account("drlee"))
    asyncio.run(instance.create_account("drkim"))
    run = Cli(instance, capsys)

    created = run(
        "groups", "create", "tumourboard", "--name", "Tumour board", "--join", "approval",
        "--specialty", "oncology", "--moderator", "drlee",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert f"acct:tumourboard@{instance.host}" in created.stdout
    listing = run("groups", "list").stdout
    assert "tumourboard\tTumour board\tjoin=approval\tmoderators=drlee\tmembers=0\tpending=0" in listing

    assert run("groups", "moderators", "tumourboard", "drlee", "drkim").returncode == 0
    assert "moderators=drkim,drlee" in run("groups", "list").stdout

    # A group's slug is a WebFinger name: a person's name, a taken slug or a bad one is refused.
    taken = run("groups", "create", "drlee", "--name", "Lee")
    assert taken.returncode == 1 and "already the name" in taken.stderr
    assert run("groups", "create", "tumourboard").returncode == 1
    bad = run("groups", "create", "No Spaces!")
    assert bad.returncode == 1 and "3-30 characters" in bad.stderr
    unknown = run("groups", "moderators", "tumourboard", "nobody")
    assert unknown.returncode == 1 and "no local account" in unknown.stderr


def test_init_offers_and_creates_the_default_groups(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = LiveInstance("cli", free_port(), tmp_path / "cli")
    asyncio.run(instance.prepare())
    monkeypatch.setenv("FEDIVERSE_CASES_ADMIN_PASSWORD", "a-long-admin-password")
    run = Cli(instance, capsys)
    plain = run("init")
    assert plain.returncode == 0 and "groups create --defaults" in plain.stdout
    assert run("groups", "list").stdout.strip() == "no groups"

    with_groups = run("init", "--default-groups")
    assert with_groups.returncode == 0, with_groups.stderr
    assert f"created {len(SPECIALTIES)}" in with_groups.stdout
    listing = run("groups", "list").stdout
    assert "cardiology\tCardiology\tjoin=peers\tmoderators=admin" in listing
    assert len(listing.strip().splitlines()) == len(SPECIALTIES)
    # Running it again keeps what exists.
    assert "created 0" in run("groups", "create", "--defaults").stdout
