"""Polls arriving from peers: Create(Question) and Update(Question), and votes on our polls.

- Create(Question) without ``inReplyTo``: a case carrying a poll (how Mastodon and we send a
  post with a poll). The case goes through ``create.store_remote_case`` like any Note (follow,
  image and de-identification rules), then its poll is kept.
- Update(Question): the home instance's new totals (and any caption edit) for a remote poll.
- Create(Note) with ``name`` and ``inReplyTo`` one of our polls: a vote. Accepted only when the
  voter delivered it themself and is a verified professional by the same rule as comments
  (``create.may_comment``); one vote per person (a second one in a single-choice poll, a vote
  after the close or for an unknown option is dropped). An accepted vote sends
  Update(Question) with the new totals.

Anything else falls through to the Note handlers in ``create`` and ``update``.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from fediverse_cases.activitypub.base import InvalidDocument, get_type
from fediverse_cases.convert.polls import RemotePoll, RemoteVote, poll_from_question, vote_from_note
from fediverse_cases.core import polls as rules
from fediverse_cases.core.case_access import case_facts, federates
from fediverse_cases.federation import polls as poll_federation
from fediverse_cases.federation import threads
from fediverse_cases.federation.handlers import context_backfill, create, update
from fediverse_cases.federation.handlers.context import Dropped, InboxContext
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Case, Poll, PollVote
from fediverse_cases.storage.repositories import cases as cases_repo
from fediverse_cases.storage.repositories import polls as polls_repo

log = logging.getLogger(__name__)


def _host(iri: str) -> str:
    return urlsplit(iri).netloc.lower()


def _is_question(raw: Any) -> bool:
    try:
        return isinstance(raw, dict) and get_type(raw, {"Question"}) == "Question"
    except InvalidDocument:
        return False


async def handle_create(ctx: InboxContext) -> None:
    raw = ctx.activity.get("object")
    if isinstance(raw, dict):
        vote = vote_from_note(raw)
        if vote is not None:
            case = await cases_repo.get_case_by_ap_id(ctx.db, vote.question_id)
            if case is None or not case.is_local:
                # Only a poll's home counts its votes; a vote is never kept as a comment.
                raise Dropped("vote for a poll not held here", vote.ap_id)
            await _record_vote(ctx, case, vote)
            return
        if _is_question(raw):
            await _store_question(ctx)
            return
    # Any other Note: stored as a case or comment, then its conversation backfilled (FEP-7888).
    await context_backfill.handle_create_with_context(ctx)


async def handle_update(ctx: InboxContext) -> None:
    if _is_question(ctx.activity.get("object")):
        await _update_question(ctx)
        return
    await update.handle_update(ctx)


def _as_note_context(ctx: InboxContext, question: dict[str, Any]) -> InboxContext:
    """The same activity with its Question seen as the Note it also is (caption, images, tags)."""
    return InboxContext(
        ctx.db, ctx.state, ctx.signer, {**ctx.activity, "object": {**question, "type": "Note"}}, ctx.forwarded
    )


def _apply(poll: Poll, remote: RemotePoll) -> None:
    poll.options = list(remote.options)
    poll.multiple = remote.multiple
    poll.duration_seconds = 0
    poll.remote_counts = list(remote.counts)
    poll.remote_voters_count = remote.voters_count if remote.voters_count is not None else max(remote.counts)
    poll.expires_at = remote.expires_at
    poll.updated_at = utcnow()


async def _store_question(ctx: InboxContext) -> None:
    question = await create.trusted_note(ctx)
    if question is None or not _is_question(question):
        return
    if question.get("inReplyTo"):
        raise Dropped("poll posted as a reply: not kept", str(question.get("id")))
    try:
        remote = poll_from_question(question)
    except InvalidDocument as error:
        raise Dropped("poll not understood", f"{question.get('id')}: {error}") from None
    author = await create.author_of(ctx.db, ctx.state, ctx.activity["actor"])
    case = await create.store_remote_case(ctx.db, ctx.state, {**question, "type": "Note"}, author)
    if case is None:
        return
    poll = Poll(case_id=case.id)
    _apply(poll, remote)
    ctx.db.add(poll)
    await ctx.db.flush()
    log.info("stored remote poll of %s with %d options", case.ap_id, len(remote.options))


async def _update_question(ctx: InboxContext) -> None:
    question = await create.trusted_note(ctx)
    if question is None or not _is_question(question):
        return
    case = await cases_repo.get_case_by_ap_id(ctx.db, str(question.get("id")))
    author = await create.author_of(ctx.db, ctx.state, ctx.activity["actor"])
    if case is None or case.is_local or case.author_actor_id != author.id:
        return
    try:
        remote = poll_from_question(question)
    except InvalidDocument as error:
        log.info("ignoring poll of Update %s: %s", ctx.activity.get("id"), error)
        remote = None
    if remote is not None:
        poll = await polls_repo.poll_of_case(ctx.db, case.id)
        if poll is None:
            poll = Poll(case_id=case.id)
            ctx.db.add(poll)
        elif list(poll.options or []) != list(remote.options):
            # A changed poll is a new poll (Mastodon resets votes when options change).
            for vote in await polls_repo.votes_of_poll(ctx.db, poll.id):
                await ctx.db.delete(vote)
        _apply(poll, remote)
        await ctx.db.flush()
    await update.handle_update(_as_note_context(ctx, question))


async def _record_vote(ctx: InboxContext, case: Case, vote: RemoteVote) -> None:
    db = ctx.db
    if ctx.forwarded or ctx.signer.uri != ctx.actor_iri or vote.voter_uri != ctx.signer.uri:
        raise Dropped("vote not delivered by its voter", vote.ap_id)
    if _host(vote.ap_id) != ctx.signer.host:
        raise Dropped("vote id not on the voter's host", vote.ap_id)
    poll = await polls_repo.poll_of_case(db, case.id)
    if poll is None or case.state != "published" or case.hidden:
        raise Dropped("vote on a case without an open poll", vote.ap_id)
    if await polls_repo.vote_by_ap_id(db, vote.ap_id) is not None:
        return  # the same vote delivered again
    voter = ctx.signer
    if not await create.may_comment(db, voter):
        raise Dropped("vote by someone not a verified or vouched professional", voter.uri)
    if vote.name not in poll.options:
        raise Dropped("vote for no such option", vote.ap_id)
    choice = list(poll.options).index(vote.name)
    already = await polls_repo.choices_of(db, poll.id, voter.id)
    if choice in already:
        return
    try:
        rules.check_vote(
            rules.VoteCheck(
                closed=rules.is_closed(poll_federation.end_of(poll, case), utcnow()),
                is_author=voter.id == case.author_actor_id,
                professional=True,
                # Several choices of an anyOf poll arrive as one Create each.
                already_voted=bool(already) and not poll.multiple,
                multiple=poll.multiple,
                option_count=len(poll.options),
            ),
            [choice],
        )
    except rules.PollRuleError as error:
        raise Dropped("vote refused", f"{vote.ap_id}: {error}") from None
    db.add(PollVote(poll_id=poll.id, actor_id=voter.id, choice=choice, ap_id=vote.ap_id))
    await db.flush()
    log.info("counted vote %s on %s", vote.ap_id, case.ap_id)
    if federates(case_facts(case)):
        await poll_federation.tallies_changed(
            db, ctx.state, case, await threads.case_note(db, ctx.state, case)
        )
