"""Federation hooks for follows and profiles: Follow, Undo(Follow) and Update(Person).

``FollowHooks`` implements every method of ``services.hooks.FederationHooks`` (the case hooks
as no-ops) without importing it, because imports point one way (services -> federation); a
test keeps the two method sets equal. The content layer subclasses it (``ContentHooks``).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.activitypub.constants import PUBLIC
from fediverse_cases.federation.outbox import enqueue, follower_inboxes, peer_inboxes
from fediverse_cases.storage.models import Account, Actor, Follow
from fediverse_cases.storage.repositories import accounts as account_repo
from fediverse_cases.storage.repositories import federation as repo


def follow_activity(follower: Actor, followed: Actor, activity_id: str) -> dict[str, Any]:
    return {
        "id": activity_id,
        "type": "Follow",
        "actor": follower.uri,
        "object": followed.uri,
        "to": [followed.uri],
    }


class FollowHooks:
    """What local changes send for follows and profiles; case hooks are no-ops here."""

    def __init__(self, state: Any) -> None:
        self.state = state

    async def _pair(self, db: AsyncSession, follow: Follow) -> tuple[Actor, Actor] | None:
        actors = await repo.actors_by_ids(db, (follow.follower_id, follow.followed_id))
        follower, followed = actors.get(follow.follower_id), actors.get(follow.followed_id)
        if follower is None or followed is None or not follower.is_local or followed.is_local:
            return None
        return follower, followed

    async def follow_requested(self, db: AsyncSession, follow: Follow) -> None:
        pair = await self._pair(db, follow)
        if pair is None:
            return
        follower, followed = pair
        if not follow.activity_uri:
            follow.activity_uri = f"{follower.uri}#follows/{uuid.uuid4().hex}"
            await db.flush()
        await enqueue(
            db,
            self.state,
            activity=follow_activity(follower, followed, follow.activity_uri),
            sender=follower,
            inboxes=[followed.inbox_url or followed.shared_inbox_url],
        )

    async def follow_removed(self, db: AsyncSession, follow: Follow) -> None:
        pair = await self._pair(db, follow)
        if pair is None:
            return
        follower, followed = pair
        undone = follow_activity(follower, followed, follow.activity_uri or f"{follower.uri}#follows/unknown")
        await enqueue(
            db,
            self.state,
            activity={
                "id": f"{follower.uri}#undo/{uuid.uuid4().hex}",
                "type": "Undo",
                "actor": follower.uri,
                "object": undone,
                "to": [followed.uri],
            },
            sender=follower,
            inboxes=[followed.inbox_url or followed.shared_inbox_url],
        )

    async def account_updated(self, db: AsyncSession, account: Account) -> None:
        actor = await account_repo.get_actor_for_account(db, account.id)
        if actor is None:
            return
        from fediverse_cases.federation.actor_documents import actor_document

        document = actor_document(actor, self.state.urls)
        inboxes = await follower_inboxes(db, actor) | await peer_inboxes(db)
        await enqueue(
            db,
            self.state,
            activity={
                "id": f"{actor.uri}#updates/{uuid.uuid4().hex}",
                "type": "Update",
                "actor": actor.uri,
                "object": document,
                "to": [PUBLIC],
                "cc": [actor.followers_url],
            },
            sender=actor,
            inboxes=inboxes,
        )

    # The case hooks: no-ops here; the content layer's subclass implements them.
    async def case_published(self, db: AsyncSession, case: Any) -> None:
        """See services.hooks.FederationHooks."""

    async def case_updated(self, db: AsyncSession, case: Any) -> None:
        """See services.hooks.FederationHooks."""

    async def case_withdrawn(self, db: AsyncSession, case: Any) -> None:
        """See services.hooks.FederationHooks."""

    async def comment_created(self, db: AsyncSession, comment: Any, case: Any) -> None:
        """See services.hooks.FederationHooks."""

    async def comment_updated(self, db: AsyncSession, comment: Any, case: Any) -> None:
        """See services.hooks.FederationHooks."""

    async def comment_deleted(self, db: AsyncSession, comment: Any, case: Any) -> None:
        """See services.hooks.FederationHooks."""

    async def case_liked(self, db: AsyncSession, like: Any, case: Any) -> None:
        """See services.hooks.FederationHooks."""

    async def case_unliked(self, db: AsyncSession, like: Any, case: Any) -> None:
        """See services.hooks.FederationHooks."""

    async def case_flagged(self, db: AsyncSession, flag: Any, case: Any) -> None:
        """See services.hooks.FederationHooks."""
