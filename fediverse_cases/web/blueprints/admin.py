"""Administrator pages: verification queue, accounts (roles, disabling), audit log and CSV export."""

from __future__ import annotations

import csv
import io

from quart import Blueprint, Response, abort, flash, redirect, request, url_for

from fediverse_cases.core.accounts import Role
from fediverse_cases.services import accounts as account_service
from fediverse_cases.storage.repositories import accounts as account_repo
from fediverse_cases.storage.repositories.audit import AuditFilter, list_events
from fediverse_cases.web.auth import admin_required, current_operator
from fediverse_cases.web.forms import form_fields
from fediverse_cases.web.rendering import render_template
from fediverse_cases.web.state import app_state

blueprint = Blueprint("admin", __name__, url_prefix="/admin")
CSV_EXPORT_LIMIT = 100_000


@blueprint.get("/")
@admin_required
async def dashboard() -> str:
    async with app_state().sessionmaker() as db:
        pending = await account_repo.verification_queue(db)
        total = await account_repo.count_accounts(db)
    return await render_template("admin/dashboard.html", pending_count=len(pending), account_count=total)


@blueprint.get("/verifications")
@admin_required
async def verifications() -> str:
    async with app_state().sessionmaker() as db:
        queue = await account_repo.verification_queue(db)
    return await render_template("admin/verifications.html", queue=queue, errors={})


@blueprint.post("/verifications/<username>")
@admin_required
async def decide(username: str) -> Response | tuple[str, int]:
    values = await form_fields(("decision", "reason"))
    if values["decision"] not in ("approve", "reject"):
        abort(400, description="Choose approve or reject.")
    state = app_state()
    try:
        async with state.transaction() as db:
            account = await account_repo.get_account_by_username(db, username)
            if account is None or account.verification_status != "pending":
                abort(404)
            await account_service.decide_verification(
                db,
                state,
                account,
                approve=values["decision"] == "approve",
                reason=values["reason"],
                operator=current_operator(),
            )
    except account_service.AccountError as error:
        async with state.sessionmaker() as db:
            queue = await account_repo.verification_queue(db)
        return (
            await render_template(
                "admin/verifications.html",
                queue=queue,
                errors={username: error.message},
                message=error.message,
            ),
            422,
        )
    verb = "approved" if values["decision"] == "approve" else "rejected"
    await flash(f"Verification of {username} {verb}.")
    return redirect(url_for("admin.verifications"))


@blueprint.get("/users")
@admin_required
async def users() -> str:
    async with app_state().sessionmaker() as db:
        accounts = await account_repo.list_accounts(db)
    return await render_template("admin/users.html", accounts=accounts, roles=list(Role))


@blueprint.post("/users/<username>")
@admin_required
async def change_user(username: str) -> Response | tuple[str, int]:
    values = await form_fields(("action", "role"))
    state = app_state()
    try:
        async with state.transaction() as db:
            account = await account_repo.get_account_by_username(db, username)
            if account is None:
                abort(404)
            if values["action"] == "set_role":
                await account_service.set_role(db, state, account, values["role"], current_operator())
            elif values["action"] in ("disable", "enable"):
                await account_service.set_disabled(
                    db, state, account, values["action"] == "disable", current_operator()
                )
            else:
                abort(400, description="Unknown action.")
    except account_service.AccountError as error:
        async with state.sessionmaker() as db:
            accounts = await account_repo.list_accounts(db)
        return (
            await render_template(
                "admin/users.html", accounts=accounts, roles=list(Role), message=error.message
            ),
            422,
        )
    await flash(f"Account {username} updated.")
    return redirect(url_for("admin.users"))


def _audit_filter() -> AuditFilter:
    case_id = request.args.get("case", "").strip()
    return AuditFilter(
        action=request.args.get("action", "").strip()[:64],
        actor=request.args.get("actor", "").strip()[:120],
        case_id=int(case_id) if case_id.isdigit() else None,
        target=request.args.get("target", "").strip()[:255],
    )


@blueprint.get("/audit")
@admin_required
async def audit_log() -> str:
    audit_filter = _audit_filter()
    before = request.args.get("before", "")
    async with app_state().sessionmaker() as db:
        events = await list_events(
            db, audit_filter, limit=100, before_id=int(before) if before.isdigit() else None
        )
    return await render_template("admin/audit.html", events=events, audit_filter=audit_filter)


@blueprint.get("/audit.csv")
@admin_required
async def audit_csv() -> Response:
    async with app_state().sessionmaker() as db:
        events = await list_events(db, _audit_filter(), limit=CSV_EXPORT_LIMIT)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["id", "time_utc", "actor", "action", "target_type", "target_id", "case_id", "ip", "details"]
    )
    for event in events:
        writer.writerow(
            [
                event.id,
                event.created_at.isoformat(),
                _csv_safe(event.actor_label),
                event.action,
                event.target_type,
                _csv_safe(event.target_id),
                event.case_id or "",
                event.ip,
                _csv_safe(str(event.details or "")),
            ]
        )
    return Response(
        buffer.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": "attachment; filename=audit-log.csv"},
    )


def _csv_safe(value: str) -> str:
    # Spreadsheet programs execute cells that start with these characters (CSV injection).
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
