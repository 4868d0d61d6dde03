"""A study from the PACS becomes a draft case of its clinician (STOW-RS and C-STORE share this).

Every instance is read and checked first (``dicom.instances``); the good ones are grouped into
series, and each series becomes one image of a new draft case through ``compose.add_images`` (the
same de-identification engine and the same rules as any upload) on its key instance; the request
answers once that key image is de-identified. A series of more than one frame also gets its whole
stack de-identified for the stack viewer, as a durable job queued in the same transaction that
records the series (``services.dicom_stack_job``): hundreds of frames would hold the PACS's
connection for many minutes. The original
instances go to the private store, and the key instance's de-identified PS3.10 derivative (PS3.15
Basic Profile with Clean Pixel Data, covering what the engine found) is kept beside them with its
record. A series that fails leaves nothing; a study with no stored series leaves no draft.
Nothing is visible to anyone but the author until the draft is completed, submitted and approved.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from fediverse_cases.core.accounts import can_post_and_comment
from fediverse_cases.dicom import instances as dicom_instances
from fediverse_cases.dicom import profile, store_result
from fediverse_cases.dicom.instances import InstanceRefusal, ReceivedInstance, Series
from fediverse_cases.dicom.multipart import Part
from fediverse_cases.services import deid_jobs, dicom_files, dicom_stack, dicom_stack_job
from fediverse_cases.services.case_errors import CaseError
from fediverse_cases.services.compose import UploadedFile, add_images, remove_image, start_draft
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.models import Account, DicomSeries
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories import dicom as dicom_repo
from fediverse_cases.storage.repositories.accounts import get_actor_for_account
from fediverse_cases.storage.repositories.audit import record

log = logging.getLogger(__name__)


class IntakeRefused(Exception):
    """The whole request is refused before anything is read (not a professional, too large)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class IntakeResult:
    stored: list[store_result.Stored]
    failed: list[store_result.Failed]
    case_public_id: str | None


def check_sender(account: Account | None) -> Account:
    if account is None or not can_post_and_comment(account):
        raise IntakeRefused(403, "only verified healthcare professionals can send studies")
    return account


def too_large(state: AppState, size: int) -> str | None:
    limit = state.settings.dicom.max_study_bytes
    if size > limit:
        return f"the study is {size} bytes, more than the {limit} bytes this instance accepts at once"
    return None


def _read_all(parts: Sequence[Part]) -> tuple[list[ReceivedInstance], list[store_result.Failed]]:
    good: list[ReceivedInstance] = []
    failed: list[store_result.Failed] = []
    for number, part in enumerate(parts, start=1):
        try:
            good.append(dicom_instances.read_instance(part.data, part.content_type, number))
        except InstanceRefusal as refusal:
            failed.append(refusal.as_failed())
    return good, failed


async def receive_study(
    state: AppState, account: Account, parts: Sequence[Part], *, via: str, study_uid: str | None = None
) -> IntakeResult:
    """``study_uid``: the study the request names (``POST /dicom-web/studies/{study}``); instances
    of any other study fail with 0xA900, as PS3.18 §10.5.1 asks."""
    check_sender(account)
    size = sum(len(part.data) for part in parts)
    if message := too_large(state, size):
        raise IntakeRefused(413, message)
    good, failed = await asyncio.to_thread(_read_all, parts)
    if study_uid is not None:
        failed.extend(
            store_result.Failed(
                i.sop_class_uid,
                i.sop_instance_uid,
                store_result.DATASET_MISMATCH,
                f"the instance belongs to study {i.study_uid}, not to {study_uid} named in the URL",
            )
            for i in good
            if i.study_uid != study_uid
        )
        good = [i for i in good if i.study_uid == study_uid]
    series_list = dicom_instances.group_series(good)
    limit = state.settings.uploads.max_images_per_case
    for extra in series_list[limit:]:
        failed.extend(
            _fail(extra, store_result.OUT_OF_RESOURCES, f"a case holds at most {limit} series (images)")
        )
    series_list = series_list[:limit]
    if not series_list:
        return IntakeResult([], failed, None)
    async with state.transaction() as db:
        actor = await get_actor_for_account(db, account.id)
        if actor is None:
            raise IntakeRefused(403, "the sending account has no actor")
        case = await start_draft(db, state, actor)
        case_id, public_id = case.id, case.public_id
    stored: list[store_result.Stored] = []
    try:
        for series in series_list:
            outcome = await _store_series(state, case_id, series, via)
            if outcome is None:
                stored.extend(
                    store_result.Stored(i.sop_class_uid, i.sop_instance_uid) for i in series.instances
                )
            else:
                failed.extend(_fail(series, store_result.PROCESSING_FAILURE, outcome))
    except BaseException:
        await _discard(state, case_id)
        raise
    if not stored:
        await _discard(state, case_id)
        return IntakeResult([], failed, None)
    async with state.transaction() as db:
        record(
            db,
            Operator(account.id, account.username).entry(
                "dicom.received",
                target_type="case",
                target_id=public_id,
                case_id=case_id,
                details={"via": via, "stored": len(stored), "failed": len(failed)},
            ),
        )
    return IntakeResult(stored, failed, public_id)


def _fail(series: Series, reason: int, message: str) -> list[store_result.Failed]:
    return [
        store_result.Failed(i.sop_class_uid, i.sop_instance_uid, reason, message) for i in series.instances
    ]


async def _store_series(state: AppState, case_id: int, series: Series, via: str) -> str | None:
    """One series as one image of the draft; the refusal reason, or None when stored."""
    key = series.key_instance
    try:
        outcomes = await add_images(
            state,
            case_id,
            [UploadedFile(key.data, f"{series.modality or 'series'}.dcm", "application/dicom")],
        )
    except CaseError as error:
        return error.message
    outcome = outcomes[0]
    if not outcome.accepted or outcome.job_id is None:
        return f"the key image was refused by de-identification: {outcome.reason}"
    # The intake needs the engine's report of the key image (its boxes go into the DICOM copy):
    # it waits for the de-identification job here, as the case factory does.
    [job] = await deid_jobs.process_now(state, [outcome.job_id])
    if job.state != "done" or job.image_id is None:
        reason = job.last_error or (job.proposed or {}).get("reason") or job.state
        if job.state == "needs_review":
            async with state.transaction() as db:
                fresh = await deid_jobs.get_job(db, case_id, job.id)
                if fresh is not None:
                    await deid_jobs.dismiss(state, db, fresh)
        return f"the key image was refused by de-identification: {reason}"
    image_id = job.image_id
    async with state.sessionmaker() as db:
        image = await case_repo.get_image(db, case_id, image_id)
        report = dict(image.deid_report) if image else {}
    boxes = profile.covering_boxes(report)
    options = dicom_stack_job.profile_options(state)
    # The stack job remakes this copy once every frame was searched (with what the stack found on
    # the key instance); until then it covers what the key image's report did.
    stacked = dicom_stack.has_stack(series)
    try:
        derivative, deid = await asyncio.to_thread(
            _derivative, key, options, state.settings.session_secret.encode(), boxes
        )
    except Exception as exc:  # fail closed: the series goes, the rest of the study may still be kept
        log.exception("PS3.15 derivative of series %s failed", series.series_uid)
        await _drop_image(state, case_id, image_id)
        return f"the de-identified DICOM copy could not be made ({type(exc).__name__})"
    # What the pages say about the series besides the profile (no UID, no date: nothing identifying).
    deid["series"] = {"modality": series.modality, "instances": len(series.instances), "via": via}
    if stacked:
        # Shown as "stack being prepared" until the stack job records the stack or its refusal.
        deid["series"][dicom_stack_job.PENDING_KEY] = dicom_stack_job.frame_count(series)
    keys: list[str] = []
    try:
        # Hundreds of synced writes: in a thread, so the server keeps answering meanwhile.
        # A multi-frame key instance's copy waits for the stack job: only it searches every frame.
        copy_now = not stacked or key.frames <= 1
        blobs = [derivative] if copy_now else []
        await asyncio.to_thread(_put_all, state, [*blobs, *(i.data for i in series.instances)], keys)
        derivative_key = keys[0] if copy_now else ""
        async with state.transaction() as db:
            image = await case_repo.get_image(db, case_id, image_id)
            if image is None:
                raise CaseError("the draft's image disappeared while it was being stored", status=409)
            # The image's own report carries the record too, so every page that shows the report
            # (review, composer) can say in words what was done to the header.
            image.deid_report = {**image.deid_report, dicom_files.RECORD_KEY: deid}
            row = DicomSeries(
                case_id=case_id,
                case_image_id=image_id,
                received_via=via,
                modality=series.modality[:16],
                instance_count=len(series.instances),
                original_keys=keys[len(blobs) :],
                derivative_key=derivative_key,
                deidentification=deid,
            )
            db.add(row)
            if stacked:
                deid_jobs.enqueue(
                    db,
                    kind=deid_jobs.STACK_KIND,
                    original_key="",
                    case_id=case_id,
                    image_id=image_id,
                    filename=f"The stack of the {series.modality or 'DICOM'} series",  # what the composer names
                )
    except BaseException:
        for stored_key in keys:
            state.private_store.delete(stored_key)
        raise
    if stacked:
        deid_jobs.wake(state)
    return None


def _put_all(state: AppState, blobs: list[bytes], keys: list[str]) -> None:
    """Each blob into the private store, its key appended as soon as it is written (for cleanup)."""
    for blob in blobs:
        keys.append(state.private_store.put(blob))


async def _drop_image(state: AppState, case_id: int, image_id: int) -> None:
    async with state.transaction() as db:
        case = await case_repo.get_case(db, case_id)
        if case is not None:
            await remove_image(db, state, case, image_id)


def _derivative(
    instance: ReceivedInstance, options: profile.ProfileOptions, secret: bytes, boxes: list
) -> tuple[bytes, dict]:
    import pydicom  # lazy: see deidentify/dicom.py

    ds = pydicom.dcmread(io.BytesIO(instance.data))
    deid = profile.apply_profile(
        ds, options, secret=secret, patient_key=instance.patient_key, clean_boxes=boxes
    )
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue(), deid.to_json()


async def _discard(state: AppState, case_id: int) -> None:
    """Remove a draft the intake could not finish, with every file it wrote."""
    async with state.transaction() as db:
        images = await case_repo.list_images(db, case_id)
        series = await dicom_repo.list_series(db, case_id)
        media_keys = [image.media_key for image in images if image.media_key]
        media_keys += await dicom_repo.stack_media_keys(db, case_id)
        private_keys = [image.original_key for image in images if image.original_key]
        for row in series:
            private_keys.extend([row.derivative_key, *row.original_keys, *row.derivative_keys])
        await dicom_repo.delete_case(db, case_id)
    for key in media_keys:
        state.media_store.delete(key)
    for key in private_keys:
        if key:
            state.private_store.delete(key)
