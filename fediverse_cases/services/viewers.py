"""Who is looking: the ``core.case_access.Viewer`` of a signed-in account (or an anonymous one)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.accounts import can_review
from fediverse_cases.core.case_access import Viewer
from fediverse_cases.storage.models import Account
from fediverse_cases.storage.repositories.accounts import get_actor_for_account


async def viewer_for(db: AsyncSession, account: Account | None) -> Viewer:
    if account is None or account.disabled:
        return Viewer()
    actor = await get_actor_for_account(db, account.id)
    return Viewer(
        account_id=account.id, actor_id=actor.id if actor else None, is_reviewer=can_review(account)
    )
