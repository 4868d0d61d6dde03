"""Confirmed outcomes and the diagnosis reveal in headless Chromium against a real
`fediverse-cases serve` process: the author records the outcome (a diagnosis naming a person is
flagged and marked), the privacy officer approves it, a viewer finds it behind "See the
diagnosis" and reveals it, a colleague who answered the poll sees it revealed, and the
"Teaching cases" feed lists only cases with a confirmed outcome."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from fediverse_cases.core.accounts import Role
from fediverse_cases.services.case_factory import create_published_case
from fediverse_cases.services.polls import PollInput
from fediverse_cases.services.state import AppState
from fediverse_cases.settings import load_settings
from fediverse_cases.storage.repositories.accounts import get_account_by_username
from tests.browser.conftest import sign_in
from tests.browser.test_browser_polls import _photo
from tests.support.instances import create_account, fast_passwords
from tests.support.server import ServedInstance

pytestmark = pytest.mark.browser


async def _seed(config: Path, photo: Path) -> tuple[str, str]:
    state = AppState.from_settings(load_settings(config))
    state.passwords = fast_passwords()
    try:
        for username, role, verified in (
            ("clinician", Role.PROFESSIONAL, True),
            ("reviewer", Role.REVIEWER, False),
            ("colleague", Role.PROFESSIONAL, True),
            ("viewer", Role.VIEWER, False),
        ):
            await create_account(state, username, role=role, verified=verified)
        async with state.sessionmaker() as db:
            author = await get_account_by_username(db, "clinician")
        assert author is not None
        taught = await create_published_case(
            state,
            author,
            images=[photo.read_bytes()],
            caption="Annular plaque on the forearm for three weeks. What is your diagnosis?",
            poll=PollInput(["Tinea corporis", "Granuloma annulare"], 86400),
        )
        other = await create_published_case(
            state, author, images=[photo.read_bytes()], caption="Scaly patch on the shin, no outcome yet."
        )
        return taught.public_id, other.public_id
    finally:
        await state.close()


@pytest.fixture
def served(tmp_path: Path):  # type: ignore[no-untyped-def]
    instance = ServedInstance(tmp_path / "instance")
    instance.prepare()
    photo = tmp_path / "lesion.jpg"
    _photo(photo)
    with ThreadPoolExecutor(1) as pool:
        instance.case_ids = pool.submit(asyncio.run, _seed(instance.config_path, photo)).result()  # type: ignore[attr-defined]
    instance.start()
    yield instance
    instance.stop()


def test_outcome_recorded_reviewed_revealed_and_listed_as_teaching_case(
    browser, served, artifacts_dir
) -> None:  # type: ignore[no-untyped-def]
    taught, other = served.case_ids

    # 1. The author records the outcome; a diagnosis naming a person is flagged first.
    clinician, page = sign_in(browser, served.url, "clinician")
    page.goto(f"{served.url}/cases/{taught}")
    page.click("#record-outcome")
    page.fill("#f-diagnosis", "Granuloma annulare, like Mary Jones had")
    page.fill("#f-code", "403468003")
    page.select_option("#f-code_system", "snomed-ct")
    page.check("input[name=certainty][value=certain]")
    page.check("input[name=method][value=histology]")
    page.fill("#f-follow_up", "Biopsy confirmed it; the plaque resolved in three months.")
    page.click("#save-outcome")
    page.wait_for_selector("[data-phi-for=diagnosis]")
    assert "Mary Jones" in page.inner_text("[data-phi-for=diagnosis] mark")
    page.screenshot(path=str(artifacts_dir / "1-diagnosis-flagged.png"), full_page=True)
    page.fill("#f-diagnosis", "Granuloma annulare")
    page.click("#save-outcome")
    page.wait_for_selector("text=Outcome sent to the privacy officer.")
    assert page.locator("#diagnosis-reveal").count() == 0  # not published before approval

    # 2. The privacy officer finds it in the queue and approves it.
    reviewer, page = sign_in(browser, served.url, "reviewer")
    page.goto(f"{served.url}/review")
    page.click("#outcome-queue a")
    assert "Granuloma annulare" in page.inner_text("#outcome-compare")
    page.screenshot(path=str(artifacts_dir / "2-outcome-review.png"), full_page=True)
    page.click("#approve-outcome")
    page.wait_for_selector("text=Outcome approved and published.")

    # 3. A viewer sees "See the diagnosis", closed, and reveals it.
    viewer, page = sign_in(browser, served.url, "viewer")
    page.goto(f"{served.url}/cases/{taught}")
    assert page.locator("#diagnosis-reveal").get_attribute("open") is None
    assert not page.locator("#diagnosis").is_visible()
    page.screenshot(path=str(artifacts_dir / "3-hidden.png"), full_page=True)
    page.click("#diagnosis-reveal summary:has-text('See the diagnosis')")
    assert page.locator("#diagnosis").is_visible()
    assert page.inner_text("#diagnosis") == "Granuloma annulare SNOMED CT 403468003"
    assert "Certainty: Certain · Confirmed by: histology" in page.inner_text(".outcome-facts")
    page.screenshot(path=str(artifacts_dir / "4-revealed.png"), full_page=True)

    # 4. A colleague who answers the poll gets the diagnosis revealed with the results.
    colleague, page = sign_in(browser, served.url, "colleague")
    page.goto(f"{served.url}/cases/{taught}")
    assert not page.locator("#diagnosis").is_visible()
    page.check(".poll-form input[value='1']")
    page.click("#poll-vote")
    page.wait_for_selector("text=Vote counted.")
    assert page.locator("#diagnosis-reveal").get_attribute("open") is not None
    assert page.locator("#diagnosis").is_visible()
    page.screenshot(path=str(artifacts_dir / "5-after-vote.png"), full_page=True)

    # 5. The teaching feed lists the case with an outcome and not the other one.
    page.goto(f"{served.url}/feed/local")
    assert page.locator(f"a[href='/cases/{other}']").count() >= 1  # listed here, with the other
    page.click("#teaching-tab")
    page.wait_for_url(f"{served.url}/feed/teaching")
    assert page.locator(f"a[href='/cases/{taught}']").count() >= 1
    assert page.locator(f"a[href='/cases/{other}']").count() == 0
    page.screenshot(path=str(artifacts_dir / "6-teaching-feed.png"), full_page=True)
    for context in (clinician, reviewer, viewer, colleague):
        context.close()
