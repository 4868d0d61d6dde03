"""Drive the bovine-herd interop peer (tests/interop/bovine_peer/) from Python.

The peer runs in its own venv (bovine-herd 0.5 needs quart<0.20); ``start()`` installs it on
first use through install.sh, the same script ``tests/run.sh`` runs. Typical use::

    peer = BovinePeer(free_port(), tmp_path / "bovine")
    peer.start()
    try:
        peer.post({"type": "Follow", "actor": peer.actor, "object": our_actor, "to": [our_actor]})
        ...
    finally:
        peer.stop()

The peer is TEST ONLY: its /_control/ routes have no auth (see bovine_peer/peer.py).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.support.processes import log_tail, stop_process

PEER_DIR = Path(__file__).resolve().parent / "bovine_peer"
PYTHON = PEER_DIR / ".venv" / "bin" / "python"
AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


class BovinePeerError(RuntimeError):
    pass


def ensure_installed(timeout: float = 600.0) -> None:
    """Run install.sh (idempotent; fast when already installed)."""
    proc = subprocess.run(
        ["bash", str(PEER_DIR / "install.sh")], capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        raise BovinePeerError(f"bovine install.sh failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


class BovinePeer:
    """One bovine-herd process on 127.0.0.1:<port> with one actor (handle ``herd``)."""

    def __init__(self, port: int, data_dir: Path, *, startup_timeout: float = 60.0) -> None:
        self.port = port
        self.data_dir = data_dir
        self.startup_timeout = startup_timeout
        self.log_path = data_dir / "bovine.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._client: httpx.Client | None = None
        self.info: dict[str, Any] = {}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def actor(self) -> str:
        return str(self.info["actor"])

    def start(self) -> BovinePeer:
        ensure_installed()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "wb")  # noqa: SIM115 (lives as long as the process)
        self._proc = subprocess.Popen(
            [
                str(PYTHON),
                str(PEER_DIR / "peer.py"),
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
            ],
            cwd=self.data_dir,  # bovine writes its JSON-LD cache to the working directory
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self._client = httpx.Client(base_url=self.base_url, timeout=30.0, trust_env=False)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise BovinePeerError(f"bovine peer exited during start-up\n{self.log_tail()}")
            try:
                response = self._client.get("/_control/health", timeout=5.0)
                if response.status_code == 200:
                    self.info = response.json()
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise BovinePeerError(f"bovine peer not healthy after {self.startup_timeout}s\n{self.log_tail()}")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        stop_process(proc)
        if self._client is not None:
            self._client.close()
            self._client = None

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        if self._client is None:
            raise BovinePeerError("peer not started")
        response = self._client.request(method, path, **kwargs)
        if response.status_code != 200:
            raise BovinePeerError(f"{method} {path} -> {response.status_code}\n{self.log_tail(20)}")
        return response.json()

    def upload_media(self, name: str, data: bytes) -> str:
        """Serve ``data`` at <base>/media/<name>; returns its URL."""
        return str(self._call("PUT", f"/_control/media/{name}", content=data)["url"])

    def post(self, activity: dict[str, Any]) -> str:
        """POST an activity to the actor's outbox (client-to-server, Moo-Auth-1); returns its id."""
        answer = self._call("POST", "/_control/outbox", json=activity)
        if answer["status"] != 201 or not answer["location"]:
            raise BovinePeerError(f"outbox answered {answer}\n{self.log_tail(20)}")
        return str(answer["location"])

    def inbox(self) -> list[dict[str, Any]]:
        """The actor's inbox as bovine serves it to its owner (activities, newest first)."""
        return list(self._call("GET", "/_control/inbox")["items"])

    def stored(self, object_id: str) -> dict[str, Any] | None:
        """What bovine's store holds for ``object_id`` (as the actor sees it), or None."""
        return self._call("GET", "/_control/object", params={"id": object_id})["object"]  # type: ignore[no-any-return]

    def wait_for(self, check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise BovinePeerError(f"timed out waiting for {what}\n{self.log_tail(30)}")
            time.sleep(0.3)


__all__ = ["AS_PUBLIC", "BovinePeer", "BovinePeerError", "ensure_installed"]
