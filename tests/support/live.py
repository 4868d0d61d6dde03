"""Real fediverse-cases instances on loopback ports, for end-to-end federation tests.

    a = LiveInstance("a", free_port(), tmp_path / "a", allow=[b_host])
    await a.prepare()                      # config, migrations, instance actor, peers
    await a.create_account("clinician", Role.PROFESSIONAL, verified=True)
    await a.start()                        # `fediverse-cases serve` subprocess; waits for /healthz
    ...
    await a.stop()                         # SIGTERM (kill(): SIGKILL; restart(): stop + start)

Each instance has its own SQLite database (or a PostgreSQL URL passed as ``database_url``), its
own keys and its own allow-list. Loopback peers are allowed explicitly (with scheme http), never
by a debug switch. All methods that touch the database or the process are async.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from fediverse_cases.core.accounts import Role
from fediverse_cases.services.instance import initialize
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer, remove_peer
from fediverse_cases.services.state import AppState
from fediverse_cases.settings import load_settings
from tests.support.instances import create_account, fast_passwords


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value))


class LiveInstance:
    def __init__(
        self,
        name: str,
        port: int,
        root_dir: Path,
        database_url: str | None = None,
        allow: Iterable[str] = (),
        vouch: Iterable[str] = (),
        *,
        mode: str = "allowlist",
        settings: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.name = name
        self.port = port
        self.root_dir = Path(root_dir)
        self.database_url = database_url or f"sqlite+aiosqlite:///{self.root_dir / 'instance.sqlite'}"
        self.allow = list(allow)
        self.vouch = list(vouch)
        self.mode = mode
        self.extra_settings = settings or {}
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None

    # --- addresses -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.root_dir / "instance.toml"

    @property
    def log_path(self) -> Path:
        return self.root_dir / "server.log"

    def actor_url(self, username: str) -> str:
        return f"{self.url}/users/{username}"

    def handle(self, username: str) -> str:
        return f"@{username}@{self.host}"

    # --- preparing -------------------------------------------------------------------------

    def write_config(self) -> Path:
        sections: dict[str, dict[str, Any]] = {
            "instance": {"name": f"Hospital {self.name.upper()}", "base_url": self.url},
            "database": {"url": self.database_url},
            "media": {"dir": str(self.root_dir / "media"), "private_dir": str(self.root_dir / "private")},
            "session": {"secret": f"live-test-secret-{self.name}-" + "x" * 40},
            # One worker process unless a test asks for more (serve's default is one per core).
            "server": {"host": "127.0.0.1", "port": self.port, "workers": 1, "run_background_workers": True},
            "federation": {"mode": self.mode},
        }
        for section, values in self.extra_settings.items():
            sections.setdefault(section, {}).update(values)
        lines: list[str] = []
        for section, values in sections.items():
            lines.append(f"[{section}]")
            lines.extend(f"{key} = {_toml_value(value)}" for key, value in values.items())
            lines.append("")
        self.root_dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text("\n".join(lines), encoding="utf-8")
        return self.config_path

    @asynccontextmanager
    async def state(self) -> AsyncIterator[AppState]:
        """An AppState on this instance's database (works while the server runs); services called
        with it federate exactly as the app's do."""
        app_state = AppState.from_settings(load_settings(self.config_path, env={}))
        app_state.passwords = fast_passwords()
        try:
            yield app_state
        finally:
            await app_state.close()

    async def prepare(self) -> None:
        self.write_config()
        async with self.state() as app_state:
            await initialize(app_state)
            async with app_state.transaction() as db:
                for host in self.allow:
                    await allow_peer(db, app_state, host, Operator.system(), scheme="http")
                for host in self.vouch:
                    await allow_peer(
                        db, app_state, host, Operator.system(), scheme="http", vouch_professionals=True
                    )

    async def create_account(
        self, username: str, role: Role = Role.PROFESSIONAL, verified: bool = True
    ) -> None:
        async with self.state() as app_state:
            await create_account(app_state, username, role=role, verified=verified)

    async def allow_peer(self, host: str, *, vouch: bool = False) -> None:
        async with self.state() as app_state, app_state.transaction() as db:
            await allow_peer(db, app_state, host, Operator.system(), scheme="http", vouch_professionals=vouch)

    async def remove_peer(self, host: str, *, purge: bool = False) -> None:
        async with self.state() as app_state, app_state.transaction() as db:
            await remove_peer(db, app_state, host, Operator.system(), purge=purge)

    def run_cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run ``fediverse-cases ARGS --config <this instance>`` and return the finished process."""
        return subprocess.run(
            [sys.executable, "-m", "fediverse_cases.cli", *args, "--config", str(self.config_path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=_clean_env(),
        )

    # --- the server process ----------------------------------------------------------------

    # 90 s: on a loaded 2-core machine (the suite runs two test processes) a start can take long;
    # a healthy start returns as soon as it answers, so only a broken one waits this out.
    async def start(self, timeout: float = 90.0) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        self._log_file = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()/kill()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fediverse_cases.cli", "serve", "--config", str(self.config_path)],
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env=_clean_env(),
        )
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"instance {self.name} exited early; log:\n{self.log_tail()}")
                try:
                    if (await client.get(f"{self.url}/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        await self.kill()
        raise RuntimeError(f"instance {self.name} did not become healthy; log:\n{self.log_tail()}")

    async def stop(self, timeout: float = 15.0) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(self.process.wait, timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                await asyncio.to_thread(self.process.wait)
        self._close_log()

    async def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            await asyncio.to_thread(self.process.wait)
        self._close_log()

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(
                self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            )
        except FileNotFoundError:
            return "(no log)"


def _clean_env() -> dict[str, str]:
    # The parent's FEDIVERSE_CASES_* overrides must not leak into an instance's settings.
    return {k: v for k, v in os.environ.items() if not k.startswith("FEDIVERSE_CASES_")}
