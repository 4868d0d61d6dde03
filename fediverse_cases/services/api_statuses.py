"""Client-API use cases on top of the case pipeline: turn ``POST /api/v1/statuses`` (media +
caption + consent) into a case submitted for review, in one transaction through
``services.compose``. Uploads (``MediaUpload``) are ``services.api_media``.

Nothing new about cases is decided here: compose validates details and consent and submits,
``core.case_access`` decides visibility.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core import consent_scope
from fediverse_cases.core.accounts import can_post_and_comment
from fediverse_cases.core.case_access import Visibility
from fediverse_cases.media.image_fields import copy_image_fields
from fediverse_cases.services import compose, polls
from fediverse_cases.services.case_errors import CaseError
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.models import Account, Actor, Case, CaseImage
from fediverse_cases.storage.repositories import oauth as oauth_repo

# Mastodon visibilities -> ours. "unlisted" is still public: we have no unlisted feed.
VISIBILITIES = {
    "public": Visibility.PUBLIC,
    "unlisted": Visibility.PUBLIC,
    "private": Visibility.FOLLOWERS,
    "local": Visibility.LOCAL,
}


@dataclass
class ApiRefusal(Exception):
    status: int
    message: str


@dataclass(frozen=True)
class CaseStatusInput:
    text: str
    media_ids: list[int]
    sensitive: bool
    spoiler_text: str
    visibility: str
    consent_method: str
    consent_date: str
    consent_obtained_by: str
    consent_witness: str = ""
    # The audience the patient agreed to (public | followers | local); the narrowest when absent.
    consent_audience: str = ""
    consent_date_of_birth: str = ""
    poll: polls.PollInput | None = None


async def create_case_status(
    db: AsyncSession,
    state: AppState,
    account: Account,
    actor: Actor,
    values: CaseStatusInput,
    operator: Operator,
) -> Case:
    """A case from uploaded media, submitted for review; anything wrong refuses it whole."""
    if not can_post_and_comment(account):
        raise ApiRefusal(403, "Only verified healthcare professionals post cases")
    # Absent: the narrowest, like the compose page (a client that wants more says so).
    visibility = VISIBILITIES.get(values.visibility or Visibility.LOCAL)
    if visibility is None:
        raise ApiRefusal(
            422, "Validation failed: direct messages are not supported; use public, private or local"
        )
    audience = values.consent_audience.strip() or consent_scope.NARROWEST
    if not consent_scope.is_audience(audience):
        raise ApiRefusal(422, "Validation failed: consent_audience must be public, followers or local")
    if not consent_scope.within(visibility, audience):
        raise ApiRefusal(
            422,
            f"Validation failed: visibility {visibility.value} is wider than the patient's consent "
            f"({audience}); send consent_audience if the patient agreed to more",
        )
    missing = [
        name
        for name, value in (
            ("consent_method", values.consent_method),
            ("consent_date", values.consent_date),
            ("consent_obtained_by", values.consent_obtained_by),
        )
        if not value.strip()
    ]
    if missing:
        raise ApiRefusal(
            422,
            "Validation failed: a case needs the patient's recorded consent; missing " + ", ".join(missing),
        )
    uploads = await oauth_repo.media_uploads_for_account(db, account.id, values.media_ids)
    if len(uploads) != len(set(values.media_ids)):
        raise ApiRefusal(422, "Validation failed: media_ids names media that does not exist or is not yours")
    if any(upload.case_id is not None for upload in uploads):
        raise ApiRefusal(422, "Validation failed: media is already attached to another status")
    if any(upload.state != "ready" for upload in uploads):
        raise ApiRefusal(422, "Cannot attach files that have not finished processing. Try again in a moment!")
    if len(uploads) > state.settings.uploads.max_images_per_case:
        raise ApiRefusal(422, "Validation failed: too many attachments")
    order = {media_id: index for index, media_id in enumerate(values.media_ids)}
    case = await compose.start_draft(db, state, actor)
    alt_texts: dict[int, str] = {}
    for upload in sorted(uploads, key=lambda u: order[u.id]):
        image = CaseImage(
            case_id=case.id,
            position=order[upload.id],
            alt_text=upload.description,
            original_key=upload.original_key,
        )
        copy_image_fields(upload, image)
        db.add(image)
        await db.flush()
        alt_texts[image.id] = upload.description
        upload.case_id = case.id
    try:
        await compose.save_details(
            db,
            case,
            compose.CaseDetails(
                caption=values.text,
                alt_texts=alt_texts,
                sensitive=values.sensitive,
                content_warning=values.spoiler_text,
                visibility=visibility,
            ),
        )
        if values.poll is not None:
            await polls.save_draft_poll(db, case, values.poll)
        await compose.record_consent(
            db,
            state,
            case,
            compose.ConsentInput(
                method=values.consent_method.strip(),
                consent_date=values.consent_date.strip(),
                obtained_by=values.consent_obtained_by.strip(),
                witness=values.consent_witness.strip(),
                audience=audience,
                date_of_birth=values.consent_date_of_birth.strip(),
            ),
            account.id,
        )
        await compose.submit_case(db, state, case, operator)
    except CaseError as error:
        details = "; ".join(f"{name}: {text}" for name, text in error.field_errors.items())
        raise ApiRefusal(
            error.status, f"Validation failed: {error.message}" + (f" ({details})" if details else "")
        ) from None
    return case
