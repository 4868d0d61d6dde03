"""Our extension for reviewers' tools: the review queue, approve, reject, and consent withdrawal.

Review needs a reviewer (or admin) and the ``admin:read``/``admin:write`` scopes; withdrawing
consent is for the case's author (``write:statuses``) or a reviewer (``admin:write``).
"""

from __future__ import annotations

from quart import Blueprint, Response, jsonify

from fediverse_cases.core.accounts import can_review
from fediverse_cases.services import review as review_service
from fediverse_cases.services.case_errors import CaseError
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.withdraw import withdraw_consent as withdraw_service
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories.accounts import get_actor_for_account
from fediverse_cases.web.api.auth import OUTSIDE_SCOPES, api_context, api_view, require_account
from fediverse_cases.web.api.errors import ApiError, not_found
from fediverse_cases.web.api.params import read_params
from fediverse_cases.web.api.rendering import api_viewer, render_cases
from fediverse_cases.web.api.status_serializers import parse_status_id
from fediverse_cases.web.auth import client_ip
from fediverse_cases.web.state import app_state

blueprint = Blueprint("api_review", __name__)
PREFIX = "/api/v1/fediverse_cases"


def _reviewer():  # type: ignore[no-untyped-def]
    account = require_account()
    if not can_review(account):
        raise ApiError(403, "Only reviewers may use the review queue")
    return account


def _case_id(status_id: str) -> int:
    parsed = parse_status_id(status_id)
    if parsed is None or parsed[0] != "case":
        raise not_found()
    return parsed[1]


@blueprint.get(f"{PREFIX}/review_queue")
@api_view("admin:read")
async def queue() -> Response:
    account = _reviewer()
    async with app_state().sessionmaker() as db:
        cases = list(await case_repo.review_queue(db))
        return jsonify(await render_cases(db, cases, await api_viewer(db, account)))


async def _decide(status_id: str, approve: bool) -> Response:
    account = _reviewer()
    params = await read_params()
    state = app_state()
    try:
        async with state.transaction() as db:
            case = await case_repo.get_case(db, _case_id(status_id))
            if case is None or not case.is_local:
                raise not_found()
            operator = Operator(account.id, account.username, client_ip())
            if approve:
                await review_service.approve_case(db, state, case, operator, params.get("note"))
            else:
                await review_service.reject_case(db, state, case, operator, params.get("reason"))
    except CaseError as error:
        raise ApiError(error.status, error.message) from None
    async with state.sessionmaker() as db:
        refreshed = await case_repo.get_case(db, case.id)
        assert refreshed is not None
        return jsonify((await render_cases(db, [refreshed], await api_viewer(db, account)))[0])


@blueprint.post(f"{PREFIX}/review_queue/<status_id>/approve")
@api_view("admin:write")
async def approve(status_id: str) -> Response:
    return await _decide(status_id, True)


@blueprint.post(f"{PREFIX}/review_queue/<status_id>/reject")
@api_view("admin:write")
async def reject(status_id: str) -> Response:
    return await _decide(status_id, False)


@blueprint.post(f"{PREFIX}/statuses/<status_id>/withdraw_consent")
@api_view(None)  # either scope will do; checked below
async def withdraw(status_id: str) -> Response:
    account = require_account()
    context = api_context()
    as_author_scope = context is not None and context.allows("write:statuses")
    as_reviewer_scope = can_review(account) and context is not None and context.allows("admin:write")
    if not (as_author_scope or as_reviewer_scope):
        raise ApiError(403, OUTSIDE_SCOPES)
    state = app_state()
    try:
        async with state.transaction() as db:
            case = await case_repo.get_case(db, _case_id(status_id))
            actor = await get_actor_for_account(db, account.id)
            if case is None or actor is None:
                raise not_found()
            is_author = case.author_actor_id == actor.id and as_author_scope
            if not (is_author or as_reviewer_scope):
                raise not_found()
            await withdraw_service(db, state, case, Operator(account.id, account.username, client_ip()))
    except CaseError as error:
        raise ApiError(error.status, error.message) from None
    return jsonify({"id": status_id, "fediverse_cases": {"review_state": "withdrawn"}})
