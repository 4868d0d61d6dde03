"""Differential polls in headless Chromium against a real `fediverse-cases serve` process: the
clinician adds a poll in the composer (an option naming a person is flagged and marked), the
reviewer approves, a colleague sees the candidate diagnoses but no results until voting, then the
results; a second colleague still sees none; a viewer (not verified) cannot vote."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from fediverse_cases.core.accounts import Role
from fediverse_cases.services.state import AppState
from fediverse_cases.settings import load_settings
from tests.browser.conftest import served_with, sign_in
from tests.support.instances import create_account, fast_passwords

pytestmark = pytest.mark.browser


def _photo(path: Path) -> None:
    image = Image.new("RGB", (640, 480), (205, 160, 140))
    draw = ImageDraw.Draw(image)
    for i in range(10):
        r = 20 + (i * 13) % 50
        x, y = 120 + (i * 41) % 400, 90 + (i * 57) % 300
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(170 - i * 4, 90 + i * 3, 80))
    image.save(path, "JPEG", quality=90)


async def _create_people(config: Path) -> None:
    state = AppState.from_settings(load_settings(config))
    state.passwords = fast_passwords()
    try:
        await create_account(state, "clinician", role=Role.PROFESSIONAL, verified=True)
        await create_account(state, "reviewer", role=Role.REVIEWER)
        await create_account(state, "colleague", role=Role.PROFESSIONAL, verified=True)
        await create_account(state, "second", role=Role.PROFESSIONAL, verified=True)
        await create_account(state, "viewer")
    finally:
        await state.close()


@pytest.fixture
def served(tmp_path: Path):  # type: ignore[no-untyped-def]
    yield from served_with(tmp_path / "instance", _create_people)


def test_poll_composed_reviewed_voted_with_results_hidden_until_voting(
    browser, served, artifacts_dir, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    photo = tmp_path / "lesion.jpg"
    _photo(photo)

    # 1. The clinician composes a case with a poll; an option naming a person is marked.
    clinician, page = sign_in(browser, served.url, "clinician")
    page.goto(f"{served.url}/compose")
    page.set_input_files("#f-images", str(photo))
    page.click("button:has-text('Upload and de-identify')")
    page.wait_for_url(re.compile(r".*/compose/[0-9a-f]{20}$"), timeout=60_000)
    public_id = page.url.rsplit("/", 1)[1]
    # The upload answered at once; the page reloads with the image's fields when its job is done.
    page.wait_for_selector("input[name^=alt_]", timeout=180_000)
    page.fill("#f-title", "Annular plaque on the forearm")
    page.fill("#f-caption", "Annular plaque on the forearm for three weeks. What is your diagnosis?")
    page.locator("input[name^=alt_]").first.fill("Annular plaque on pale skin")
    page.check("input[name=visibility][value=public]")
    page.check("input[name=consent_audience][value=public]")
    page.check("input[name=consent_method][value=signed_form]")
    page.fill("#f-consent_date", date.today().isoformat())
    page.fill("#f-consent_obtained_by", "Dr Browser Clinician")
    page.fill("#f-poll_option_0", "Tinea corporis")
    page.fill("#f-poll_option_1", "Granuloma annulare")
    page.fill("#f-poll_option_2", "Like the rash Mary Jones had")
    page.select_option("#f-poll_duration", "86400")
    page.click("button:has-text('Save draft')")
    page.wait_for_selector("[data-phi-for=poll_option_2] mark, [data-phi-for=poll_option_2]")
    assert "Mary Jones" in page.inner_text("[data-phi-for=poll_option_2]")
    assert page.locator("#e-poll_option_2").count() == 1
    page.screenshot(path=str(artifacts_dir / "1-option-flagged.png"), full_page=True)
    page.fill("#f-poll_option_2", "Nummular eczema")
    page.click("#submit-case")
    page.wait_for_selector("#case-state:has-text('pending')")

    # 2. The reviewer approves.
    reviewer, page = sign_in(browser, served.url, "reviewer")
    page.goto(f"{served.url}/review/{public_id}")
    assert page.locator("#review-poll li").all_inner_texts() == [
        "Tinea corporis",
        "Granuloma annulare",
        "Nummular eczema",
    ]
    page.click("#approve")
    page.wait_for_selector("text=Approved and published.")

    # 3. A colleague sees the candidate diagnoses and no results; votes; sees the results.
    colleague, page = sign_in(browser, served.url, "colleague")
    page.goto(f"{served.url}/cases/{public_id}")
    poll = page.locator("#poll")
    assert poll.get_attribute("data-results") == "hidden"
    assert page.locator(".poll-results").count() == 0
    assert [t.strip() for t in page.locator(".poll-form label").all_inner_texts()] == [
        "Tinea corporis",
        "Granuloma annulare",
        "Nummular eczema",
    ]
    page.screenshot(path=str(artifacts_dir / "2-before-vote.png"), full_page=True)
    page.check(".poll-form input[value='1']")
    page.click("#poll-vote")
    page.wait_for_selector("text=Vote counted.")
    assert page.locator("#poll").get_attribute("data-results") == "shown"
    results = page.locator(".poll-result")
    assert [results.nth(i).get_attribute("data-votes") for i in range(3)] == ["0", "1", "0"]
    assert "(your vote)" in results.nth(1).inner_text()
    assert "1 clinician voted" in page.inner_text(".poll-meta")
    page.screenshot(path=str(artifacts_dir / "3-after-vote.png"), full_page=True)

    # 4. Another colleague still sees no results (one vote exists); a viewer cannot vote.
    second, page = sign_in(browser, served.url, "second")
    page.goto(f"{served.url}/cases/{public_id}")
    assert page.locator("#poll").get_attribute("data-results") == "hidden"
    assert page.locator("[data-votes]").count() == 0 and "1 vote" not in page.inner_text("#poll")
    viewer, page = sign_in(browser, served.url, "viewer")
    page.goto(f"{served.url}/cases/{public_id}")
    assert page.locator(".poll-form").count() == 0
    assert "Only verified healthcare professionals vote." in page.inner_text(".poll-why")
    # A hand-made vote from the viewer is refused too, with the reason shown.
    response = page.request.post(
        f"{served.url}/cases/{public_id}/poll",
        form={"choice": "0", "csrf_token": page.locator("input[name=csrf_token]").first.input_value()},
    )
    assert response.ok and "Only verified healthcare professionals vote." in response.text()

    # 5. The author sees the results (they cannot vote in their own poll).
    page = clinician.new_page()
    page.goto(f"{served.url}/cases/{public_id}")
    assert page.locator("#poll").get_attribute("data-results") == "shown"
    assert page.locator(".poll-result").nth(1).get_attribute("data-votes") == "1"
    for context in (clinician, reviewer, colleague, second, viewer):
        context.close()
