"""Run fediverse-pasture's ``verify_actor`` server (tests/interop/bovine_peer/pasture_verify_actor.py,
in the Python peers' venv that install.sh builds) and ask it to check one of our actors."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from tests.interop.bovine_peer import PEER_DIR, PYTHON, ensure_installed
from tests.support.processes import log_tail, stop_process

# The six test actors verify_actor signs with (see fediverse_pasture.data_provider).
PASTURE_ACTORS = ("alice", "bob", "claire", "dean", "emily", "frank")


class PastureVerifyActor:
    def __init__(self, port: int, data_dir: Path) -> None:
        self.port = port
        self.data_dir = data_dir
        self.log_path = data_dir / "pasture.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> PastureVerifyActor:
        ensure_installed()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "wb")  # noqa: SIM115 (lives as long as the process)
        self._proc = subprocess.Popen(
            [str(PYTHON), str(PEER_DIR / "pasture_verify_actor.py"), "--port", str(self.port)],
            cwd=self.data_dir,  # it writes its generated actors (data.toml) to the working directory
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"verify_actor exited during start-up\n{self.log_tail()}")
            try:
                if (
                    httpx.get(
                        f"http://{self.host}/alice",
                        timeout=2.0,
                        headers={"Accept": "application/activity+json"},
                    ).status_code
                    < 500
                ):
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"verify_actor did not start\n{self.log_tail()}")

    def verify(self, actor_uri: str) -> dict[str, Any]:
        """verify_actor's JSON answer: ``{"result": {...}, "messages": "..."}``."""
        response = httpx.get(
            f"http://{self.host}/",
            params={"actor_uri": actor_uri},
            headers={"Accept": "application/json"},
            timeout=120,
        )
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        stop_process(proc)
