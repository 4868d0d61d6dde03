"""Running the app under hypercorn: one process, or several workers on the same port (each with its
own socket where the address allows it: ``web/worker_processes.py``)."""

from __future__ import annotations

import asyncio
import os
import signal

from hypercorn.asyncio import serve
from hypercorn.config import Config

from fediverse_cases.settings import Settings
from fediverse_cases.web.asgi import CONFIG_ENV, serving_app
from fediverse_cases.web.worker_processes import run_workers, separate_sockets_possible


def hypercorn_config(settings: Settings, host: str | None = None, port: int | None = None) -> Config:
    config = Config()
    config.bind = [f"{host or settings.server.host}:{port or settings.server.port}"]
    config.workers = settings.server.workers
    config.accesslog = None
    config.errorlog = "-"
    config.graceful_timeout = 5
    # Longer than the pauses of clients that poll (Mastodon.py waits 5 s between media checks,
    # hypercorn's own default): an idle connection closed just as the client reuses it is reset.
    config.keep_alive_timeout = 75
    return config


def serve_forever(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    config = hypercorn_config(settings, host, port)
    if settings.server.workers > 1:
        # Hypercorn's multi-process mode imports the app by name in each worker process.
        from hypercorn.run import run

        if settings.config_path is not None:
            os.environ[CONFIG_ENV] = str(settings.config_path)
        config.application_path = "fediverse_cases.web.asgi:app_from_environment()"
        exitcode = run_workers(config) if separate_sockets_possible(config) else run(config)
        if exitcode:
            raise SystemExit(exitcode)
        return
    asyncio.run(_serve_single(settings, config))


async def _serve_single(settings: Settings, config: Config) -> None:
    app = serving_app(settings)
    shutdown = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, shutdown.set)
    await serve(app, config, shutdown_trigger=shutdown.wait)  # type: ignore[arg-type]
