"""Statuses: posting a case (media + caption + consent) or a comment (``in_reply_to_id``),
reading one, its context, deleting, favouriting. Everything unseen by the caller is 404."""

from __future__ import annotations

from quart import Blueprint, Response, current_app, jsonify

from fediverse_cases.core.case_access import can_view_case, case_facts
from fediverse_cases.federation.handlers import context_backfill
from fediverse_cases.services import comments as comment_service
from fediverse_cases.services import social as social_service
from fediverse_cases.services.api_statuses import ApiRefusal, CaseStatusInput, create_case_status
from fediverse_cases.services.case_errors import CaseError
from fediverse_cases.storage.models import Case, Comment
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories import comments as comment_repo
from fediverse_cases.storage.repositories.accounts import get_actor_for_account
from fediverse_cases.web.api.auth import api_account, api_view, require_account
from fediverse_cases.web.api.errors import ApiError, not_found
from fediverse_cases.web.api.params import read_params
from fediverse_cases.web.api.poll_params import poll_input
from fediverse_cases.web.api.rendering import api_viewer, render_cases, render_comments
from fediverse_cases.web.api.status_serializers import parse_status_id
from fediverse_cases.web.auth import operator_for
from fediverse_cases.web.state import app_state

blueprint = Blueprint("api_statuses", __name__)


async def visible_status(db, status_id: str, account) -> tuple[Case, Comment | None]:  # type: ignore[no-untyped-def]
    parsed = parse_status_id(status_id)
    if parsed is None:
        raise not_found()
    kind, row_id = parsed
    comment = None
    if kind == "comment":
        comment = await comment_repo.get_comment(db, row_id)
        if comment is None or comment.state != "visible":
            raise not_found()
        row_id = comment.case_id
    case = await case_repo.get_case(db, row_id)
    viewer = await api_viewer(db, account)
    if case is None or not can_view_case(viewer, case_facts(case)):
        raise not_found()
    return case, comment


async def _render_one(db, case: Case, comment: Comment | None, account) -> dict[str, object]:  # type: ignore[no-untyped-def]
    if comment is None:
        return (await render_cases(db, [case], await api_viewer(db, account)))[0]
    parent = await comment_repo.get_comment(db, comment.parent_id) if comment.parent_id else None
    by_id = {parent.id: parent} if parent else {}
    return (await render_comments(db, [comment], case, by_id))[0]


@blueprint.post("/api/v1/statuses")
@api_view("write:statuses")
async def create() -> Response:
    account = require_account()
    params = await read_params()
    state = app_state()
    text = params.get("status")
    reply_to = params.get("in_reply_to_id")
    try:
        async with state.transaction() as db:
            actor = await get_actor_for_account(db, account.id)
            if actor is None:
                raise not_found()
            if reply_to:
                case, parent = await visible_status(db, reply_to, account)
                comment = await comment_service.post_comment(
                    db,
                    state,
                    account,
                    actor,
                    await api_viewer(db, account),
                    case,
                    text,
                    parent,
                    operator_for(account),
                    # A client cannot show our highlights: a flagged reply waits for the reviewer
                    # (fail closed) and says so in ``fediverse_cases.held_for_review``.
                    send_for_review=True,
                )
                comment_id, case_id = comment.id, case.id
            else:
                media_ids = [int(v) for v in params.get_list("media_ids") if v.isdigit() and len(v) <= 18]
                if len(media_ids) != len(params.get_list("media_ids")) or not media_ids:
                    raise ApiError(422, "Validation failed: a case needs at least one image in media_ids")
                case = await create_case_status(
                    db,
                    state,
                    account,
                    actor,
                    CaseStatusInput(
                        text=text,
                        media_ids=media_ids,
                        sensitive=params.get_bool("sensitive"),
                        spoiler_text=params.get("spoiler_text"),
                        visibility=params.get("visibility"),
                        consent_method=params.get("consent_method"),
                        consent_date=params.get("consent_date"),
                        consent_obtained_by=params.get("consent_obtained_by"),
                        consent_witness=params.get("consent_witness"),
                        consent_audience=params.get("consent_audience"),
                        consent_date_of_birth=params.get("consent_date_of_birth"),
                        poll=poll_input(params),
                    ),
                    operator_for(account),
                )
                comment_id, case_id = None, case.id
    except ApiRefusal as refusal:
        raise ApiError(refusal.status, refusal.message) from None
    except comment_service.CommentError as error:
        raise ApiError(error.status, error.message) from None
    except CaseError as error:
        raise ApiError(error.status, error.message) from None
    async with state.sessionmaker() as db:
        case = await case_repo.get_case(db, case_id)
        comment = await comment_repo.get_comment(db, comment_id) if comment_id else None
        assert case is not None
        return jsonify(await _render_one(db, case, comment, account))


@blueprint.get("/api/v1/statuses/<status_id>")
@api_view("read:statuses", public=True)
async def show(status_id: str) -> Response:
    account = api_account()
    async with app_state().sessionmaker() as db:
        case, comment = await visible_status(db, status_id, account)
        return jsonify(await _render_one(db, case, comment, account))


@blueprint.get("/api/v1/statuses/<status_id>/context")
@api_view("read:statuses", public=True)
async def context(status_id: str) -> Response:
    account = api_account()
    state = app_state()
    async with state.sessionmaker() as db:
        case, comment = await visible_status(db, status_id, account)
        if context_backfill.due_for_refresh(state, case):
            # FEP-7888: opening a remote thread fetches what its home has and we missed.
            current_app.add_background_task(context_backfill.refresh_when_opened, state, case.id)
        comments = list(await comment_repo.visible_comments(db, case.id))
        by_id = {c.id: c for c in comments}
        rendered_case = (await render_cases(db, [case], await api_viewer(db, account)))[0]
        if comment is None:
            return jsonify({"ancestors": [], "descendants": await render_comments(db, comments, case, by_id)})
        ancestors = [c for c in comments if c.id == comment.parent_id]
        descendants = [c for c in comments if c.parent_id == comment.id]
        return jsonify(
            {
                "ancestors": [rendered_case, *await render_comments(db, ancestors, case, by_id)],
                "descendants": await render_comments(db, descendants, case, by_id),
            }
        )


@blueprint.delete("/api/v1/statuses/<status_id>")
@api_view("write:statuses")
async def delete(status_id: str) -> Response:
    """Deleting your own case withdraws it (consent withdrawal: purged here, Delete to peers)."""
    account = require_account()
    state = app_state()
    try:
        async with state.transaction() as db:
            case, comment = await visible_status(db, status_id, account)
            rendered = await _render_one(db, case, comment, account)
            actor = await get_actor_for_account(db, account.id)
            if actor is None:
                raise not_found()
            if comment is not None:
                if comment.author_actor_id != actor.id:
                    raise not_found()
                await comment_service.delete_comment(
                    db, state, account, actor, comment, case, operator_for(account)
                )
            else:
                if case.author_actor_id != actor.id:
                    raise not_found()
                from fediverse_cases.services.withdraw import withdraw_consent

                await withdraw_consent(db, state, case, operator_for(account))
    except CaseError as error:
        raise ApiError(error.status, error.message) from None
    except comment_service.CommentError as error:
        raise ApiError(error.status, error.message) from None
    return jsonify(rendered)


async def _favourite(status_id: str, add: bool) -> Response:
    account = require_account()
    state = app_state()
    try:
        async with state.transaction() as db:
            case, comment = await visible_status(db, status_id, account)
            if comment is not None:
                raise ApiError(422, "Validation failed: only cases can be favourited")
            actor = await get_actor_for_account(db, account.id)
            if actor is None:
                raise not_found()
            viewer = await api_viewer(db, account)
            if add:
                await social_service.like(db, state, actor, viewer, case)
            else:
                await social_service.unlike(db, state, actor, viewer, case)
    except social_service.SocialError as error:
        raise ApiError(error.status, error.message) from None
    async with state.sessionmaker() as db:
        return jsonify(await _render_one(db, case, None, account))


@blueprint.post("/api/v1/statuses/<status_id>/favourite")
@api_view("write:favourites")
async def favourite(status_id: str) -> Response:
    return await _favourite(status_id, True)


@blueprint.post("/api/v1/statuses/<status_id>/unfavourite")
@api_view("write:favourites")
async def unfavourite(status_id: str) -> Response:
    return await _favourite(status_id, False)
