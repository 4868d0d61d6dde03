"""Inserting case rows straight into the database, for feed, search and comment tests that do
not need the real upload pipeline (that pipeline has its own tests). Images get a fake media key."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from fediverse_cases.core.case_access import CaseState, Visibility
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.models import Account, Actor, Case, CaseImage, CaseTag, Consent

# A real 4x3 BlurHash, so placeholders render as they would for real uploads.
SAMPLE_BLURHASH = "LEHV6nWB2yk8pyo0adR*.7kCMdnj"
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


async def actor_of(state: AppState, account: Account) -> Actor:
    async with state.sessionmaker() as db:
        return (await db.execute(select(Actor).where(Actor.account_id == account.id))).scalar_one()


async def insert_case(
    state: AppState,
    author: Account,
    *,
    caption: str = "Annular erythematous plaque on the forearm",
    tags: tuple[str, ...] = ("dermatology",),
    specialties: tuple[str, ...] = ("dermatology",),
    case_state: str = CaseState.PUBLISHED,
    visibility: str = Visibility.PUBLIC,
    sensitive: bool = False,
    hidden: bool = False,
    published_at: datetime | None = None,
    images: int = 1,
    consent: bool = True,
    public_id: str | None = None,
) -> Case:
    actor = await actor_of(state, author)
    public_id = public_id or secrets.token_urlsafe(9)
    if published_at is None and case_state in (CaseState.PUBLISHED, CaseState.WITHDRAWN):
        published_at = datetime.now(UTC)
    async with state.transaction() as db:
        case = Case(
            public_id=public_id,
            ap_id=state.urls.case(public_id),
            author_actor_id=actor.id,
            is_local=True,
            state=case_state,
            visibility=visibility,
            caption=caption,
            sensitive=sensitive,
            hidden=hidden,
            published_at=published_at,
        )
        db.add(case)
        await db.flush()
        for position in range(images):
            db.add(
                CaseImage(
                    case_id=case.id,
                    position=position,
                    media_key=secrets.token_hex(16),
                    media_type="image/jpeg",
                    width=800,
                    height=600,
                    display_width=800,
                    display_height=600,
                    thumbnail_width=320,
                    thumbnail_height=240,
                    blurhash=SAMPLE_BLURHASH,
                    alt_text=f"Clinical photograph {position + 1}",
                )
            )
        for tag in tags:
            db.add(CaseTag(case_id=case.id, tag=tag, is_specialty=tag in specialties))
        if consent:
            db.add(
                Consent(
                    case_id=case.id,
                    method="signed_form",
                    consent_date=EPOCH.date(),
                    obtained_by="Dr Test",
                    audience=visibility,
                )
            )
    return case


def minutes_ago(minutes: int) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)
