"""Background loops for the delivery, inbox and erasure re-check workers, inside ``serve`` or
``fediverse-cases worker``. Each loop calls ``run_once`` until nothing is due, then waits for a wake-up (new rows
written by this process) or ``poll_seconds``. Errors are logged and the loop carries on; the
rows themselves are durable, so stopping at any point loses nothing. Erasure re-checks are due
minutes after they are queued, so their loop polls less often (``erasure_poll_seconds``).

Queues owned by upper layers (the de-identification jobs of ``services.deid_jobs``) are handed
in as ``JobLoop`` values by whoever builds the workers (``serve``, ``fediverse-cases worker``):
this layer runs their loops the same way without importing them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from fediverse_cases.federation import delivery, erasure_jobs, inbox_worker
from fediverse_cases.federation.state import FederationState

log = logging.getLogger(__name__)

DEFAULT_POLL_SECONDS = 0.3
DEFAULT_ERASURE_POLL_SECONDS = 5.0


@dataclass(frozen=True)
class JobLoop:
    """One more queue to work: ``step`` runs what is due and returns how many rows it handled;
    ``wake`` is set by this process when it writes a due row."""

    name: str
    step: Callable[[], Awaitable[int]]
    wake: asyncio.Event
    # How often to look when nothing woke it (None: the workers' poll interval).
    poll_seconds: float | None = None


class Workers:
    def __init__(
        self,
        state: FederationState,
        *,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        lease: timedelta | None = None,
        erasure_poll_seconds: float = DEFAULT_ERASURE_POLL_SECONDS,
        jobs: Sequence[JobLoop] = (),
        federation: bool = True,
    ) -> None:
        """``federation=False``: only the ``jobs`` loops (``serve`` with its federation workers off)."""
        self.state = state
        self.jobs = tuple(jobs)
        self.federation = federation
        self.poll_seconds = poll_seconds
        self.erasure_poll_seconds = max(poll_seconds, erasure_poll_seconds)
        self.lease = lease
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._loop(job.name, job.step, job.wake, job.poll_seconds))
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
            asyncio.create_task(self._loop("delivery", deliver, events.delivery)),
            asyncio.create_task(self._loop("inbox", process, events.inbox)),
            asyncio.create_task(
                self._loop(
                    "erasure",
                    lambda: erasure_jobs.run_once(self.state),
                    events.erasure,
                    self.erasure_poll_seconds,
                )
            ),
        ]

    async def _loop(
        self,
        name: str,
        step: Callable[[], Awaitable[int]],
        wake: asyncio.Event,
        poll_seconds: float | None = None,
    ) -> None:
        while not self._stop.is_set():
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
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=poll_seconds or self.poll_seconds)

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
