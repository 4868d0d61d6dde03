"""The whole case path in headless Chromium against a real `fediverse-cases serve` process:
a clinician uploads a photo carrying GPS EXIF and a burned-in MRN, draws an extra box in the
redaction editor, records consent and submits; the reviewer approves; a viewer sees the case and
downloads the image, which has no metadata and no readable MRN; a colleague comments."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import httpx
import piexif
import pytest
from PIL import Image, ImageDraw, ImageFont

from fediverse_cases.core.accounts import Role
from fediverse_cases.deidentify import DeidentifyPolicy
from fediverse_cases.deidentify.text_regions import TextDetector
from fediverse_cases.services.state import AppState
from fediverse_cases.settings import load_settings
from tests.browser.conftest import served_with, sign_in
from tests.support.instances import create_account, fast_passwords

pytestmark = pytest.mark.browser
MRN = "73920418"


def _photo(path: Path) -> None:
    """A clinical-looking photo with GPS EXIF and a burned-in 'MRN 73920418' at a readable size."""
    image = Image.new("RGB", (800, 600), (205, 160, 130))
    draw = ImageDraw.Draw(image)
    draw.ellipse((330, 250, 470, 360), fill=(95, 45, 40))
    draw.text((30, 30), f"MRN {MRN}", fill=(255, 255, 255), font=ImageFont.load_default(size=40))
    gps = {
        piexif.GPSIFD.GPSLatitudeRef: b"N",
        piexif.GPSIFD.GPSLatitude: ((51, 1), (30, 1), (0, 1)),
        piexif.GPSIFD.GPSLongitudeRef: b"W",
        piexif.GPSIFD.GPSLongitude: ((0, 1), (7, 1), (0, 1)),
    }
    exif = piexif.dump({"0th": {piexif.ImageIFD.Make: b"HospitalPhone"}, "GPS": gps})
    image.save(path, "JPEG", quality=92, exif=exif)


async def _create_people(config: Path) -> None:
    state = AppState.from_settings(load_settings(config))
    state.passwords = fast_passwords()
    try:
        await create_account(state, "clinician", role=Role.PROFESSIONAL, verified=True)
        await create_account(state, "reviewer", role=Role.REVIEWER)
        await create_account(state, "viewer")
        await create_account(state, "colleague", role=Role.PROFESSIONAL, verified=True)
    finally:
        await state.close()


@pytest.fixture
def served(tmp_path: Path):  # type: ignore[no-untyped-def]
    yield from served_with(tmp_path / "instance", _create_people)


def _read_text(reader: TextDetector, data: bytes) -> str:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    return " ".join(box.text for box in reader.detect(image) if box.confidence >= 0.3).replace(" ", "")


def _metadata(data: bytes) -> dict:
    exiftool = shutil.which("exiftool")
    assert exiftool, "exiftool (Debian libimage-exiftool-perl) is needed"
    out = subprocess.run(
        [exiftool, "-a", "-u", "-G1", "-j", "-"], input=data, capture_output=True, check=True
    )
    return json.loads(out.stdout)[0]


def test_compose_redact_consent_review_publish_view_comment(browser, served, artifacts_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    photo = tmp_path / "lesion.jpg"
    _photo(photo)
    original = photo.read_bytes()
    assert any(key.startswith("GPS:") for key in _metadata(original))
    reader = TextDetector(DeidentifyPolicy(ocr_max_side=4096))
    assert MRN in _read_text(reader, original)  # the planted MRN is legible before de-identification

    # 1. The clinician uploads (progress via XMLHttpRequest) and lands on the draft.
    clinician, page = sign_in(browser, served.url, "clinician")
    page.goto(f"{served.url}/compose")
    page.set_input_files("#f-images", str(photo))
    page.screenshot(path=str(artifacts_dir / "1-compose.png"), full_page=True)
    page.click("button:has-text('Upload and de-identify')")
    page.wait_for_url(re.compile(r".*/compose/[0-9a-f]{20}$"), timeout=60_000)
    public_id = page.url.rsplit("/", 1)[1]
    # The upload answered at once; the page reloads with the editor when the job is done.
    page.wait_for_selector(".region.text", timeout=180_000)  # the engine's text box is outlined
    page.screenshot(path=str(artifacts_dir / "2-deidentified.png"), full_page=True)

    # 2. An extra box over the lesion's corner in the redaction editor, then re-run.
    overlay = page.locator(".region-overlay").first
    box = overlay.bounding_box()
    assert box and box["width"] > 100
    page.mouse.move(box["x"] + box["width"] * 0.70, box["y"] + box["height"] * 0.70)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.85, box["y"] + box["height"] * 0.85, steps=5)
    page.mouse.up()
    assert page.locator(".region.manual").count() == 1
    page.screenshot(path=str(artifacts_dir / "3-box-drawn.png"), full_page=True)
    page.click("button:has-text('Apply and re-run de-identification')")
    page.wait_for_selector("text=De-identification is running again with your boxes")
    page.wait_for_selector("text=1 box(es) you drew", timeout=180_000)  # the re-run job is done
    page.wait_for_selector(".region.manual")

    # 3. Caption, alt text, specialty, consent; submit.
    page.fill("#f-title", "Irregular pigmented lesion")
    page.fill("#f-caption", "Pigmented lesion on the forearm, 12 mm, irregular border. Thoughts?")
    page.locator("input[name^=alt_]").first.fill("Dark irregular lesion on pale skin")
    page.check("input[name=specialties][value=dermatology]")
    # The page starts at "this hospital only"; the patient agreed to public sharing.
    page.check("input[name=visibility][value=public]")
    page.check("input[name=consent_audience][value=public]")
    page.check("input[name=consent_method][value=signed_form]")
    page.fill("#f-consent_date", date.today().isoformat())
    page.fill("#f-consent_obtained_by", "Dr Browser Clinician")
    page.click("#submit-case")
    page.wait_for_selector("#case-state:has-text('pending')")
    page.screenshot(path=str(artifacts_dir / "4-submitted.png"), full_page=True)

    # 4. The reviewer sees the pixels, the report and the consent record, and approves.
    reviewer, page = sign_in(browser, served.url, "reviewer")
    page.goto(f"{served.url}/review")
    page.click(f"a[href='/review/{public_id}']")
    assert "Dr Browser Clinician" in page.inner_text("#consent-record")
    page.screenshot(path=str(artifacts_dir / "5-review.png"), full_page=True)
    page.click("#approve")
    page.wait_for_selector("text=Approved and published.")

    # 5. A viewer sees the case; the image downloads clean, with and without cookies.
    viewer, page = sign_in(browser, served.url, "viewer")
    page.goto(f"{served.url}/cases/{public_id}")
    page.wait_for_selector("text=Pigmented lesion on the forearm")
    page.screenshot(path=str(artifacts_dir / "6-viewer.png"), full_page=True)
    src = page.locator("img[src*='/media/']").first.get_attribute("src")
    assert src and "-display." in src
    shown = page.request.get(src if src.startswith("http") else served.url + src)
    assert shown.ok
    full_url = (src if src.startswith("http") else served.url + src).replace("-display.", "-full.")
    unsigned = httpx.get(full_url, timeout=10)  # no cookies, no signature: as a peer fetches media
    assert unsigned.status_code == 200 and unsigned.headers["cache-control"].startswith("public")
    for data in (shown.body(), unsigned.content):
        (artifacts_dir / "7-downloaded.bin").write_bytes(data)
        metadata = _metadata(data)
        assert not [
            key for key in metadata if key.split(":")[0] in ("GPS", "IFD0", "ExifIFD", "IFD1", "XMP-x")
        ]
        try:
            exif = piexif.load(data)
        except Exception:  # PNG, or no EXIF block at all: nothing to find
            exif = {}
        assert not any(exif.get(ifd) for ifd in ("0th", "Exif", "GPS", "1st")), exif
        assert MRN not in _read_text(reader, data)

    # 6. A colleague comments on the published case.
    colleague, page = sign_in(browser, served.url, "colleague")
    page.goto(f"{served.url}/cases/{public_id}")
    page.fill("#comment-form textarea[name=content]", "Dermoscopy would help: any regression structures?")
    page.click("#comment-form button[type=submit]")
    page.wait_for_selector("text=Dermoscopy would help")
    page.screenshot(path=str(artifacts_dir / "8-commented.png"), full_page=True)

    # 7. A comment naming a person is shown back highlighted; sent anyway, it waits for review.
    named = "Reminds me of Mary Jones from ward 4, who lives on Elm Street"
    page.fill("#comment-form textarea[name=content]", named)
    page.click("#comment-form button[type=submit]")
    page.wait_for_selector("mark.phi[title='a name']")
    assert page.locator("mark.phi[title='an address or place']").inner_text() == "Elm Street"
    page.screenshot(path=str(artifacts_dir / "9-identifiers-flagged.png"), full_page=True)
    page.click("button:has-text('Send to the privacy officer')")
    page.wait_for_selector("text=Your comment was sent to the privacy officer")
    assert "Mary Jones" not in page.locator("#comments").inner_text()

    # 8. The privacy officer sees it in the held-comments queue and approves it.
    review_page = reviewer.new_page()
    review_page.goto(f"{served.url}/review/comments")
    review_page.wait_for_selector("mark.phi[title='a name']")
    review_page.screenshot(path=str(artifacts_dir / "10-held-comment-queue.png"), full_page=True)
    review_page.click("button:has-text('Approve and publish')")
    review_page.wait_for_selector("#held-empty")
    page.goto(f"{served.url}/cases/{public_id}")
    page.wait_for_selector("text=Mary Jones from ward 4")
    for context in (clinician, reviewer, viewer, colleague):
        context.close()
