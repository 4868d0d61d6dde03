"""The home instance as the authority for its cases and their threads.

Builds the ActivityPub documents of stored local objects (a case's Note, a comment's Note, a
case's ``replies`` collection) and forwards accepted replies — the original activity, with its
author's integrity proof intact — to everyone who received the case, so a third hospital sees
what a second one wrote on ours. May import storage, convert, core and activitypub.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.activitypub.constants import DEFAULT_CONTEXT
from fediverse_cases.convert import note_from_case, note_from_comment
from fediverse_cases.convert.cases import case_facts
from fediverse_cases.core.audience import NotFederated
from fediverse_cases.core.case_access import Visibility, federates
from fediverse_cases.federation import outcomes, polls, recipients
from fediverse_cases.federation.outbox import enqueue
from fediverse_cases.federation.state import FederationState
from fediverse_cases.storage.models import Actor, Case, Comment
from fediverse_cases.storage.repositories import comments as comments_repo
from fediverse_cases.storage.repositories import dicom as dicom_repo
from fediverse_cases.storage.repositories import groups as groups_repo
from fediverse_cases.storage.repositories import outcomes as outcomes_repo
from fediverse_cases.storage.repositories import polls as polls_repo
from fediverse_cases.storage.repositories import remote_actors as remote_actors_repo
from fediverse_cases.storage.repositories.cases import case_tags_of_cases, images_of_cases

log = logging.getLogger(__name__)

__all__ = [
    "case_note",
    "case_notes",
    "comment_note",
    "context_collection",
    "forward_reply",
    "replies_collection",
]


async def case_note(db: AsyncSession, state: FederationState, case: Case) -> dict[str, Any]:
    """The Note of a local case (its Question when it carries a poll), with its confirmed
    outcome once approved; raises ``core.audience.NotFederated`` when it must not leave."""
    [note] = await case_notes(db, state, [case])
    return note


async def case_notes(db: AsyncSession, state: FederationState, cases: Sequence[Case]) -> list[dict[str, Any]]:
    """``case_note`` of each case, loading each kind of row (authors, images, tags, groups, and
    which cases have stacks, polls or outcomes) once for all of them: an outbox page of 20 cases
    costs about ten queries, not eight per case."""
    for case in cases:
        if not federates(case_facts(case)):
            raise NotFederated("this case does not federate")
    ids = [case.id for case in cases]
    authors = await remote_actors_repo.actors_by_ids(db, {case.author_actor_id for case in cases})
    needs_peers = any(case.visibility == Visibility.FOLLOWERS for case in cases)
    peers = await recipients.peer_instance_actors(db) if needs_peers else []
    images = await images_of_cases(db, ids)
    tags = await case_tags_of_cases(db, ids)
    groups = await groups_repo.group_actors_of_cases(db, ids)
    stacked = await dicom_repo.cases_with_stacks(db, ids)
    polled = set(await polls_repo.polls_of_cases(db, ids))
    concluded = await outcomes_repo.cases_with_outcome(db, ids)
    notes = []
    for case in cases:
        case_images = images[case.id]
        by_id = {image.id: image.position for image in case_images}
        case_stacks = await dicom_repo.stacks_of(db, case.id) if case.id in stacked else {}
        stacks = {by_id[image_id]: stack for image_id, stack in case_stacks.items() if image_id in by_id}
        note = note_from_case(
            case,
            case_images,
            tags[case.id],
            authors[case.author_actor_id],
            state.urls,
            peers=peers if case.visibility == Visibility.FOLLOWERS else [],
            stacks=stacks,
        )
        note = with_groups(note, groups[case.id])
        if case.id in polled:
            note = await polls.with_poll(db, case, note)
        if case.id in concluded:
            note = await outcomes.with_outcome(db, case, note)
        notes.append(note)
    return notes


def with_groups(note: dict[str, Any], groups: list[Actor]) -> dict[str, Any]:
    """A case posted to groups names them as FEP-1b12 asks: the group in ``audience`` (the first
    one: Lemmy reads one) and every group in ``cc``, so each group's home relays it."""
    if not groups:
        return note
    cc = list(note.get("cc") or [])
    cc += [group.uri for group in groups if group.uri not in cc]
    return {**note, "audience": groups[0].uri, "cc": cc}


async def comment_note(
    db: AsyncSession, state: FederationState, comment: Comment, case: Case
) -> dict[str, Any]:
    author = await remote_actors_repo.get_actor(db, comment.author_actor_id)
    case_author = await remote_actors_repo.get_actor(db, case.author_actor_id)
    assert author is not None and case_author is not None
    parent_ap_id = parent_author = None
    if comment.parent_id is not None:
        parent = await db.get(Comment, comment.parent_id)
        if parent is not None:
            parent_ap_id = parent.ap_id
            parent_actor = await remote_actors_repo.get_actor(db, parent.author_actor_id)
            parent_author = parent_actor.uri if parent_actor else None
    note = note_from_comment(
        comment,
        author,
        case_ap_id=case.ap_id,
        case_public=case.visibility == Visibility.PUBLIC,
        case_author=case_author,
        urls=state.urls,
        parent_ap_id=parent_ap_id,
        parent_author_uri=parent_author,
        context=state.urls.case_context(case.public_id) if case.is_local else None,
    )
    # A comment on a case posted in groups is addressed to those groups too (FEP-1b12).
    return with_groups(note, await groups_repo.group_actors_of_case(db, case.id))


async def replies_collection(db: AsyncSession, case: Case) -> dict[str, Any]:
    """The case's accepted replies (ids only; each is fetched from its own origin)."""
    items = await comments_repo.visible_reply_ids(db, case.id)
    collection_id = f"{case.ap_id}/replies"
    return {
        "@context": DEFAULT_CONTEXT,
        "id": collection_id,
        "type": "OrderedCollection",
        "totalItems": len(items),
        "orderedItems": items,
    }


async def context_collection(db: AsyncSession, state: FederationState, case: Case) -> dict[str, Any]:
    """FEP-7888: the case's conversation, the case then its accepted replies oldest first, so a
    peer that missed a reply can fetch it (each item from its own origin)."""
    author = await remote_actors_repo.get_actor(db, case.author_actor_id)
    items = [case.ap_id, *await comments_repo.visible_reply_ids(db, case.id)]
    return {
        "@context": DEFAULT_CONTEXT,
        "id": state.urls.case_context(case.public_id),
        "type": "OrderedCollection",
        "attributedTo": author.uri if author is not None else case.ap_id,
        "totalItems": len(items),
        "orderedItems": items,
    }


def _host(iri: str) -> str:
    return urlsplit(iri).netloc.lower()


async def forward_reply(
    db: AsyncSession, state: FederationState, case: Case, activity: dict[str, Any], reply_author: Actor
) -> int:
    """As the case's home, forward an accepted reply activity unchanged to the case's audience
    (never back to the reply's own host). Returns the number of deliveries queued."""
    if not case.is_local or not federates(case_facts(case)):
        return 0
    case_author = await remote_actors_repo.get_actor(db, case.author_actor_id)
    assert case_author is not None
    targets = {
        i for i in await recipients.holders_of_case(db, case, case_author) if _host(i) != reply_author.host
    }
    if not targets:
        return 0
    object_id = activity.get("object", {}).get("id") if isinstance(activity.get("object"), dict) else None
    # enqueue keeps an existing proof: the author's own signature travels with the forward.
    count = await enqueue(
        db, state, activity=activity, sender=case_author, inboxes=targets, object_id=object_id
    )
    log.info("forwarded %s to %d inboxes", activity.get("id"), count)
    return count
