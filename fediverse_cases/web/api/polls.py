"""Polls in the client API, as Mastodon has them: GET /api/v1/polls/:id and
POST /api/v1/polls/:id/votes (``choices[]`` = option indexes). A poll on a case the caller may
not see is 404; a refused vote (not a verified professional, own poll, closed, already voted,
bad choice) is 422 with Mastodon's error shape."""

from __future__ import annotations

from quart import Blueprint, Response, jsonify
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.case_access import can_view_case, case_facts
from fediverse_cases.services import polls as poll_service
from fediverse_cases.services.case_errors import CaseError
from fediverse_cases.storage.models import Account, Case, Poll
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories.accounts import get_actor_for_account
from fediverse_cases.web.api.auth import api_account, api_view, require_account
from fediverse_cases.web.api.errors import ApiError, not_found
from fediverse_cases.web.api.params import read_params
from fediverse_cases.web.api.poll_serializers import poll_json
from fediverse_cases.web.api.rendering import api_viewer
from fediverse_cases.web.state import app_state

blueprint = Blueprint("api_polls", __name__)

MAX_CHOICES = 8


async def _visible_poll(db: AsyncSession, poll_id: str, account: Account | None) -> tuple[Poll, Case]:
    if not poll_id.isdigit() or len(poll_id) > 18:
        raise not_found()
    poll = await db.get(Poll, int(poll_id))
    case = await case_repo.get_case(db, poll.case_id) if poll is not None else None
    if poll is None or case is None or not can_view_case(await api_viewer(db, account), case_facts(case)):
        raise not_found()
    return poll, case


@blueprint.get("/api/v1/polls/<poll_id>")
@api_view("read:statuses", public=True)
async def show(poll_id: str) -> Response:
    account = api_account()
    async with app_state().sessionmaker() as db:
        poll, case = await _visible_poll(db, poll_id, account)
        actor = await get_actor_for_account(db, account.id) if account is not None else None
        view = await poll_service.view_of(db, case, account, actor.id if actor else None, poll)
    assert view is not None
    return jsonify(poll_json(view, signed_in=account is not None))


@blueprint.post("/api/v1/polls/<poll_id>/votes")
@api_view("write:statuses")
async def vote(poll_id: str) -> Response:
    account = require_account()
    params = await read_params()
    raw = params.get_list("choices")[:MAX_CHOICES]
    if not raw or not all(item.isdigit() and len(item) < 4 for item in raw):
        raise ApiError(422, "Validation failed: choices must be option indexes")
    state = app_state()
    try:
        async with state.transaction() as db:
            _poll, case = await _visible_poll(db, poll_id, account)
            actor = await get_actor_for_account(db, account.id)
            if actor is None:
                raise not_found()
            view = await poll_service.cast_vote(db, state, case, account, actor, [int(i) for i in raw])
    except CaseError as error:
        raise ApiError(422, f"Validation failed: {error.message}") from None
    return jsonify(poll_json(view, signed_in=True))
