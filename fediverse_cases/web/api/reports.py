"""``POST /api/v1/reports``: a Mastodon report becomes one Flag per reported status through
``services.social`` (exactly as a flag from the web page), so each reported case or comment is
hidden at once for everyone but its author and reviewers until a reviewer decides.

A report must name statuses (our moderation is about content); every named status must be one
the reporter can see and written by ``account_id``, or nothing is written.
"""

from __future__ import annotations

from quart import Blueprint, Response, jsonify

from fediverse_cases.services import social as social_service
from fediverse_cases.services.operator import Operator
from fediverse_cases.storage.models import Flag
from fediverse_cases.storage.repositories import accounts as accounts_repo
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories import comments as comment_repo
from fediverse_cases.storage.repositories.accounts import get_actor_for_account
from fediverse_cases.web.api.auth import api_view, require_account
from fediverse_cases.web.api.errors import ApiError, not_found
from fediverse_cases.web.api.params import read_params
from fediverse_cases.web.api.rendering import accounts_json, api_viewer
from fediverse_cases.web.api.serializers import iso
from fediverse_cases.web.api.status_serializers import parse_status_id
from fediverse_cases.web.auth import client_ip
from fediverse_cases.web.state import app_state

blueprint = Blueprint("api_reports", __name__)

CATEGORIES = ("spam", "legal", "violation", "other")
MAX_STATUSES = 20


def _reason(comment: str, category: str) -> str:
    # The flag's reason is what the reviewer reads; a bare report still says what kind it is.
    return comment or f"Reported as {category} through the client API."


@blueprint.post("/api/v1/reports")
@api_view("write:reports")
async def create() -> Response:
    account = require_account()
    params = await read_params()
    target_text = params.get("account_id")
    if not target_text.isdigit() or len(target_text) > 18:
        raise ApiError(422, "Validation failed: account_id is required")
    target_id = int(target_text)
    status_ids = list(dict.fromkeys(params.get_list("status_ids")))
    if not status_ids:
        raise ApiError(422, "Validation failed: name the reported statuses in status_ids")
    if len(status_ids) > MAX_STATUSES:
        raise ApiError(422, f"Validation failed: report at most {MAX_STATUSES} statuses at once")
    category = params.get("category") or "other"
    if category not in CATEGORIES:
        raise ApiError(422, f"Validation failed: category must be one of {', '.join(CATEGORIES)}")
    comment = params.get("comment").strip()
    state = app_state()
    operator = Operator(account.id, account.username, client_ip())
    flags: list[Flag] = []
    try:
        async with state.transaction() as db:
            reporter = await get_actor_for_account(db, account.id)
            target = await accounts_repo.get_person_actor(db, target_id)
            if reporter is None or target is None:
                raise not_found()
            viewer = await api_viewer(db, account)
            for status_id in status_ids:
                parsed = parse_status_id(status_id)
                if parsed is None:
                    raise not_found()
                kind, row_id = parsed
                reason = _reason(comment, category)
                # Flag first: an unseen status is a 404 before anything about it is revealed;
                # a wrong author then rolls the whole transaction back.
                if kind == "comment":
                    reported = await comment_repo.get_comment(db, row_id)
                    case = await case_repo.get_case(db, reported.case_id) if reported else None
                    flag = await social_service.flag_comment(
                        db, state, reporter, viewer, case, reported, reason, operator
                    )
                    author_id = reported.author_actor_id if reported else None
                else:
                    case = await case_repo.get_case(db, row_id)
                    flag = await social_service.flag_case(db, state, reporter, viewer, case, reason, operator)
                    author_id = case.author_actor_id if case else None
                if author_id != target_id:
                    raise ApiError(422, f"Validation failed: status {status_id} is not by account_id")
                flags.append(flag)
    except social_service.SocialError as error:
        raise ApiError(error.status, error.message) from None
    async with state.sessionmaker() as db:
        rendered = await accounts_json(db, [target_id])
    return jsonify(
        {
            "id": str(flags[0].id),
            "action_taken": False,
            "action_taken_at": None,
            "category": category,
            "comment": comment,
            "forwarded": False,
            "created_at": iso(flags[0].created_at),
            "status_ids": status_ids,
            "rule_ids": None,
            "target_account": rendered[target_id],
        }
    )
