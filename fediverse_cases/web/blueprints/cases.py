"""The case page, its comments, likes and flags, and the reviewers' flag queue.

Routes: GET /cases/<id> (page, tombstone 410 when withdrawn), POST /cases/<id>/comments,
/comments/<id>/edit|delete|flag, GET /comments/<id> (permalink -> page anchor),
POST /cases/<id>/like|unlike|flag, GET /moderation/flags, POST /moderation/flags/<n>.
Visibility always goes through ``core.case_access`` (via services.social.require_visible).
"""

from __future__ import annotations

from quart import Blueprint, abort, current_app, flash, redirect, url_for
from sqlalchemy.ext.asyncio import AsyncSession
from werkzeug.wrappers import Response

from fediverse_cases.core.accounts import can_post_and_comment, can_review
from fediverse_cases.core.case_access import (
    CaseState,
    Viewer,
    Visibility,
    can_see_unpublished,
    case_facts,
)
from fediverse_cases.federation.handlers import context_backfill
from fediverse_cases.services import comments as comment_service
from fediverse_cases.services import outcomes as outcome_service
from fediverse_cases.services import paging as paging_service
from fediverse_cases.services import polls as poll_service
from fediverse_cases.services import social
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Account, Actor, Case, CaseImage
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories import comments as comment_repo
from fediverse_cases.storage.repositories import social as social_repo
from fediverse_cases.storage.repositories.accounts import get_actor_for_account
from fediverse_cases.web.auth import (
    current_account,
    current_actor,
    login_required,
    operator_for,
    reviewer_required,
)
from fediverse_cases.web.case_page_view import ReaderFacts, reader_facts, shared_case_view
from fediverse_cases.web.case_views import highlight_segments
from fediverse_cases.web.doc_cache import cached_page, fresh_for_at_most
from fediverse_cases.web.forms import form_fields
from fediverse_cases.web.rendering import render_template
from fediverse_cases.web.state import app_state

blueprint = Blueprint("cases", __name__)

STATE_BANNERS = {
    CaseState.DRAFT: "Draft: only you can see this case.",
    CaseState.PENDING: "Waiting for review: not visible to anyone else yet.",
    CaseState.CHANGES_REQUESTED: "The reviewer asked for changes before this case can be published.",
    CaseState.REJECTED: "Rejected by the reviewer: this case will not be published.",
}


@blueprint.app_template_global("case_image_url")
def case_image_url(image: CaseImage, variant: str = "display") -> str:
    """URL of a stored variant ("thumb", "display", "full") of a de-identified image."""
    extension = ".png" if image.media_type == "image/png" else ".jpg"
    return app_state().urls.media_file(image.media_key, variant, extension)


async def _who(db: AsyncSession) -> tuple[Account | None, Actor | None, Viewer]:
    account = current_account()
    actor = await get_actor_for_account(db, account.id) if account is not None else None
    return account, actor, social.viewer_for(account, actor)


def _case_url(case: Case, anchor: str = "") -> str:
    return url_for("cases.case_page", public_id=case.public_id) + (f"#{anchor}" if anchor else "")


def may_page_with(case: Case, actor: Actor) -> bool:
    """A case its author may page a group with (the service checks again on sending)."""
    return (
        case.is_local
        and case.author_actor_id == actor.id
        and case.visibility == Visibility.PUBLIC
        and case.state in (CaseState.PUBLISHED, CaseState.PENDING)
        and not case.hidden
    )


@blueprint.get("/cases/<public_id>")
@cached_page()
async def case_page(public_id: str) -> str | tuple[str, int]:
    return await _render_case(public_id)


async def _render_case(
    public_id: str, *, status: int = 200, comment_form: dict[str, object] | None = None
) -> str | tuple[str, int]:
    state = app_state()
    account = current_account()
    moderator = can_review(account)
    shared = await shared_case_view(public_id, moderator)
    actor = await current_actor()
    viewer = social.viewer_for(account, actor)
    facts = shared.facts
    case = facts.listing.case if facts is not None else None
    if case is not None and case.state == CaseState.WITHDRAWN:
        # Once public, a withdrawal is announced as such; a never-published case stays a 404.
        if case.published_at is None and not can_see_unpublished(viewer, case_facts(case)):
            abort(404)
        return await render_template("cases/tombstone.html", case=case), 410
    try:
        case = social.require_visible(viewer, case)
    except social.SocialError:
        abort(404)
    assert facts is not None
    if context_backfill.due_for_refresh(state, case):
        # FEP-7888: replies the home has and we missed arrive after this page is answered.
        current_app.add_background_task(context_backfill.refresh_when_opened, state, case.id)
    reader = ReaderFacts()
    if actor is not None:
        reader = await reader_facts(case, actor.id, shared.poll, may_page_with(case, actor))
    if reader.unseen_pages:
        # Opening the case is seeing the pages about it that were for me.
        async with state.transaction() as db:
            assert account is not None
            me = await get_actor_for_account(db, account.id)
            if me is not None:
                await paging_service.mark_seen(db, state, me, case_id=case.id)
    poll = None
    if shared.poll is not None:
        poll = poll_service.view_from(
            case,
            account,
            actor.id if actor else None,
            shared.poll,
            shared.poll_counts,
            shared.poll_voters,
            reader.own_choices,
        )
        if not poll.closed and poll.ends_at is not None:
            fresh_for_at_most((poll.ends_at - utcnow()).total_seconds())  # the page closes it
    outcome = outcome_service.view_from(
        shared.outcome, case, account, actor, answered_poll=bool(poll and poll.voted)
    )
    if account is not None:
        # Before the page is answered, committed on its own: who viewed which case is kept even
        # if rendering fails after this.
        await state.audit_appends.append(
            operator_for(account).entry(
                "case.view", target_type="case", target_id=case.public_id, case_id=case.id
            ),
        )
    page = await render_template(
        "cases/case.html",
        case=case,
        banner="Hidden pending a reviewer's decision on a flag."
        if case.hidden
        else STATE_BANNERS.get(case.state, ""),
        case_body=shared.body,
        thread=shared.thread,
        likes=facts.likes,
        liked=reader.liked,
        viewer_actor_id=actor.id if actor else None,
        moderator=moderator,
        may_comment=can_post_and_comment(account) and case.state == CaseState.PUBLISHED and not case.hidden,
        comment_form=comment_form or {},
        poll=poll,
        outcome=outcome,
        stacks=shared.stacks,
        page_groups=reader.page_groups,
    )
    return page, status


@blueprint.post("/cases/<public_id>/comments")
@login_required
async def add_comment(public_id: str) -> Response | str | tuple[str, int]:
    state = app_state()
    values = await form_fields(("content", "parent_id", "send_for_review"))
    try:
        async with state.transaction() as db:
            account, actor, viewer = await _who(db)
            assert account is not None and actor is not None
            case = await case_repo.get_case_by_public_id(db, public_id)
            parent = None
            if values["parent_id"]:
                parent = await comment_repo.get_comment_by_public_id(db, values["parent_id"])
                if parent is None:
                    raise comment_service.CommentError(422, "That comment cannot be replied to.")
            comment = await comment_service.post_comment(
                db,
                state,
                account,
                actor,
                viewer,
                case,
                values["content"],
                parent,
                operator_for(account),
                send_for_review=values["send_for_review"] == "1",
            )
            assert case is not None
    except comment_service.CommentError as error:
        return await _comment_refused(public_id, error, values)
    if comment.state == "held":
        await flash(HELD_MESSAGE)
        return redirect(_case_url(case, "comments"))
    return redirect(_case_url(case, f"c-{comment.public_id}"))


HELD_MESSAGE = (
    "Your comment was sent to the privacy officer. Nobody else sees it until it is approved; "
    "you will be told if it is not."
)


async def _comment_refused(
    public_id: str, error: comment_service.CommentError, values: dict[str, str], editing: str = ""
) -> str | tuple[str, int]:
    if error.status in (403, 404):
        abort(error.status, description=error.message)
    form = {
        "content": values.get("content", ""),
        "parent_id": values.get("parent_id", ""),
        "editing": editing,
        "message": error.message,
        "segments": highlight_segments(values.get("content", "").strip(), error.findings),
        "may_send_for_review": bool(error.findings),
        "categories": sorted({finding.category for finding in error.findings}),
    }
    return await _render_case(public_id, status=error.status, comment_form=form)


@blueprint.get("/comments/<public_id>")
async def comment_permalink(public_id: str) -> Response:
    async with app_state().sessionmaker() as db:
        account, _actor, viewer = await _who(db)
        comment = await comment_repo.get_comment_by_public_id(db, public_id)
        case = await case_repo.get_case(db, comment.case_id) if comment is not None else None
    try:
        case = social.require_visible(viewer, case)
    except social.SocialError:
        abort(404)
    assert comment is not None
    if comment.state == "deleted" or (comment.state == "hidden" and not can_review(account)):
        abort(404)
    return redirect(_case_url(case, f"c-{comment.public_id}"))


async def _comment_and_case(db: AsyncSession, public_id: str, viewer: Viewer) -> tuple[object, Case]:
    comment = await comment_repo.get_comment_by_public_id(db, public_id)
    case = await case_repo.get_case(db, comment.case_id) if comment is not None else None
    try:
        return comment, social.require_visible(viewer, case)
    except social.SocialError:
        abort(404)


@blueprint.post("/comments/<public_id>/edit")
@login_required
async def edit_comment(public_id: str) -> Response | str | tuple[str, int]:
    state = app_state()
    values = await form_fields(("content",))
    case_public_id = ""
    try:
        async with state.transaction() as db:
            account, actor, viewer = await _who(db)
            assert account is not None and actor is not None
            comment, case = await _comment_and_case(db, public_id, viewer)
            case_public_id = case.public_id
            await comment_service.edit_comment(
                db,
                state,
                account,
                actor,
                comment,
                case,
                values["content"],
                operator_for(account),  # type: ignore[arg-type]
                send_for_review=values.get("send_for_review") == "1",
            )
    except comment_service.CommentError as error:
        return await _comment_refused(case_public_id, error, values, editing=public_id)
    if comment is not None and comment.state == "held":
        await flash(HELD_MESSAGE)
        return redirect(_case_url(case, "comments"))
    return redirect(_case_url(case, f"c-{public_id}"))


@blueprint.post("/comments/<public_id>/delete")
@login_required
async def delete_comment(public_id: str) -> Response:
    state = app_state()
    try:
        async with state.transaction() as db:
            account, actor, viewer = await _who(db)
            assert account is not None
            comment, case = await _comment_and_case(db, public_id, viewer)
            await comment_service.delete_comment(
                db, state, account, actor, comment, case, operator_for(account)
            )  # type: ignore[arg-type]
    except comment_service.CommentError as error:
        abort(error.status, description=error.message)
    await flash("Comment deleted.")
    return redirect(_case_url(case, "comments"))


@blueprint.post("/comments/<public_id>/flag")
@login_required
async def flag_comment(public_id: str) -> Response:
    state = app_state()
    values = await form_fields(("reason",))
    try:
        async with state.transaction() as db:
            account, actor, viewer = await _who(db)
            assert account is not None and actor is not None
            comment, case = await _comment_and_case(db, public_id, viewer)
            await social.flag_comment(
                db,
                state,
                actor,
                viewer,
                case,
                comment,
                values["reason"],
                operator_for(account),  # type: ignore[arg-type]
            )
    except social.SocialError as error:
        abort(error.status, description=error.message)
    await flash("Thank you. The comment is hidden until a reviewer looks at it.")
    return redirect(_case_url(case, "comments"))


async def _case_action(public_id: str, action: str) -> Response:
    state = app_state()
    values = await form_fields(("reason",))
    try:
        async with state.transaction() as db:
            account, actor, viewer = await _who(db)
            assert account is not None and actor is not None
            case = await case_repo.get_case_by_public_id(db, public_id)
            if action == "like":
                await social.like(db, state, actor, viewer, case)
            elif action == "unlike":
                await social.unlike(db, state, actor, viewer, case)
            else:
                await social.flag_case(
                    db, state, actor, viewer, case, values["reason"], operator_for(account)
                )
    except social.SocialError as error:
        abort(error.status, description=error.message)
    if action == "flag":
        await flash("Thank you. The case is hidden until a reviewer looks at it.")
        return redirect(url_for("feeds.local_feed"))
    return redirect(url_for("cases.case_page", public_id=public_id) + "#likes")


@blueprint.post("/cases/<public_id>/like")
@login_required
async def like_case(public_id: str) -> Response:
    return await _case_action(public_id, "like")


@blueprint.post("/cases/<public_id>/unlike")
@login_required
async def unlike_case(public_id: str) -> Response:
    return await _case_action(public_id, "unlike")


@blueprint.post("/cases/<public_id>/flag")
@login_required
async def flag_case(public_id: str) -> Response:
    return await _case_action(public_id, "flag")


@blueprint.get("/moderation/flags")
@reviewer_required
async def flag_queue() -> str:
    async with app_state().sessionmaker() as db:
        flags = await social_repo.open_flags(db)
    return await render_template("moderation/flags.html", flags=flags)


@blueprint.post("/moderation/flags/<int:flag_id>")
@reviewer_required
async def decide_flag(flag_id: int) -> Response:
    values = await form_fields(("decision",))
    account = current_account()
    assert account is not None
    try:
        async with app_state().transaction() as db:
            flag = await social_repo.get_flag(db, flag_id)
            await social.decide_flag(db, account, flag, values["decision"], operator_for(account))
    except social.SocialError as error:
        abort(error.status, description=error.message)
    await flash(
        "Flag upheld: the content stays hidden." if values["decision"] == "uphold" else "Flag dismissed."
    )
    return redirect(url_for("cases.flag_queue"))
