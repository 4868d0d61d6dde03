"""Several hypercorn worker processes, each listening on its own socket bound to the same port
(``SO_REUSEPORT``), so the kernel spreads new connections evenly among them.

Hypercorn's own multi-process runner shares one listening socket: every worker wakes on a new
connection and the first to run accepts everything queued, so the keep-alive connections of a
burst of clients (a browser's, a peer's delivery pool, a load test) all land in one process while
the others idle. With a socket per worker the kernel hashes each connection to one of them.

The parent binds the address first (an address in use fails here, at once, with hypercorn's
message) and keeps that socket bound without listening, so the port stays ours while a worker
restarts; it never accepts connections itself. A worker that exits cleanly is started again; one
that fails stops them all, as with hypercorn's runner.
"""

from __future__ import annotations

import signal
from multiprocessing import get_context
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from typing import Any

from hypercorn.asyncio.run import asyncio_worker, uvloop_worker
from hypercorn.config import Config

__all__ = ["run_workers", "separate_sockets_possible"]


def separate_sockets_possible(config: Config) -> bool:
    """Only TCP addresses can be bound by several processes (not ``unix:`` or ``fd://``)."""
    return (
        config.workers > 1
        and not config.ssl_enabled
        and not any(bind.startswith(("unix:", "fd://")) for bind in config.bind)
    )


def run_workers(config: Config) -> int:
    """Runs ``config.workers`` processes until SIGINT/SIGTERM; returns the exit code."""
    worker = uvloop_worker if config.worker_class == "uvloop" else asyncio_worker
    reserved = config.create_sockets()  # SO_REUSEPORT is set on them since workers > 1
    context = get_context("spawn")
    shutdown_event = context.Event()
    running = True

    def shutdown(*_args: Any) -> None:
        nonlocal running
        running = False
        shutdown_event.set()

    # Workers inherit an ignored SIGINT (a terminal's ^C reaches the whole group); they are
    # stopped through the shared event instead.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    processes: list[BaseProcess] = []
    exitcode = 0
    try:
        while running:
            while len(processes) < config.workers:
                # No sockets given: each worker creates its own, after the app has started.
                process = context.Process(
                    target=worker, kwargs={"config": config, "shutdown_event": shutdown_event}
                )
                process.daemon = config.daemon
                process.start()
                processes.append(process)
            signal.signal(signal.SIGINT, shutdown)
            signal.signal(signal.SIGTERM, shutdown)
            wait([process.sentinel for process in processes])
            for process in [process for process in processes if not process.is_alive()]:
                process.join()
                processes.remove(process)
                if process.exitcode:
                    exitcode = process.exitcode
                    shutdown()
    finally:
        shutdown_event.set()
        for process in processes:
            process.join(config.graceful_timeout + 5)
            if process.is_alive():
                process.terminate()
                process.join()
        for sock in reserved.insecure_sockets:
            sock.close()
    return exitcode
