"""`fediverse-cases doctor` through the CLI, on a good instance and on broken ones."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.server import ServedInstance, free_port


class NodeinfoPeer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"links": []}).encode()
        self.send_response(200 if self.path == "/.well-known/nodeinfo" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def peer() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), NodeinfoPeer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> ServedInstance:
    """Shared by the tests that do not change it (each `init` costs seconds)."""
    served = ServedInstance(tmp_path_factory.mktemp("doctor"))
    served.prepare()  # writes the config and runs `init`
    return served


def _doctor(instance: ServedInstance, env: dict[str, str] | None = None) -> tuple[int, list[str]]:
    result = instance.command("doctor", env=env)
    return result.returncode, result.stdout.splitlines()


def test_a_good_instance_has_nothing_to_fix(instance: ServedInstance, peer: str) -> None:
    silent = f"127.0.0.1:{free_port()}"  # nothing listens there
    for host in (peer, silent):
        assert instance.command("peers", "allow", host, "--scheme", "http").returncode == 0
    code, lines = _doctor(instance)
    assert code == 0, lines
    assert lines[-1] == "Nothing to fix."
    assert not [line for line in lines if line.startswith("FIX")]
    assert any(line.startswith("ok   database") and "migrations at head" in line for line in lines)
    assert any(line.startswith("ok   keys") for line in lines)
    assert any(line.startswith("ok   peers") and f"{peer} answers (200)" in line for line in lines)
    assert any(line.startswith("WARN peers") and silent in line and "unreachable" in line for line in lines)


def test_a_broken_instance_gets_one_instruction_per_problem(tmp_path: Path) -> None:
    instance = ServedInstance(tmp_path)
    instance.prepare()
    instance.root.joinpath("private").chmod(0o755)
    with sqlite3.connect(instance.root / "instance.db") as db:
        db.execute("UPDATE actors SET private_key_pem = '' WHERE actor_type = 'Service'")
    placeholder = {"FEDIVERSE_CASES_SESSION_SECRET": "CHANGE-ME-to-at-least-32-characters-of-random-text"}
    code, lines = _doctor(instance, placeholder)
    assert code == 1, lines
    fixes = [line for line in lines if line.startswith("FIX")]
    assert any("session.secret is the example's placeholder" in line for line in fixes)
    assert any("readable by others: chmod 700" in line for line in fixes)
    assert any(line.startswith("FIX  keys") and "restore them from a backup" in line for line in fixes)
    assert lines[-1] == f"{len(fixes)} problem(s) to fix."


def test_a_database_without_migrations_is_named(instance: ServedInstance) -> None:
    empty = f"sqlite+aiosqlite:///{instance.root / 'never-initialised.db'}"
    code, lines = _doctor(instance, {"FEDIVERSE_CASES_DATABASE_URL": empty})
    assert code == 1
    assert any(line.startswith("FIX  database") and "run fediverse-cases init" in line for line in lines)


def test_settings_that_do_not_load_are_named(instance: ServedInstance) -> None:
    code, lines = _doctor(instance, {"FEDIVERSE_CASES_MEDIA_SERVE_MODE": "nginx"})
    assert code == 2
    assert lines == [
        "FIX  settings   setting media.serve_mode must be one of python, x-accel-redirect, x-sendfile, got 'nginx'"
    ]
