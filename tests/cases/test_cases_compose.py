"""Composing a case over the real database: who may compose, upload limits, refused images,
PHI in text, consent, and submission."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from fediverse_cases.storage.models import AuditEvent, Case, CaseImage, Consent

SMALL_LIMIT = 256 * 1024


@pytest.fixture
def settings_overrides() -> dict:
    # A small per-image limit keeps the oversized-upload tests' bodies small.
    return {"uploads": {"max_image_bytes": SMALL_LIMIT}}


async def _count(state, model) -> int:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        return int((await db.execute(select(func.count()).select_from(model))).scalar_one())


def _files(root) -> list:  # type: ignore[no-untyped-def]
    return [p for p in root.rglob("*") if p.is_file()]


async def test_viewer_cannot_open_compose(login, people) -> None:  # type: ignore[no-untyped-def]
    viewer = await login("viewer")
    assert (await viewer.client.get("/compose")).status_code == 403


async def test_anonymous_compose_redirects_to_sign_in(login, people) -> None:  # type: ignore[no-untyped-def]
    anonymous = await login(None)
    response = await anonymous.client.get("/compose")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


async def test_clinician_uploads_and_sees_deidentified_preview(login, people, state, jpeg) -> None:  # type: ignore[no-untyped-def]
    clinician = await login("clinician")
    public_id = await clinician.new_draft(jpeg(text="MRN 12345678"))
    page = await (await clinician.client.get(f"/compose/{public_id}")).get_data(as_text=True)
    assert "redaction-editor" in page and "text region(s) covered" in page
    async with state.sessionmaker() as db:
        image = (await db.execute(select(CaseImage))).scalar_one()
    assert image.deid_report["decision"] == "accepted"
    assert any(t["covered"] for t in image.deid_report["text_regions"])
    # the original is private; only de-identified variants are in the media folder
    assert len(_files(state.settings.private_dir)) == 1
    assert len(_files(state.settings.media_dir)) == 3


async def test_refused_pdf_shows_reason_and_stores_nothing(login, people, state) -> None:  # type: ignore[no-untyped-def]
    clinician = await login("clinician")
    response = await clinician.upload([("scan.pdf", b"%PDF-1.4\n1 0 obj\n", "application/pdf")])
    # Answered at once with the draft; its job then refused the file, and the draft says why.
    assert response.status_code == 302
    page = await (await clinician.client.get(response.headers["Location"])).get_data(as_text=True)
    assert "scan.pdf was refused" in page and "PDF documents are not accepted" in page
    assert await _count(state, CaseImage) == 0
    assert _files(state.settings.media_dir) == [] and _files(state.settings.private_dir) == []


async def test_corrupt_image_refused_next_to_a_good_one(login, people, state, jpeg) -> None:  # type: ignore[no-untyped-def]
    clinician = await login("clinician")
    good = jpeg()
    response = await clinician.upload(
        [("good.jpg", good, "image/jpeg"), ("broken.jpg", good[:300], "image/jpeg")]
    )
    assert response.status_code == 302
    page = await (await clinician.client.get(response.headers["Location"])).get_data(as_text=True)
    assert "broken.jpg was refused" in page and "truncated or corrupt" in page
    assert await _count(state, CaseImage) == 1
    assert len(_files(state.settings.private_dir)) == 1


async def test_upload_over_content_length_cap_is_refused_before_reading(login, people, state) -> None:  # type: ignore[no-untyped-def]
    clinician = await login("clinician")
    uploads = state.settings.uploads
    too_big = b"\xff\xd8\xff" + b"0" * (uploads.max_image_bytes * uploads.max_images_per_case + 300 * 1024)
    response = await clinician.upload([("huge.jpg", too_big, "image/jpeg")])
    assert response.status_code == 413
    assert "too large" in await response.get_data(as_text=True)
    assert await _count(state, Case) == 0 and _files(state.settings.private_dir) == []


async def test_single_image_over_the_per_image_limit_is_refused(login, people, state) -> None:  # type: ignore[no-untyped-def]
    clinician = await login("clinician")
    big = b"\xff\xd8\xff" + b"0" * (state.settings.uploads.max_image_bytes + 10)
    response = await clinician.upload([("big.jpg", big, "image/jpeg")])
    assert response.status_code == 413
    assert "limit per image" in await response.get_data(as_text=True)
    assert await _count(state, Case) == 0 and _files(state.settings.private_dir) == []


async def test_eleventh_image_is_refused(login, people, state, jpeg) -> None:  # type: ignore[no-untyped-def]
    clinician = await login("clinician")
    public_id = await clinician.new_draft(jpeg((96, 72)))
    async with state.transaction() as db:
        case = (await db.execute(select(Case))).scalar_one()
        # Nine more rows stand in for nine more uploads (each would take the engine a second).
        db.add_all(CaseImage(case_id=case.id, position=n, media_key=f"{n:032x}") for n in range(1, 10))
    response = await clinician.upload(
        [("eleven.jpg", jpeg((96, 72)), "image/jpeg")],
        path=f"/compose/{public_id}/images",
        page=f"/compose/{public_id}",
    )
    assert response.status_code == 413
    assert "at most 10 images" in await response.get_data(as_text=True)
    assert await _count(state, CaseImage) == 10
    assert len(_files(state.settings.private_dir)) == 1


async def test_phi_in_caption_blocks_submission_with_span_marked(login, people, state, jpeg) -> None:  # type: ignore[no-untyped-def]
    clinician = await login("clinician")
    public_id = await clinician.new_draft(jpeg())
    response = await clinician.save(
        public_id, caption="Lesion seen on Mrs Jane Smith, MRN 4455667, thoughts?"
    )
    assert response.status_code == 422
    page = await response.get_data(as_text=True)
    assert '<mark class="phi"' in page and "4455667</mark>" in page
    async with state.sessionmaker() as db:
        case = (await db.execute(select(Case))).scalar_one()
    assert case.state == "draft"
    response = await clinician.save(public_id)
    assert response.status_code == 302
    async with state.sessionmaker() as db:
        case = (await db.execute(select(Case))).scalar_one()
    assert case.state == "pending"


async def test_phi_in_alt_text_blocks_submission(login, people, state, jpeg) -> None:  # type: ignore[no-untyped-def]
    clinician = await login("clinician")
    public_id = await clinician.new_draft(jpeg())
    async with state.sessionmaker() as db:
        image = (await db.execute(select(CaseImage))).scalar_one()
    response = await clinician.save(public_id, **{f"alt_{image.id}": "Photo of John Doe, DOB 03/04/1961"})
    assert response.status_code == 422
    assert "</mark>" in await response.get_data(as_text=True)


async def test_consent_is_required_to_submit(login, people, state, jpeg) -> None:  # type: ignore[no-untyped-def]
    clinician = await login("clinician")
    public_id = await clinician.new_draft(jpeg())
    response = await clinician.save(public_id, consent_method="", consent_date="", consent_obtained_by="")
    assert response.status_code == 422
    assert "Record the patient&#39;s consent" in await response.get_data(as_text=True)
    assert await _count(state, Consent) == 0
    response = await clinician.save(public_id, consent_method="verbal_witnessed")
    assert response.status_code == 422
    assert "witness" in await response.get_data(as_text=True)


async def test_submission_is_audited_with_case_id(login, people, state, jpeg) -> None:  # type: ignore[no-untyped-def]
    clinician = await login("clinician")
    public_id = await clinician.new_draft(jpeg())
    assert (await clinician.save(public_id)).status_code == 302
    async with state.sessionmaker() as db:
        case = (await db.execute(select(Case))).scalar_one()
        event = (await db.execute(select(AuditEvent).where(AuditEvent.action == "case.submit"))).scalar_one()
    assert event.case_id == case.id and event.actor_label == "clinician"
    assert case.state == "pending" and case.submitted_at is not None
