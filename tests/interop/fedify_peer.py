"""Drive the Fedify interop peer (tests/interop/fedify_peer/) from Python.

Stdlib + httpx only; no pytest fixtures here.  Typical use::

    peer = FedifyPeer(18081)                   # or FedifyPeer(18081, first_knock="draft-cavage-http-signatures-12")
    peer.start()                               # installs node deps if needed, waits for health
    try:
        peer.follow("http://127.0.0.1:8000/users/alice")
        ...
        assert any(e["type"] == "Create" for e in peer.inbox())
    finally:
        peer.stop()

The peer is TEST ONLY: no auth on /_control/, private addresses allowed,
keys in memory.  See tests/interop/fedify_peer/README.md.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support.processes import stop_process

PEER_DIR = Path(__file__).resolve().parent / "fedify_peer"
NODE22 = PEER_DIR / "node_modules" / "node" / "bin" / "node"
INSTALL_SH = PEER_DIR / "install.sh"
PEER_SCRIPT = PEER_DIR / "peer.mjs"

FIRST_KNOCKS = ("rfc9421", "draft-cavage-http-signatures-12")


class FedifyPeerError(RuntimeError):
    pass


def ensure_installed(timeout: float = 600.0) -> None:
    """Run install.sh (idempotent; fast when already installed)."""
    try:
        proc = subprocess.run(
            ["bash", str(INSTALL_SH)],
            cwd=PEER_DIR,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as e:
        raise FedifyPeerError(f"install.sh timed out after {timeout}s") from e
    if proc.returncode != 0:
        raise FedifyPeerError(
            f"install.sh failed (exit {proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )


class FedifyPeer:
    """One Fedify peer process listening on 127.0.0.1:<port>.

    Its single actor is ``<base_url>/users/peer`` (Person, RSA key for HTTP
    signatures + Ed25519 key for Object Integrity Proofs).
    """

    def __init__(
        self,
        port: int,
        *,
        first_knock: str = "rfc9421",
        log_level: str = "info",
        log_dir: str | os.PathLike[str] | None = None,
        startup_timeout: float = 30.0,
        request_timeout: float = 30.0,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        if first_knock not in FIRST_KNOCKS:
            raise ValueError(f"first_knock must be one of {FIRST_KNOCKS}, got {first_knock!r}")
        self.port = int(port)
        self.first_knock = first_knock
        self.log_level = log_level
        self.startup_timeout = startup_timeout
        self.request_timeout = request_timeout
        self.extra_env = dict(extra_env or {})
        self._log_dir = Path(log_dir) if log_dir is not None else None
        self.log_path: Path | None = None
        self._log_file: Any = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._client: httpx.Client | None = None

    # ------------------------------------------------------------ urls --
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def actor_url(self) -> str:
        return f"{self.base_url}/users/peer"

    @property
    def inbox_url(self) -> str:
        return f"{self.actor_url}/inbox"

    @property
    def shared_inbox_url(self) -> str:
        return f"{self.base_url}/inbox"

    @property
    def handle(self) -> str:
        return f"peer@127.0.0.1:{self.port}"

    # ------------------------------------------------------- lifecycle --
    def start(self) -> FedifyPeer:
        if self._proc is not None and self._proc.poll() is None:
            return self
        if not NODE22.exists() or not (PEER_DIR / "node_modules" / "@fedify" / "fedify").exists():
            ensure_installed()
        log_dir = self._log_dir or Path(tempfile.mkdtemp(prefix="fedify-peer-"))
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"fedify-peer-{self.port}.log"
        self._log_file = open(self.log_path, "wb")  # noqa: SIM115 (lives as long as the peer process)
        env = {
            **os.environ,
            "FEDIFY_PEER_FIRST_KNOCK": self.first_knock,
            "FEDIFY_PEER_LOG": self.log_level,
            **self.extra_env,
        }
        self._proc = subprocess.Popen(
            [str(NODE22), str(PEER_SCRIPT), "--port", str(self.port)],
            cwd=PEER_DIR,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env=env,
        )
        self._client = httpx.Client(base_url=self.base_url, timeout=self.request_timeout, trust_env=False)
        deadline = time.monotonic() + self.startup_timeout
        last_err: str = ""
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._fail(f"fedify peer exited with code {self._proc.returncode} during startup")
            try:
                r = self._client.get("/_control/health", timeout=2.0)
                if r.status_code == 200:
                    return self
                last_err = f"health returned {r.status_code}"
            except httpx.HTTPError as e:
                last_err = repr(e)
            time.sleep(0.1)
        self._fail(f"fedify peer not healthy after {self.startup_timeout}s ({last_err})")
        raise AssertionError("unreachable")

    def _fail(self, message: str) -> None:
        tail = self.log_tail()
        self.stop()
        raise FedifyPeerError(f"{message}\n--- log tail ({self.log_path}) ---\n{tail}")

    def log_tail(self, lines: int = 60) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        if self._log_file is not None:
            with contextlib.suppress(ValueError):
                self._log_file.flush()
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        stop_process(proc)
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> FedifyPeer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # ------------------------------------------------------ control API --
    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        if self._client is None:
            raise FedifyPeerError("peer not started")
        r = self._client.request(method, path, json=body)
        if r.status_code != 200:
            raise FedifyPeerError(
                f"{method} {path} -> {r.status_code}: {r.text[:2000]}\n--- log tail ---\n{self.log_tail(30)}"
            )
        return r.json()

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/_control/health")

    def follow(self, actor_url: str) -> str:
        """Send Follow to a remote actor (by actor URL); returns the Follow id."""
        return self._call("POST", "/_control/follow", {"actor": actor_url})["id"]

    def unfollow(self, actor_url: str) -> str:
        """Send Undo(Follow); returns the Undo id."""
        return self._call("POST", "/_control/unfollow", {"actor": actor_url})["id"]

    def reply(self, in_reply_to: str, content: str, to: list[str] | str) -> str:
        """Send Create(Note) replying to in_reply_to, to+Mention the given actors, Public in cc.

        Returns the Note id (see reply_full() for the Create id and deliveries)."""
        return self.reply_full(in_reply_to, content, to)["id"]

    def reply_full(self, in_reply_to: str, content: str, to: list[str] | str) -> dict[str, Any]:
        if isinstance(to, str):
            to = [to]
        return self._call(
            "POST", "/_control/reply", {"inReplyTo": in_reply_to, "content": content, "to": list(to)}
        )

    def like(self, object_url: str, actor_url: str) -> str:
        """Send Like of object_url to actor_url's inbox; returns the Like id."""
        return self._call("POST", "/_control/like", {"object": object_url, "actor": actor_url})["id"]

    def inbox(self) -> list[dict[str, Any]]:
        """Accepted incoming activities (raw JSON under "activity", plus "verifiedBy")."""
        return self._call("GET", "/_control/inbox")

    def following(self) -> list[dict[str, Any]]:
        return self._call("GET", "/_control/following")

    def followers(self) -> list[dict[str, Any]]:
        return self._call("GET", "/_control/followers")

    def rejections(self) -> dict[str, Any]:
        """{"count": n, "rejections": [...]} — inbox POSTs answered 401/403."""
        return self._call("GET", "/_control/rejections")

    def sent(self) -> list[dict[str, Any]]:
        """Every outgoing HTTP request the peer made (signature scheme, proof, status)."""
        return self._call("GET", "/_control/sent")

    def reset(self) -> None:
        """Clear inbox, rejections and sent logs (keeps follow state)."""
        self._call("POST", "/_control/reset", {})

    def wait_for(self, predicate: Any, timeout: float = 10.0, interval: float = 0.1) -> dict[str, Any]:
        """Poll inbox() until an entry satisfies predicate(entry); returns it."""
        deadline = time.monotonic() + timeout
        while True:
            for entry in self.inbox():
                if predicate(entry):
                    return entry
            if time.monotonic() >= deadline:
                raise FedifyPeerError(
                    f"no matching inbox entry within {timeout}s\n--- log tail ---\n{self.log_tail(30)}"
                )
            time.sleep(interval)


__all__ = ["FIRST_KNOCKS", "NODE22", "PEER_DIR", "FedifyPeer", "FedifyPeerError", "ensure_installed"]
