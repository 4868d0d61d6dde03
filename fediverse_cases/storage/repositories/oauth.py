"""Queries over OAuth apps, codes, tokens and API media uploads.

Functions take a session first and never commit. Lookups are by SHA-256 hash: plaintext
secrets, codes and tokens never reach the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.storage.models import MediaUpload, OAuthApp, OAuthAuthorizationCode, OAuthToken


async def get_app_by_client_id(session: AsyncSession, client_id: str) -> OAuthApp | None:
    result = await session.execute(select(OAuthApp).where(OAuthApp.client_id == client_id))
    return result.scalar_one_or_none()


async def get_app(session: AsyncSession, app_id: int) -> OAuthApp | None:
    return await session.get(OAuthApp, app_id)


async def get_code_for_update(session: AsyncSession, code_hash: str) -> OAuthAuthorizationCode | None:
    # Row lock on PostgreSQL so two concurrent exchanges of one code cannot both succeed.
    result = await session.execute(
        select(OAuthAuthorizationCode).where(OAuthAuthorizationCode.code_hash == code_hash).with_for_update()
    )
    return result.scalar_one_or_none()


async def mark_code_used(session: AsyncSession, code_id: int, now: datetime) -> bool:
    """Atomically claim a code; False when it was already used (a replay)."""
    result = await session.execute(
        update(OAuthAuthorizationCode)
        .where(OAuthAuthorizationCode.id == code_id, OAuthAuthorizationCode.used_at.is_(None))
        .values(used_at=now)
    )
    return result.rowcount == 1


async def get_token_by_hash(session: AsyncSession, token_hash: str) -> OAuthToken | None:
    result = await session.execute(select(OAuthToken).where(OAuthToken.token_hash == token_hash))
    return result.scalar_one_or_none()


async def touch_token(session: AsyncSession, token_id: int, now: datetime) -> None:
    await session.execute(update(OAuthToken).where(OAuthToken.id == token_id).values(last_used_at=now))


async def revoke_tokens_for_code_replay(
    session: AsyncSession, app_id: int, account_id: int, now: datetime
) -> None:
    """RFC 6749 §4.1.2: a reused code should revoke what it already issued."""
    await session.execute(
        update(OAuthToken)
        .where(
            OAuthToken.app_id == app_id,
            OAuthToken.account_id == account_id,
            OAuthToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )


async def revoke_app_tokens_for_account(
    session: AsyncSession, app_id: int, account_id: int, now: datetime
) -> int:
    result = await session.execute(
        update(OAuthToken)
        .where(
            OAuthToken.app_id == app_id,
            OAuthToken.account_id == account_id,
            OAuthToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)


async def active_tokens_for_account(
    session: AsyncSession, account_id: int, now: datetime
) -> Sequence[tuple[OAuthToken, OAuthApp]]:
    result = await session.execute(
        select(OAuthToken, OAuthApp)
        .join(OAuthApp, OAuthApp.id == OAuthToken.app_id)
        .where(
            OAuthToken.account_id == account_id,
            OAuthToken.revoked_at.is_(None),
            (OAuthToken.expires_at.is_(None)) | (OAuthToken.expires_at > now),
        )
        .order_by(OAuthApp.name, OAuthToken.id)
    )
    return [(row[0], row[1]) for row in result.all()]


async def get_media_upload(session: AsyncSession, media_id: int) -> MediaUpload | None:
    return await session.get(MediaUpload, media_id)


async def media_uploads_for_account(
    session: AsyncSession, account_id: int, media_ids: Sequence[int]
) -> Sequence[MediaUpload]:
    """Only the uploader's own uploads: another person's id simply is not found."""
    if not media_ids:
        return []
    result = await session.execute(
        select(MediaUpload).where(MediaUpload.account_id == account_id, MediaUpload.id.in_(media_ids))
    )
    return result.scalars().all()


async def media_uploads_for_case(session: AsyncSession, case_id: int) -> Sequence[MediaUpload]:
    result = await session.execute(
        select(MediaUpload).where(MediaUpload.case_id == case_id).order_by(MediaUpload.id)
    )
    return result.scalars().all()
