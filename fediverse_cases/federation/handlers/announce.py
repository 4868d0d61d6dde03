"""Announce from a group (FEP-1b12) at a member's hospital, and the group's Undo(Announce).

An Announce from a ``Group`` a local member belongs to is unwrapped (``unwrap``) and the
embedded activity is processed by the dispatcher as a forwarded delivery: the author's integrity
proof must verify, or the object is fetched from its origin, and every check of a direct
delivery applies (allow-list, origin, professional claim, text scanning, de-identification).
What was kept is then recorded as posted in that group (``record``). ``Undo(Announce)`` (a
moderator removed the post) or a relayed ``Delete`` hides it from the group feed. Boosts by
people are not kept.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.activitypub.base import id_of
from fediverse_cases.federation.dereference import FetchError, fetch_document
from fediverse_cases.federation.handlers.context import Ignored, InboxContext
from fediverse_cases.storage.models import Actor, GroupPost
from fediverse_cases.storage.repositories import cases as cases_repo
from fediverse_cases.storage.repositories import comments as comments_repo
from fediverse_cases.storage.repositories import groups as groups_repo

RELAYED_TYPES = ("Create", "Update", "Delete")


async def _known_group(ctx: InboxContext) -> Actor:
    group = await ctx.actor()
    if group.actor_type != "Group":
        raise Ignored("Announce by an actor that is not a group (boosts are not kept)")
    if not await groups_repo.followed_by_local_member(ctx.db, group.id):
        raise Ignored("Announce by a group nobody here belongs to")
    return group


async def _inner_activity(ctx: InboxContext) -> dict[str, Any]:
    """The announced activity. Embedded: as the author sent it (its proof is checked when it is
    processed). By reference: fetched from its origin; a bare object becomes a Create whose
    object is fetched from its origin again when processed."""
    inner = ctx.activity.get("object")
    if isinstance(inner, str):
        try:
            inner = await fetch_document(ctx.state, inner)
        except FetchError as error:
            raise Ignored(f"announced object could not be fetched: {error}") from None
    if not isinstance(inner, dict):
        raise Ignored("Announce without an object")
    kind = inner.get("type")
    if kind in RELAYED_TYPES:
        return inner
    object_id, author = id_of(inner.get("id")), id_of(inner.get("attributedTo"))
    if kind in ("Note", "Question", "Page", "Article") and object_id and author:
        return {"id": f"{object_id}#group-announce", "type": "Create", "actor": author, "object": object_id}
    raise Ignored(f"Announce of {kind!r} is not relayed")


async def _record(db: AsyncSession, group: Actor, object_id: str, announce_id: str) -> None:
    case = await cases_repo.get_case_by_ap_id(db, object_id)
    comment = None if case is not None else await comments_repo.get_comment_by_ap_id(db, object_id)
    if case is None and comment is None:
        return
    post = await groups_repo.get_post(db, group.id, object_id)
    if post is None:
        db.add(
            GroupPost(
                group_actor_id=group.id,
                object_ap_id=object_id,
                case_id=case.id if case is not None else None,
                comment_id=comment.id if comment is not None else None,
                state="received",
                announce_id=announce_id,
            )
        )
    elif post.state != "removed":
        post.state, post.announce_id = "received", announce_id
    await db.flush()


async def unwrap(ctx: InboxContext) -> InboxContext:
    """The announced activity, ready for the dispatcher, as a forwarded delivery via the group."""
    group = await _known_group(ctx)
    inner = await _inner_activity(ctx)
    return InboxContext(
        db=ctx.db, state=ctx.state, signer=ctx.signer, activity=inner, forwarded=True, via_group=group
    )


async def record(ctx: InboxContext, inner: InboxContext) -> None:
    """After the inner activity was processed: note what the group now shows (or hides)."""
    group = inner.via_group
    assert group is not None
    object_id = id_of(inner.activity.get("object"))
    if inner.activity.get("type") == "Create" and object_id:
        await _record(ctx.db, group, object_id, str(ctx.activity.get("id")))
    elif inner.activity.get("type") == "Delete" and object_id:
        await _hide(ctx.db, group, object_id)


async def _hide(db: AsyncSession, group: Actor, object_id: str) -> bool:
    post = await groups_repo.get_post(db, group.id, object_id)
    if post is None:
        return False
    post.state = "removed"
    await db.flush()
    return True


async def handle_undo_announce(ctx: InboxContext) -> None:
    """A group took a post back (a moderator removed it): hide it from the group here."""
    group = await ctx.actor()
    undone = ctx.activity.get("object")
    announce_id = id_of(undone)
    post = await groups_repo.post_by_announce(ctx.db, announce_id) if announce_id else None
    if post is None and isinstance(undone, dict):
        inner = undone.get("object")
        object_id = id_of(inner.get("object")) if isinstance(inner, dict) else id_of(inner)
        post = await groups_repo.get_post(ctx.db, group.id, object_id) if object_id else None
    if post is None or post.group_actor_id != group.id:
        raise Ignored("Undo of an Announce we do not hold")
    post.state = "removed"
    await ctx.db.flush()
