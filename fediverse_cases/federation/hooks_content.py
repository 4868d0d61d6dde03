"""The federation layer's answer to case and comment events: Create/Update/Delete of Notes,
Like/Undo, Flag — written as delivery rows inside the caller's transaction (transactional outbox).

Addressing and recipients: a public case goes to the author's followers; a "followers and
peers" case also to every allowed peer; "this hospital only" never leaves (``federates``).
A comment on our own case goes to everyone who received the case (we are its authority); a
comment on a remote case goes to the case's home, which forwards it.
"""

from __future__ import annotations

import logging
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
from fediverse_cases.convert.cases import case_facts
from fediverse_cases.core.case_access import Visibility, federates
from fediverse_cases.federation import erasure, threads
from fediverse_cases.federation.hooks_follow import FollowHooks
from fediverse_cases.storage.models import Actor, Case, Comment, Flag, Like
from fediverse_cases.storage.repositories import federation_content as repo
from fediverse_cases.storage.repositories.accounts import get_instance_actor

log = logging.getLogger(__name__)


def inbox_of(actor: Actor) -> str:
    return actor.shared_inbox_url or actor.inbox_url


class ContentHooks(FollowHooks):
    """Installed on ``AppState.hooks`` by ``federation.content_setup``."""

    def __init__(self, state: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(state, *args, **kwargs)
        self.state = state

    async def _enqueue(
        self, db: AsyncSession, activity: dict[str, Any], sender: Actor, inboxes: set[str], object_id: str
    ) -> int:
        from fediverse_cases.federation import outbox

        inboxes = {i for i in inboxes if i}
        if not inboxes:
            return 0
        return await outbox.enqueue(
            db, self.state, activity=activity, sender=sender, inboxes=inboxes, object_id=object_id
        )

    async def _case_audience(self, db: AsyncSession, case: Case, author: Actor) -> set[str]:
        from fediverse_cases.federation import outbox

        inboxes = set(await outbox.follower_inboxes(db, author))
        if case.visibility == Visibility.FOLLOWERS:
            inboxes |= set(await outbox.peer_inboxes(db))
        return inboxes

    async def case_published(self, db: AsyncSession, case: Case) -> None:
        if not federates(case_facts(case)):
            return
        author = await repo.get_actor(db, case.author_actor_id)
        assert author is not None
        note = await threads.case_note(db, self.state, case)
        inboxes = await self._case_audience(db, case, author)
        await self._enqueue(db, create_activity(note), author, inboxes, case.ap_id)

    async def case_updated(self, db: AsyncSession, case: Case) -> None:
        if not federates(case_facts(case)):
            return
        author = await repo.get_actor(db, case.author_actor_id)
        assert author is not None
        note = await threads.case_note(db, self.state, case)
        inboxes = await threads.recipients_of_case(db, case, author) | await self._case_audience(
            db, case, author
        )
        await self._enqueue(db, update_activity(note), author, inboxes, case.ap_id)

    async def case_withdrawn(self, db: AsyncSession, case: Case) -> None:
        if not case.is_local:
            return
        author = await repo.get_actor(db, case.author_actor_id)
        assert author is not None
        count = await erasure.send_withdrawal(db, self.state, case, author)
        log.info("consent withdrawn for %s: %d Delete deliveries queued", case.ap_id, count)

    async def _comment_targets(self, db: AsyncSession, comment: Comment, case: Case) -> set[str]:
        case_author = await repo.get_actor(db, case.author_actor_id)
        assert case_author is not None
        if case.is_local:
            if not federates(case_facts(case)):
                return set()
            return await threads.recipients_of_case(db, case, case_author)
        targets = {inbox_of(case_author)}
        if comment.parent_id is not None:
            parent = await db.get(Comment, comment.parent_id)
            parent_author = await repo.get_actor(db, parent.author_actor_id) if parent else None
            if parent_author is not None and not parent_author.is_local:
                targets.add(inbox_of(parent_author))
        return targets

    async def comment_created(self, db: AsyncSession, comment: Comment, case: Case) -> None:
        if not comment.is_local:
            return
        targets = await self._comment_targets(db, comment, case)
        if not targets:
            return
        author = await repo.get_actor(db, comment.author_actor_id)
        assert author is not None
        note = await threads.comment_note(db, self.state, comment, case)
        await self._enqueue(db, create_activity(note), author, targets, comment.ap_id)

    async def comment_updated(self, db: AsyncSession, comment: Comment, case: Case) -> None:
        if not comment.is_local or comment.state != "visible":
            return
        targets = await self._comment_targets(db, comment, case)
        author = await repo.get_actor(db, comment.author_actor_id)
        assert author is not None
        note = await threads.comment_note(db, self.state, comment, case)
        await self._enqueue(db, update_activity(note), author, targets, comment.ap_id)

    async def comment_deleted(self, db: AsyncSession, comment: Comment, case: Case) -> None:
        if not comment.is_local:
            return
        targets = await self._comment_targets(db, comment, case)
        author = await repo.get_actor(db, comment.author_actor_id)
        assert author is not None
        from fediverse_cases.federation import outbox

        await outbox.cancel_pending(db, comment.ap_id)
        activity = delete_activity(comment.ap_id, author.uri, to=[author.followers_url])
        await self._enqueue(db, activity, author, targets, comment.ap_id)

    def _like_activity(self, like: Like, liker: Actor, case: Case, case_author: Actor) -> dict[str, Any]:
        like_id = like.ap_id or f"{liker.uri}#likes/{like.id}"
        like.ap_id = like_id
        return like_activity(like_id, liker.uri, case.ap_id, case_author.uri)

    async def case_liked(self, db: AsyncSession, like: Like, case: Case) -> None:
        liker = await repo.get_actor(db, like.actor_id)
        case_author = await repo.get_actor(db, case.author_actor_id)
        if case.is_local or liker is None or not liker.is_local or case_author is None:
            return
        activity = self._like_activity(like, liker, case, case_author)
        await self._enqueue(db, activity, liker, {inbox_of(case_author)}, case.ap_id)

    async def case_unliked(self, db: AsyncSession, like: Like, case: Case) -> None:
        liker = await repo.get_actor(db, like.actor_id)
        case_author = await repo.get_actor(db, case.author_actor_id)
        if case.is_local or liker is None or not liker.is_local or case_author is None:
            return
        activity = undo_activity(self._like_activity(like, liker, case, case_author))
        await self._enqueue(db, activity, liker, {inbox_of(case_author)}, case.ap_id)

    async def case_flagged(self, db: AsyncSession, flag: Flag, case: Case) -> None:
        """Reports about remote content go to its home instance, sent by our instance actor."""
        case_author = await repo.get_actor(db, case.author_actor_id)
        instance = await get_instance_actor(db)
        if case.is_local or case_author is None or instance is None:
            return
        objects = [case_author.uri, case.ap_id]
        if flag.comment_id is not None:
            comment = await db.get(Comment, flag.comment_id)
            if comment is not None:
                objects = [case.ap_id, comment.ap_id]
        flag_id = flag.ap_id or f"{instance.uri}#flags/{flag.id}"
        flag.ap_id = flag_id
        activity = flag_activity(flag_id, instance.uri, objects, flag.reason, [case_author.uri])
        await self._enqueue(db, activity, instance, {inbox_of(case_author)}, case.ap_id)
