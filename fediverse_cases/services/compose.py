"""Composing a case: drafts, images through the de-identification engine, the redaction re-run,
caption/tags/visibility, the private consent record (with the audience the patient agreed to:
``enforce_consent_scope`` keeps the visibility inside it), and ``submit_case``.

Images go through the engine as durable jobs (``services.deid_jobs``): adding an image or asking
for a redaction re-run keeps the original privately and queues a job in one transaction, and the
page follows the job. A case cannot be submitted while one of its images is still in a job.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core import consent_scope, withdrawal_codes
from fediverse_cases.core.case_access import CaseState, Visibility
from fediverse_cases.core.case_titles import TITLE_MAX, derive_title
from fediverse_cases.core.specialties import TagError, hashtags_in, parse_tags
from fediverse_cases.deidentify import Box, scan_text
from fediverse_cases.services import deid_jobs, dicom_files
from fediverse_cases.services.case_errors import EDITABLE_STATES, CaseError
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Actor, Case, Consent
from fediverse_cases.storage.repositories import cases as case_repo
from fediverse_cases.storage.repositories import dicom as dicom_repo
from fediverse_cases.storage.repositories.audit import record

CAPTION_MAX = 5000
ALT_MAX = 1500
CONTENT_WARNING_MAX = 300
CONSENT_METHODS = {
    "signed_form": "Signed consent form",
    "verbal_witnessed": "Verbal consent with a witness",
    "institutional_waiver": "Institutional waiver",
}
CONSENT_FORM_TYPES = {
    b"%PDF-": "application/pdf",
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
}


@dataclass(frozen=True)
class UploadedFile:
    data: bytes
    filename: str = ""
    content_type: str = ""


@dataclass(frozen=True)
class ImageOutcome:
    filename: str
    accepted: bool
    reason: str | None = None
    image_id: int | None = None
    # The de-identification job that will produce (or replace) the image.
    job_id: int | None = None


@dataclass(frozen=True)
class CaseDetails:
    caption: str
    alt_texts: dict[int, str] = field(default_factory=dict)
    specialties: Sequence[str] = ()
    free_tags: str = ""
    sensitive: bool = False
    content_warning: str = ""
    visibility: str = consent_scope.NARROWEST
    # None: the sender has no title field (a Mastodon client); one is derived from the caption.
    title: str | None = None


@dataclass(frozen=True)
class ConsentInput:
    method: str
    consent_date: str
    obtained_by: str
    witness: str = ""
    form: UploadedFile | None = None
    # The widest audience the patient agreed to; the narrowest unless the clinician says otherwise.
    audience: str = consent_scope.NARROWEST
    # ISO date, only hashed (the withdrawal page's second check); empty keeps the stored one.
    date_of_birth: str = ""


def require_editable(case: Case) -> None:
    if case.state not in EDITABLE_STATES:
        raise CaseError("This case can no longer be edited.", status=409)


async def start_draft(db: AsyncSession, state: AppState, author: Actor) -> Case:
    public_id = secrets.token_hex(10)
    case = Case(
        public_id=public_id,
        ap_id=state.urls.case(public_id),
        author_actor_id=author.id,
        is_local=True,
        state=CaseState.DRAFT,
        # The narrowest audience until the clinician chooses (and consent allows) a wider one.
        visibility=consent_scope.NARROWEST,
    )
    db.add(case)
    await db.flush()
    return case


async def add_images(state: AppState, case_id: int, files: Sequence[UploadedFile]) -> list[ImageOutcome]:
    """Keep each original privately and queue a de-identification job for it; answers at once.

    Callable outside a web request (e.g. an intake of DICOM files into a draft): the jobs run in
    whichever worker claims them, and the ``CaseImage`` row appears only when the engine accepts
    the image. Nothing is stored when a check fails.
    """
    limit = state.settings.uploads.max_images_per_case
    for upload in files:
        if len(upload.data) > state.settings.uploads.max_image_bytes:
            raise CaseError(_too_large(state, upload.filename), status=413)
    keys = [state.private_store.put(upload.data) for upload in files]
    outcomes = []
    try:
        async with state.transaction() as db:
            case = await case_repo.get_case(db, case_id)
            if case is None:
                raise CaseError("No such case.", status=404)
            require_editable(case)
            existing = await case_repo.count_images(db, case_id)
            existing += await deid_jobs.count_unfinished(db, case_id, kinds=("image",))
            if existing + len(files) > limit:
                raise CaseError(
                    f"A case holds at most {limit} images; this one has {existing} and you sent "
                    f"{len(files)}.",
                    status=413,
                )
            jobs = [
                deid_jobs.enqueue(
                    db,
                    kind="image",
                    case_id=case_id,
                    original_key=key,
                    filename=upload.filename,
                    declared_type=upload.content_type,
                )
                for upload, key in zip(files, keys, strict=True)
            ]
            await db.flush()
            outcomes = [
                ImageOutcome(upload.filename, True, None, job_id=job.id)
                for upload, job in zip(files, jobs, strict=True)
            ]
    except BaseException:
        for key in keys:
            state.private_store.delete(key)
        raise
    deid_jobs.wake(state)
    return outcomes


def _too_large(state: AppState, filename: str) -> str:
    limit_mb = state.settings.uploads.max_image_bytes / (1024 * 1024)
    return (
        f"{filename or 'The image'} is larger than the {limit_mb:g} MB limit per image; nothing was stored."
    )


async def redact_image(
    state: AppState, case_id: int, image_id: int, regions: Sequence[Box], crop: Box | None
) -> ImageOutcome:
    """Queue a re-run of the engine from the private original with the clinician's boxes and crop;
    the image is replaced when the job is done (a refusal keeps the previous version)."""
    async with state.transaction() as db:
        case = await case_repo.get_case(db, case_id)
        image = await case_repo.get_image(db, case_id, image_id)
        if case is None or image is None:
            raise CaseError("No such image.", status=404)
        require_editable(case)
        if not image.original_key or not state.private_store.exists(image.original_key):
            raise CaseError(
                "The original of this image is no longer kept; upload it again to redact more.", status=409
            )
        job = deid_jobs.enqueue(
            db,
            kind="redact",
            case_id=case_id,
            image_id=image_id,
            original_key=image.original_key,
            regions=regions,
            crop=crop,
        )
        await db.flush()
        job_id = job.id
    deid_jobs.wake(state)
    return ImageOutcome("", True, None, image_id, job_id)


async def remove_image(db: AsyncSession, state: AppState, case: Case, image_id: int) -> None:
    require_editable(case)
    image = await case_repo.get_image(db, case.id, image_id)
    if image is None:
        raise CaseError("No such image.", status=404)
    dicom_keys = await dicom_files.all_private_keys(db, case.id, image_id)
    stack_keys = await dicom_repo.stack_media_keys(db, case.id, image_id)
    await db.delete(image)
    await db.flush()
    state.media_store.delete(image.media_key)
    for key in stack_keys:
        state.media_store.delete(key)
    if image.original_key:
        state.private_store.delete(image.original_key)
    for key in dicom_keys:
        state.private_store.delete(key)


async def save_details(db: AsyncSession, case: Case, details: CaseDetails) -> None:
    require_editable(case)
    errors: dict[str, str] = {}
    caption = details.caption.strip()
    title = derive_title(caption) if details.title is None else " ".join(details.title.split())
    if len(title) > TITLE_MAX:
        errors["title"] = f"The title must be at most {TITLE_MAX} characters."
    if len(caption) > CAPTION_MAX:
        errors["caption"] = f"The caption must be at most {CAPTION_MAX} characters."
    if len(details.content_warning.strip()) > CONTENT_WARNING_MAX:
        errors["content_warning"] = f"The content warning must be at most {CONTENT_WARNING_MAX} characters."
    if details.visibility not in tuple(Visibility):
        errors["visibility"] = "Choose who may see this case."
    try:
        # "#tags" written in the caption count too (the client API has no other tag field).
        tags = parse_tags(list(details.specialties), " ".join([details.free_tags, *hashtags_in(caption)]))
    except TagError as error:
        errors["tags"] = str(error).capitalize() + "."
        tags = []
    images = await case_repo.list_images(db, case.id)
    for image in images:
        if len(details.alt_texts.get(image.id, "")) > ALT_MAX:
            errors[f"alt_{image.id}"] = f"Alt text must be at most {ALT_MAX} characters."
    if errors:
        raise CaseError("Please correct the marked fields.", field_errors=errors)
    case.title = title
    case.caption = caption
    case.sensitive = details.sensitive
    case.content_warning = details.content_warning.strip() if details.sensitive else ""
    case.visibility = details.visibility
    case.updated_at = utcnow()
    for image in images:
        image.alt_text = details.alt_texts.get(image.id, image.alt_text).strip()
    await case_repo.replace_tags(db, case.id, [(tag.tag, tag.is_specialty) for tag in tags])
    case.search_text = " ".join([title, caption, *(f"#{tag.tag}" for tag in tags)]).lower()


def _consent_form_type(data: bytes) -> str | None:
    return next((kind for magic, kind in CONSENT_FORM_TYPES.items() if data.startswith(magic)), None)


async def record_consent(
    db: AsyncSession, state: AppState, case: Case, consent: ConsentInput, recorded_by_account_id: int | None
) -> None:
    """Create or replace the private consent record. A new form scan goes to the private store."""
    require_editable(case)
    await write_consent(db, state, case, consent, recorded_by_account_id)


async def write_consent(
    db: AsyncSession, state: AppState, case: Case, consent: ConsentInput, recorded_by_account_id: int | None
) -> None:
    """``record_consent`` without the editable-state check: also a published case's new consent."""
    errors: dict[str, str] = {}
    if consent.method not in CONSENT_METHODS:
        errors["consent_method"] = "Choose how consent was obtained."
    try:
        when = date.fromisoformat(consent.consent_date.strip())
        if when > date.today():
            errors["consent_date"] = "The consent date cannot be in the future."
    except ValueError:
        errors["consent_date"] = "Enter the date consent was given (YYYY-MM-DD)."
        when = date.today()
    obtained_by = consent.obtained_by.strip()
    if not obtained_by or len(obtained_by) > 200:
        errors["consent_obtained_by"] = "Say who obtained consent (at most 200 characters)."
    witness = consent.witness.strip()
    if consent.method == "verbal_witnessed" and not witness:
        errors["consent_witness"] = "Verbal consent needs the witness's name."
    if len(witness) > 200:
        errors["consent_witness"] = "At most 200 characters."
    if not consent_scope.is_audience(consent.audience):
        errors["consent_audience"] = "Choose who the patient agreed may see the case."
    birth = parse_date_of_birth(consent.date_of_birth, errors)
    form_type = None
    if consent.form is not None and consent.form.data:
        form_type = _consent_form_type(consent.form.data)
        if form_type is None:
            errors["consent_form"] = "The consent form scan must be a PDF, JPEG or PNG file."
        elif len(consent.form.data) > state.settings.uploads.max_image_bytes:
            errors["consent_form"] = "The consent form scan is too large."
    if errors:
        raise CaseError("Please correct the consent record.", field_errors=errors)
    existing = await case_repo.get_consent(db, case.id)
    record_row = existing or Consent(case_id=case.id)
    old_form_key = record_row.form_key if existing else ""
    record_row.method = consent.method
    record_row.consent_date = when
    record_row.obtained_by = obtained_by
    record_row.witness = witness
    record_row.recorded_by_account_id = recorded_by_account_id
    record_row.audience = consent.audience
    if birth is not None:
        record_row.check_salt = withdrawal_codes.new_salt()
        record_row.check_hash = withdrawal_codes.check_digest(
            state.settings.session_secret, record_row.check_salt, birth.isoformat()
        )
    if form_type is not None and consent.form is not None:
        record_row.form_key = state.private_store.put(consent.form.data)
        record_row.form_media_type = form_type
        if old_form_key:
            state.private_store.delete(old_form_key)
    if existing is None:
        db.add(record_row)
    await db.flush()


def parse_date_of_birth(text: str, errors: dict[str, str]) -> date | None:
    if not text.strip():
        return None
    try:
        birth = date.fromisoformat(text.strip())
    except ValueError:
        errors["consent_date_of_birth"] = "Enter the patient's date of birth as YYYY-MM-DD."
        return None
    if birth > date.today() or birth.year < 1880:
        errors["consent_date_of_birth"] = "That date of birth is not possible."
        return None
    return birth


def scope_errors(case: Case, consent: Consent | None) -> dict[str, str]:
    """The visibility field's error when it is wider than the patient's consent; else nothing."""
    if consent is None or case.visibility not in tuple(Visibility):
        return {}
    if consent_scope.within(case.visibility, consent.audience):
        return {}
    agreed = consent_scope.AUDIENCE_LABELS[Visibility(consent.audience)].lower()
    return {
        "visibility": (
            f"The patient agreed to “{agreed}” only: choose that or narrower, or record a new "
            "consent for the wider audience."
        )
    }


async def enforce_consent_scope(db: AsyncSession, case: Case) -> None:
    """Refuse (and so roll back) a case whose visibility is wider than its recorded consent."""
    errors = scope_errors(case, await case_repo.get_consent(db, case.id))
    if errors:
        raise CaseError("The case may not be shown more widely than the patient agreed.", field_errors=errors)


async def phi_findings(db: AsyncSession, case: Case) -> dict[str, list]:
    """Text PHI findings per field: ``title``, ``caption`` and ``alt_<image id>``; empty when clean."""
    found: dict[str, list] = {}
    if findings := scan_text(case.title):
        found["title"] = findings
    if findings := scan_text(case.caption):
        found["caption"] = findings
    if findings := scan_text(case.content_warning):
        found["content_warning"] = findings
    for image in await case_repo.list_images(db, case.id):
        if findings := scan_text(image.alt_text):
            found[f"alt_{image.id}"] = findings
    return found


async def submit_case(db: AsyncSession, state: AppState, case: Case, operator: Operator) -> list[str]:
    """Send a complete draft to the review queue; refused while anything required is missing.
    Returns warnings the author should still act on (images without a description)."""
    require_editable(case)
    errors: dict[str, str] = {}
    images = await case_repo.list_images(db, case.id)
    if not images:
        errors["images"] = "Add at least one image."
    undescribed = [(n, image) for n, image in enumerate(images, 1) if not image.alt_text.strip()]
    if state.settings.uploads.require_alt_text:
        for n, image in undescribed:
            errors[f"alt_{image.id}"] = f"Describe image {n} for colleagues who cannot see it."
    if not case.title.strip():
        errors["title"] = "Give the case a short title."
    if not case.caption.strip():
        errors["caption"] = "Write a caption."
    consent = await case_repo.get_consent(db, case.id)
    if consent is None:
        errors["consent"] = "Record the patient's consent before submitting."
    errors.update(scope_errors(case, consent))
    if await deid_jobs.count_unfinished(db, case.id, kinds=deid_jobs.SUBMIT_KINDS):
        errors["images"] = (
            "An image or a DICOM stack is still being de-identified or waits for your decision; finish it first."
        )
    phi = await phi_findings(db, case)
    for name in phi:
        errors[name] = (
            "This text looks like it contains patient identifiers (marked). Edit it before submitting."
        )
    if errors:
        raise CaseError("The case was not submitted.", field_errors=errors, phi=phi)
    case.state = CaseState.PENDING
    case.submitted_at = utcnow()
    warnings = [
        f"Image {n} has no description: add one so colleagues using screen readers can follow the case."
        for n, _ in undescribed
    ]
    case.updated_at = case.submitted_at
    record(db, operator.entry("case.submit", target_type="case", target_id=case.public_id, case_id=case.id))
    return warnings
