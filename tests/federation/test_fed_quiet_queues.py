"""Idle worker loops do not query their queues several times a second: a loop looks again soon
after a write to its queue table by any process on this host (the change signal), and otherwise
only every ``quiet_recheck_seconds``, which is when rows come due by the clock alone."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from fediverse_cases.core.accounts import Role
from fediverse_cases.federation.transport import Transport
from fediverse_cases.federation.workers import Workers
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Delivery
from tests.support.deliveries import enqueue_create
from tests.support.http_peer import FakeHttpPeer, Reply
from tests.support.instances import create_account, make_state
from tests.support.statements import observing_statements

RECHECK = 2.0


async def queue_delivery(state: Any, inbox: str, due_in: timedelta) -> None:
    async with state.transaction() as db:
        await enqueue_create(db, state, [inbox])
        await db.execute(update(Delivery).values(next_attempt_at=utcnow() + due_in))


async def wait_for(condition: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_an_idle_delivery_loop_looks_on_a_write_from_another_process_and_on_the_clock(state):  # type: ignore[no-untyped-def]
    peer = await FakeHttpPeer(lambda _path: Reply(202)).start()
    # Another process of this instance on this host: its own engine, the same change signal.
    other = await make_state(state.settings)
    looks: list[float] = []

    def observe(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM deliveries" in statement:
            looks.append(time.monotonic())

    try:
        async with state.transaction() as db:
            await allow_peer(db, state, peer.host, Operator.system())
        await create_account(state, "drlee", role=Role.PROFESSIONAL, verified=True)
        state.transport = Transport(state.settings, state.allow_list)
        workers = Workers(state, poll_seconds=0.1, quiet_recheck_seconds=RECHECK)
        with observing_statements(state, observe):
            workers.start()
            try:
                await wait_for(lambda: looks, 5)
                first_look = looks[-1]
                # Idle: no look for the rest of the recheck interval (every 0.1 s before).
                await asyncio.sleep(RECHECK - 0.4)
                assert looks[-1] == first_look, f"{len(looks)} looks at an idle queue"
                # Then one look on the clock.
                await wait_for(lambda: looks[-1] > first_look, 1.5)
                clock_look = looks[-1]
                assert clock_look - first_look >= RECHECK - 0.05

                # A row written by the other process right after that look is looked for at
                # the next poll, not at the next recheck; it is due only in a second, so that
                # look claims nothing, and the clock brings it out without any further write.
                await queue_delivery(other, peer.url("/inbox"), timedelta(seconds=1))
                written = time.monotonic()
                await wait_for(lambda: looks[-1] > written, 0.9)
                assert not peer.received
                await wait_for(lambda: peer.received, RECHECK + 2)
                assert time.monotonic() - written >= 0.9
            finally:
                await workers.stop()
    finally:
        await other.close()
        await peer.stop()
