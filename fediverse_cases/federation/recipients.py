"""Who receives what: every "which inboxes get this" decision of the outbox, in one place.

- a public case goes to the author's followers; a "followers and peers" case also to every
  allowed peer's instance actor; "this hospital only" never leaves (``core.case_access``);
- an edit or withdrawal of a case goes to everyone who received or fetched it, and to the
  author's followers now;
- a comment on our own case goes to everyone who received the case (we are its authority); a
  comment on a remote case goes to the case's home (and a remote parent comment's author);
- likes and flags go to the home of what they are about.

Inboxes come from the actors' own documents (shared inbox preferred), never from a guessed
path: a signed fetch records its signing actor, whose document names its inbox.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.case_access import Visibility, case_facts, federates
from fediverse_cases.storage.models import Actor, Case, Comment
from fediverse_cases.storage.repositories import deliveries as deliveries_repo
from fediverse_cases.storage.repositories import follows as follows_repo
from fediverse_cases.storage.repositories import object_fetches as object_fetches_repo
from fediverse_cases.storage.repositories import peers as peers_repo
from fediverse_cases.storage.repositories import remote_actors as remote_actors_repo

log = logging.getLogger(__name__)


def inbox_of(actor: Actor) -> str:
    """Where an actor's deliveries go: its server's shared inbox, else its own."""
    return actor.shared_inbox_url or actor.inbox_url


def personal_inbox_of(actor: Actor) -> str:
    """Follow, Accept and Undo(Follow) name one person: their own inbox, else the shared one."""
    return actor.inbox_url or actor.shared_inbox_url


async def follower_inboxes(db: AsyncSession, actor: Actor) -> set[str]:
    """Inboxes of the accepted remote followers of ``actor`` (shared inbox preferred)."""
    rows = await follows_repo.follower_inbox_rows(db, actor.id)
    return {shared or personal for shared, personal in rows if shared or personal}


async def _allowed_peer_instance_actors(db: AsyncSession) -> Sequence[Actor]:
    hosts = [peer.host for peer in await peers_repo.allowed_peers(db)]
    return await remote_actors_repo.instance_actors(db, hosts)


async def peer_inboxes(db: AsyncSession) -> set[str]:
    """Inboxes of the instance actors of allowed peers that we know (shared inbox preferred)."""
    return {inbox_of(actor) for actor in await _allowed_peer_instance_actors(db) if inbox_of(actor)}


async def peer_instance_actors(db: AsyncSession) -> list[str]:
    """Instance actors of allowed peer hospitals: the "peers" a followers-and-peers case names.
    Only actors whose documents we hold (they signed a request to us): never a guessed path."""
    return [actor.uri for actor in await _allowed_peer_instance_actors(db)]


async def case_audience(db: AsyncSession, case: Case, author: Actor) -> set[str]:
    """Who gets a newly published case."""
    inboxes = await follower_inboxes(db, author)
    if case.visibility == Visibility.FOLLOWERS:
        inboxes |= await peer_inboxes(db)
    return inboxes


async def holders_of_case(db: AsyncSession, case: Case, author: Actor) -> set[str]:
    """Every inbox that received the case or fetched it, plus the author's followers now."""
    inboxes = {
        d.inbox_url for d in await deliveries_repo.deliveries_of(db, case.ap_id) if d.state != "cancelled"
    }
    inboxes |= await follower_inboxes(db, author)
    for host, signer in await object_fetches_repo.fetch_signers(db, case.ap_id):
        inbox = inbox_of(signer) if signer is not None else None
        # A fetch recorded before signers were kept: that host's published shared inbox.
        inbox = inbox or await remote_actors_repo.known_shared_inbox(db, host)
        if inbox:
            inboxes.add(inbox)
        else:
            log.warning(
                "no known inbox for %s, which fetched %s: cannot send it the Delete", host, case.ap_id
            )
    return inboxes


async def case_update_audience(db: AsyncSession, case: Case, author: Actor) -> set[str]:
    """An edit reaches whoever holds the case and whoever would receive it now."""
    return await holders_of_case(db, case, author) | await case_audience(db, case, author)


async def comment_audience(db: AsyncSession, comment: Comment, case: Case) -> set[str]:
    """Where a local comment (or its edit or deletion) goes."""
    case_author = await remote_actors_repo.get_actor(db, case.author_actor_id)
    assert case_author is not None
    if case.is_local:
        if not federates(case_facts(case)):
            return set()
        return await holders_of_case(db, case, case_author)
    targets = {inbox_of(case_author)}
    if comment.parent_id is not None:
        parent = await db.get(Comment, comment.parent_id)
        parent_author = await remote_actors_repo.get_actor(db, parent.author_actor_id) if parent else None
        if parent_author is not None and not parent_author.is_local:
            targets.add(inbox_of(parent_author))
    return targets


async def account_update_audience(db: AsyncSession, actor: Actor) -> set[str]:
    """A changed profile or professional claim goes to followers, every allowed peer we know and
    every inbox the actor ever sent to (a hospital that received their comments holds the claim)."""
    delivered = set(await deliveries_repo.inboxes_delivered_from(db, actor.id))
    return await follower_inboxes(db, actor) | await peer_inboxes(db) | delivered
