"""Federation pages: the peers admin (allow/block/remove, health, per-object delivery state) and
following people at other hospitals (``/follow``, ``/remote/<id>``)."""

from __future__ import annotations

from quart import Blueprint, Response, abort, flash, redirect, request, url_for

from fediverse_cases.services import peers as peer_service
from fediverse_cases.services.follow_remote import FollowError, follow_actor, follow_remote, unfollow_actor
from fediverse_cases.storage.repositories import accounts as account_repo
from fediverse_cases.storage.repositories import deliveries as deliveries_repo
from fediverse_cases.storage.repositories import follows as follows_repo
from fediverse_cases.storage.repositories import inbox_items as inbox_items_repo
from fediverse_cases.storage.repositories import peer_drops as peer_drops_repo
from fediverse_cases.storage.repositories import peers as peers_repo
from fediverse_cases.storage.repositories import remote_actors as remote_actors_repo
from fediverse_cases.web.auth import (
    admin_required,
    current_account,
    current_operator,
    login_required,
)
from fediverse_cases.web.forms import form_fields
from fediverse_cases.web.rendering import render_template
from fediverse_cases.web.state import app_state

blueprint = Blueprint("federation_admin", __name__)


@blueprint.get("/admin/federation")
@admin_required
async def peers_page() -> str:
    state = app_state()
    async with state.sessionmaker() as db:
        peers = await peers_repo.list_peers(db)
        pending = await deliveries_repo.pending_counts_by_peer(db)
        counts = await deliveries_repo.delivery_state_counts(db)
        inbox_counts = await inbox_items_repo.inbox_state_counts(db)
        drops = await peer_drops_repo.drops_by_peer(db)
    return await render_template(
        "admin/federation.html",
        peers=peers,
        pending=pending,
        counts=counts,
        inbox_counts=inbox_counts,
        drops=drops,
        mode=state.settings.federation.mode,
        error=None,
    )


@blueprint.post("/admin/federation/peers")
@admin_required
async def change_peer() -> Response | tuple[str, int]:
    values = await form_fields(("action", "host", "vouch", "purge"))
    state = app_state()
    action = values["action"]
    if action not in ("allow", "block", "remove"):
        abort(400, description="Choose allow, block or remove.")
    try:
        async with state.transaction() as db:
            if action == "allow":
                await peer_service.allow_peer(
                    db, state, values["host"], current_operator(), vouch_professionals=bool(values["vouch"])
                )
                message = f"{values['host']} is allowed."
            elif action == "block":
                cancelled = await peer_service.block_peer(db, state, values["host"], current_operator())
                message = f"{values['host']} is blocked; {cancelled} queued deliveries cancelled."
            else:
                result = await peer_service.remove_peer(
                    db, state, values["host"], current_operator(), purge=bool(values["purge"])
                )
                message = (
                    f"{result.host} removed; {result.cancelled_deliveries} queued deliveries cancelled."
                    + (
                        f" Purged {result.purged_actors} people and {result.purged_media} media files."
                        if values["purge"]
                        else ""
                    )
                )
    except peer_service.PeerError as error:
        async with state.sessionmaker() as db:
            peers = await peers_repo.list_peers(db)
            pending = await deliveries_repo.pending_counts_by_peer(db)
        page = await render_template(
            "admin/federation.html",
            peers=peers,
            pending=pending,
            counts={},
            inbox_counts={},
            drops={},
            mode=state.settings.federation.mode,
            error=str(error),
        )
        return page, 400
    await flash(message)
    return redirect(url_for("federation_admin.peers_page"))


@blueprint.get("/admin/federation/deliveries")
@admin_required
async def deliveries_page() -> str:
    object_id = request.args.get("object", "").strip()
    async with app_state().sessionmaker() as db:
        rows = (
            await deliveries_repo.deliveries_for_object(db, object_id)
            if object_id
            else await deliveries_repo.recent_deliveries(db)
        )
    return await render_template("admin/federation_deliveries.html", rows=rows, object_id=object_id)


# --- following people at other hospitals -------------------------------------------------------


@blueprint.get("/follow")
@login_required
async def follow_page() -> str:
    account = current_account()
    assert account is not None
    async with app_state().sessionmaker() as db:
        me = await account_repo.get_actor_for_account(db, account.id)
        follows = (
            [pair for pair in await follows_repo.follows_of(db, me.id) if not pair[1].is_local] if me else []
        )
    return await render_template("federation/follow.html", follows=follows, error=None, handle="")


@blueprint.post("/follow")
@login_required
async def follow_submit() -> Response | tuple[str, int]:
    account = current_account()
    assert account is not None
    values = await form_fields(("handle",))
    handle = values["handle"].strip()
    if not handle:
        return await render_template(
            "federation/follow.html",
            follows=[],
            error="Enter @name@hospital.example or a profile URL.",
            handle="",
        ), 400
    try:
        follow, remote = await follow_remote(app_state(), account, handle, current_operator())
    except FollowError as error:
        return await render_template(
            "federation/follow.html", follows=[], error=str(error), handle=handle
        ), 400
    await flash("Follow request sent." if follow.state == "pending" else "You follow this person.")
    return redirect(url_for("federation_admin.remote_actor", actor_id=remote.id))


@blueprint.get("/remote/<int:actor_id>")
async def remote_actor(actor_id: int) -> str:
    account = current_account()
    async with app_state().sessionmaker() as db:
        actor = await remote_actors_repo.get_actor(db, actor_id)
        if actor is None or actor.is_local:
            abort(404)
        follow = None
        if account is not None:
            me = await account_repo.get_actor_for_account(db, account.id)
            follow = await account_repo.get_follow(db, me.id, actor.id) if me else None
    return await render_template("federation/remote_actor.html", actor=actor, follow=follow)


@blueprint.post("/remote/<int:actor_id>/follow")
@login_required
async def remote_follow(actor_id: int) -> Response:
    account = current_account()
    assert account is not None
    try:
        await follow_actor(app_state(), account, actor_id, current_operator())
    except FollowError:
        abort(404)
    await flash("Follow request sent.")
    return redirect(url_for("federation_admin.remote_actor", actor_id=actor_id))


@blueprint.post("/remote/<int:actor_id>/unfollow")
@login_required
async def remote_unfollow(actor_id: int) -> Response:
    account = current_account()
    assert account is not None
    await unfollow_actor(app_state(), account, actor_id, current_operator())
    await flash("Unfollowed.")
    return redirect(url_for("federation_admin.remote_actor", actor_id=actor_id))
