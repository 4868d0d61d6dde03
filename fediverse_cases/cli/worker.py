"""`fediverse-cases worker`: the delivery, inbox, erasure re-check, de-identification job,
Web Push and page escalation workers as a separate process.

Several worker processes (and `serve` processes with background workers) can share one
PostgreSQL database: rows are claimed with leases and SKIP LOCKED. SIGTERM/SIGINT stop cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from datetime import UTC, datetime, timedelta

from fediverse_cases.cli.common import add_config_argument, run_with_state
from fediverse_cases.federation import delivery, erasure_jobs, inbox_worker
from fediverse_cases.federation.peers import seed_from_settings
from fediverse_cases.federation.workers import Workers
from fediverse_cases.services import deid_jobs, paging, push_jobs
from fediverse_cases.services.state import AppState


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("worker", help="run the federation and de-identification workers")
    add_config_argument(parser)
    parser.add_argument("--once", action="store_true", help="process what is due now, then exit")
    parser.add_argument(
        "--now",
        type=_utc_time,
        default=None,
        help="with --once: escalate pages as if it were this UTC time (ISO 8601), for drills and tests",
    )
    parser.add_argument(
        "--lease-seconds", type=int, default=120, help="how long a claimed row stays reserved (default 120)"
    )
    parser.add_argument("--poll-seconds", type=float, default=0.5, help="idle polling interval (default 0.5)")
    parser.set_defaults(handler=run_worker)


def _utc_time(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {value!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def run_worker(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    lease = timedelta(seconds=max(1, args.lease_seconds))

    async def work(state: AppState) -> None:
        await seed_from_settings(state)
        try:
            if args.once:
                # First: an escalation queues deliveries and pushes this same run then sends.
                escalated = await paging.escalate_due(state, now=args.now)
                sent = await delivery.run_once(state, lease=lease)
                handled = await inbox_worker.run_once(state, lease=lease)
                rechecked = await erasure_jobs.run_once(state, lease=lease)
                images = 0
                while ran := await deid_jobs.run_once(state, lease=lease):
                    images += ran
                pushes = await push_jobs.run_once(state, lease=lease)
                # A notification's fan-out row becomes one row per device: send those too.
                pushes += await push_jobs.run_once(state, lease=lease)
                print(
                    f"deliveries attempted: {sent}; inbox items processed: {handled}; "
                    f"erasure re-checks run: {rechecked}; de-identification jobs run: {images}; "
                    f"push rows handled: {pushes}; pages escalated: {escalated}"
                )
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            print(f"worker running for {state.settings.instance.base_url}", flush=True)
            jobs = [
                deid_jobs.job_loop(state, lease),
                push_jobs.job_loop(state, lease),
                paging.job_loop(state),
            ]
            await Workers(state, poll_seconds=args.poll_seconds, lease=lease, jobs=jobs).run_until(stop)
        finally:
            await state.transport.aclose()
            await state.push_transport.aclose()

    return run_with_state(args, work)
