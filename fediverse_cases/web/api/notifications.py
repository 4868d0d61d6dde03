"""``GET /api/v1/notifications`` (paginated), one notification, dismissing one, clearing all,
and the notifications read marker (``/api/v1/markers``). Reading a page's notification (dismiss,
clear, or a read marker past it) marks the page seen by that recipient."""

from __future__ import annotations

from quart import Blueprint, Response, jsonify, request
from sqlalchemy import delete, func, select, update

from fediverse_cases.core.case_access import can_view_case, case_facts
from fediverse_cases.services import paging as paging_service
from fediverse_cases.storage.models import Notification
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories import comments as comment_repo
from fediverse_cases.storage.repositories import notifications as notifications_repo
from fediverse_cases.storage.repositories.accounts import get_actor_for_account
from fediverse_cases.web.api import pagination
from fediverse_cases.web.api.auth import api_view, require_account
from fediverse_cases.web.api.errors import not_found
from fediverse_cases.web.api.rendering import accounts_json, api_viewer, render_cases, render_comments
from fediverse_cases.web.api.serializers import iso
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


async def _read(db, account_id: int, notification_ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    """Mark these notifications read, and the pages they told of seen."""
    if not notification_ids:
        return
    await db.execute(
        update(Notification)
        .where(Notification.account_id == account_id, Notification.id.in_(notification_ids))
        .values(read=True)
    )
    me = await get_actor_for_account(db, account_id)
    if me is not None:
        await paging_service.mark_seen(db, app_state(), me, notification_ids=notification_ids)


@blueprint.post("/api/v1/notifications/<notification_id>/dismiss")
@api_view("write:notifications")
async def dismiss(notification_id: str) -> Response:
    account = require_account()
    if not notification_id.isdigit():
        raise not_found()
    async with app_state().transaction() as db:
        notification = await notifications_repo.get_notification(db, account.id, int(notification_id))
        if notification is None:
            raise not_found()
        await _read(db, account.id, [notification.id])
        await db.execute(delete(Notification).where(Notification.id == notification.id))
    return jsonify({})


@blueprint.post("/api/v1/notifications/clear")
@api_view("write:notifications")
async def clear() -> Response:
    account = require_account()
    async with app_state().transaction() as db:
        ids = list(
            (await db.execute(select(Notification.id).where(Notification.account_id == account.id))).scalars()
        )
        await _read(db, account.id, ids)
        await db.execute(delete(Notification).where(Notification.account_id == account.id))
    return jsonify({})


async def _marker(db, account_id: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Mastodon's notifications marker: the newest notification read (read is kept per row)."""
    last = (
        await db.execute(
            select(func.max(Notification.id)).where(
                Notification.account_id == account_id, Notification.read.is_(True)
            )
        )
    ).scalar_one_or_none()
    newest = await db.get(Notification, last) if last else None
    return {
        "last_read_id": str(last or 0),
        "version": int(last or 0),
        "updated_at": iso(newest.created_at if newest else None),
    }


@blueprint.get("/api/v1/markers")
@api_view("read:statuses")
async def markers() -> Response:
    account = require_account()
    wanted = request.args.getlist("timeline[]") or request.args.getlist("timeline")
    async with app_state().sessionmaker() as db:
        body = {"notifications": await _marker(db, account.id)} if "notifications" in wanted else {}
    return jsonify(body)


@blueprint.post("/api/v1/markers")
@api_view("write:statuses")
async def save_markers() -> Response:
    """``notifications[last_read_id]``: every notification up to it is read (Tusky and Ivory
    send this as the list is read); ``home`` is accepted and not kept."""
    account = require_account()
    data = await request.get_json(silent=True) or dict(await request.form)
    raw = data.get("notifications[last_read_id]")
    if isinstance(data.get("notifications"), dict):
        raw = data["notifications"].get("last_read_id")
    async with app_state().transaction() as db:
        if raw is not None and str(raw).isdigit():
            ids = list(
                (
                    await db.execute(
                        select(Notification.id).where(
                            Notification.account_id == account.id,
                            Notification.id <= int(str(raw)),
                            Notification.read.is_(False),
                        )
                    )
                ).scalars()
            )
            await _read(db, account.id, ids)
        body = {"notifications": await _marker(db, account.id)}
    return jsonify(body)
