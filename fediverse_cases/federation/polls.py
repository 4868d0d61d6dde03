"""What polls send and how a case with a poll looks on the wire.

``with_poll`` turns a local case's Note into its ``Question`` (called by ``threads.case_note``,
the one builder of case documents, so Create, Update and the object route agree).
``vote_cast`` sends a local person's vote on a remote poll to the poll author's inbox;
``tallies_changed`` sends Update(Question) with the new totals to whoever holds the case and to
every voter. May import storage, convert, core and activitypub.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.convert.activities import create_activity, update_activity
from fediverse_cases.convert.polls import question_from_note, vote_note
from fediverse_cases.core import polls as rules
from fediverse_cases.federation import outbox, recipients
from fediverse_cases.federation.state import FederationState
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Actor, Case, Poll, PollVote
from fediverse_cases.storage.repositories import polls as polls_repo
from fediverse_cases.storage.repositories import remote_actors as remote_actors_repo


async def counts_of(db: AsyncSession, poll: Poll) -> tuple[list[int], int]:
    """Votes per option (in option order) and voters: counted here for a local poll, as last
    sent by its home for a remote one."""
    if poll.remote_counts is not None:
        counts = [int(c) for c in poll.remote_counts][: len(poll.options)]
        counts += [0] * (len(poll.options) - len(counts))
        return counts, int(poll.remote_voters_count or 0)
    per_option, voters = await polls_repo.tallies(db, poll.id)
    return [per_option.get(index, 0) for index in range(len(poll.options))], voters


def end_of(poll: Poll, case: Case) -> Any:
    return rules.closes_at(
        duration_seconds=poll.duration_seconds, expires_at=poll.expires_at, published_at=case.published_at
    )


async def with_poll(db: AsyncSession, case: Case, note: dict[str, Any]) -> dict[str, Any]:
    """The case's document: its Note, or the Question when the case carries a poll."""
    poll = await polls_repo.poll_of_case(db, case.id)
    if poll is None:
        return note
    counts, voters = await counts_of(db, poll)
    end = end_of(poll, case)
    return question_from_note(
        note,
        poll.options,
        counts,
        multiple=poll.multiple,
        end=end,
        closed=rules.is_closed(end, utcnow()),
        voters_count=voters,
    )


async def vote_cast(
    db: AsyncSession, state: FederationState, case: Case, poll: Poll, voter: Actor, votes: Sequence[PollVote]
) -> int:
    """A local person voted on a remote poll: one Create(Note) per chosen option to its author."""
    author = await remote_actors_repo.get_actor(db, case.author_actor_id)
    if case.is_local or author is None:
        return 0
    queued = 0
    for vote in votes:
        vote.ap_id = vote.ap_id or f"{voter.uri}#votes/{vote.id}"
        note = vote_note(vote.ap_id, voter.uri, case.ap_id, author.uri, poll.options[vote.choice])
        queued += await outbox.enqueue(
            db,
            state,
            activity=create_activity(note),
            sender=voter,
            inboxes={recipients.personal_inbox_of(author)},
        )
    return queued


async def tallies_changed(
    db: AsyncSession, state: FederationState, case: Case, question: dict[str, Any]
) -> int:
    """Update(Question) with new totals, to whoever holds or would receive the case and to every
    remote voter (a voter's server may not follow the author)."""
    author = await remote_actors_repo.get_actor(db, case.author_actor_id)
    if not case.is_local or author is None:
        return 0
    poll = await polls_repo.poll_of_case(db, case.id)
    inboxes = await recipients.case_update_audience(db, case, author)
    if poll is not None:
        voters = await remote_actors_repo.actors_by_ids(db, await polls_repo.voter_actor_ids(db, poll.id))
        inboxes |= {recipients.inbox_of(actor) for actor in voters.values() if not actor.is_local}
    return await outbox.enqueue(
        db, state, activity=update_activity(question), sender=author, inboxes=inboxes, object_id=case.ap_id
    )
