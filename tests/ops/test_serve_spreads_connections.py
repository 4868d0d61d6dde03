"""`serve` with several workers spreads the connections of clients that connect at once among
the worker processes (each worker listens on its own socket: ``web/worker_processes.py``)."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import pytest

from tests.support.server import ServedInstance

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _worker_pids(instance: ServedInstance, count: int) -> set[str]:
    deadline = time.monotonic() + 30
    pids: set[str] = set()
    while time.monotonic() < deadline and len(pids) < count:
        log = (instance.root / "server.log").read_text()
        pids = {line.split("[")[2].split("]")[0] for line in log.splitlines() if "Running on" in line}
        time.sleep(0.2)
    assert len(pids) == count, pids
    return pids


def _socket_inodes(pid: str) -> set[str]:
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _server_side_inodes(server_port: int) -> dict[int, str]:
    """Client port -> inode of the server's end of each loopback connection to ``server_port``."""
    found = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        remote_port = int(fields[2].split(":")[1], 16)
        if local_port == server_port and remote_port:
            found[remote_port] = fields[9]
    return found


def test_connections_opened_at_once_are_served_by_every_worker(tmp_path: Path) -> None:
    instance = ServedInstance(tmp_path / "spread", workers=2)
    instance.prepare()
    instance.start()
    clients: list[socket.socket] = []
    try:
        pids = _worker_pids(instance, 2)
        # A burst of keep-alive connections, as a load balancer or a peer's delivery pool opens.
        clients = [socket.create_connection(("127.0.0.1", instance.port), timeout=10) for _ in range(16)]
        for client in clients:
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        for client in clients:
            assert client.recv(65536).startswith(b"HTTP/1.1 200")
        server_ends = _server_side_inodes(instance.port)
        ours = {server_ends[client.getsockname()[1]] for client in clients}
        served_by = {pid: len(ours & _socket_inodes(pid)) for pid in pids}
        assert sum(served_by.values()) == 16, served_by
        # The kernel hashes each connection to one worker: 16 all in one has odds of 1 in 32,768.
        assert all(count > 0 for count in served_by.values()), served_by
    finally:
        for client in clients:
            client.close()
        instance.stop()
