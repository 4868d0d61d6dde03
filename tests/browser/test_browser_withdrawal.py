"""The patient's withdrawal, end to end in headless Chromium against a real `fediverse-cases
serve`: the clinician records consent for peer hospitals (with the date of birth) and downloads
the consent form; the reviewer approves; an anonymous browser follows the form's QR link (the
code arrives in the URL fragment), types the date of birth, sees which peer hospital holds a copy,
withdraws with one button and sees the confirmation; the case's page is then gone (410)."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.services.state import AppState
from fediverse_cases.settings import load_settings
from fediverse_cases.storage.models import Case, Delivery
from tests.browser.conftest import sign_in
from tests.support.consent_forms import read_consent_form
from tests.support.instances import create_account, fast_passwords
from tests.support.server import ServedInstance

pytestmark = pytest.mark.browser
DOB = "1958-02-11"
PEER = "peer-hospital.example"


def _photo(path: Path) -> None:
    image = Image.new("RGB", (400, 300), (205, 160, 130))
    ImageDraw.Draw(image).ellipse((160, 110, 240, 180), fill=(95, 45, 40))
    image.save(path, "JPEG", quality=90)


def _in_thread(coroutine_function, config: Path, *args):  # type: ignore[no-untyped-def]
    # Playwright's sync API keeps an event loop in this thread; database work runs in another.
    async def run():  # type: ignore[no-untyped-def]
        state = AppState.from_settings(load_settings(config))
        state.passwords = fast_passwords()
        try:
            return await coroutine_function(state, *args)
        finally:
            await state.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


async def _create_people(state: AppState) -> None:
    await create_account(state, "clinician", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "reviewer", role=Role.REVIEWER)


async def _peer_received(state: AppState, public_id: str) -> None:
    """A peer hospital's inbox took the case (as the delivery worker records it)."""
    async with state.transaction() as db:
        case = (await db.execute(select(Case).where(Case.public_id == public_id))).scalar_one()
        db.add(
            Delivery(
                activity_id=f"{case.ap_id}#create",
                activity_type="Create",
                object_id=case.ap_id,
                sender_actor_id=case.author_actor_id,
                inbox_url=f"https://{PEER}/inbox",
                peer_host=PEER,
                payload="{}",
                state="done",
            )
        )


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    # No delivery worker: the peer is a row, not a server, and nothing may leave loopback.
    monkeypatch.setenv("FEDIVERSE_CASES_SERVER_RUN_BACKGROUND_WORKERS", "false")
    instance = ServedInstance(tmp_path / "instance")
    instance.prepare()
    _in_thread(_create_people, instance.config_path)
    instance.start()
    yield instance
    instance.stop()


def _sign_in(browser, url: str, username: str):  # type: ignore[no-untyped-def]
    return sign_in(browser, url, username, viewport={"width": 1100, "height": 900}, accept_downloads=True)


def test_patient_withdraws_with_the_code_from_the_consent_form(
    browser, served, artifacts_dir, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    photo = tmp_path / "lesion.jpg"
    _photo(photo)

    # 1. The clinician composes; the page starts at the narrowest audience.
    clinician, page = _sign_in(browser, served.url, "clinician")
    page.goto(f"{served.url}/compose")
    page.set_input_files("#f-images", str(photo))
    page.click("button:has-text('Upload and de-identify')")
    page.wait_for_url(re.compile(r".*/compose/[0-9a-f]{20}$"), timeout=60_000)
    public_id = page.url.rsplit("/", 1)[1]
    # The upload answered at once; the page reloads with the editor when the job is done.
    page.wait_for_selector(".image-list .redaction-editor", timeout=180_000)
    assert page.is_checked("input[name=visibility][value=local]")
    assert page.is_checked("input[name=consent_audience][value=local]")
    page.fill("#f-title", "Pigmented lesion")
    page.fill("#f-caption", "Pigmented lesion on the forearm, 12 mm. Thoughts?")
    page.locator("input[name^=alt_]").first.fill("Dark lesion on pale skin")
    page.check("input[name=visibility][value=followers]")
    page.check("input[name=consent_audience][value=followers]")
    page.check("input[name=consent_method][value=signed_form]")
    page.fill("#f-consent_date", date.today().isoformat())
    page.fill("#f-consent_obtained_by", "Dr Browser Clinician")
    page.fill("#f-consent_date_of_birth", DOB)
    page.screenshot(path=str(artifacts_dir / "0-compose-consent.png"), full_page=True)
    page.click("button[name=action][value=save]")
    page.wait_for_selector("text=Draft saved.")
    page.locator("#consent-form").screenshot(path=str(artifacts_dir / "0-print-form.png"))

    # 2. The consent form for the patient: downloaded, parsed, the code read off it.
    with page.expect_download() as download_info:
        page.click("#print-consent-form")
    pdf = Path(download_info.value.path()).read_bytes()
    (artifacts_dir / "consent-form.pdf").write_bytes(pdf)
    text, code, qr_url = read_consent_form(pdf)
    assert "Browser Test Hospital" in text and "your withdrawal code and your date of birth" in text
    assert qr_url == f"{served.url}/withdraw#code={code}"
    page.goto(f"{served.url}/compose/{public_id}")
    page.click("#submit-case")
    page.wait_for_selector("#case-state:has-text('pending')")

    # 3. The reviewer approves; a peer hospital receives it.
    reviewer, page = _sign_in(browser, served.url, "reviewer")
    page.goto(f"{served.url}/review/{public_id}")
    page.click("#approve")
    page.wait_for_selector("text=Approved and published.")
    _in_thread(_peer_received, served.config_path, public_id)

    # 4. The patient, with no account, scans the QR code: the code is filled in from the link.
    patient = browser.new_context(viewport={"width": 900, "height": 900})
    page = patient.new_page()
    page.goto(qr_url)
    assert page.input_value("#f-code") == code
    assert "#" not in page.url  # the code is dropped from the address bar
    page.fill("#f-check", "1958-02-12")  # a wrong date first: one generic refusal
    page.click("#open-case")
    page.wait_for_selector("#withdraw-message")
    assert "could not find a case" in page.inner_text("#withdraw-message")
    page.fill("#f-code", code)
    page.fill("#f-check", DOB)
    page.screenshot(path=str(artifacts_dir / "1-enter-code.png"), full_page=True)
    page.click("#open-case")
    page.wait_for_selector(f"tr[data-peer='{PEER}']")
    assert "This hospital and peer hospitals" in page.inner_text("#audience")
    assert "Pigmented lesion" not in page.content() and public_id not in page.content()
    page.screenshot(path=str(artifacts_dir / "2-where-it-went.png"), full_page=True)

    # 5. One button withdraws; the page confirms. The peer here is only a delivery row (no actor
    # document to find its inbox from), so its erasure stays open and the page says so.
    # The button asks first (a destructive action); the patient confirms.
    questions: list[str] = []

    def confirm(dialog) -> None:  # type: ignore[no-untyped-def]
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", confirm)
    page.click("#withdraw")
    page.wait_for_selector("#withdrawn")
    assert questions and "cannot be undone" in questions[0]
    assert "Your case has been withdrawn" in page.inner_text("body")
    row = page.inner_text(f"tr[data-peer='{PEER}']")
    assert "the hospital will follow up" in row and "waiting for their answer" in row
    page.screenshot(path=str(artifacts_dir / "3-withdrawn.png"), full_page=True)
    assert httpx.get(f"{served.url}/cases/{public_id}", timeout=10).status_code == 410
    for context in (clinician, reviewer, patient):
        context.close()
