"""Flag (a report) about our cases or comments from a peer: treated like a local flag — the case
or comment is hidden at once pending a reviewer's decision, and the report is audited."""

from __future__ import annotations

import logging
from typing import Any

from fediverse_cases.federation.handlers.context import InboxContext
from fediverse_cases.storage.models import Case, Flag
from fediverse_cases.storage.repositories import cases as cases_repo
from fediverse_cases.storage.repositories import comments as comments_repo
from fediverse_cases.storage.repositories.audit import AuditEntry, record

log = logging.getLogger(__name__)

MAX_REASON = 1000


def _objects(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        iri = item.get("id") if isinstance(item, dict) else item
        if isinstance(iri, str):
            out.append(iri)
    return out


async def handle_flag(ctx: InboxContext) -> None:
    db, activity = ctx.db, ctx.activity
    reason = activity.get("content") if isinstance(activity.get("content"), str) else ""
    reason = (reason.strip() or "Reported by a peer instance")[:MAX_REASON]
    for iri in _objects(activity.get("object")):
        case = await cases_repo.get_case_by_ap_id(db, iri)
        comment = None if case else await comments_repo.get_comment_by_ap_id(db, iri)
        if comment is not None:
            case = await db.get(Case, comment.case_id)
        if case is None or not case.is_local:
            continue
        db.add(
            Flag(
                case_id=case.id,
                comment_id=comment.id if comment else None,
                reporter_actor_id=ctx.signer.id,
                reason=f"[{ctx.signer.host}] {reason}",
            )
        )
        if comment is not None:
            if comment.state == "visible":
                comment.state = "hidden"
        else:
            case.hidden = True
        await db.flush()
        record(
            db,
            AuditEntry(
                action="case.flag.remote",
                actor_label=ctx.signer.handle,
                target_type="comment" if comment else "case",
                target_id=comment.public_id if comment else case.public_id,
                case_id=case.id,
                details={"peer": ctx.signer.host, "activity": activity.get("id")},
            ),
        )
        log.info("remote flag from %s hid %s", ctx.signer.host, iri)
