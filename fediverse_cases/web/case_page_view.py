"""What the case page shows, loaded and kept between requests (``web/fresh_values.py``): the part
every reader sees alike (the case, its images and stacks, thread, poll counts and outcome, and
the case's head, images, caption and tags already rendered), and the part that is one signed-in
reader's own (their like, their vote, pages for them, the groups they may page). The page itself,
who may see it, and what a view records are ``web/blueprints/cases.py``'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup

from fediverse_cases.core.case_access import VISIBILITY_LABELS, CaseState
from fediverse_cases.federation import polls as poll_federation
from fediverse_cases.storage.models import Actor, Case, CaseOutcome, Poll
from fediverse_cases.storage.repositories import comments as comment_repo
from fediverse_cases.storage.repositories import dicom as dicom_repo
from fediverse_cases.storage.repositories import feeds as feed_repo
from fediverse_cases.storage.repositories import groups as groups_repo
from fediverse_cases.storage.repositories import outcomes as outcomes_repo
from fediverse_cases.storage.repositories import paging as paging_repo
from fediverse_cases.storage.repositories import polls as polls_repo
from fediverse_cases.storage.repositories import social as social_repo
from fediverse_cases.storage.repositories.comments import CommentView
from fediverse_cases.web.doc_cache import PAGE_SECONDS
from fediverse_cases.web.fresh_values import fresh_values
from fediverse_cases.web.rendering import render_fragment
from fediverse_cases.web.stack_views import StackView, stack_view
from fediverse_cases.web.state import app_state

__all__ = ["ReaderFacts", "SharedCaseView", "reader_facts", "shared_case_view"]

# Tables the case page reads through counts and "exists" (no rows loaded, so no row keys): a
# write to any of them loads the page's shared part again.
_COUNTED_TABLES = ("table:likes", "table:consents", "table:comments", "table:poll_votes")
# What a reader's own part of the page reads: their like and vote, pages for them, their groups.
_READER_TABLES = ("table:likes", "table:poll_votes", "table:pages", "table:page_recipients", "table:follows")


@dataclass(frozen=True)
class SharedCaseView:
    """What the case page shows every reader alike. Moderators also see hidden comments, so theirs
    is kept apart. Who may see the case at all is checked for each request, before any of it is
    shown."""

    facts: feed_repo.CasePage | None  # ``liked`` is always False here: see ReaderFacts
    stacks: dict[int, StackView] = field(default_factory=dict)
    thread: list[CommentView] = field(default_factory=list)
    poll: Poll | None = None
    poll_counts: list[int] = field(default_factory=list)
    poll_voters: int = 0
    outcome: CaseOutcome | None = None
    # The case's head, images, caption and tags: the same HTML for every reader, and most of what
    # rendering the page costs, so it is rendered once with the rest of this view.
    body: Markup = field(default_factory=Markup)


@dataclass(frozen=True)
class ReaderFacts:
    """What is the signed-in reader's own on the case page."""

    liked: bool = False
    own_choices: list[int] = field(default_factory=list)
    unseen_pages: bool = False
    page_groups: list[Actor] = field(default_factory=list)


async def shared_case_view(public_id: str, moderator: bool) -> SharedCaseView:
    return await fresh_values().get(
        f"case page {public_id} {moderator}",
        lambda: _load_shared(public_id, moderator),
        depends_on=_COUNTED_TABLES,
        max_age=PAGE_SECONDS,
    )


async def reader_facts(case: Case, actor_id: int, poll: Poll | None, may_page: bool) -> ReaderFacts:
    return await fresh_values().get(
        f"case reader {case.id} {actor_id} {may_page}",
        lambda: _load_reader_facts(case, actor_id, poll, may_page),
        depends_on=_READER_TABLES,
    )


async def _load_shared(public_id: str, moderator: bool) -> SharedCaseView:
    async with app_state().sessionmaker() as db:
        facts = await feed_repo.case_page(db, public_id, None)
        if facts is None or facts.listing.case.state == CaseState.WITHDRAWN:
            return SharedCaseView(facts)
        case = facts.listing.case
        await feed_repo.attach_media(db, facts.listing)
        case_stacks = await dicom_repo.stacks_of(db, case.id)
        # A peer's stack is shown in place of its key frames (the Note's few images of it).
        covered = {image_id for stack in case_stacks.values() for image_id in stack.covers}
        facts.listing.images = [image for image in facts.listing.images if image.id not in covered]
        poll = await polls_repo.poll_of_case(db, case.id)
        counts, voters = await poll_federation.counts_of(db, poll) if poll is not None else ([], 0)
        thread = await comment_repo.thread(db, case.id, include_hidden=moderator)
        outcome = await outcomes_repo.current_outcome(db, case.id)
    stacks = {image_id: stack_view(stack) for image_id, stack in case_stacks.items()}
    body = render_fragment(
        "cases/_case_body.html",
        listing=facts.listing,
        case=case,
        visibility_label=VISIBILITY_LABELS.get(case.visibility, case.visibility),
        consent_on_file=facts.consent_on_file,
        stacks=stacks,
    )
    return SharedCaseView(
        facts,
        stacks=stacks,
        thread=thread,
        poll=poll,
        poll_counts=counts,
        poll_voters=voters,
        outcome=outcome,
        body=body,
    )


async def _load_reader_facts(case: Case, actor_id: int, poll: Poll | None, may_page: bool) -> ReaderFacts:
    async with app_state().sessionmaker() as db:
        groups = await groups_repo.groups_joined(db, actor_id) if may_page else []
        return ReaderFacts(
            liked=await social_repo.get_like(db, case.id, actor_id) is not None,
            own_choices=await polls_repo.choices_of(db, poll.id, actor_id) if poll is not None else [],
            unseen_pages=bool(await paging_repo.unseen_pages(db, actor_id, case_id=case.id)),
            # My own case: I may page any group I am a member of with it.
            page_groups=[group for follow, group in groups if follow.state == "accepted"],
        )
