"""Specialty groups this instance hosts: creating them, naming moderators, and membership.

Admins create groups (CLI) and name moderators; clinicians join and leave (web form, or a Follow
from another hospital handled in ``federation.handlers.follow``); moderators answer join
requests of ``approval`` groups. Every function works in the caller's transaction and raises
``GroupError`` when refused (nothing written then).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.convert.actors import accept_activity, reject_activity
from fediverse_cases.core.accounts import RESERVED_USERNAMES
from fediverse_cases.core.case_access import Visibility
from fediverse_cases.core.groups import GroupRuleError, check_policy, check_slug
from fediverse_cases.core.specialties import SPECIALTY_SLUGS
from fediverse_cases.federation import groups as group_federation
from fediverse_cases.federation import outbox, publish, recipients
from fediverse_cases.services.actors import new_group_actor
from fediverse_cases.services.case_errors import CaseError
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.models import Actor, Case, Follow, Group, GroupModerator, GroupPost
from fediverse_cases.storage.repositories import accounts as account_repo
from fediverse_cases.storage.repositories import groups as groups_repo
from fediverse_cases.storage.repositories.audit import record


class GroupError(Exception):
    """A refused group action; the message is for the person who asked."""


@dataclass(frozen=True)
class NewGroup:
    slug: str
    name: str
    summary: str = ""
    specialty: str = ""
    join_policy: str = "peers"
    moderators: Sequence[str] = ()


async def create_group(
    db: AsyncSession, state: AppState, new: NewGroup, operator: Operator
) -> tuple[Group, Actor]:
    try:
        slug = check_slug(new.slug)
        policy = check_policy(new.join_policy)
    except GroupRuleError as error:
        raise GroupError(str(error)) from None
    if new.specialty and new.specialty not in SPECIALTY_SLUGS:
        raise GroupError(f"unknown specialty {new.specialty!r}")
    # The slug is the group's WebFinger name: it must never name a person (or the instance).
    if slug in RESERVED_USERNAMES or await account_repo.get_local_actor_by_username(db, slug):
        raise GroupError(f"{slug!r} is already the name of an account or group here")
    if (await account_repo.username_or_email_taken(db, slug, ""))[0]:
        raise GroupError(f"{slug!r} is already the name of an account or group here")
    actor = new_group_actor(state.urls, slug)
    actor.display_name = new.name.strip() or slug
    actor.summary = new.summary.strip()
    actor.manually_approves_followers = policy == "approval"
    db.add(actor)
    await db.flush()
    group = Group(actor_id=actor.id, slug=slug, specialty=new.specialty, join_policy=policy.value)
    db.add(group)
    await db.flush()
    if new.moderators:
        await set_moderators(db, group, new.moderators, operator)
    record(
        db,
        operator.entry("group.create", target_type="group", target_id=str(group.id), details={"slug": slug}),
    )
    return group, actor


async def set_moderators(
    db: AsyncSession, group: Group, usernames: Sequence[str], operator: Operator
) -> None:
    accounts = []
    for name in usernames:
        account = await account_repo.get_account_by_username(db, name)
        if account is None:
            raise GroupError(f"no local account {name!r}")
        accounts.append(account)
    keep = [a.id for a in accounts]
    await db.execute(
        delete(GroupModerator).where(
            GroupModerator.group_id == group.id, GroupModerator.account_id.not_in(keep)
        )
    )
    current = {a.id for a in await groups_repo.moderators(db, group.id)}
    for account in accounts:
        if account.id not in current:
            db.add(GroupModerator(group_id=group.id, account_id=account.id))
    await db.flush()
    record(
        db,
        operator.entry(
            "group.moderators",
            target_type="group",
            target_id=str(group.id),
            details={"moderators": [a.username for a in accounts]},
        ),
    )


async def join(db: AsyncSession, state: AppState, member: Actor, group_actor: Actor) -> Follow:
    """A local clinician joins a group: a local group decides here; a remote group gets a Follow
    (its Accept completes the membership)."""
    existing = await account_repo.get_follow(db, member.id, group_actor.id)
    if existing is not None:
        return existing
    if not group_actor.is_local:
        follow = Follow(follower_id=member.id, followed_id=group_actor.id, state="pending")
        db.add(follow)
        await db.flush()
        await publish.follow_requested(db, state, follow)
        return follow
    group = await groups_repo.get_group_by_actor(db, group_actor.id)
    if group is None:
        raise GroupError("No such group.")
    decision = await group_federation.decide_join(db, group, member)
    if decision == "reject":
        raise GroupError(_refusal(group.join_policy))
    follow = Follow(
        follower_id=member.id,
        followed_id=group_actor.id,
        state="accepted" if decision == "accept" else "pending",
        activity_uri=f"{member.uri}#follows/{uuid.uuid4().hex}",
    )
    db.add(follow)
    await db.flush()
    return follow


def _refusal(policy: str) -> str:
    if policy == "local":
        return "Only verified professionals of this hospital can join this group."
    return "Only verified professionals can join this group."


async def leave(db: AsyncSession, state: AppState, member: Actor, group_actor: Actor) -> None:
    existing = await account_repo.get_follow(db, member.id, group_actor.id)
    if existing is None:
        return
    await publish.follow_removed(db, state, existing)
    await db.delete(existing)
    await db.flush()


async def answer_request(
    db: AsyncSession, state: AppState, group: Group, group_actor: Actor, follow: Follow, *, accept: bool
) -> None:
    """A moderator approves or rejects a pending join; a remote applicant's server is told."""
    if follow.followed_id != group_actor.id or follow.state != "pending":
        raise GroupError("No such join request.")
    member = await db.get(Actor, follow.follower_id)
    assert member is not None
    if not member.is_local:
        request = {
            "id": follow.activity_uri,
            "type": "Follow",
            "actor": member.uri,
            "object": group_actor.uri,
        }
        answer = accept_activity if accept else reject_activity
        kind = "accepts" if accept else "rejects"
        activity = answer(
            f"{group_actor.uri}#{kind}/{uuid.uuid4().hex}", group_actor.uri, request, member.uri
        )
        await outbox.enqueue(
            db, state, activity=activity, sender=group_actor, inboxes=[recipients.personal_inbox_of(member)]
        )
    if accept:
        follow.state = "accepted"
    else:
        await db.delete(follow)
    await db.flush()


async def remove_post(
    db: AsyncSession, state: AppState, group_actor: Actor, post_id: int, operator: Operator
) -> bool:
    """A moderator removes a post from the group: hidden here, Undo(Announce) to the members."""
    post = await db.get(GroupPost, post_id)
    if post is None or post.group_actor_id != group_actor.id or post.state == "removed":
        return False
    was_announced = post.state == "announced"
    post.state = "removed"
    await db.flush()
    if was_announced:
        await group_federation.undo_announce(db, state, group_actor, post)
    record(
        db,
        operator.entry(
            "group.remove_post",
            target_type="group_post",
            target_id=str(post.id),
            case_id=post.case_id,
            details={"group": group_actor.username, "object": post.object_ap_id},
        ),
    )
    return True


async def set_case_groups(
    db: AsyncSession, case: Case, author_actor_id: int, group_actor_ids: Sequence[int]
) -> None:
    """The groups a draft case is posted to (only groups its author belongs to; public cases
    only, since the group announces to everyone). Sent with the case once a reviewer here
    approves it, as always."""
    wanted = set(group_actor_ids)
    joined = {
        actor.id: actor
        for follow, actor in await groups_repo.groups_joined(db, author_actor_id)
        if follow.state == "accepted"
    }
    if wanted - joined.keys():
        raise CaseError(
            "You can post only to groups you belong to.", field_errors={"groups": "Not a member."}
        )
    if wanted and case.visibility != Visibility.PUBLIC:
        raise CaseError(
            "A case posted to a group must be public: the group shares it with all its members.",
            field_errors={"groups": "Make the case public to post it to a group."},
        )
    for post in await groups_repo.posts_of_case(db, case.id):
        if post.state == "addressed" and post.group_actor_id not in wanted:
            await db.delete(post)
    held = {post.group_actor_id for post in await groups_repo.posts_of_case(db, case.id)}
    for actor_id in wanted - held:
        db.add(
            GroupPost(group_actor_id=actor_id, object_ap_id=case.ap_id, case_id=case.id, state="addressed")
        )
    await db.flush()


async def addressed_groups(db: AsyncSession, case: Case) -> list[Actor]:
    """The groups a local case is posted to (for its Note's ``audience`` and its delivery)."""
    posts = await groups_repo.posts_of_case(db, case.id)
    actors = [await db.get(Actor, post.group_actor_id) for post in posts if post.state != "removed"]
    return [actor for actor in actors if actor is not None]
