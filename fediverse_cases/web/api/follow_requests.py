"""Follow requests for people who approve followers one by one: list them, authorize, reject.

``POST /api/v1/follow_requests/:account_id/authorize`` and ``/reject`` answer the request of
that account (Mastodon's shape) and return the relationship; the requester's server receives
Accept or Reject.
"""

from __future__ import annotations

from quart import Blueprint, Response, jsonify

from fediverse_cases.services import follow_requests as follow_request_service
from fediverse_cases.services.social import SocialError
from fediverse_cases.storage.repositories import follows as follows_repo
from fediverse_cases.storage.repositories.accounts import get_actor_for_account
from fediverse_cases.web.api import pagination
from fediverse_cases.web.api.auth import api_view, require_account
from fediverse_cases.web.api.errors import ApiError, not_found
from fediverse_cases.web.api.rendering import accounts_json, relationship
from fediverse_cases.web.auth import operator_for
from fediverse_cases.web.state import app_state

blueprint = Blueprint("api_follow_requests", __name__)


@blueprint.get("/api/v1/follow_requests")
@api_view("read:follows")
async def follow_requests() -> Response:
    account = require_account()
    page = await pagination.id_page()
    async with app_state().sessionmaker() as db:
        me = await get_actor_for_account(db, account.id)
        if me is None:
            raise not_found()
        requests = await follows_repo.pending_follow_requests(db, me.id, page)
        rendered = await accounts_json(db, [follow.follower_id for follow in requests])
    body = [rendered[follow.follower_id] for follow in requests if follow.follower_id in rendered]
    return pagination.paginated(body, [follow.id for follow in requests], page)


async def _answer(account_id: str, *, accept: bool) -> Response:
    account = require_account()
    if not account_id.isdigit() or len(account_id) > 18:
        raise not_found()
    requester_id = int(account_id)
    state = app_state()
    try:
        async with state.transaction() as db:
            me = await get_actor_for_account(db, account.id)
            if me is None:
                raise not_found()
            await follow_request_service.answer_follow_request(
                db, state, me, requester_id, accept=accept, operator=operator_for(account)
            )
    except SocialError as error:
        raise ApiError(error.status, error.message) from None
    async with state.sessionmaker() as db:
        return jsonify(await relationship(db, me.id, requester_id))


@blueprint.post("/api/v1/follow_requests/<account_id>/authorize")
@api_view("write:follows")
async def authorize(account_id: str) -> Response:
    return await _answer(account_id, accept=True)


@blueprint.post("/api/v1/follow_requests/<account_id>/reject")
@api_view("write:follows")
async def reject(account_id: str) -> Response:
    return await _answer(account_id, accept=False)
