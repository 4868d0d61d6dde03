"""`fediverse-cases dicom-listener --config FILE`: the DICOM C-STORE listener as its own process.

Listens on ``[dicom] listener_host``/``listener_port`` as ``listener_ae_title`` and accepts
associations only from ``[dicom.calling_ae_titles]``. SIGTERM/SIGINT stop it cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from fediverse_cases.cli.common import CommandError, add_config_argument, run_with_state
from fediverse_cases.services import dicom_listener
from fediverse_cases.services.state import AppState


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "dicom-listener", help="receive studies from a PACS by DICOM C-STORE (pynetdicom)"
    )
    add_config_argument(parser)
    parser.set_defaults(handler=run_listener)


def run_listener(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def work(state: AppState) -> None:
        if not state.settings.dicom.calling_ae_titles:
            raise CommandError("no [dicom.calling_ae_titles] configured: nobody could send a study")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            listener = dicom_listener.start(state, loop)
        except OSError as error:
            raise CommandError(f"cannot listen for DICOM: {error}") from None
        print(
            f"DICOM listener {state.settings.dicom.listener_ae_title} on "
            f"{state.settings.dicom.listener_host}:{listener.port}",
            flush=True,
        )
        try:
            await stop.wait()
        finally:
            # shutdown() joins pynetdicom's threads, which may be waiting on this loop: run it aside.
            await asyncio.to_thread(listener.stop)
            await listener.drain()

    return run_with_state(args, work)
