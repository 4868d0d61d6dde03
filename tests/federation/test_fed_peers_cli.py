"""`fediverse-cases peers ...` from the shell, against a real instance database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from fediverse_cases.cli import main
from tests.support.live import LiveInstance, free_port


class Cli:
    """Runs the real command-line entry point in this process (a subprocess costs seconds)."""

    def __init__(self, instance: LiveInstance, capsys: pytest.CaptureFixture[str]) -> None:
        self.config = str(instance.config_path)
        self.capsys = capsys

    def __call__(self, *args: str):  # type: ignore[no-untyped-def]
        self.capsys.readouterr()
        code = main([*args, "--config", self.config])
        out, err = self.capsys.readouterr()
        return type("Run", (), {"returncode": code, "stdout": out, "stderr": err})


def test_peers_cli_allows_lists_blocks_and_removes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    instance = LiveInstance("cli", free_port(), tmp_path / "cli")
    asyncio.run(instance.prepare())
    run = Cli(instance, capsys)

    allowed = run("peers", "allow", "Cases.Other-Hospital.org:443", "--vouch-professionals")
    assert allowed.returncode == 0, allowed.stderr
    assert "allowed cases.other-hospital.org (https) vouching" in allowed.stdout
    assert run("peers", "allow", "http://127.0.0.1:8123").returncode == 0

    listing = run("peers", "list")
    assert "cases.other-hospital.org\tallowed\thttps vouch-professionals" in listing.stdout
    assert "127.0.0.1:8123\tallowed\thttp" in listing.stdout

    assert run("peers", "block", "127.0.0.1:8123").returncode == 0
    assert "127.0.0.1:8123\tblocked" in run("peers", "list").stdout

    removed = run("peers", "remove", "127.0.0.1:8123", "--purge")
    assert removed.returncode == 0 and "purged 0 actors" in removed.stdout
    assert "127.0.0.1:8123" not in run("peers", "list").stdout


def test_peers_cli_refuses_bad_input_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    instance = LiveInstance("cli", free_port(), tmp_path / "cli")
    asyncio.run(instance.prepare())
    run = Cli(instance, capsys)
    bad = run("peers", "allow", "not a host!")
    assert bad.returncode == 1 and "not a host name" in bad.stderr
    own = run("peers", "allow", instance.host)
    assert own.returncode == 1 and "own host" in own.stderr
    unknown = run("peers", "vouch", "https://cases.other-hospital.org/users/x")
    assert unknown.returncode == 1 and "no remote actor" in unknown.stderr
