"""Editing statuses through the client API, their edit history, and who favourited them.

``PUT /api/v1/statuses/:id`` edits a case (``status`` = caption, ``spoiler_text``,
``sensitive``) with the same rule as the web: a changed caption waits for the reviewer (the
answer then carries ``fediverse_cases.edit_pending``), anything else applies and is sent as
Update. On a comment it edits the comment; text that may identify a patient is held for the
reviewer. ``GET /api/v1/statuses/:id/history`` lists the versions oldest first, as Mastodon does.
"""

from __future__ import annotations

from quart import Blueprint, Response, jsonify

from fediverse_cases.convert.html import text_to_html
from fediverse_cases.services import case_edits
from fediverse_cases.services import comments as comment_service
from fediverse_cases.services.case_errors import CaseError
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories import social as social_repo
from fediverse_cases.storage.repositories.accounts import get_actor_for_account
from fediverse_cases.web.api import pagination
from fediverse_cases.web.api.auth import api_account, api_view, require_account
from fediverse_cases.web.api.errors import ApiError, not_found
from fediverse_cases.web.api.params import read_params
from fediverse_cases.web.api.rendering import accounts_json, api_viewer, render_cases, render_comments
from fediverse_cases.web.api.serializers import iso
from fediverse_cases.web.api.statuses import visible_status
from fediverse_cases.web.auth import operator_for
from fediverse_cases.web.state import app_state

blueprint = Blueprint("api_status_edits", __name__)


@blueprint.put("/api/v1/statuses/<status_id>")
@api_view("write:statuses")
async def edit(status_id: str) -> Response:
    account = require_account()
    params = await read_params()
    state = app_state()
    pending = False
    try:
        async with state.transaction() as db:
            case, comment = await visible_status(db, status_id, account)
            actor = await get_actor_for_account(db, account.id)
            if actor is None:
                raise not_found()
            if comment is not None:
                await comment_service.edit_comment(
                    db,
                    state,
                    account,
                    actor,
                    comment,
                    case,
                    params.get("status"),
                    operator_for(account),
                    send_for_review=True,
                )
            else:
                tags = await case_repo.list_tags(db, case.id)
                outcome = await case_edits.propose_edit(
                    db,
                    state,
                    case,
                    account,
                    actor,
                    case_edits.CaseEdit(
                        caption=params.get("status") or case.caption,
                        specialties=[t.tag for t in tags if t.is_specialty],
                        free_tags=" ".join(t.tag for t in tags if not t.is_specialty),
                        sensitive=params.get_bool("sensitive") if params.has("sensitive") else case.sensitive,
                        content_warning=params.get("spoiler_text")
                        if params.has("spoiler_text")
                        else case.content_warning,
                    ),
                    operator_for(account),
                )
                pending = not outcome.applied
    except comment_service.CommentError as error:
        raise ApiError(error.status, error.message) from None
    except CaseError as error:
        details = "; ".join(f"{name}: {text}" for name, text in error.field_errors.items())
        raise ApiError(error.status, error.message + (f" ({details})" if details else "")) from None
    async with state.sessionmaker() as db:
        case, comment = await visible_status(db, status_id, account)
        viewer = await api_viewer(db, account)
        if comment is None:
            body = (await render_cases(db, [case], viewer))[0]
            body.setdefault("fediverse_cases", {})["edit_pending"] = pending  # type: ignore[union-attr]
        else:
            body = (await render_comments(db, [comment], case, {}))[0]
    return jsonify(body)


@blueprint.get("/api/v1/statuses/<status_id>/history")
@api_view("read:statuses", public=True)
async def history(status_id: str) -> Response:
    account = api_account()
    async with app_state().sessionmaker() as db:
        case, comment = await visible_status(db, status_id, account)
        if comment is not None:
            rendered = (await render_comments(db, [comment], case, {}))[0]
            return jsonify(
                [
                    _version(
                        rendered["content"],
                        "",
                        False,
                        rendered["edited_at"] or rendered["created_at"],
                        rendered,
                    )
                ]
            )
        current = (await render_cases(db, [case], await api_viewer(db, account)))[0]
        versions = []
        for revision in await case_repo.applied_revisions(db, case.id):
            before = revision.previous or {}
            versions.append(
                _version(
                    text_to_html(str(before.get("caption", ""))),
                    str(before.get("content_warning", "")),
                    bool(before.get("sensitive", False)),
                    iso(revision.created_at),
                    current,
                )
            )
        versions.append(
            _version(
                current["content"],
                current["spoiler_text"],
                current["sensitive"],
                current["edited_at"] or current["created_at"],
                current,
            )
        )
    return jsonify(versions)


def _version(
    content: object, spoiler: object, sensitive: object, when: object, status: dict[str, object]
) -> dict[str, object]:
    return {
        "content": content,
        "spoiler_text": spoiler,
        "sensitive": sensitive,
        "created_at": when,
        "account": status["account"],
        "media_attachments": status["media_attachments"],
        "emojis": [],
        "poll": None,
    }


@blueprint.get("/api/v1/statuses/<status_id>/favourited_by")
@api_view("read:accounts", public=True)
async def favourited_by(status_id: str) -> Response:
    account = api_account()
    page = await pagination.id_page(default_limit=40, max_limit=80)
    async with app_state().sessionmaker() as db:
        case, comment = await visible_status(db, status_id, account)
        likes = [] if comment is not None else await social_repo.likers_page(db, case.id, page)
        rendered = await accounts_json(db, [like.actor_id for like in likes])
    body = [rendered[like.actor_id] for like in likes if like.actor_id in rendered]
    return pagination.paginated(body, [like.id for like in likes], page)
