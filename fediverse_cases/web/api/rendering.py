"""Turning loaded cases and comments into Mastodon JSON for one viewer, in a fixed number of
queries (authors, images, tags, counts, favourites)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.case_access import Viewer, can_see_unpublished, case_facts
from fediverse_cases.storage.models import Account, Case, Comment
from fediverse_cases.storage.repositories import api_queries
from fediverse_cases.storage.repositories.feeds import has_consent, hydrate
from fediverse_cases.web.api.accounts import accounts_json
from fediverse_cases.web.api.status_serializers import Interactions, case_status_json, comment_status_json
from fediverse_cases.web.state import app_state


def base_url() -> str:
    return app_state().settings.instance.base_url


async def render_cases(db: AsyncSession, cases: Sequence[Case], viewer: Viewer) -> list[dict[str, object]]:
    listings = await hydrate(db, cases)
    case_ids = [case.id for case in cases]
    accounts = await accounts_json(db, list({case.author_actor_id for case in cases}))
    interactions = Interactions(
        favourited=await api_queries.liked_case_ids(db, viewer.actor_id, case_ids)
        if viewer.actor_id
        else set(),
        favourite_counts=await api_queries.like_counts(db, case_ids),
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
            )
        )
    return rendered


async def render_comments(
    db: AsyncSession, comments: Sequence[Comment], case: Case, by_id: dict[int, Comment]
) -> list[dict[str, object]]:
    accounts = await accounts_json(db, list({comment.author_actor_id for comment in comments}))
    return [
        comment_status_json(
            comment,
            case,
            by_id.get(comment.parent_id) if comment.parent_id else None,
            accounts[comment.author_actor_id],
            case.author_actor_id,
            base_url(),
        )
        for comment in comments
    ]


async def api_viewer(db: AsyncSession, account: Account | None) -> Viewer:
    from fediverse_cases.services.viewers import viewer_for

    return await viewer_for(db, account)
