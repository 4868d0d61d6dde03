"""Specialty group pages and the group actor's ActivityPub endpoints (FEP-1b12).

Routes: /groups (hosted groups, the ones I joined, join a group at another hospital),
/groups/<slug> (the ``Group`` actor for AS2 clients, its page otherwise: recent cases and active
discussions), its inbox, outbox and followers; POST join/leave (CSRF-protected forms), and for
moderators: answer join requests, remove a post from the group.
"""

from __future__ import annotations

from quart import Blueprint, abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from fediverse_cases.convert.actors import collection_document, outbox_document
from fediverse_cases.convert.groups import group_document, moderators_document
from fediverse_cases.services import follow_remote
from fediverse_cases.services import groups as group_service
from fediverse_cases.storage.models import Follow
from fediverse_cases.storage.repositories import feeds as feed_repo
from fediverse_cases.storage.repositories import groups as groups_repo
from fediverse_cases.storage.repositories import paging as paging_repo
from fediverse_cases.storage.repositories.accounts import get_actor_for_account
from fediverse_cases.web.auth import current_account, current_operator, login_required
from fediverse_cases.web.blueprints import paging as paging_views
from fediverse_cases.web.blueprints.activitypub import (
    _receive,
    _refuse_unallowed_signer,
    as2_response,
    json_response,
    wants_as2,
)
from fediverse_cases.web.blueprints.feeds import case_list
from fediverse_cases.web.csrf import csrf_exempt
from fediverse_cases.web.rendering import render_template
from fediverse_cases.web.state import app_state

blueprint = Blueprint("groups", __name__)
blueprint.before_request(_refuse_unallowed_signer)


async def _group_or_404(db, slug: str):  # type: ignore[no-untyped-def]
    found = await groups_repo.get_group_by_slug(db, slug)
    if found is None:
        abort(404)
    return found


@blueprint.get("/groups")
async def index() -> str:
    account = current_account()
    async with app_state().sessionmaker() as db:
        hosted = await groups_repo.list_groups(db)
        joined = []
        on_call = {}
        if account is not None:
            me = await get_actor_for_account(db, account.id)
            joined = await groups_repo.groups_joined(db, me.id) if me else []
            for _, group_actor in joined:
                on_call[group_actor.id] = await paging_repo.get_on_call(db, account.id, group_actor.id)
    return await render_template("groups/index.html", hosted=hosted, joined=joined, on_call=on_call)


@blueprint.post("/groups/join-remote")
@login_required
async def join_remote() -> Response:
    """Join a group at another hospital by its handle (``@slug@host``) or actor URL."""
    state = app_state()
    handle = ((await request.form).get("handle") or "").strip()
    account = current_account()
    assert account is not None
    try:
        remote = await follow_remote.lookup_remote(state, handle)
        if remote.actor_type != "Group":
            raise follow_remote.FollowError(f"{handle} is not a group.")
        async with state.transaction() as db:
            me = await get_actor_for_account(db, account.id)
            assert me is not None
            await group_service.join(db, state, me, remote)
    except follow_remote.FollowError as error:
        await flash(str(error))
        return redirect(url_for("groups.index"))
    await flash(f"Asked to join {remote.display_name or remote.handle}; its hospital will answer.")
    return redirect(url_for("groups.index"))


@blueprint.get("/groups/<slug>")
async def group_page(slug: str) -> Response | str:
    state = app_state()
    if wants_as2():
        async with state.sessionmaker() as db:
            found = await groups_repo.get_group_by_slug(db, slug)
            if found is None:
                return as2_response({"error": "no such group"}, 404)
            _, actor = found
        response = as2_response(group_document(actor, state.urls))
        response.headers["Cache-Control"] = "public, max-age=60"
        return response
    account = current_account()
    async with state.sessionmaker() as db:
        group, actor = await _group_or_404(db, slug)
        moderators = await groups_repo.moderators(db, group.id)
        members = await groups_repo.members(db, actor.id)
        me = await get_actor_for_account(db, account.id) if account else None
        membership = await groups_repo.get_membership(db, me.id, actor.id) if me else None
        is_moderator = account is not None and await groups_repo.is_moderator(db, group.id, account.id)
        pending = await groups_repo.members(db, actor.id, "pending") if is_moderator else []
        posts = await groups_repo.recent_cases(db, actor.id, limit=40)
        candidates = groups_repo.visible_case_ids(actor.id)
        page = await feed_repo.candidates_page(db, candidates, signed_in=account is not None, cursor=None)
        discussions = await groups_repo.active_discussions(db, actor.id, limit=5)
        paging = await paging_views.panel(db, account, me, group, actor, is_moderator)
    return await render_template(
        "groups/group.html",
        group=group,
        actor=actor,
        moderators=moderators,
        member_count=len(members),
        membership=membership,
        is_moderator=is_moderator,
        pending=pending,
        posts=posts,
        case_list=case_list(page, "", "No cases in this group yet."),
        discussions=discussions,
        paging=paging,
        handle=f"{actor.username}@{state.settings.instance.host}",
    )


@blueprint.post("/groups/<slug>/inbox")
@csrf_exempt
async def group_inbox(slug: str) -> Response:
    async with app_state().sessionmaker() as db:
        if await groups_repo.get_group_by_slug(db, slug) is None:
            return json_response({"status": "error", "message": "no such group"}, "application/json", 404)
    return await _receive()


@blueprint.get("/groups/<slug>/outbox")
async def group_outbox(slug: str) -> Response:
    async with app_state().sessionmaker() as db:
        found = await groups_repo.get_group_by_slug(db, slug)
        if found is None:
            return as2_response({"error": "no such group"}, 404)
        total = await groups_repo.count_announced(db, found[1].id)
    return as2_response(outbox_document(found[1].outbox_url, total))


@blueprint.get("/groups/<slug>/moderators")
async def group_moderators(slug: str) -> Response:
    """The group's moderators (its ``attributedTo``), as Lemmy publishes them."""
    async with app_state().sessionmaker() as db:
        found = await groups_repo.get_group_by_slug(db, slug)
        if found is None:
            return as2_response({"error": "no such group"}, 404)
        moderators = await groups_repo.moderator_actor_uris(db, found[0].id)
    return as2_response(moderators_document(found[1].uri, moderators))


@blueprint.get("/groups/<slug>/followers")
async def group_followers(slug: str) -> Response:
    async with app_state().sessionmaker() as db:
        found = await groups_repo.get_group_by_slug(db, slug)
        if found is None:
            return as2_response({"error": "no such group"}, 404)
        total = len(await groups_repo.members(db, found[1].id))
    return as2_response(collection_document(found[1].followers_url, total))


@blueprint.post("/groups/<slug>/join")
@login_required
async def join(slug: str) -> Response:
    state = app_state()
    account = current_account()
    assert account is not None
    try:
        async with state.transaction() as db:
            _, actor = await _group_or_404(db, slug)
            me = await get_actor_for_account(db, account.id)
            assert me is not None
            follow = await group_service.join(db, state, me, actor)
            joined = follow.state == "accepted"
    except group_service.GroupError as error:
        await flash(str(error))
        return redirect(url_for("groups.group_page", slug=slug))
    await flash("You joined the group." if joined else "Your request to join waits for a moderator.")
    return redirect(url_for("groups.group_page", slug=slug))


@blueprint.post("/groups/<slug>/leave")
@login_required
async def leave(slug: str) -> Response:
    state = app_state()
    account = current_account()
    assert account is not None
    async with state.transaction() as db:
        _, actor = await _group_or_404(db, slug)
        me = await get_actor_for_account(db, account.id)
        assert me is not None
        await group_service.leave(db, state, me, actor)
    await flash("You left the group.")
    return redirect(url_for("groups.group_page", slug=slug))


async def _moderating(db, slug: str):  # type: ignore[no-untyped-def]
    group, actor = await _group_or_404(db, slug)
    account = current_account()
    if account is None or not await groups_repo.is_moderator(db, group.id, account.id):
        abort(403)
    return group, actor


@blueprint.post("/groups/<slug>/requests/<int:follow_id>/<decision>")
@login_required
async def answer_request(slug: str, follow_id: int, decision: str) -> Response:
    if decision not in ("approve", "reject"):
        abort(404)
    state = app_state()
    try:
        async with state.transaction() as db:
            group, actor = await _moderating(db, slug)
            follow = await db.get(Follow, follow_id)
            if follow is None:
                abort(404)
            await group_service.answer_request(db, state, group, actor, follow, accept=decision == "approve")
    except group_service.GroupError as error:
        await flash(str(error))
    return redirect(url_for("groups.group_page", slug=slug))


@blueprint.post("/groups/<slug>/posts/<int:post_id>/remove")
@login_required
async def remove_post(slug: str, post_id: int) -> Response:
    state = app_state()
    async with state.transaction() as db:
        _, actor = await _moderating(db, slug)
        removed = await group_service.remove_post(db, state, actor, post_id, current_operator())
    if not removed:
        abort(404)
    await flash("Removed from the group; members' hospitals are told.")
    return redirect(url_for("groups.group_page", slug=slug))
