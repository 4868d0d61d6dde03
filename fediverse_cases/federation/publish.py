"""What local changes send to other instances, as plain functions the services call inside
their own transaction (transactional outbox: the change and its delivery rows commit together).

    case_published / case_updated / case_withdrawn      Create / Update / Delete of a case Note
    comment_created / comment_updated / comment_deleted Create / Update / Delete of a reply
    case_liked / case_unliked / case_flagged            Like / Undo(Like) / Flag
    follow_requested / follow_removed                   Follow / Undo(Follow)
    account_updated                                     Update(Person): profile, claim, role

Documents are built in ``convert`` and ``federation.threads``; who receives them is decided in
``federation.recipients``; this module only joins the two and enqueues.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.convert.activities import (
    create_activity,
    delete_activity,
    flag_activity,
    like_activity,
    undo_activity,
    update_activity,
)
from fediverse_cases.convert.actors import (
    accept_activity,
    actor_document,
    follow_activity,
    reject_activity,
    update_actor_activity,
)
from fediverse_cases.core.case_access import case_facts, federates
from fediverse_cases.federation import erasure, groups, outbox, recipients, threads
from fediverse_cases.federation.state import FederationState
from fediverse_cases.storage.models import Account, Actor, Case, Comment, Flag, Follow, Like
from fediverse_cases.storage.repositories import accounts as account_repo
from fediverse_cases.storage.repositories import groups as groups_repo
from fediverse_cases.storage.repositories import remote_actors as remote_actors_repo

log = logging.getLogger(__name__)


async def _enqueue(
    db: AsyncSession,
    state: FederationState,
    activity: dict[str, Any],
    sender: Actor,
    inboxes: set[str],
    object_id: str | None = None,
) -> int:
    # outbox.enqueue drops empty, refused and duplicate inboxes itself.
    return await outbox.enqueue(
        db, state, activity=activity, sender=sender, inboxes=inboxes, object_id=object_id
    )


async def _author(db: AsyncSession, actor_id: int) -> Actor:
    actor = await remote_actors_repo.get_actor(db, actor_id)
    assert actor is not None, "every stored case and comment has an author actor"
    return actor


# Cases ---------------------------------------------------------------------------------------


async def case_published(db: AsyncSession, state: FederationState, case: Case) -> None:
    """An approved local case became visible: Create(Note) to followers (and peers)."""
    if not federates(case_facts(case)):
        return
    author = await _author(db, case.author_actor_id)
    note = await threads.case_note(db, state, case)
    inboxes = await recipients.case_audience(db, case, author)
    activity = create_activity(note)
    await _enqueue(db, state, activity, author, inboxes, case.ap_id)
    await groups.posted(db, state, author, activity, case=case)


async def case_updated(db: AsyncSession, state: FederationState, case: Case) -> None:
    """A published local case changed (caption, tags, alt texts, warning): Update(Note)."""
    if not federates(case_facts(case)):
        return
    author = await _author(db, case.author_actor_id)
    note = await threads.case_note(db, state, case)
    inboxes = await recipients.case_update_audience(db, case, author)
    await _enqueue(db, state, update_activity(note), author, inboxes, case.ap_id)


async def case_withdrawn(db: AsyncSession, state: FederationState, case: Case) -> None:
    """Consent withdrawn (already purged here): Delete(Tombstone) everywhere the case went."""
    if not case.is_local:
        return
    author = await _author(db, case.author_actor_id)
    count = await erasure.send_withdrawal(db, state, case, author)
    log.info("consent withdrawn for %s: %d Delete deliveries queued", case.ap_id, count)


async def case_made_local(db: AsyncSession, state: FederationState, case: Case) -> None:
    """A published case narrowed to "this hospital only": Delete(Tombstone) wherever it went."""
    if not case.is_local:
        return
    author = await _author(db, case.author_actor_id)
    count = await erasure.send_withdrawal(db, state, case, author)
    log.info("%s made local: %d Delete deliveries queued", case.ap_id, count)


# Comments ------------------------------------------------------------------------------------


async def comment_created(db: AsyncSession, state: FederationState, comment: Comment, case: Case) -> None:
    """A local comment on any case: to the case's home, or forwarded by us as its authority."""
    if not comment.is_local:
        return
    targets = await recipients.comment_audience(db, comment, case)
    if not targets and not await groups_repo.group_actors_of_case(db, case.id):
        return
    author = await _author(db, comment.author_actor_id)
    note = await threads.comment_note(db, state, comment, case)
    activity = create_activity(note)
    await _enqueue(db, state, activity, author, targets, comment.ap_id)
    if comment.state == "visible":
        await groups.posted(db, state, author, activity, case=case, comment=comment)


async def comment_updated(db: AsyncSession, state: FederationState, comment: Comment, case: Case) -> None:
    if not comment.is_local or comment.state != "visible":
        return
    targets = await recipients.comment_audience(db, comment, case)
    author = await _author(db, comment.author_actor_id)
    note = await threads.comment_note(db, state, comment, case)
    await _enqueue(db, state, update_activity(note), author, targets, comment.ap_id)


async def comment_deleted(db: AsyncSession, state: FederationState, comment: Comment, case: Case) -> None:
    """A local comment was deleted (or removed by a reviewer): cancel what is queued, send Delete."""
    if not comment.is_local:
        return
    targets = await recipients.comment_audience(db, comment, case)
    author = await _author(db, comment.author_actor_id)
    await outbox.cancel_pending(db, comment.ap_id)
    activity = delete_activity(comment.ap_id, author.uri, to=[author.followers_url])
    await _enqueue(db, state, activity, author, targets, comment.ap_id)


# Likes and reports ---------------------------------------------------------------------------


async def _like(db: AsyncSession, like: Like, case: Case) -> tuple[dict[str, Any], Actor, str] | None:
    """The Like of a local person on a remote case, its sender and the case home's inbox."""
    if case.is_local:
        return None
    liker = await remote_actors_repo.get_actor(db, like.actor_id)
    case_author = await remote_actors_repo.get_actor(db, case.author_actor_id)
    if liker is None or not liker.is_local or case_author is None:
        return None
    like.ap_id = like.ap_id or f"{liker.uri}#likes/{like.id}"
    activity = like_activity(like.ap_id, liker.uri, case.ap_id, case_author.uri)
    return activity, liker, recipients.inbox_of(case_author)


async def case_liked(db: AsyncSession, state: FederationState, like: Like, case: Case) -> None:
    found = await _like(db, like, case)
    if found is not None:
        activity, liker, inbox = found
        await _enqueue(db, state, activity, liker, {inbox}, case.ap_id)


async def case_unliked(db: AsyncSession, state: FederationState, like: Like, case: Case) -> None:
    found = await _like(db, like, case)
    if found is not None:
        activity, liker, inbox = found
        await _enqueue(db, state, undo_activity(activity), liker, {inbox}, case.ap_id)


async def case_flagged(db: AsyncSession, state: FederationState, flag: Flag, case: Case) -> None:
    """Reports about remote content go to its home instance, sent by our instance actor."""
    case_author = await remote_actors_repo.get_actor(db, case.author_actor_id)
    instance = await account_repo.get_instance_actor(db)
    if case.is_local or case_author is None or instance is None:
        return
    objects = [case_author.uri, case.ap_id]
    if flag.comment_id is not None:
        comment = await db.get(Comment, flag.comment_id)
        if comment is not None:
            objects = [case.ap_id, comment.ap_id]
    flag.ap_id = flag.ap_id or f"{instance.uri}#flags/{flag.id}"
    activity = flag_activity(flag.ap_id, instance.uri, objects, flag.reason, [case_author.uri])
    await _enqueue(db, state, activity, instance, {recipients.inbox_of(case_author)}, case.ap_id)


# Follows and profiles ------------------------------------------------------------------------


async def _local_to_remote(db: AsyncSession, follow: Follow) -> tuple[Actor, Actor] | None:
    actors = await remote_actors_repo.actors_by_ids(db, (follow.follower_id, follow.followed_id))
    follower, followed = actors.get(follow.follower_id), actors.get(follow.followed_id)
    if follower is None or followed is None or not follower.is_local or followed.is_local:
        return None
    return follower, followed


async def follow_requested(db: AsyncSession, state: FederationState, follow: Follow) -> None:
    """A local person follows a remote actor: Follow (the remote's Accept completes it)."""
    pair = await _local_to_remote(db, follow)
    if pair is None:
        return
    follower, followed = pair
    if not follow.activity_uri:
        follow.activity_uri = f"{follower.uri}#follows/{uuid.uuid4().hex}"
        await db.flush()
    activity = follow_activity(follower.uri, followed.uri, follow.activity_uri)
    await _enqueue(db, state, activity, follower, {recipients.personal_inbox_of(followed)})


async def follow_removed(db: AsyncSession, state: FederationState, follow: Follow) -> None:
    """A local person unfollowed a remote actor: Undo(Follow)."""
    pair = await _local_to_remote(db, follow)
    if pair is None:
        return
    follower, followed = pair
    undone = follow_activity(
        follower.uri, followed.uri, follow.activity_uri or f"{follower.uri}#follows/unknown"
    )
    activity = {**undo_activity(undone), "id": f"{follower.uri}#undo/{uuid.uuid4().hex}"}
    await _enqueue(db, state, activity, follower, {recipients.personal_inbox_of(followed)})


async def follow_request_answered(
    db: AsyncSession, state: FederationState, follow: Follow, *, accepted: bool
) -> None:
    """A local person answered a remote person's follow request: Accept or Reject of it."""
    actors = await remote_actors_repo.actors_by_ids(db, (follow.follower_id, follow.followed_id))
    follower, followed = actors.get(follow.follower_id), actors.get(follow.followed_id)
    if follower is None or followed is None or follower.is_local or not followed.is_local:
        return
    request = {"id": follow.activity_uri, "type": "Follow", "actor": follower.uri, "object": followed.uri}
    answer = accept_activity if accepted else reject_activity
    kind = "accepts" if accepted else "rejects"
    activity = answer(f"{followed.uri}#{kind}/{uuid.uuid4().hex}", followed.uri, request, follower.uri)
    await _enqueue(db, state, activity, followed, {recipients.personal_inbox_of(follower)})


async def account_updated(db: AsyncSession, state: FederationState, account: Account) -> None:
    """A local account's public facts changed (name, profession, verified claim, disabled):
    Update(Person) to followers and peers, so they stop trusting a revoked claim at once."""
    actor = await account_repo.get_actor_for_account(db, account.id)
    if actor is None:
        return
    await db.flush()
    activity = update_actor_activity(
        f"{actor.uri}#updates/{uuid.uuid4().hex}", actor_document(actor, state.urls)
    )
    inboxes = await recipients.account_update_audience(db, actor)
    await _enqueue(db, state, activity, actor, inboxes)
