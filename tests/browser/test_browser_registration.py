"""A person registers, asks to be verified, the admin approves, the person sees the badge —
in a real headless Chromium against a real `fediverse-cases serve` process."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.server import ADMIN_PASSWORD, ServedInstance

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path: Path):  # type: ignore[no-untyped-def]
    instance = ServedInstance(tmp_path / "instance")
    instance.prepare()
    instance.start()
    yield instance
    instance.stop()


def _sign_in(page, url: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/login")
    page.fill("#f-username", username)
    page.fill("#f-password", password)
    page.click("button[type=submit]:has-text('Sign in')")


def test_register_request_verification_admin_approves_badge_shown(browser, served, artifacts_dir) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{served.url}/register")
    page.fill("#f-username", "dr_grey")
    page.fill("#f-email", "grey@hospital.test")
    page.fill("#f-password", "a long enough password")
    page.fill("#f-display_name", "Meredith Grey")
    page.screenshot(path=str(artifacts_dir / "1-register.png"))
    page.click("button:has-text('Create account')")
    page.wait_for_selector("#verification-status")
    assert page.inner_text("#role") == "Viewer"

    page.fill("#f-occupation", "Surgeon")
    page.fill("#f-licence_number", "GMC-7654321")
    page.fill("#f-institution", "Grey Sloan Memorial")
    page.click("button:has-text('Request verification')")
    page.wait_for_selector("#verification-status[data-status=pending]")
    page.screenshot(path=str(artifacts_dir / "2-requested.png"))
    page.click("button:has-text('Sign out')")

    _sign_in(page, served.url, "admin", ADMIN_PASSWORD)
    page.goto(f"{served.url}/admin/verifications")
    request_card = page.locator("#request-dr_grey")
    assert "GMC-7654321" in request_card.inner_text()
    page.screenshot(path=str(artifacts_dir / "3-queue.png"))
    request_card.locator("button:has-text('Approve')").click()
    page.wait_for_selector("text=Verification of dr_grey approved.")
    page.click("button:has-text('Sign out')")

    _sign_in(page, served.url, "dr_grey", "a long enough password")
    page.goto(f"{served.url}/settings/profile")
    assert page.get_attribute("#verification-status", "data-status") == "verified"
    page.goto(f"{served.url}/users/dr_grey")
    badge = page.locator(".badge")
    assert badge.inner_text().strip() == "✔ Verified Surgeon"
    page.screenshot(path=str(artifacts_dir / "4-badge.png"))
    context.close()
