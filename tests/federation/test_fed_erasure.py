"""The erasure report of a withdrawn case: the automatic re-check of peers, queued as a durable
job once the last Delete delivery of the case is finished, and the "Re-check peers now" button
(CSRF-protected; author, reviewers and admins only, a stranger gets 404)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from fediverse_cases.core.accounts import Role
from fediverse_cases.federation import delivery, erasure, erasure_jobs, outbox
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Case, Delivery, ErasureCheck, ErasureJob
from tests.support.case_rows import actor_of, insert_case
from tests.support.fed_peer import FakeNetwork, FakePeer, install_fake_network
from tests.support.instances import create_account
from tests.support.web import CSRF_RE, sign_in

PEERS = ("b.example", "c.example")


class Withdrawn:
    """A case that went to two peers and was then withdrawn (its Deletes are queued)."""

    def __init__(self, state: Any, network: FakeNetwork, case: Case) -> None:
        self.state, self.network, self.case = state, network, case

    def copy_status(self, host: str, held: bool) -> None:
        url = erasure.copy_status_url("https", host, self.case.ap_id)
        self.network.canned[url] = (200, {"held": True}) if held else (404, {"held": False})

    def inbox_answers(self, host: str, status: int) -> None:
        self.network.canned[f"https://{host}/inbox"] = (status, {})

    async def job(self) -> ErasureJob | None:
        async with self.state.sessionmaker() as db:
            found = await db.execute(select(ErasureJob).where(ErasureJob.case_id == self.case.id))
            return found.scalar_one_or_none()

    async def checks(self) -> dict[str, str]:
        async with self.state.sessionmaker() as db:
            rows = await db.execute(select(ErasureCheck).where(ErasureCheck.case_id == self.case.id))
            return {row.peer_host: row.result for row in rows.scalars()}


@pytest.fixture
async def withdrawn(state) -> Withdrawn:  # type: ignore[no-untyped-def]
    network = install_fake_network(state, [FakePeer(host, "hospital") for host in PEERS])
    alice = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, alice)
    author = await actor_of(state, alice)
    async with state.transaction() as db:
        for host in PEERS:
            await allow_peer(db, state, host, Operator.system(), scheme="https")
        create = {"id": f"{case.ap_id}#create", "type": "Create", "actor": author.uri, "object": case.ap_id}
        inboxes = [f"https://{host}/inbox" for host in PEERS]
        await outbox.enqueue(db, state, activity=create, sender=author, inboxes=inboxes, object_id=case.ap_id)
    assert await delivery.run_once(state) == 2
    async with state.transaction() as db:
        stored = await db.get(Case, case.id)
        assert stored is not None
        stored.state = "withdrawn"
        assert await erasure.send_withdrawal(db, state, stored, author) == 2
    return Withdrawn(state, network, case)


def _later(extra: timedelta = timedelta(0)) -> Any:
    return utcnow() + erasure_jobs.RECHECK_DELAY + timedelta(seconds=1) + extra


async def test_recheck_is_queued_only_after_the_last_delete_delivery_finishes(state, withdrawn) -> None:  # type: ignore[no-untyped-def]
    withdrawn.inbox_answers("c.example", 503)  # b takes the Delete, c asks to retry
    assert await delivery.run_once(state) == 2
    assert await withdrawn.job() is None  # c's Delete is still pending

    withdrawn.inbox_answers("c.example", 202)
    async with state.transaction() as db:
        await db.execute(update(Delivery).where(Delivery.state == "pending").values(next_attempt_at=utcnow()))
    assert await delivery.run_once(state) == 1
    job = await withdrawn.job()
    assert job is not None and job.state == "pending"

    # Not at once: peers need time to process the Delete they accepted into their inbox.
    assert await erasure_jobs.run_once(state) == 0
    assert await withdrawn.checks() == {}

    withdrawn.copy_status("b.example", held=False)
    withdrawn.copy_status("c.example", held=True)
    assert await erasure_jobs.run_once(state, now=_later()) == 1
    assert await withdrawn.checks() == {"b.example": "gone", "c.example": "still_served"}
    job = await withdrawn.job()
    assert job is not None and job.state == "pending" and job.attempts == 1  # c is asked again later

    withdrawn.copy_status("c.example", held=False)
    assert await erasure_jobs.run_once(state, now=_later(erasure_jobs.RETRY_BASE)) == 1
    assert await withdrawn.checks() == {"b.example": "gone", "c.example": "gone"}
    job = await withdrawn.job()
    assert job is not None and job.state == "done"
    assert await erasure_jobs.run_once(state, now=_later(timedelta(days=30))) == 0


async def test_recheck_is_queued_when_a_delete_delivery_fails(state, withdrawn) -> None:  # type: ignore[no-untyped-def]
    withdrawn.inbox_answers("c.example", 400)  # final: the Delete failed
    await delivery.run_once(state)
    async with state.sessionmaker() as db:
        states = {
            d.peer_host: d.state
            for d in (await db.execute(select(Delivery))).scalars()
            if d.activity_type == "Delete"
        }
    assert states == {"b.example": "done", "c.example": "failed"}
    job = await withdrawn.job()
    assert job is not None and job.state == "pending"


async def test_peer_that_keeps_serving_the_case_makes_the_job_give_up(state, withdrawn) -> None:  # type: ignore[no-untyped-def]
    await delivery.run_once(state)
    withdrawn.copy_status("b.example", held=False)
    withdrawn.copy_status("c.example", held=True)
    for attempt in range(erasure_jobs.MAX_ATTEMPTS):
        assert await erasure_jobs.run_once(state, now=_later(timedelta(days=attempt + 1))) == 1
    job = await withdrawn.job()
    assert job is not None and job.state == "gave_up" and "c.example" in job.last_error


async def _form_token(client: Any, page: str) -> str:
    match = CSRF_RE.search(await (await client.get(page)).get_data(as_text=True))
    assert match, f"no CSRF token on {page}"
    return match.group(1)


@pytest.mark.parametrize("who", ["alice", "rita", "adam"])
async def test_recheck_button_rechecks_peers_for_author_reviewer_and_admin(
    state, app, withdrawn, who
) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "rita", role=Role.REVIEWER, verified=True)
    await create_account(state, "adam", role=Role.ADMIN, verified=True)
    await delivery.run_once(state)
    withdrawn.copy_status("b.example", held=False)
    withdrawn.copy_status("c.example", held=True)
    client = app.test_client()
    await sign_in(client, who)
    page = f"/cases/{withdrawn.case.public_id}/erasure"
    token = await _form_token(client, page)
    response = await client.post(f"{page}/recheck", form={"csrf_token": token})
    assert response.status_code == 302
    assert await withdrawn.checks() == {"b.example": "gone", "c.example": "still_served"}
    html = await (await client.get(page)).get_data(as_text=True)
    assert "Re-checked 2 peer(s)." in html
    assert html.count('class="check-result">gone') == 1 and "still served" in html


async def test_recheck_without_csrf_token_is_refused(state, app, withdrawn) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    await sign_in(client, "alice")
    response = await client.post(f"/cases/{withdrawn.case.public_id}/erasure/recheck", form={})
    assert response.status_code == 400
    assert await withdrawn.checks() == {}
    assert withdrawn.network.calls and not any("copy-status" in str(r.url) for r in withdrawn.network.calls)


async def test_recheck_by_a_stranger_is_404(state, app, withdrawn) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "mallory", role=Role.PROFESSIONAL, verified=True)
    client = app.test_client()
    await sign_in(client, "mallory")
    token = await _form_token(client, "/")
    response = await client.post(
        f"/cases/{withdrawn.case.public_id}/erasure/recheck", form={"csrf_token": token}
    )
    assert response.status_code == 404
    assert await withdrawn.checks() == {}


async def test_background_workers_run_due_erasure_jobs(state, withdrawn) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from fediverse_cases.federation.workers import Workers

    withdrawn.copy_status("b.example", held=False)
    withdrawn.copy_status("c.example", held=False)
    workers = Workers(state, poll_seconds=0.05, erasure_poll_seconds=0.05)
    workers.start()
    try:
        for _ in range(100):  # the Deletes go out, then the job is queued (not yet due)
            job = await withdrawn.job()
            if job is not None:
                break
            await asyncio.sleep(0.05)
        assert job is not None
        async with state.transaction() as db:
            await db.execute(update(ErasureJob).values(next_attempt_at=utcnow()))
        for _ in range(100):
            job = await withdrawn.job()
            if job is not None and job.state == "done":
                break
            await asyncio.sleep(0.05)
    finally:
        await workers.stop()
    assert job is not None and job.state == "done"
    assert await withdrawn.checks() == {"b.example": "gone", "c.example": "gone"}
