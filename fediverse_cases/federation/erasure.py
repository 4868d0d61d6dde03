"""Consent withdrawal everywhere: who must forget a case, and the erasure report.

On withdrawal the case's Create deliveries still pending are cancelled and a Delete(Tombstone)
goes to every inbox that ever received the case, every peer that fetched it with a signed GET,
and the author's followers. The report lists each peer with the delivery state of that Delete
and, where the peer is a fediverse-cases instance, a re-check through the guarded client that it
no longer holds a copy (its copy-status endpoint answers 404/410 for the case id).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.convert.activities import delete_activity
from fediverse_cases.federation import outbox, recipients
from fediverse_cases.federation.state import FederationState
from fediverse_cases.storage.models import Actor, Case
from fediverse_cases.storage.repositories import deliveries as deliveries_repo
from fediverse_cases.storage.repositories import erasure_checks as erasure_checks_repo
from fediverse_cases.storage.repositories import object_fetches as object_fetches_repo
from fediverse_cases.storage.repositories import peers as peers_repo
from fediverse_cases.storage.repositories.accounts import get_instance_actor

log = logging.getLogger(__name__)

__all__ = ["COPY_STATUS_PATH", "ErasureRow", "erasure_report", "recheck_peers", "send_withdrawal"]

# Served by every fediverse-cases instance (web/blueprints/activitypub_objects.py).
COPY_STATUS_PATH = "/ap/copy-status"


async def send_withdrawal(db: AsyncSession, state: FederationState, case: Case, author: Actor) -> int:
    """Queue Delete(Tombstone) for a withdrawn case everywhere it went; cancel its pending Create."""
    inboxes = await recipients.holders_of_case(db, case, author)
    await outbox.cancel_pending(db, case.ap_id)
    if not inboxes:
        return 0
    activity = delete_activity(case.ap_id, author.uri, to=[author.followers_url], former_type="Note")
    return await outbox.enqueue(
        db, state, activity=activity, sender=author, inboxes=inboxes, object_id=case.ap_id
    )


@dataclass(frozen=True)
class ErasureRow:
    peer_host: str
    received: bool  # a Create (or Update) was delivered there
    fetched: bool  # it fetched the Note with a signed GET
    delete_state: str  # pending | done | failed | gave_up | cancelled | not sent
    delete_status: int | None
    delete_done_at: datetime | None
    check_result: str | None  # gone | still_served | unreachable | unknown | None (not checked)
    check_status: int | None
    checked_at: datetime | None

    @property
    def erased(self) -> bool:
        return self.delete_state == "done" and self.check_result in (None, "gone", "unknown")


async def erasure_report(db: AsyncSession, case: Case) -> list[ErasureRow]:
    deliveries = await deliveries_repo.deliveries_of(db, case.ap_id)
    fetched_hosts = {f.peer_host for f in await object_fetches_repo.fetches_of(db, case.ap_id)}
    checks = await erasure_checks_repo.erasure_checks(db, case.id)
    hosts = sorted({d.peer_host for d in deliveries} | fetched_hosts)
    rows = []
    for host in hosts:
        mine = [d for d in deliveries if d.peer_host == host]
        received = any(d.activity_type in ("Create", "Update") and d.state == "done" for d in mine)
        deletes = [d for d in mine if d.activity_type == "Delete"]
        last_delete = deletes[-1] if deletes else None
        check = checks.get(host)
        rows.append(
            ErasureRow(
                peer_host=host,
                received=received,
                fetched=host in fetched_hosts,
                delete_state=last_delete.state if last_delete else "not sent",
                delete_status=last_delete.last_status if last_delete else None,
                delete_done_at=last_delete.done_at if last_delete else None,
                check_result=check.result if check else None,
                check_status=check.http_status if check else None,
                checked_at=check.checked_at if check else None,
            )
        )
    return rows


def copy_status_url(scheme: str, host: str, object_id: str) -> str:
    return f"{scheme}://{host}{COPY_STATUS_PATH}?id={quote(object_id, safe='')}"


async def _check_one(state: FederationState, url: str) -> tuple[str, int | None, str]:
    async with state.sessionmaker() as db:
        signer = await get_instance_actor(db)
    try:
        response = await state.transport.get(url, signer=signer, accept="application/json")
    except Exception as error:  # network failures, refusals by the guard: recorded, never raised
        return "unreachable", None, str(error)[:300]
    status = response.status
    try:
        body = json.loads(response.body)
    except ValueError:
        body = None
    if status in (404, 410):
        # Only our own endpoint's JSON answer proves the copy is gone; a bare 404 may just mean
        # the peer is not a fediverse-cases instance.
        if isinstance(body, dict) and body.get("held") is False:
            return "gone", status, ""
        return "unknown", status, "peer does not report copy status"
    if 200 <= status < 300:
        return "still_served", status, ""
    return "unreachable", status, ""


async def recheck_peers(state: FederationState, case_id: int) -> list[tuple[str, str]]:
    """Ask every peer of a withdrawn case whether it still holds a copy; store the answers."""
    async with state.sessionmaker() as db:
        case = await db.get(Case, case_id)
        if case is None or case.state != "withdrawn":
            return []
        rows = await erasure_report(db, case)
        peers = {row.peer_host: await peers_repo.get_peer(db, row.peer_host) for row in rows}
        ap_id = case.ap_id
    results = []
    for host, peer in peers.items():
        scheme = peer.scheme if peer is not None else urlsplit(state.urls.base_url).scheme
        result, status, detail = await _check_one(state, copy_status_url(scheme, host, ap_id))
        results.append((host, result))
        async with state.transaction() as db:
            await erasure_checks_repo.save_erasure_check(db, case_id, host, result, status, detail)
    log.info("erasure re-check for case %s: %s", case_id, results)
    return results
