"""De-identification jobs as a clinician sees them, in headless Chromium against a real
`fediverse-cases serve` (which runs the jobs in-process, as on a small instance):

- the upload answers at once and the draft shows the job's progress, then the redaction editor
  when the job is done (the page follows the job; no full-page wait);
- a corrupt image is refused with the engine's reason on the draft;
- an image the engine would cover too much of is handed over: the editor shows the proposed boxes
  with a plain-language note, the clinician deletes one and confirms, the re-run is a job, and the
  reviewer's page carries the note.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from fediverse_cases.core.accounts import Role
from fediverse_cases.services.state import AppState
from fediverse_cases.settings import load_settings
from tests.browser.conftest import served_with, sign_in
from tests.support.instances import create_account, fast_passwords

pytestmark = pytest.mark.browser
JOB_TIMEOUT_MS = 180_000


def _photo(path: Path) -> None:
    image = Image.new("RGB", (800, 600), (205, 160, 130))
    ImageDraw.Draw(image).ellipse((330, 250, 470, 360), fill=(95, 45, 40))
    image.save(path, "JPEG", quality=90)


def _printed_form(path: Path) -> None:
    """A photographed admission sheet: lines of identifiers over most of the image, so covering
    them all would take more than the engine may cover on its own."""
    image = Image.new("RGB", (800, 600), (250, 250, 248))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=36)
    lines = [
        "PATIENT NAME JOHN SMITH",
        "DOB 12 03 1961 WARD 7",
        "MRN 55012345 ROOM 14",
        "ADDRESS 12 HIGH STREET",
        "PHONE 0207 946 0123",
        "NEXT OF KIN MARY SMITH",
        "GP DR ADAMS SURGERY",
        "ALLERGIES PENICILLIN",
    ]
    for row, text in enumerate(lines):
        draw.text((30, 16 + row * 72), text, fill=(10, 10, 10), font=font)
    image.save(path, "PNG")


async def _create_people(config: Path) -> None:
    state = AppState.from_settings(load_settings(config))
    state.passwords = fast_passwords()
    try:
        await create_account(state, "clinician", role=Role.PROFESSIONAL, verified=True)
        await create_account(state, "reviewer", role=Role.REVIEWER)
    finally:
        await state.close()


@pytest.fixture
def served(tmp_path: Path):  # type: ignore[no-untyped-def]
    yield from served_with(tmp_path / "instance", _create_people)


def _add_image(page, path: Path) -> None:  # type: ignore[no-untyped-def]
    page.set_input_files("#f-more", str(path))
    with page.expect_navigation():
        page.click("button:has-text('Upload and de-identify')")


def test_upload_answers_at_once_then_progress_then_editor_refusal_and_handover(
    browser, served, artifacts_dir, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    photo, broken, form = tmp_path / "lesion.jpg", tmp_path / "broken.jpg", tmp_path / "form.png"
    _photo(photo)
    broken.write_bytes(photo.read_bytes()[:400])
    _printed_form(form)

    # 1. The upload answers at once: the draft shows the job waiting or running, not the editor.
    _clinician, page = sign_in(browser, served.url, "clinician")
    page.goto(f"{served.url}/compose")
    page.set_input_files("#f-images", str(photo))
    started = time.monotonic()
    page.click("button:has-text('Upload and de-identify')")
    page.wait_for_url(re.compile(r".*/compose/[0-9a-f]{20}$"), timeout=30_000)
    answered = time.monotonic() - started
    public_id = page.url.rsplit("/", 1)[1]
    assert page.locator(".deid-job-pending .job-label").count() == 1
    label = page.inner_text(".deid-job-pending .job-label")
    assert "Waiting for a de-identification worker" in label or "De-identifying" in label
    assert page.locator(".redaction-editor").count() == 0
    page.screenshot(path=str(artifacts_dir / "1-progress.png"), full_page=True)
    assert answered < 10, f"the upload took {answered:.1f} s to answer"

    # 2. When the job is done the page reloads itself and the editor opens on the clean image.
    page.wait_for_selector(".image-list .redaction-editor img.deid-preview", timeout=JOB_TIMEOUT_MS)
    assert page.locator(".deid-job").count() == 0
    page.screenshot(path=str(artifacts_dir / "2-editor.png"), full_page=True)

    # 3. A corrupt image: its job fails and the draft says why.
    _add_image(page, broken)
    page.wait_for_selector(".deid-job-failed", timeout=JOB_TIMEOUT_MS)
    refusal = page.inner_text(".deid-job-failed .job-refused")
    assert "broken.jpg was refused" in refusal and "truncated or corrupt" in refusal
    page.screenshot(path=str(artifacts_dir / "3-refused.png"), full_page=True)
    page.click(".deid-job-failed button:has-text('Dismiss')")
    page.wait_for_load_state()
    assert page.locator(".deid-job-failed").count() == 0

    # 4. A printed form: the engine hands the decision over with its proposed boxes and a note.
    _add_image(page, form)
    handover = page.wait_for_selector(".deid-job-needs_review", timeout=JOB_TIMEOUT_MS)
    assert handover is not None
    note = page.inner_text(".deid-job-needs_review .handover-note")
    assert "needs your decision" in note and "has not covered or shared anything" in note
    page.wait_for_selector(".deid-job-needs_review .region.manual")
    proposed = page.locator(".deid-job-needs_review .region.manual")
    offered = proposed.count()
    assert offered >= 2
    page.screenshot(path=str(artifacts_dir / "4-handover.png"), full_page=True)
    page.click(".deid-job-needs_review button[data-mode=delete]")
    page.locator(".deid-job-needs_review .redaction-editor").scroll_into_view_if_needed()
    first = proposed.first.bounding_box()
    assert first is not None
    page.mouse.click(first["x"] + first["width"] / 2, first["y"] + first["height"] / 2)
    assert page.locator(".deid-job-needs_review .region.manual").count() == offered - 1
    page.click("button:has-text('Confirm these boxes and de-identify')")
    page.wait_for_selector("text=De-identification is running again with the boxes you confirmed.")
    # The confirmed boxes go through a job too; the image joins the case when it is done.
    page.locator(".image-list .deid-image").nth(1).wait_for(timeout=JOB_TIMEOUT_MS)
    assert page.locator(".image-list .deid-image").count() == 2
    assert page.locator(".image-list .handover-note").count() == 1
    page.screenshot(path=str(artifacts_dir / "5-confirmed.png"), full_page=True)

    # 5. The reviewer is told that the author decided the boxes after a hand-over.
    _reviewer, page = sign_in(browser, served.url, "reviewer")
    page.goto(f"{served.url}/review/{public_id}")
    review_note = page.inner_text(".review-note")
    assert "handed the decision to the author" in review_note
    assert f"the author confirmed {offered - 1} box(es)" in review_note
    report = page.locator(".review-image:has(.review-note)").text_content() or ""
    assert f"Boxes drawn by the author: {offered - 1};" in report, report
    page.screenshot(path=str(artifacts_dir / "6-review-note.png"), full_page=True)
