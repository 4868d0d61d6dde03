"""Turning loaded cases, comments and accounts into Mastodon JSON for one viewer, in a fixed
number of queries (authors, images, tags, counts, favourites), and the shared "page of cases"
answer of the timelines and an account's statuses. Helpers only: no routes here."""

from __future__ import annotations

from collections.abc import Sequence

from quart import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.convert.cases import key_frames_per_stack
from fediverse_cases.core.case_access import Viewer, can_see_unpublished, case_facts
from fediverse_cases.services import polls as poll_service
from fediverse_cases.services.viewers import viewer_for
from fediverse_cases.storage.models import Account, Case, Comment
from fediverse_cases.storage.repositories import accounts as accounts_repo
from fediverse_cases.storage.repositories import dicom as dicom_repo
from fediverse_cases.storage.repositories import follows as follows_repo
from fediverse_cases.storage.repositories import polls as polls_repo
from fediverse_cases.storage.repositories import social as social_repo
from fediverse_cases.storage.repositories import timelines as timelines_repo
from fediverse_cases.storage.repositories.feeds import has_consent, hydrate
from fediverse_cases.web.api import pagination
from fediverse_cases.web.api.auth import api_account
from fediverse_cases.web.api.params import read_params
from fediverse_cases.web.api.poll_serializers import poll_json
from fediverse_cases.web.api.serializers import account_json, relationship_json
from fediverse_cases.web.api.status_serializers import Interactions, case_status_json, comment_status_json
from fediverse_cases.web.state import app_state


def base_url() -> str:
    return app_state().settings.instance.base_url


async def render_cases(db: AsyncSession, cases: Sequence[Case], viewer: Viewer) -> list[dict[str, object]]:
    listings = await hydrate(db, cases)
    case_ids = [case.id for case in cases]
    accounts = await accounts_json(db, list({case.author_actor_id for case in cases}))
    interactions = Interactions(
        favourited=await social_repo.liked_case_ids(db, viewer.actor_id, case_ids)
        if viewer.actor_id
        else set(),
        favourite_counts=await social_repo.like_counts(db, case_ids),
    )
    polls = await polls_repo.polls_of_cases(db, case_ids)
    key_frames = await dicom_repo.key_frames_of(
        db,
        {
            listing.case.id: key_frames_per_stack(sum(1 for image in listing.images if image.media_key))
            for listing in listings
        },
    )
    rendered = []
    for listing in listings:
        facts = case_facts(listing.case)
        show_review = can_see_unpublished(viewer, facts)
        consent = await has_consent(db, listing.case.id) if show_review and listing.case.is_local else None
        rendered.append(
            case_status_json(
                listing,
                accounts[listing.case.author_actor_id],
                base_url(),
                interactions,
                show_review=show_review,
                consent_on_file=consent,
                key_frames=key_frames,
            )
        )
        if (poll := polls.get(listing.case.id)) is not None:
            view = await poll_service.view_of(db, listing.case, api_account(), viewer.actor_id, poll)
            rendered[-1]["poll"] = poll_json(view, signed_in=viewer.signed_in) if view else None
    return rendered


async def render_comments(
    db: AsyncSession, comments: Sequence[Comment], case: Case, by_id: dict[int, Comment]
) -> list[dict[str, object]]:
    missing = {c.parent_id for c in comments if c.parent_id is not None and c.parent_id not in by_id}
    if missing:
        # Callers rendering one reply pass no parents: read them, so the reply names its target.
        by_id = {
            **by_id,
            **{p.id: p for p in await db.scalars(select(Comment).where(Comment.id.in_(missing)))},
        }

    def replied_to(comment: Comment) -> int:
        parent = by_id.get(comment.parent_id) if comment.parent_id else None
        return parent.author_actor_id if parent is not None else case.author_actor_id

    wanted = {comment.author_actor_id for comment in comments} | {replied_to(c) for c in comments}
    accounts = await accounts_json(db, list(wanted))
    return [
        comment_status_json(
            comment,
            case,
            by_id.get(comment.parent_id) if comment.parent_id else None,
            accounts[comment.author_actor_id],
            case.author_actor_id,
            base_url(),
            replied_to=accounts.get(replied_to(comment)),
        )
        for comment in comments
    ]


async def api_viewer(db: AsyncSession, account: Account | None) -> Viewer:
    return await viewer_for(db, account)


async def accounts_json(db: AsyncSession, actor_ids: list[int]) -> dict[int, dict[str, object]]:
    """Account JSON for many actors in a fixed number of queries."""
    pairs = await accounts_repo.actors_with_accounts(db, actor_ids)
    counts = await accounts_repo.account_counts(db, list(pairs))
    return {
        actor_id: account_json(actor, account, counts.get(actor_id), base_url())
        for actor_id, (actor, account) in pairs.items()
    }


async def render_case_page(kind: str, *, author_actor_id: int | None = None, tag: str = "") -> Response:
    account = api_account()
    page = await pagination.id_page(divisor=2)
    params = await read_params()
    async with app_state().sessionmaker() as db:
        viewer = await api_viewer(db, account)
        origin = "local" if params.get_bool("local") else "remote" if params.get_bool("remote") else ""
        query, key = timelines_repo.timeline_query(
            kind,
            viewer_actor_id=viewer.actor_id,
            signed_in=viewer.signed_in,
            author_actor_id=author_actor_id,
            tag=tag,
            origin=origin,
        )
        cases = await timelines_repo.cases_page(db, query, page, key)
        body = await render_cases(db, cases, viewer)
    return pagination.paginated(body, [case.id * 2 for case in cases], page)


async def relationship(db: AsyncSession, me_id: int, other_id: int) -> dict[str, object]:
    """The Mastodon Relationship between the caller's actor and one other actor."""
    outgoing, incoming = await follows_repo.follows_between(db, me_id, [other_id])
    return relationship_json(other_id, outgoing.get(other_id), incoming.get(other_id))
