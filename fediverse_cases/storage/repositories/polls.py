"""Queries over polls and poll votes. Functions take a session first and never commit."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import Actor, CaseOutcome, Poll, PollVote


async def poll_of_case(session: AsyncSession, case_id: int) -> Poll | None:
    return (await session.execute(select(Poll).where(Poll.case_id == case_id))).scalar_one_or_none()


async def polls_of_cases(session: AsyncSession, case_ids: Sequence[int]) -> dict[int, Poll]:
    if not case_ids:
        return {}
    rows = await session.execute(select(Poll).where(Poll.case_id.in_(case_ids)))
    return {poll.case_id: poll for poll in rows.scalars()}


async def tallies(session: AsyncSession, poll_id: int) -> tuple[dict[int, int], int]:
    """Votes per option and the number of distinct voters, counted from stored votes."""
    rows = await session.execute(
        select(PollVote.choice, func.count()).where(PollVote.poll_id == poll_id).group_by(PollVote.choice)
    )
    per_option = {int(choice): int(count) for choice, count in rows}
    voters = await session.scalar(
        select(func.count(func.distinct(PollVote.actor_id))).where(PollVote.poll_id == poll_id)
    )
    return per_option, int(voters or 0)


async def choices_of(session: AsyncSession, poll_id: int, actor_id: int) -> list[int]:
    rows = await session.execute(
        select(PollVote.choice).where(PollVote.poll_id == poll_id, PollVote.actor_id == actor_id)
    )
    return sorted(int(choice) for (choice,) in rows)


async def vote_by_ap_id(session: AsyncSession, ap_id: str) -> PollVote | None:
    return (await session.execute(select(PollVote).where(PollVote.ap_id == ap_id))).scalar_one_or_none()


async def voter_actor_ids(session: AsyncSession, poll_id: int) -> list[int]:
    rows = await session.execute(select(PollVote.actor_id).where(PollVote.poll_id == poll_id).distinct())
    return [int(actor_id) for (actor_id,) in rows]


async def votes_of_poll(session: AsyncSession, poll_id: int) -> list[PollVote]:
    return list((await session.execute(select(PollVote).where(PollVote.poll_id == poll_id))).scalars())


async def answered_with_outcomes(
    session: AsyncSession, actor_id: int | None = None
) -> list[tuple[int, list[str], str]]:
    """(case id, the option titles chosen, the confirmed diagnosis): one row per poll answered by
    ``actor_id`` — or, with None, by each local person — whose case has a confirmed outcome."""
    query = (
        select(PollVote.actor_id, Poll.case_id, Poll.options, PollVote.choice, CaseOutcome.diagnosis)
        .join(PollVote, PollVote.poll_id == Poll.id)
        .join(CaseOutcome, (CaseOutcome.case_id == Poll.case_id) & (CaseOutcome.state == "applied"))
        .order_by(PollVote.actor_id, Poll.case_id, PollVote.choice)
    )
    if actor_id is not None:
        query = query.where(PollVote.actor_id == actor_id)
    else:
        query = query.join(Actor, Actor.id == PollVote.actor_id).where(Actor.is_local.is_(True))
    answers: dict[tuple[int, int], tuple[list[str], str]] = {}
    for voter, case_id, options, choice, diagnosis in await session.execute(query):
        chosen, _ = answers.setdefault((voter, case_id), ([], diagnosis))
        if 0 <= choice < len(options):
            chosen.append(options[choice])
    return [(case_id, chosen, diagnosis) for (_voter, case_id), (chosen, diagnosis) in answers.items()]
