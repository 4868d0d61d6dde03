"""Confirmed outcomes arriving on peers' cases: after the Create or Update of a case (Note or
Question) has been handled by ``question`` (and through it ``create``/``update``), the
``fediverseCases:outcome`` it carries is kept for the stored remote case. Only what the case's
author delivered themself is believed; a forwarded or refetched copy goes through the Note
handlers but its outcome waits for the author's own Update."""

from __future__ import annotations

from typing import Any

from fediverse_cases.activitypub.constants import ext
from fediverse_cases.federation.handlers import question
from fediverse_cases.federation.handlers.context import InboxContext
from fediverse_cases.federation.outcomes import outcome_received
from fediverse_cases.storage.repositories import cases as cases_repo


async def handle_create(ctx: InboxContext) -> None:
    await question.handle_create(ctx)
    await _keep_outcome(ctx)


async def handle_update(ctx: InboxContext) -> None:
    await question.handle_update(ctx)
    await _keep_outcome(ctx)


async def _keep_outcome(ctx: InboxContext) -> None:
    raw: Any = ctx.activity.get("object")
    if not isinstance(raw, dict) or ext("outcome") not in raw or not isinstance(raw.get("id"), str):
        return
    if ctx.forwarded or ctx.signer.uri != ctx.actor_iri or raw.get("attributedTo") != ctx.signer.uri:
        return
    case = await cases_repo.get_case_by_ap_id(ctx.db, raw["id"])
    if case is None or case.is_local or case.author_actor_id != ctx.signer.id:
        return
    await outcome_received(ctx.db, case, raw)
