"""Like and Undo(Like) of our cases by remote actors: counted like local likes."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import IntegrityError

from fediverse_cases.federation.handlers.context import InboxContext
from fediverse_cases.storage.models import Actor, Like
from fediverse_cases.storage.repositories import cases as cases_repo
from fediverse_cases.storage.repositories.social import delete_row, get_like

log = logging.getLogger(__name__)


def _object_id(value: Any) -> str | None:
    value = value.get("id") if isinstance(value, dict) else value
    return value if isinstance(value, str) else None


async def handle_like(ctx: InboxContext) -> None:
    object_id = _object_id(ctx.activity.get("object"))
    if object_id is None or ctx.signer.uri != ctx.activity.get("actor"):
        return
    case = await cases_repo.get_case_by_ap_id(ctx.db, object_id)
    if case is None or not case.is_local or case.state != "published":
        return
    if await get_like(ctx.db, case.id, ctx.signer.id) is not None:
        return
    try:
        async with ctx.db.begin_nested():
            ctx.db.add(Like(case_id=case.id, actor_id=ctx.signer.id, ap_id=ctx.activity.get("id")))
    except IntegrityError:
        log.info("duplicate Like %s ignored", ctx.activity.get("id"))
        return
    author = await ctx.db.get(Actor, case.author_actor_id)
    if author is not None and author.account_id is not None:
        cases_repo.add_notification(
            ctx.db,
            account_id=author.account_id,
            kind="like",
            case_id=case.id,
            from_actor_id=ctx.signer.id,
            message=f"{ctx.signer.handle} liked your case",
        )


async def handle_undo_like(ctx: InboxContext) -> None:
    inner = ctx.activity.get("object")
    object_id = _object_id(inner.get("object")) if isinstance(inner, dict) else None
    if ctx.signer.uri != ctx.activity.get("actor"):
        return
    case = await cases_repo.get_case_by_ap_id(ctx.db, object_id) if object_id else None
    if case is None:
        return
    like = await get_like(ctx.db, case.id, ctx.signer.id)
    if like is not None:
        await delete_row(ctx.db, like)
