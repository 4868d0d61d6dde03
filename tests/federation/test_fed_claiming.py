"""Claiming deliveries safely: concurrent workers with separate engines never send a row twice,
and a worker killed with SIGKILL mid-fan-out loses nothing (its lease expires, another worker
re-claims the rows)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from fediverse_cases.core.accounts import Role
from fediverse_cases.federation import delivery
from fediverse_cases.federation.transport import Transport
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer
from fediverse_cases.storage.models import Delivery
from tests.support.deliveries import enqueue_create
from tests.support.http_peer import FakeHttpPeer, Reply
from tests.support.instances import create_account, make_settings, make_state
from tests.support.live import LiveInstance, free_port


async def queue_fan_out(state, inboxes: list[str]) -> None:  # type: ignore[no-untyped-def]
    async with state.transaction() as db:
        await enqueue_create(db, state, inboxes)


async def states_by_count(state) -> dict[str, int]:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        rows = await db.execute(select(Delivery.state, func.count(Delivery.id)).group_by(Delivery.state))
        return {name: int(n) for name, n in rows.all()}


async def test_concurrent_workers_with_separate_engines_never_send_a_row_twice(state, database_url, tmp_path):  # type: ignore[no-untyped-def]
    peer = await FakeHttpPeer(lambda _path: Reply(202, delay=0.01)).start()
    try:
        async with state.transaction() as db:
            await allow_peer(db, state, peer.host, Operator.system())
        await create_account(state, "drlee", role=Role.PROFESSIONAL, verified=True)
        await queue_fan_out(state, [peer.url(f"/inbox/{i}") for i in range(200)])
        other = await make_state(make_settings(database_url, tmp_path / "other"))
        try:
            for worker_state in (state, other):
                worker_state.transport = Transport(worker_state.settings, worker_state.allow_list)
            while True:
                counts = await asyncio.gather(
                    *(delivery.run_once(s, limit=25) for s in (state, other, state, other))
                )
                if not any(counts):
                    break
        finally:
            await other.close()
        assert len(peer.received) == 200
        assert set(peer.counts.values()) == {1}
        assert await states_by_count(state) == {"done": 200}
    finally:
        await peer.stop()


async def test_worker_killed_mid_fan_out_loses_no_delivery(tmp_path: Path) -> None:
    peer = await FakeHttpPeer(lambda _path: Reply(202, delay=1.0)).start()
    instance = LiveInstance("w", free_port(), tmp_path / "w", allow=[peer.host])
    await instance.prepare()
    await instance.create_account("drlee", Role.PROFESSIONAL, True)
    inboxes = [peer.url(f"/inbox/{i}") for i in range(40)]
    async with instance.state() as state:
        await queue_fan_out(state, inboxes)

    def start_worker() -> subprocess.Popen[bytes]:
        command = [
            sys.executable,
            "-m",
            "fediverse_cases.cli",
            "worker",
            "--config",
            str(instance.config_path),
        ]
        return subprocess.Popen(
            [*command, "--lease-seconds", "3", "--poll-seconds", "0.2"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    first = start_worker()
    try:
        deadline = time.monotonic() + 30
        while len(peer.received) < 5 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert peer.received, "the first worker never started sending"
        first.kill()  # SIGKILL mid-fan-out: replies are still pending
        await asyncio.to_thread(first.wait)
        async with instance.state() as state:
            assert (await states_by_count(state)).get("done", 0) == 0

        second = start_worker()
        try:
            deadline = time.monotonic() + 45
            async with instance.state() as state:
                while (await states_by_count(state)) != {"done": 40} and time.monotonic() < deadline:
                    await asyncio.sleep(0.2)
                assert await states_by_count(state) == {"done": 40}
        finally:
            second.terminate()
            await asyncio.to_thread(second.wait)
        assert {r.path for r in peer.received} == {f"/inbox/{i}" for i in range(40)}
    finally:
        if first.poll() is None:
            first.kill()
        await peer.stop()
