"""Which case a compose page may touch: the signed-in author's own local case, else 404 (no hint
that it exists). Shared by the compose and compose-jobs blueprints."""

from __future__ import annotations

from quart import abort

from fediverse_cases.storage.models import Case
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories.accounts import get_actor_for_account
from fediverse_cases.web.auth import current_account
from fediverse_cases.web.state import app_state


async def own_case(public_id: str) -> tuple[Case, int]:
    """The case and its author's actor id."""
    account = current_account()
    assert account is not None
    async with app_state().sessionmaker() as db:
        case = await case_repo.get_case_by_public_id(db, public_id)
        actor = await get_actor_for_account(db, account.id)
    if case is None or actor is None or case.author_actor_id != actor.id or not case.is_local:
        abort(404)
    return case, actor.id
