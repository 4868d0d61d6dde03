"""Differential polls: attaching one to a draft case (from the composer), what a viewer sees of
a poll, and casting a vote (on a local poll, or on a remote one through its home instance).

Options are scanned for identifiers like the caption: a flagged option stops the save with the
findings marked. Only verified professionals vote, once per poll; a vote on a local poll sends
Update(Question) with the new totals, a vote on a remote poll is sent to its home.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core import polls as rules
from fediverse_cases.core.accounts import can_post_and_comment
from fediverse_cases.core.case_access import CaseState, case_facts, federates
from fediverse_cases.deidentify import PhiFinding, scan_text
from fediverse_cases.federation import polls as poll_federation
from fediverse_cases.federation import threads
from fediverse_cases.services.case_errors import EDITABLE_STATES, CaseError
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Account, Actor, Case, Poll, PollVote
from fediverse_cases.storage.repositories import polls as polls_repo

DEFAULT_DURATION = 86400


@dataclass(frozen=True)
class PollInput:
    options: Sequence[str] = ()
    duration_seconds: int = DEFAULT_DURATION
    multiple: bool = False

    @property
    def empty(self) -> bool:
        return not any(text.strip() for text in self.options)


def option_field(index: int) -> str:
    """The composer's field name of option ``index`` (errors and PHI marks refer to it)."""
    return f"poll_option_{index}"


def check_poll(poll: PollInput) -> list[str]:
    """The clean options; raises CaseError naming the fields at fault (and PHI findings)."""
    try:
        options = rules.clean_options(poll.options)
        rules.check_duration(poll.duration_seconds)
    except rules.PollRuleError as error:
        raise CaseError("Please correct the poll.", field_errors={"poll": str(error)}) from None
    phi: dict[str, list[PhiFinding]] = {}
    errors: dict[str, str] = {}
    for index, text in enumerate(poll.options):
        if findings := scan_text(" ".join(text.split())):
            phi[option_field(index)] = findings
            errors[option_field(index)] = "This option looks like it contains patient identifiers (marked)."
    if errors:
        raise CaseError("A poll option looks like it identifies a patient.", field_errors=errors, phi=phi)
    return options


async def save_draft_poll(db: AsyncSession, case: Case, poll: PollInput) -> Poll | None:
    """Attach, change or (with no options) remove the poll of a case still being composed."""
    if case.state not in EDITABLE_STATES:
        raise CaseError("This case can no longer be edited.", status=409)
    existing = await polls_repo.poll_of_case(db, case.id)
    if poll.empty:
        if existing is not None:
            await db.delete(existing)
            await db.flush()
        return None
    options = check_poll(poll)
    row = existing or Poll(case_id=case.id)
    row.options = options
    row.multiple = poll.multiple
    row.duration_seconds = poll.duration_seconds
    row.updated_at = utcnow()
    if existing is None:
        db.add(row)
    await db.flush()
    return row


@dataclass(frozen=True)
class OptionView:
    index: int
    title: str
    votes: int
    percent: int
    chosen: bool


@dataclass(frozen=True)
class PollView:
    poll: Poll
    options: list[OptionView]
    multiple: bool
    ends_at: datetime | None
    closed: bool
    voted: bool
    own_choices: list[int]
    results_visible: bool
    may_vote: bool
    why_not: str  # why the viewer may not vote, when they may not (empty otherwise)
    votes_count: int
    voters_count: int


async def view_of(
    db: AsyncSession, case: Case, account: Account | None, actor_id: int | None, poll: Poll | None = None
) -> PollView | None:
    """The poll of ``case`` as ``account`` (acting as actor ``actor_id``) sees it; None when the
    case has no poll."""
    poll = poll or await polls_repo.poll_of_case(db, case.id)
    if poll is None:
        return None
    counts, voters = await poll_federation.counts_of(db, poll)
    own = await polls_repo.choices_of(db, poll.id, actor_id) if actor_id is not None else []
    return view_from(case, account, actor_id, poll, counts, voters, own)


def view_from(
    case: Case,
    account: Account | None,
    actor_id: int | None,
    poll: Poll,
    counts: list[int],
    voters: int,
    own: list[int],
) -> PollView:
    """The poll as ``account`` sees it, from its loaded tallies and the viewer's own choices."""
    end = poll_federation.end_of(poll, case)
    closed = rules.is_closed(end, utcnow())
    is_author = actor_id is not None and actor_id == case.author_actor_id
    visible = rules.results_visible(voted=bool(own), closed=closed, is_author=is_author)
    why_not = _why_not(case, account, closed, is_author, bool(own))
    total = sum(counts)
    return PollView(
        poll=poll,
        options=[
            OptionView(
                index,
                title,
                counts[index] if visible else 0,
                round(100 * counts[index] / total) if visible and total else 0,
                index in own,
            )
            for index, title in enumerate(poll.options)
        ],
        multiple=poll.multiple,
        ends_at=end,
        closed=closed,
        voted=bool(own),
        own_choices=own,
        results_visible=visible,
        may_vote=not why_not,
        why_not=why_not,
        votes_count=total,
        voters_count=voters,
    )


def _why_not(case: Case, account: Account | None, closed: bool, is_author: bool, voted: bool) -> str:
    if case.state != CaseState.PUBLISHED or case.hidden:
        return "Voting opens when the case is published."
    try:
        rules.check_vote(
            rules.VoteCheck(
                closed=closed,
                is_author=is_author,
                professional=can_post_and_comment(account),
                already_voted=voted,
                multiple=True,
                option_count=1,
            ),
            [0],
        )
    except rules.PollRuleError as error:
        return str(error)
    return ""


async def cast_vote(
    db: AsyncSession,
    state: AppState,
    case: Case,
    account: Account,
    actor: Actor,
    choices: Sequence[int],
) -> PollView:
    """Record ``account``'s vote (raises CaseError 422 saying why not) and federate it."""
    poll = await polls_repo.poll_of_case(db, case.id)
    if poll is None:
        raise CaseError("This case has no poll.", status=404)
    if case.state != CaseState.PUBLISHED or case.hidden:
        raise CaseError("Voting opens when the case is published.", status=422)
    end = poll_federation.end_of(poll, case)
    check = rules.VoteCheck(
        closed=rules.is_closed(end, utcnow()),
        is_author=actor.id == case.author_actor_id,
        professional=can_post_and_comment(account),
        already_voted=bool(await polls_repo.choices_of(db, poll.id, actor.id)),
        multiple=poll.multiple,
        option_count=len(poll.options),
    )
    try:
        chosen = rules.check_vote(check, choices)
    except rules.PollRuleError as error:
        status = 403 if not check.professional else 422
        raise CaseError(str(error), status=status) from None
    votes = [PollVote(poll_id=poll.id, actor_id=actor.id, choice=choice) for choice in chosen]
    db.add_all(votes)
    await db.flush()
    if case.is_local:
        if federates(case_facts(case)):
            await poll_federation.tallies_changed(db, state, case, await threads.case_note(db, state, case))
    else:
        # Shown at once; the home's Update(Question) brings the authoritative totals.
        counts = list(poll.remote_counts or [0] * len(poll.options))
        for choice in chosen:
            counts[choice] = int(counts[choice]) + 1
        poll.remote_counts = counts
        poll.remote_voters_count = int(poll.remote_voters_count or 0) + 1
        await poll_federation.vote_cast(db, state, case, poll, actor, votes)
    await db.flush()
    view = await view_of(db, case, account, actor.id, poll)
    assert view is not None
    return view
