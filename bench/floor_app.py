"""The floor under ``bench/http_load.py``: an ASGI app that answers every request with the same
small JSON document, served by hypercorn the way ``fediverse-cases serve`` serves ours (the same
worker processes, each with its own socket on the port). No route of ours can answer faster on
the same machine with the same load generator: this is what hypercorn itself costs.

    .venv/bin/python bench/floor_app.py PORT WORKERS
"""

# ruff: noqa: E402 - the imports below need the path fixed first
from __future__ import annotations

import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from hypercorn.config import Config

from fediverse_cases.web.worker_processes import run_workers

BODY = b'{"subject":"acct:floor@127.0.0.1","links":[]}'


async def app(
    scope: MutableMapping[str, Any],
    _receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
    send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
) -> None:
    if scope["type"] != "http":
        return
    headers = [(b"content-type", b"application/jrd+json"), (b"content-length", b"%d" % len(BODY))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": BODY})


def main() -> None:
    port, workers = int(sys.argv[1]), int(sys.argv[2])
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.workers = workers
    config.accesslog = None
    config.application_path = "bench.floor_app:app"
    raise SystemExit(run_workers(config))


if __name__ == "__main__":
    main()
