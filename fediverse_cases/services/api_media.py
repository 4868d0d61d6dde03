"""Media uploaded through the client API: accept the bytes (cheap checks, original kept in the
private store, a ``MediaUpload`` row in state ``processing`` and a de-identification job, in one
transaction), then a worker de-identifies them into the row (``ready``) or refuses them
(``failed``, original deleted: fail closed). See ``services.deid_jobs``.

``POST /api/v2/media`` answers 202 at once, as Mastodon does; ``POST /api/v1/media`` waits for
the job. The result lives in the database, so ``GET /api/v1/media/:id`` reports it from any
process, and a worker that dies mid-way only delays it (the job is claimed again).
"""

from __future__ import annotations

from fediverse_cases.core.accounts import can_post_and_comment
from fediverse_cases.services import deid_jobs
from fediverse_cases.services.api_statuses import ApiRefusal
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.models import Account, MediaUpload
from fediverse_cases.storage.repositories import oauth as oauth_repo

# How long ``POST /api/v1/media`` holds the request for its job.
SYNCHRONOUS_TIMEOUT_SECONDS = 300.0


async def accept_upload(
    state: AppState, account: Account, data: bytes, description: str, filename: str, declared_type: str
) -> tuple[MediaUpload, int]:
    """The checks that need no decoding, then a ``processing`` row and its job; refusals write
    nothing. Returns the row and the job id."""
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
            await db.flush()
            job = deid_jobs.enqueue(
                db,
                kind="api_media",
                media_upload_id=upload.id,
                original_key=original_key,
                filename=filename,
                declared_type=declared_type,
            )
            await db.flush()
            job_id = job.id
    except BaseException:
        state.private_store.delete(original_key)
        raise
    deid_jobs.wake(state)
    return upload, job_id


async def upload_synchronously(
    state: AppState, account: Account, data: bytes, filename: str, declared_type: str, description: str
) -> MediaUpload:
    """Accept and wait for the job (``POST /api/v1/media``); a refusal is a 422."""
    upload, job_id = await accept_upload(state, account, data, description, filename, declared_type)
    await deid_jobs.process_now(state, [job_id], timeout=SYNCHRONOUS_TIMEOUT_SECONDS)
    async with state.sessionmaker() as db:
        done = await oauth_repo.get_media_upload(db, upload.id)
    if done is None or done.state != "ready":
        raise ApiRefusal(422, f"Validation failed: {done.error if done else 'the upload is gone'}")
    return done
