"""Follow, Accept, Reject and Undo(Follow) between instances.

Inbound Follow of a local actor is accepted automatically (hospitals may make this manual later):
the Follow row becomes ``accepted`` and an Accept goes back to the follower, whose inbox then
receives the actor's published cases. Accept/Reject answer a Follow we sent; Undo(Follow) ends a
remote follower's follow.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fediverse_cases.activitypub.base import id_of
from fediverse_cases.convert.actors import accept_activity, reject_activity
from fediverse_cases.federation import groups as group_federation
from fediverse_cases.federation.handlers.context import Ignored, InboxContext
from fediverse_cases.federation.outbox import enqueue
from fediverse_cases.storage.models import Actor, Follow
from fediverse_cases.storage.repositories import accounts as account_repo
from fediverse_cases.storage.repositories import follows as follows_repo
from fediverse_cases.storage.repositories import groups as groups_repo
from fediverse_cases.storage.repositories.cases import add_notification


async def _local_target(ctx: InboxContext, iri: str | None) -> Actor:
    target = await account_repo.get_actor_by_uri(ctx.db, iri) if iri else None
    if target is None or not target.is_local:
        raise Ignored(f"follow of {iri!r}, which is not an actor of this instance")
    return target


async def handle_follow(ctx: InboxContext) -> None:
    follower = await ctx.actor()
    followed = await _local_target(ctx, ctx.object_iri)
    follow_id = str(ctx.activity["id"])
    follow = await account_repo.get_follow(ctx.db, follower.id, followed.id)
    decision = await _group_decision(ctx, followed, follower)
    if decision == "reject":
        await _reject(ctx, followed, follower, follow_id)
        if follow is not None:
            await follows_repo.delete_follow(ctx.db, follow.id)
        return
    if follow is None:
        follow = Follow(follower_id=follower.id, followed_id=followed.id)
        ctx.db.add(follow)
    follow.activity_uri = follow_id
    if (followed.manually_approves_followers or decision == "pending") and follow.state != "accepted":
        # Waits for the person's answer (follow requests in the client API).
        follow.state = "pending"
        await ctx.db.flush()
        return
    newly_following = follow.state != "accepted"
    follow.state = "accepted"
    await ctx.db.flush()
    if newly_following and followed.account_id is not None:
        add_notification(
            ctx.db,
            account_id=followed.account_id,
            kind="follow",
            case_id=None,
            from_actor_id=follower.id,
            message=f"{follower.handle} followed you",
        )
    await _answer(ctx, accept_activity, "accepts", followed, follower, follow_id)


async def _group_decision(ctx: InboxContext, followed: Actor, follower: Actor) -> str | None:
    """For one of our groups: its join rule's answer (``accept``/``pending``/``reject``)."""
    if followed.actor_type != "Group":
        return None
    group = await groups_repo.get_group_by_actor(ctx.db, followed.id)
    if group is None:
        return "reject"
    return await group_federation.decide_join(ctx.db, group, follower)


async def _reject(ctx: InboxContext, followed: Actor, follower: Actor, follow_id: str) -> None:
    """A group's join rule refused: Reject, so the applicant's server stops waiting."""
    await _answer(ctx, reject_activity, "rejects", followed, follower, follow_id)


async def _answer(
    ctx: InboxContext,
    make: Callable[[str, str, dict[str, Any], str], dict[str, Any]],
    kind: str,
    followed: Actor,
    follower: Actor,
    follow_id: str,
) -> None:
    """Send ``follower`` our Accept or Reject of their Follow ``follow_id``."""
    await enqueue(
        ctx.db,
        ctx.state,
        activity=make(
            f"{followed.uri}#{kind}/{uuid.uuid4().hex}",
            followed.uri,
            {"id": follow_id, "type": "Follow", "actor": follower.uri, "object": followed.uri},
            follower.uri,
        ),
        sender=followed,
        inboxes=[follower.inbox_url or follower.shared_inbox_url],
    )


async def _answered_follow(ctx: InboxContext) -> Follow:
    """The Follow we sent that this Accept/Reject answers (by id, else by the pair)."""
    answerer = await ctx.actor()
    obj = ctx.activity.get("object")
    follow_id = id_of(obj)
    follow = await follows_repo.get_follow_by_activity(ctx.db, follow_id) if follow_id else None
    if follow is None and isinstance(obj, dict):
        follower = await account_repo.get_actor_by_uri(ctx.db, str(id_of(obj.get("actor")) or ""))
        if follower is not None and follower.is_local:
            follow = await account_repo.get_follow(ctx.db, follower.id, answerer.id)
    if follow is None or follow.followed_id != answerer.id:
        raise Ignored("answer to a Follow we did not send to this actor")
    return follow


async def handle_accept(ctx: InboxContext) -> None:
    follow = await _answered_follow(ctx)
    follow.state = "accepted"


async def handle_reject(ctx: InboxContext) -> None:
    follow = await _answered_follow(ctx)
    await follows_repo.delete_follow(ctx.db, follow.id)


async def handle_undo_follow(ctx: InboxContext) -> None:
    follower = await ctx.actor()
    obj = ctx.activity.get("object")
    follow = await follows_repo.get_follow_by_activity(ctx.db, str(id_of(obj) or ""))
    if follow is None and isinstance(obj, dict):
        followed = await _local_target(ctx, id_of(obj.get("object")))
        follow = await account_repo.get_follow(ctx.db, follower.id, followed.id)
    if follow is None or follow.follower_id != follower.id:
        raise Ignored("Undo of a Follow we do not have")
    await follows_repo.delete_follow(ctx.db, follow.id)
