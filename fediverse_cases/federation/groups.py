"""Posts that travel through specialty groups (FEP-1b12).

At the group's home (``relay``): a member's Create addressed to one of our groups (the Group in
``audience``, ``to`` or ``cc``) is checked — the author is an accepted member whose professional
claim we believe, the group's join rule still admits them, and the post was kept here under
every usual rule (images de-identified again, text scanned, nothing held) — then ``Announce``d
to every member's server (shared inboxes, deduplicated) with the author's activity embedded
exactly as received, so the author's integrity proof verifies at every hospital.

What a member's hospital does with the Announce is in ``federation.handlers.announce``.
A moderator's removal sends ``Undo(Announce)`` to the members (``undo_announce``).
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.activitypub.base import id_of
from fediverse_cases.convert.groups import announce_activity, undo_announce_activity
from fediverse_cases.core.accounts import is_verified_professional
from fediverse_cases.core.groups import Applicant, join_decision
from fediverse_cases.crypto.integrity_proofs import sign_object
from fediverse_cases.federation import outbox, recipients
from fediverse_cases.federation.state import FederationState
from fediverse_cases.storage.models import Actor, Case, Comment, Group, GroupPost
from fediverse_cases.storage.repositories import accounts as account_repo
from fediverse_cases.storage.repositories import deliveries as deliveries_repo
from fediverse_cases.storage.repositories import groups as groups_repo
from fediverse_cases.storage.repositories import peers as peers_repo

log = logging.getLogger(__name__)


def _addressees(*documents: Any) -> list[str]:
    found: list[str] = []
    for document in documents:
        if not isinstance(document, dict):
            continue
        for key in ("audience", "to", "cc"):
            value = document.get(key)
            values = value if isinstance(value, list) else [value]
            found += [v for v in (id_of(item) for item in values) if isinstance(v, str)]
    return list(dict.fromkeys(found))


async def addressed_local_groups(db: AsyncSession, activity: dict[str, Any]) -> list[Actor]:
    """Our hosted groups an activity (or its object) is addressed to."""
    groups = []
    for iri in _addressees(activity, activity.get("object")):
        actor = await account_repo.get_actor_by_uri(db, iri)
        if actor is not None and actor.is_local and actor.actor_type == "Group":
            groups.append(actor)
    return groups


async def member_inboxes(db: AsyncSession, group_actor: Actor) -> set[str]:
    """Every remote member's server once (shared inbox preferred)."""
    return {
        recipients.inbox_of(member)
        for _, member in await groups_repo.members(db, group_actor.id)
        if not member.is_local and recipients.inbox_of(member)
    }


async def applicant(db: AsyncSession, actor: Actor) -> Applicant:
    """The join-policy facts about ``actor``: its claim is believed as for comments (verified at
    its allowed home instance, or vouched for here)."""
    if actor.is_local:
        account = await account_repo.get_account(db, actor.account_id) if actor.account_id else None
        return Applicant(True, account is not None and is_verified_professional(account), True)
    peer = await peers_repo.get_peer(db, actor.host)
    allowed = peer is not None and peer.state == "allowed"
    vouched = actor.vouched or (peer is not None and peer.vouch_professionals)
    return Applicant(False, allowed and (actor.verified_professional or vouched), allowed)


async def decide_join(db: AsyncSession, group: Group, actor: Actor) -> str:
    """``accept``, ``pending`` or ``reject`` for ``actor`` joining (or still posting to) ``group``."""
    return join_decision(group.join_policy, await applicant(db, actor))


async def may_post(db: AsyncSession, group_actor: Actor, author: Actor) -> str | None:
    """Why ``author`` may not post to the group now, or None."""
    group = await groups_repo.get_group_by_actor(db, group_actor.id)
    if group is None:
        return "not a group of this instance"
    if not await groups_repo.is_member(db, group_actor.id, author.id):
        return "author is not a member"
    # The claim and the join rule are checked again: a revoked claim stops posting at once.
    if await decide_join(db, group, author) == "reject":
        return "author is no longer admitted (professional claim or join rule)"
    return None


async def admitted_groups(db: AsyncSession, activity: dict[str, Any], author: Actor) -> list[Actor]:
    """Our groups the activity addresses and that admit ``author`` to post now."""
    admitted = []
    for group_actor in await addressed_local_groups(db, activity):
        refused = await may_post(db, group_actor, author)
        if refused is None:
            admitted.append(group_actor)
        else:
            log.info("group %s does not take %s: %s", group_actor.username, activity.get("id"), refused)
    return admitted


async def relay(
    db: AsyncSession,
    state: FederationState,
    activity: dict[str, Any],
    groups: list[Actor],
    *,
    case: Case | None = None,
    comment: Comment | None = None,
) -> int:
    """Announce a member's activity (as received) from each of ``groups``; number announced."""
    if (case is None) == (comment is None):
        return 0
    if (case is not None and case.hidden) or (comment is not None and comment.state != "visible"):
        log.info("not announcing %s: held for review here", activity.get("id"))
        return 0
    object_id = case.ap_id if case is not None else comment.ap_id  # type: ignore[union-attr]
    announced = 0
    for group_actor in groups:
        if await groups_repo.get_post(db, group_actor.id, object_id) is not None:
            continue
        original = {k: v for k, v in activity.items()}
        announce_id = f"{group_actor.uri}/announces/{uuid.uuid4().hex}"
        db.add(
            GroupPost(
                group_actor_id=group_actor.id,
                object_ap_id=object_id,
                case_id=case.id if case is not None else None,
                comment_id=comment.id if comment is not None else None,
                state="announced",
                activity=json.dumps(original),
                announce_id=announce_id,
            )
        )
        await db.flush()
        await outbox.enqueue(
            db,
            state,
            activity=announce_activity(announce_id, group_actor.uri, group_actor.followers_url, original),
            sender=group_actor,
            inboxes=await member_inboxes(db, group_actor),
            object_id=object_id,
        )
        announced += 1
    return announced


async def announcing_groups(db: AsyncSession, object_id: str | None) -> list[Actor]:
    """Our groups that announced ``object_id`` (looked up before a Delete purges the post)."""
    if not object_id:
        return []
    return await groups_repo.local_groups_that_announced(db, object_id)


async def relay_change(
    db: AsyncSession, state: FederationState, activity: dict[str, Any], groups: list[Actor]
) -> None:
    """An author's accepted Update or Delete of a post our groups announced reaches everyone
    who got the Announce (and the members now), announced unchanged: a withdrawal of consent
    must reach every hospital the group brought the case to."""
    object_id = id_of(activity.get("object"))
    for group_actor in groups:
        delivered = {
            d.inbox_url
            for d in await deliveries_repo.deliveries_of(db, object_id or "")
            if d.sender_actor_id == group_actor.id and d.state != "cancelled"
        }
        await outbox.enqueue(
            db,
            state,
            activity=announce_activity(
                f"{group_actor.uri}/announces/{uuid.uuid4().hex}",
                group_actor.uri,
                group_actor.followers_url,
                activity,
            ),
            sender=group_actor,
            inboxes=delivered | await member_inboxes(db, group_actor),
            object_id=object_id,
        )


# --- moderators ------------------------------------------------------------------------------


async def undo_announce(db: AsyncSession, state: FederationState, group_actor: Actor, post: GroupPost) -> int:
    """A moderator removed an announced post: Undo(Announce) to the members' servers."""
    if not post.announce_id:
        return 0
    return await outbox.enqueue(
        db,
        state,
        activity=undo_announce_activity(
            f"{group_actor.uri}/undo/{uuid.uuid4().hex}",
            group_actor.uri,
            group_actor.followers_url,
            post.announce_id,
            post.object_ap_id,
        ),
        sender=group_actor,
        inboxes=await member_inboxes(db, group_actor),
        object_id=post.object_ap_id,
    )


async def posted(
    db: AsyncSession,
    state: FederationState,
    author: Actor,
    activity: dict[str, Any],
    *,
    case: Case,
    comment: Comment | None = None,
) -> None:
    """A local case posted to groups was approved, or a local comment was written on a case in
    groups: its Create goes to each remote group's inbox (that group's home checks and
    announces it); a group of ours announces it at once. The Create carries the author's own
    proof, exactly like the one sent to followers."""
    remote: set[str] = set()
    ours: list[Actor] = []
    for group_actor in await groups_repo.group_actors_of_case(db, case.id):
        if group_actor.is_local:
            ours.append(group_actor)
        elif group_actor.inbox_url:
            remote.add(group_actor.inbox_url)
    object_id = comment.ap_id if comment is not None else case.ap_id
    if remote:
        await outbox.enqueue(db, state, activity=activity, sender=author, inboxes=remote, object_id=object_id)
    admitted = [g for g in ours if await may_post(db, g, author) is None]
    if not admitted:
        return
    signed = sign_object(activity, author.ed25519_key_id, author.ed25519_private_pem)
    for group_actor in admitted:
        post = await groups_repo.get_post(db, group_actor.id, object_id)
        if post is not None and post.state == "addressed":
            await db.delete(post)
            await db.flush()
    if comment is not None:
        await relay(db, state, signed, admitted, comment=comment)
    else:
        await relay(db, state, signed, admitted, case=case)
