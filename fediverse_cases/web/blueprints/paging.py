"""Paging in the web UI: page a group with a case, the page's view (who was paged, who saw it,
who answered), and the on-call setting of a member for a group.

Routes: GET/POST /groups/<slug>/page (members of a group hosted here), GET/POST /page (the
group by its actor id: any group I am a member of, hosted here or at another hospital; linked
from /groups and from my case's page), GET /pages/<page_id>
(the requester, the recipients here, and the group's moderators), POST /on-call (a member's
toggle and weekly schedule for one group, hosted here or elsewhere). Every form carries the
CSRF token. ``panel`` gives the group page its paging part (on-call form, moderators' figures).
"""

from __future__ import annotations

from dataclasses import dataclass

from quart import Blueprint, abort, flash, redirect, request, url_for
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from werkzeug.wrappers import Response

from fediverse_cases.core.case_access import CaseState, Visibility
from fediverse_cases.core.paging import PagingRuleError, Schedule, check_schedule
from fediverse_cases.services import paging as paging_service
from fediverse_cases.services import push_jobs
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.models import Account, Actor, Case, Group, OnCall, Page
from fediverse_cases.storage.repositories import groups as groups_repo
from fediverse_cases.storage.repositories import paging as paging_repo
from fediverse_cases.storage.repositories.accounts import get_actor_for_account
from fediverse_cases.web.auth import current_account, current_operator, login_required
from fediverse_cases.web.rendering import render_template
from fediverse_cases.web.state import app_state

blueprint = Blueprint("paging", __name__)

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Panel:
    """The paging part of a group page."""

    member: bool
    on_call: OnCall | None
    stats: paging_service.ResponseStats | None  # moderators only
    pages: list[Page]  # moderators only


async def panel(
    db: AsyncSession,
    account: Account | None,
    me: Actor | None,
    group: Group,
    actor: Actor,
    is_moderator: bool,
) -> Panel:
    member = me is not None and await groups_repo.is_member(db, actor.id, me.id)
    setting = await paging_repo.get_on_call(db, account.id, actor.id) if account is not None else None
    if not is_moderator:
        return Panel(member, setting, None, [])
    stats = await paging_service.group_stats(db, actor.id)
    return Panel(member, setting, stats, list(await paging_repo.pages_of_group(db, actor.id, limit=20)))


async def _my_cases(db: AsyncSession, me: Actor) -> list[Case]:
    """Cases I may page with: my public cases, published or waiting for review."""
    rows = await db.execute(
        select(Case)
        .where(
            Case.author_actor_id == me.id,
            Case.is_local.is_(True),
            Case.visibility == Visibility.PUBLIC,
            Case.state.in_([CaseState.PUBLISHED, CaseState.PENDING]),
            Case.hidden.is_(False),
        )
        .order_by(Case.id.desc())
        .limit(100)
    )
    return list(rows.scalars())


async def _page_form(
    slug: str, errors: str = "", values: dict[str, str] | None = None
) -> tuple[str, int] | str:
    account = current_account()
    assert account is not None
    async with app_state().sessionmaker() as db:
        found = await groups_repo.get_group_by_slug(db, slug)
        if found is None:
            abort(404)
        group, actor = found
        me = await get_actor_for_account(db, account.id)
        cases = await _my_cases(db, me) if me is not None else []
    html = await render_template(
        "paging/new.html", group=group, actor=actor, cases=cases, error=errors, values=values or {}
    )
    return (html, 422) if errors else html


async def _joined_group(db: AsyncSession, me: Actor | None, value: str) -> Actor:
    group_actor = await db.get(Actor, int(value)) if value.isdigit() else None
    if (
        me is None
        or group_actor is None
        or group_actor.actor_type != "Group"
        or not await groups_repo.is_member(db, group_actor.id, me.id)
    ):
        abort(404)
    return group_actor


async def _any_group_form(
    group_value: str, errors: str = "", values: dict[str, str] | None = None
) -> tuple[str, int] | str:
    account = current_account()
    assert account is not None
    async with app_state().sessionmaker() as db:
        me = await get_actor_for_account(db, account.id)
        actor = await _joined_group(db, me, group_value)
        group = await groups_repo.get_group_by_actor(db, actor.id)
        cases = await _my_cases(db, me) if me is not None else []
    html = await render_template(
        "paging/new.html", group=group, actor=actor, cases=cases, error=errors, values=values or {}
    )
    return (html, 422) if errors else html


@blueprint.get("/page")
@login_required
async def page_any_group() -> tuple[str, int] | str:
    values = {"case": request.args.get("case", "")}
    return await _any_group_form(request.args.get("group", ""), values=values)


@blueprint.post("/page")
@login_required
async def send_page_to_group() -> Response | tuple[str, int] | str:
    state = app_state()
    account = current_account()
    assert account is not None
    form = await request.form
    values = {k: str(form.get(k) or "") for k in ("group", "case", "urgency", "question")}
    try:
        async with state.transaction() as db:
            me = await get_actor_for_account(db, account.id)
            actor = await _joined_group(db, me, values["group"])
            group = await groups_repo.get_group_by_actor(db, actor.id)
            page_id, waiting = await _page_from_form(db, state, account, me, group, actor, values)
    except paging_service.PagingError as error:
        return await _any_group_form(values["group"], str(error), values)
    return await _sent(state, page_id, waiting)


async def _page_from_form(  # type: ignore[no-untyped-def]
    db, state: AppState, account, me, group, actor, values: dict[str, str]
) -> tuple[int, bool]:
    """Sends the page the form describes; its id, and whether it waits for an urgent review."""
    case = await db.get(Case, int(values["case"])) if values["case"].isdigit() else None
    if me is None or case is None:
        raise paging_service.PagingError("Choose one of your cases.")
    page = await paging_service.send_page(
        db,
        state,
        account,
        me,
        group,
        actor,
        paging_service.NewPage(case=case, urgency=values["urgency"], question=values["question"]),
        current_operator(),
    )
    return page.id, page.state == "review"


async def _sent(state: AppState, page_id: int, waiting: bool) -> Response:
    push_jobs.wake(state)
    await flash(
        "Urgent review asked: the page goes out once a reviewer approves the case."
        if waiting
        else "Paged: the members on call are told now."
    )
    return redirect(url_for("paging.page_view", page_id=page_id))


@blueprint.get("/groups/<slug>/page")
@login_required
async def new_page(slug: str) -> tuple[str, int] | str:
    return await _page_form(slug)


@blueprint.post("/groups/<slug>/page")
@login_required
async def send_page(slug: str) -> Response | tuple[str, int] | str:
    state = app_state()
    account = current_account()
    assert account is not None
    form = await request.form
    values = {k: str(form.get(k) or "") for k in ("case", "urgency", "question")}
    try:
        async with state.transaction() as db:
            found = await groups_repo.get_group_by_slug(db, slug)
            if found is None:
                abort(404)
            group, actor = found
            me = await get_actor_for_account(db, account.id)
            page_id, waiting = await _page_from_form(db, state, account, me, group, actor, values)
    except paging_service.PagingError as error:
        return await _page_form(slug, str(error), values)
    return await _sent(state, page_id, waiting)


@blueprint.get("/pages/<int:page_id>")
@login_required
async def page_view(page_id: int) -> str:
    account = current_account()
    assert account is not None
    async with app_state().transaction() as db:
        page = await paging_repo.get_page(db, page_id)
        if page is None:
            abort(404)
        me = await get_actor_for_account(db, account.id)
        recipients = await paging_repo.recipients(db, page.id)
        group = await groups_repo.get_group_by_actor(db, page.group_actor_id)
        moderator = group is not None and await groups_repo.is_moderator(db, group.id, account.id)
        mine = me is not None and me.id == page.requester_actor_id
        paged = me is not None and any(actor.id == me.id for _, actor in recipients)
        if not (mine or paged or moderator):
            abort(404)
        if paged and me is not None:
            await paging_service.mark_seen(db, app_state(), me, page_id=page.id)
            recipients = await paging_repo.recipients(db, page.id)
        requester = await db.get(Actor, page.requester_actor_id)
        group_actor = await db.get(Actor, page.group_actor_id)
        case = await db.get(Case, page.case_id) if page.case_id else None
    return await render_template(
        "paging/page.html",
        page=page,
        recipients=recipients,
        requester=requester,
        group_actor=group_actor,
        group=group,
        case=case,
    )


@blueprint.post("/on-call")
@login_required
async def on_call() -> Response:
    account = current_account()
    assert account is not None
    form = await request.form
    back = str(form.get("next") or "")
    if not back.startswith("/") or back.startswith("//"):
        back = url_for("groups.index")
    group_id = str(form.get("group") or "")
    try:
        schedule = check_schedule(
            form.getlist("days"), str(form.get("start") or ""), str(form.get("end") or "")
        )
    except PagingRuleError as error:
        await flash(str(error))
        return redirect(back)
    async with app_state().transaction() as db:
        me = await get_actor_for_account(db, account.id)
        group_actor = await db.get(Actor, int(group_id)) if group_id.isdigit() else None
        if me is None or group_actor is None or not await groups_repo.is_member(db, group_actor.id, me.id):
            abort(404)
        await paging_service.set_on_call(
            db, account, group_actor, enabled=form.get("enabled") == "on", schedule=schedule
        )
    await flash(_describe_on_call(form.get("enabled") == "on", schedule))
    return redirect(back)


def _describe_on_call(enabled: bool, schedule: Schedule) -> str:
    if enabled:
        return "You are on call for this group: pages reach you now."
    if not schedule.empty:
        days = ", ".join(WEEKDAYS[int(d)] for d in schedule.days)
        return f"On call {days}, {schedule.start}-{schedule.end} UTC."
    return "You are off call for this group: only escalated pages reach you."
