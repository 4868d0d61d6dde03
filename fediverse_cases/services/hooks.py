"""Federation hooks: what the case services tell the federation layer, inside their transaction.

The case services call these at each change; the default does nothing (a single instance).
The federation layer installs its implementation on ``AppState.hooks`` at start-up, so the
transactional outbox rows are written in the same transaction as the change that causes them.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import Account, Case, Comment, Flag, Follow, Like


class FederationHooks:
    """No-op base; the federation layer subclasses it."""

    async def case_published(self, db: AsyncSession, case: Case) -> None:
        """An approved local case became visible: send Create(Note) to followers/peers."""

    async def case_updated(self, db: AsyncSession, case: Case) -> None:
        """A published local case's caption/tags/alt texts changed: send Update(Note)."""

    async def case_withdrawn(self, db: AsyncSession, case: Case) -> None:
        """Consent withdrawn (case already purged locally): send Delete(Tombstone) everywhere it went."""

    async def comment_created(self, db: AsyncSession, comment: Comment, case: Case) -> None:
        """A local comment on any case: deliver to the case's home and forward as authority."""

    async def comment_updated(self, db: AsyncSession, comment: Comment, case: Case) -> None:
        """A local comment was edited."""

    async def comment_deleted(self, db: AsyncSession, comment: Comment, case: Case) -> None:
        """A local comment was deleted (or removed by a reviewer)."""

    async def case_liked(self, db: AsyncSession, like: Like, case: Case) -> None:
        """A local person liked a case (remote cases: tell the home instance)."""

    async def case_unliked(self, db: AsyncSession, like: Like, case: Case) -> None:
        """A local person removed a like."""

    async def case_flagged(self, db: AsyncSession, flag: Flag, case: Case) -> None:
        """A local person flagged a remote case or comment: send Flag to its home instance."""

    async def follow_requested(self, db: AsyncSession, follow: Follow) -> None:
        """A local person follows a remote actor: send Follow."""

    async def follow_removed(self, db: AsyncSession, follow: Follow) -> None:
        """A local person unfollowed a remote actor: send Undo(Follow)."""

    async def account_updated(self, db: AsyncSession, account: Account) -> None:
        """A local account's public facts (name, verified claim) changed: send Update(Person)."""
