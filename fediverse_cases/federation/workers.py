"""Background loops for the delivery, inbox and erasure re-check workers, inside ``serve`` or
``fediverse-cases worker``. Each loop calls ``run_once`` until nothing is due, then waits for a
wake-up (new rows written by this process) or ``poll_seconds``. A loop that names its queue
tables looks again after ``poll_seconds`` only if the host's change signal
(``storage/change_signal.py``) says one of them was written (by any process on this host) since
its last look, and otherwise every ``quiet_recheck_seconds``: that is when rows come due by the
clock alone (a retry's backoff, an expired lease) and when rows written on another host are
seen. Idle, the six loops of each worker process used to query the database twenty times a
second for nothing. Errors are logged and the loop carries on; the rows themselves are durable,
so stopping at any point loses nothing. Erasure re-checks are due minutes after they are queued,
so their loop polls less often (``erasure_poll_seconds``).

Queues owned by upper layers (the de-identification jobs of ``services.deid_jobs``) are handed
in as ``JobLoop`` values by whoever builds the workers (``serve``, ``fediverse-cases worker``):
this layer runs their loops the same way without importing them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from fediverse_cases.federation import delivery, erasure_jobs, inbox_worker
from fediverse_cases.federation.state import FederationState
from fediverse_cases.storage.change_signal import ANY, Versions

log = logging.getLogger(__name__)

DEFAULT_POLL_SECONDS = 0.3
DEFAULT_ERASURE_POLL_SECONDS = 5.0
# Retries back off for 5 s at least, and leases last minutes: looking every 2 s when no queue
# table was written keeps them on time without querying several times a second.
DEFAULT_QUIET_RECHECK_SECONDS = 2.0


@dataclass(frozen=True)
class JobLoop:
    """One more queue to work: ``step`` runs what is due and returns how many rows it handled;
    ``wake`` is set by this process when it writes a due row."""

    name: str
    step: Callable[[], Awaitable[int]]
    wake: asyncio.Event
    # How often to look when nothing woke it (None: the workers' poll interval).
    poll_seconds: float | None = None
    # The tables ``step`` claims from: while none of them is written, it looks only every
    # ``quiet_recheck_seconds``. Empty: it looks every ``poll_seconds``.
    tables: tuple[str, ...] = ()


class Workers:
    def __init__(
        self,
        state: FederationState,
        *,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        lease: timedelta | None = None,
        erasure_poll_seconds: float = DEFAULT_ERASURE_POLL_SECONDS,
        quiet_recheck_seconds: float = DEFAULT_QUIET_RECHECK_SECONDS,
        jobs: Sequence[JobLoop] = (),
        federation: bool = True,
    ) -> None:
        """``federation=False``: only the ``jobs`` loops (``serve`` with its federation workers off)."""
        self.state = state
        self.jobs = tuple(jobs)
        self.federation = federation
        self.poll_seconds = poll_seconds
        self.erasure_poll_seconds = max(poll_seconds, erasure_poll_seconds)
        self.quiet_recheck_seconds = quiet_recheck_seconds
        self.lease = lease
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._loop(job.name, job.step, job.wake, job.poll_seconds, job.tables))
            for job in self.jobs
        ]
        if not self.federation:
            return
        events = self.state.wake
        lease = self.lease
        deliver: Callable[[], Awaitable[int]] = (
            (lambda: delivery.run_once(self.state, lease=lease))
            if lease
            else (lambda: delivery.run_once(self.state))
        )
        process: Callable[[], Awaitable[int]] = (
            (lambda: inbox_worker.run_once(self.state, lease=lease))
            if lease
            else (lambda: inbox_worker.run_once(self.state))
        )
        self._tasks += [
            asyncio.create_task(self._loop("delivery", deliver, events.delivery, tables=("deliveries",))),
            asyncio.create_task(self._loop("inbox", process, events.inbox, tables=("inbox_items",))),
            asyncio.create_task(
                self._loop(
                    "erasure",
                    lambda: erasure_jobs.run_once(self.state),
                    events.erasure,
                    self.erasure_poll_seconds,
                    ("erasure_jobs",),
                )
            ),
        ]

    async def _loop(
        self,
        name: str,
        step: Callable[[], Awaitable[int]],
        wake: asyncio.Event,
        poll_seconds: float | None = None,
        tables: tuple[str, ...] = (),
    ) -> None:
        signal = self.state.change_signal
        watched = (ANY, *(f"table:{table}" for table in tables))
        while not self._stop.is_set():
            # Before the step: a row written while it runs is seen at the next look.
            before = signal.snapshot() if tables else b""
            looked_at = time.monotonic()
            try:
                done = await step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s worker step failed", name)
                done = 0
            if done:
                continue
            wake.clear()
            versions = signal.versions(before, watched) if tables else None
            await self._wait(wake, poll_seconds or self.poll_seconds, versions, looked_at)

    async def _wait(
        self, wake: asyncio.Event, poll_seconds: float, versions: Versions | None, looked_at: float
    ) -> None:
        """Until ``wake`` is set, or at a poll once the watched tables changed from ``versions``
        or the quiet recheck is due (``versions`` None: at the first poll)."""
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=poll_seconds)
                return
            if (
                versions is None
                or not self.state.change_signal.fresh(versions)
                or time.monotonic() - looked_at >= self.quiet_recheck_seconds
            ):
                return

    async def stop(self, timeout: float = 10.0) -> None:
        """Let the current step finish (bounded by ``timeout``), then cancel."""
        self._stop.set()
        for event in self.state.wake.all():
            event.set()
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(self._tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def run_until(self, stop: asyncio.Event) -> None:
        self.start()
        await stop.wait()
        await self.stop()
