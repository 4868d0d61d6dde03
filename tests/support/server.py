"""A real `fediverse-cases serve` process on a free loopback port, prepared with `init`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ADMIN_PASSWORD = "admin password for tests"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_answering(process: subprocess.Popen[bytes], url: str, log: Path, timeout: float) -> None:
    """Poll ``url`` until it answers 200; a process that exits or never answers fails with its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(log.read_text()[-3000:])
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer:\n" + log.read_text()[-3000:])


@dataclass
class ServedInstance:
    root: Path
    port: int = field(default_factory=free_port)
    workers: int = 1
    # Empty: a SQLite file in ``root``; else e.g. a PostgreSQL test database's URL.
    database_url: str = ""
    # More TOML, appended right after the [server] section: its keys first, then whole sections.
    extra_config: str = ""
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.root / "instance.toml"

    def command(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "fediverse_cases.cli", *args, "--config", str(self.config_path)],
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            timeout=120,
            check=False,
        )

    def prepare(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        database_url = self.database_url or f"sqlite+aiosqlite:///{self.root / 'instance.db'}"
        self.config_path.write_text(
            "[instance]\n"
            'name = "Browser Test Hospital"\n'
            f'base_url = "{self.url}"\n'
            f'[database]\nurl = "{database_url}"\n'
            f'[session]\nsecret = "{"x" * 48}"\n'
            f"[server]\nport = {self.port}\nworkers = {self.workers}\n"
            f"{self.extra_config}"
        )
        result = self.command("init", env={"FEDIVERSE_CASES_ADMIN_PASSWORD": ADMIN_PASSWORD})
        assert result.returncode == 0, result.stderr

    def start(self, timeout: float = 30.0) -> None:
        log = open(self.root / "server.log", "wb")  # noqa: SIM115 (closed with the process)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fediverse_cases.cli", "serve", "--config", str(self.config_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_until_answering(self.process, f"{self.url}/healthz", self.root / "server.log", timeout)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
