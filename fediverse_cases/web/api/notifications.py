"""``GET /api/v1/notifications`` (paginated), one notification, clear and dismiss."""

from __future__ import annotations

from quart import Blueprint, Response, jsonify

from fediverse_cases.core.case_access import can_view_case, case_facts
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories import comments as comment_repo
from fediverse_cases.storage.repositories import notifications as notifications_repo
from fediverse_cases.storage.repositories.accounts import get_actor_for_account
from fediverse_cases.web.api import pagination
from fediverse_cases.web.api.auth import api_view, require_account
from fediverse_cases.web.api.errors import not_found
from fediverse_cases.web.api.rendering import accounts_json, api_viewer, render_cases, render_comments
from fediverse_cases.web.api.status_serializers import notification_json
from fediverse_cases.web.state import app_state

blueprint = Blueprint("api_notifications", __name__)


async def _render(db, notifications, account) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    me = await get_actor_for_account(db, account.id)
    actor_ids = [n.from_actor_id for n in notifications if n.from_actor_id] + ([me.id] if me else [])
    accounts = await accounts_json(db, actor_ids)
    viewer = await api_viewer(db, account)
    rendered = []
    for notification in notifications:
        status = None
        case = await case_repo.get_case(db, notification.case_id) if notification.case_id else None
        if case is not None and can_view_case(viewer, case_facts(case)):
            comment = (
                await comment_repo.get_comment(db, notification.comment_id)
                if notification.comment_id
                else None
            )
            if comment is not None and comment.state == "visible":
                status = (await render_comments(db, [comment], case, {}))[0]
            else:
                status = (await render_cases(db, [case], viewer))[0]
        who = accounts.get(notification.from_actor_id or (me.id if me else 0))
        rendered.append(notification_json(notification, who, status))
    return rendered


@blueprint.get("/api/v1/notifications")
@api_view("read:notifications")
async def index() -> Response:
    account = require_account()
    page = await pagination.id_page(default_limit=40, max_limit=80)
    async with app_state().sessionmaker() as db:
        notifications = await notifications_repo.notifications_page(db, account.id, page)
        body = await _render(db, notifications, account)
    return pagination.paginated(body, [n.id for n in notifications], page)


@blueprint.get("/api/v1/notifications/<notification_id>")
@api_view("read:notifications")
async def show(notification_id: str) -> Response:
    account = require_account()
    if not notification_id.isdigit():
        raise not_found()
    async with app_state().sessionmaker() as db:
        notification = await notifications_repo.get_notification(db, account.id, int(notification_id))
        if notification is None:
            raise not_found()
        return jsonify((await _render(db, [notification], account))[0])
