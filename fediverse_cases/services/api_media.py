"""Media uploaded through the client API: accept the bytes (cheap checks, original kept in the
private store, a ``MediaUpload`` row in state ``processing``), then de-identify them into the
row (``ready``) or refuse them (``failed``, original deleted: fail closed).

``POST /api/v2/media`` runs ``process_upload`` as a bounded background task and answers 202, as
Mastodon does; ``POST /api/v1/media`` awaits it. The result lives in the database, never in
memory, so ``GET /api/v1/media/:id`` reports it from any process. A row left ``processing``
longer than ``PROCESSING_TIMEOUT`` (the process died mid-way) is marked failed when next read.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from fediverse_cases.core.accounts import can_post_and_comment
from fediverse_cases.media.image_fields import copy_image_fields, stored_image_fields
from fediverse_cases.services.api_statuses import ApiRefusal
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Account, MediaUpload
from fediverse_cases.storage.repositories import oauth as oauth_repo

log = logging.getLogger(__name__)

PROCESSING_TIMEOUT = timedelta(minutes=5)
INTERRUPTED = "processing was interrupted; upload the image again"


async def accept_upload(state: AppState, account: Account, data: bytes, description: str) -> MediaUpload:
    """The checks that need no decoding, then a ``processing`` row; refusals write nothing."""
    if not can_post_and_comment(account):
        raise ApiRefusal(403, "Only verified healthcare professionals upload case images")
    if not data:
        raise ApiRefusal(422, "Validation failed: File can't be blank")
    if len(data) > state.settings.uploads.max_image_bytes:
        raise ApiRefusal(413, "File is too large")
    original_key = state.private_store.put(data)
    upload = MediaUpload(
        account_id=account.id,
        state="processing",
        original_key=original_key,
        description=description.strip()[:1500],
        deid_report={},
    )
    try:
        async with state.transaction() as db:
            db.add(upload)
    except BaseException:
        state.private_store.delete(original_key)
        raise
    return upload


async def process_upload(state: AppState, media_id: int, filename: str, declared_type: str) -> None:
    """De-identify one accepted upload into its row. Never raises: every failure ends ``failed``."""
    async with state.api_media_slots:
        try:
            await _process(state, media_id, filename, declared_type)
        except Exception:
            log.exception("media upload %s could not be processed", media_id)
            await mark_failed(state, media_id, "the image could not be processed")


async def _process(state: AppState, media_id: int, filename: str, declared_type: str) -> None:
    async with state.sessionmaker() as db:
        upload = await oauth_repo.get_media_upload(db, media_id)
    if upload is None or upload.state != "processing":
        return
    data = state.private_store.read(upload.original_key)
    if data is None:
        await mark_failed(state, media_id, "the uploaded file is gone")
        return
    result = await asyncio.to_thread(
        state.deidentifier.process, data, filename=filename or None, declared_type=declared_type or None
    )
    if not result.accepted or result.image is None:
        await mark_failed(state, media_id, f"the image was refused by de-identification: {result.reason}")
        return
    clean = result.image
    stored = state.media_store.save(clean)
    try:
        async with state.transaction() as db:
            row = await oauth_repo.get_media_upload(db, media_id)
            if row is None or row.state != "processing":
                state.media_store.delete(stored.key)
                return
            row.state = "ready"
            copy_image_fields(result, row, stored_image_fields(result, stored.key))
    except BaseException:
        state.media_store.delete(stored.key)
        raise


async def mark_failed(state: AppState, media_id: int, reason: str) -> None:
    """``failed`` with the reason; the private original goes (nothing will ever use it)."""
    async with state.transaction() as db:
        row = await oauth_repo.get_media_upload(db, media_id)
        if row is None or row.state != "processing":
            return
        original_key = row.original_key
        row.state = "failed"
        row.error = reason
        row.original_key = ""
    if original_key:
        state.private_store.delete(original_key)


async def current(state: AppState, upload: MediaUpload) -> MediaUpload:
    """The upload as it stands, failing one whose processing was abandoned."""
    if upload.state == "processing" and utcnow() - upload.created_at > PROCESSING_TIMEOUT:
        await mark_failed(state, upload.id, INTERRUPTED)
        async with state.sessionmaker() as db:
            refreshed = await oauth_repo.get_media_upload(db, upload.id)
        return refreshed or upload
    return upload


async def upload_synchronously(
    state: AppState, account: Account, data: bytes, filename: str, declared_type: str, description: str
) -> MediaUpload:
    """Accept and process inside the request (``POST /api/v1/media``); a refusal is a 422."""
    upload = await accept_upload(state, account, data, description)
    await process_upload(state, upload.id, filename, declared_type)
    async with state.sessionmaker() as db:
        done = await oauth_repo.get_media_upload(db, upload.id)
    if done is None or done.state != "ready":
        raise ApiRefusal(422, f"Validation failed: {done.error if done else 'the upload is gone'}")
    return done
