"""Every page type of a served demo hospital, as a phone and as a desktop, in headless Chromium.

For each page: no horizontal scrolling at phone width (390 px, and 360 px for the narrowest
phones), 0 serious or critical axe-core violations, a favicon, and a PNG of the page at both
widths under ``test-artifacts/product-tour/`` so a reviewer can look at the whole product in a
minute. The instance is seeded with the demo hospital's sample cases (published, with comments),
served by the real `fediverse-cases demo` command the Quickstart runs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from fediverse_cases.demo.seed import DEMO_PASSWORD
from tests.browser.conftest import ARTIFACTS
from tests.support.processes import stop_process
from tests.support.server import free_port

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
NARROW_PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


@dataclass(frozen=True)
class PageType:
    name: str
    path: str
    account: str | None  # who is signed in; None for a visitor


@dataclass
class DemoHospital:
    """`fediverse-cases demo` as the Quickstart runs it, on a free port and its own data folder."""

    url: str
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def tour() -> Iterator[tuple[DemoHospital, str]]:
    data_dir = ARTIFACTS / "product-tour-instance"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = (ARTIFACTS / "product-tour-instance.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fediverse_cases.cli",
            "demo",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    demo = DemoHospital(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 240
        while True:
            assert process.poll() is None, (
                "`fediverse-cases demo` exited; see test-artifacts/product-tour-instance.log"
            )
            try:
                if httpx.get(f"{demo.url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the demo hospital did not start within 240 s"
            time.sleep(0.5)
        listing = httpx.get(f"{demo.url}/feed/local", timeout=30).text
        match = re.search(r'href="(/cases/[A-Za-z0-9_-]+)"', listing)
        assert match, "the demo hospital's local feed lists no case"
        yield demo, match.group(1)
    finally:
        stop_process(process, timeout=20)
        log.close()


def _pages(case_path: str) -> list[PageType]:
    return [
        PageType("home", "/", None),
        PageType("login", "/login", None),
        PageType("register", "/register", None),
        PageType("local-feed", "/feed/local", None),
        PageType("case", case_path, None),
        PageType("case-signed-in", case_path, "clinician"),
        PageType("search", "/search?q=skin", None),
        PageType("specialties", "/specialties", None),
        PageType("profile", "/@clinician", None),
        PageType("not-found", "/cases/does-not-exist", None),
        PageType("withdrawal", "/withdraw", None),
        PageType("compose", "/compose", "clinician"),
        PageType("notifications", "/notifications", "clinician"),
        PageType("settings", "/settings/profile", "clinician"),
        PageType("review-queue", "/review", "reviewer"),
        PageType("review-comments", "/review/comments", "reviewer"),
        PageType("admin", "/admin/", "admin"),
        PageType("admin-users", "/admin/users", "admin"),
        PageType("admin-verifications", "/admin/verifications", "admin"),
        PageType("admin-audit", "/admin/audit", "admin"),
        PageType("admin-federation", "/admin/federation", "admin"),
    ]


def _signed_in_context(browser, url: str, username: str | None, viewport: dict[str, int]):  # type: ignore[no-untyped-def]
    # bypass_csp: axe-core is injected as an inline script, which our CSP (rightly) refuses.
    context = browser.new_context(viewport=viewport, bypass_csp=True)
    if username is None:
        return context
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("#f-username", username)
    page.fill("#f-password", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, f"{username} could not sign in"
    page.close()
    return context


def _horizontal_overflow(page) -> list[str]:  # type: ignore[no-untyped-def]
    """The page's scroll width beyond the viewport, and the elements sticking out (for the message)."""
    return page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          if (document.documentElement.scrollWidth <= width) return [];
          const culprits = [];
          const clipped = (el) => {
            for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
              if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return true;
            }
            return false;
          };
          for (const el of document.querySelectorAll('body *')) {
            const box = el.getBoundingClientRect();
            if (box.right > width + 1 && getComputedStyle(el).position !== 'absolute' && !clipped(el)) {
              culprits.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                            (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '') +
                            ' right=' + Math.round(box.right));
            }
          }
          return ['scrollWidth ' + document.documentElement.scrollWidth + ' > ' + width, ...culprits.slice(0, 8)];
        }"""
    )


def _serious_axe_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => JSON.stringify(await axe.run(document, {resultTypes: ['violations']}))"
    )
    violations = json.loads(result)["violations"]
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(
            node["target"][0] if isinstance(node["target"][0], str) else str(node["target"])
            for node in violation["nodes"][:4]
        )
        for violation in violations
        if violation["impact"] in ("serious", "critical")
    ]


def test_every_page_type_fits_a_phone_passes_axe_and_is_photographed(browser, tour) -> None:  # type: ignore[no-untyped-def]
    if not AXE.exists():
        pytest.fail(f"axe-core missing at {AXE}: run the suite with `bash tests/run.sh`")
    instance, case_path = tour
    out = ARTIFACTS / "product-tour"
    out.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    pages = _pages(case_path)
    for account in sorted({p.account or "" for p in pages}):
        for viewport_name, viewport in (
            ("phone", PHONE),
            ("narrow-phone", NARROW_PHONE),
            ("desktop", DESKTOP),
        ):
            context = _signed_in_context(browser, instance.url, account or None, viewport)
            page = context.new_page()
            for page_type in (p for p in pages if (p.account or "") == account):
                response = page.goto(f"{instance.url}{page_type.path}")
                assert response is not None
                assert response.status < 500, f"{page_type.name}: {response.status}"
                page.wait_for_load_state("networkidle")
                where = f"{page_type.name} at {viewport_name}"
                if viewport_name != "desktop":
                    overflow = _horizontal_overflow(page)
                    if overflow:
                        problems.append(f"{where} scrolls sideways: {overflow}")
                if viewport_name != "narrow-phone":
                    page.screenshot(path=str(out / f"{page_type.name}-{viewport_name}.png"), full_page=True)
                if viewport_name == "phone":
                    problems.extend(f"{where}: {v}" for v in _serious_axe_violations(page))
                    icon = page.evaluate("() => document.querySelector('link[rel~=icon]')?.href || ''")
                    if not icon:
                        problems.append(f"{where}: no favicon link")
            context.close()
    assert not problems, "\n".join(problems)


def _lesion_photo(path: Path) -> None:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 480), (205, 160, 130))
    ImageDraw.Draw(image).ellipse((260, 180, 380, 290), fill=(95, 45, 40))
    image.save(path, "JPEG", quality=90)


def test_a_failed_submit_is_summarised_at_the_top_with_links_and_counters(browser, tour, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """As a clinician on a phone: upload a photo, type a caption (the counter follows), submit
    without a title or consent: the problems are listed at the top of the page, each a link to
    its field, and the caption typed is still there."""
    instance, _ = tour
    photo = tmp_path / "lesion.jpg"
    _lesion_photo(photo)
    context = _signed_in_context(browser, instance.url, "clinician", PHONE)
    page = context.new_page()
    page.goto(f"{instance.url}/compose")
    # The phone camera input: capture opens the rear camera; the photo uploads once taken.
    camera = page.locator("#f-camera")
    assert camera.get_attribute("capture") == "environment" and camera.get_attribute("accept") == "image/*"
    camera.set_input_files(str(photo))
    # The image is de-identified by a job; the case can be submitted once its editor is there.
    page.wait_for_selector(".deid-summary", timeout=120_000)
    caption = "Pigmented lesion on the forearm, 12 mm, irregular border."
    page.fill("#f-caption", caption)
    assert page.inner_text("#f-caption-count") == f"{len(caption)} / 5000 characters"
    page.click("#submit-case")
    page.wait_for_selector("#error-summary")
    summary = page.locator("#error-summary")
    assert summary.bounding_box()["y"] < PHONE["height"], "the error summary is not on the first screen"
    links = summary.locator("a")
    texts = [links.nth(i).inner_text() for i in range(links.count())]
    assert any(t.startswith("Title: Give the case a short title.") for t in texts), texts
    assert any(t.startswith("Consent:") for t in texts), texts
    summary.locator("a[href='#e-title']").click()
    assert page.url.endswith("#e-title")
    assert page.input_value("#f-caption") == caption
    context.close()


def test_a_multi_image_case_is_a_swipeable_carousel_with_a_full_screen_viewer(browser, tour) -> None:  # type: ignore[no-untyped-def]
    instance, _ = tour
    listing = httpx.get(f"{instance.url}/feed/local", timeout=30).text
    match = re.search(
        r'href="(/cases/[A-Za-z0-9_-]+)">\s*(?:(?!</a>).)*Enlarging pigmented lesion on the back',
        listing,
        re.S,
    )
    assert match, "the demo's two-image case is not in the local feed"
    context = browser.new_context(viewport=PHONE, has_touch=True)
    page = context.new_page()
    page.goto(f"{instance.url}{match.group(1)}")
    status = page.locator("#carousel-status")
    assert status.inner_text() == "1 / 2"
    page.click("button[data-carousel=next]")
    expect(status).to_have_text("2 / 2")
    # Swiping back (a horizontal scroll of the strip, as a finger does) snaps to the first image.
    strip = page.locator("#case-images")
    strip.hover()
    page.mouse.wheel(-400, 0)
    expect(status).to_have_text("1 / 2")
    # Keyboard: the strip is focusable and the arrow keys move through the images.
    strip.focus()
    page.keyboard.press("ArrowRight")
    expect(status).to_have_text("2 / 2")
    # Tapping an image opens it full size; a double tap zooms; Escape closes the viewer.
    page.locator("#case-images figure").nth(1).locator("img").tap()
    page.wait_for_selector("#image-viewer[open]")
    full = page.locator("#image-viewer img")
    assert "full" in (full.get_attribute("src") or "")
    expect(full).to_have_js_property("complete", True)
    page.locator("#image-viewer .viewer-stage").dblclick()
    assert "zoomed" in (page.locator("#image-viewer .viewer-stage").get_attribute("class") or "")
    page.keyboard.press("Escape")
    page.wait_for_selector("#image-viewer:not([open])", state="attached")
    context.close()


def _tab_to(page, selector: str, limit: int = 120) -> None:  # type: ignore[no-untyped-def]
    """Press Tab until ``selector`` has the focus: it is reachable by keyboard, in page order."""
    target = page.locator(selector).first
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{selector} is not reachable with the Tab key")


def test_compose_and_review_work_with_the_keyboard_alone(browser, tour, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The clinician writes the case text and submits with the keyboard; the reviewer signs in,
    opens the queue and approves with the keyboard. (Picking the photo is the system's file
    dialog, set here directly.)"""
    instance, _ = tour
    photo = tmp_path / "lesion.jpg"
    _lesion_photo(photo)
    context = _signed_in_context(browser, instance.url, "clinician", DESKTOP)
    page = context.new_page()
    page.goto(f"{instance.url}/compose")
    page.set_input_files("#f-images", str(photo))
    _tab_to(page, "main form.upload-form button[type=submit]")
    page.keyboard.press("Enter")
    # The image is de-identified by a job; the case can be submitted once its editor is there.
    page.wait_for_selector(".deid-summary", timeout=120_000)
    for selector, text in (
        ("#f-title", "Keyboard lesion"),
        ("#f-caption", "Pigmented lesion on the shin, 8 mm, regular border."),
        ("input[name^=alt_]", "Dark lesion on pale skin"),
    ):
        _tab_to(page, selector)
        page.keyboard.type(text)
    _tab_to(page, "input[name=consent_method]")
    page.keyboard.press("Space")  # the first choice of the radio group
    _tab_to(page, "#f-consent_date")
    page.keyboard.type(time.strftime("%m%d%Y"))  # Chromium's date field takes the digits in order
    _tab_to(page, "#f-consent_obtained_by")
    page.keyboard.type("Dr Keyboard")
    _tab_to(page, "#submit-case")
    page.keyboard.press("Enter")
    page.wait_for_selector("#case-state:has-text('pending')")
    public_id = page.url.rstrip("/").rsplit("/", 1)[1].split("?")[0]
    context.close()

    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{instance.url}/login")
    _tab_to(page, "#f-username")
    page.keyboard.type("reviewer")
    _tab_to(page, "#f-password")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("#nav-review")
    _tab_to(page, "#nav-review")
    page.keyboard.press("Enter")
    page.wait_for_selector("#review-queue")
    _tab_to(page, f"a[href='/review/{public_id}']")
    page.keyboard.press("Enter")
    page.wait_for_selector("#approve")
    _tab_to(page, "#approve")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Approved and published.")
    # Published for this hospital (the composer's default audience): signed-in staff see it.
    response = page.goto(f"{instance.url}/cases/{public_id}")
    assert response is not None and response.status == 200
    assert page.inner_text("#case-title") == "Keyboard lesion"
    context.close()


def _touch(cdp, kind: str, *points: tuple[float, float]) -> None:  # type: ignore[no-untyped-def]
    """A real touch event from the browser's input layer (what a finger on a phone sends)."""
    cdp.send(
        "Input.dispatchTouchEvent",
        {"type": kind, "touchPoints": [{"x": x, "y": y, "id": n} for n, (x, y) in enumerate(points)]},
    )


def _swipe(cdp, start: tuple[float, float], end: tuple[float, float]) -> None:  # type: ignore[no-untyped-def]
    _touch(cdp, "touchStart", start)
    for step in range(1, 6):
        _touch(cdp, "touchMove", tuple(a + (b - a) * step / 5 for a, b in zip(start, end, strict=True)))
    _touch(cdp, "touchEnd")


def test_the_redaction_editor_works_with_touch(browser, tour, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """On a phone: draw a box with a finger, move it, resize it from its corner, pinch to zoom,
    then apply; the boxes sent are the ones the finger made."""
    instance, _ = tour
    photo = tmp_path / "lesion.jpg"
    _lesion_photo(photo)
    context = browser.new_context(viewport=PHONE, has_touch=True)
    page = context.new_page()
    page.goto(f"{instance.url}/login")
    page.fill("#f-username", "clinician")
    page.fill("#f-password", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{instance.url}/compose")
    page.locator("#f-camera").set_input_files(str(photo))
    page.wait_for_selector(".region-overlay", timeout=120_000)
    cdp = context.new_cdp_session(page)
    regions = page.locator("form.redact-form input[name=regions]").first

    def boxes() -> list[dict]:
        return json.loads(regions.input_value() or "[]")

    overlay = page.locator(".region-overlay").first.bounding_box()
    assert overlay and overlay["width"] > 100
    x0, y0 = overlay["x"] + overlay["width"] * 0.2, overlay["y"] + overlay["height"] * 0.2
    _swipe(cdp, (x0, y0), (x0 + 80, y0 + 50))
    [drawn] = boxes()
    assert drawn["w"] > 0 and drawn["h"] > 0

    adjust = page.locator("form.redact-form button[data-mode=adjust]").first
    # Buttons are pressed as buttons (the browser turns a tap into a click); the gestures on the
    # picture are the editor's own work and are made with real touch events.
    adjust.click()
    assert adjust.get_attribute("aria-pressed") == "true"
    page.locator(".region.manual").first.scroll_into_view_if_needed()
    box = page.locator(".region.manual").first.bounding_box()  # where the box is on screen now
    assert box
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    _swipe(cdp, centre, (centre[0] + 30, centre[1] + 20))  # drag from inside: move
    [moved] = boxes()
    assert moved["x"] > drawn["x"] and moved["y"] > drawn["y"] and moved["w"] == drawn["w"]
    box = page.locator(".region.manual").first.bounding_box()
    assert box
    corner = (box["x"] + box["width"] - 2, box["y"] + box["height"] - 2)
    _swipe(cdp, corner, (corner[0] + 40, corner[1] + 30))  # drag the corner: resize
    [resized] = boxes()
    assert resized["x"] == moved["x"] and resized["w"] > moved["w"] and resized["h"] > moved["h"]

    image = page.locator(".redaction-editor img").first
    fit_width = image.evaluate("img => img.clientWidth")
    overlay = page.locator(".region-overlay").first.bounding_box()
    assert overlay
    middle = (overlay["x"] + overlay["width"] / 2, overlay["y"] + overlay["height"] / 2)
    _touch(cdp, "touchStart", (middle[0] - 20, middle[1]), (middle[0] + 20, middle[1]))
    for spread in (40, 70, 100, 130):
        _touch(cdp, "touchMove", (middle[0] - spread, middle[1]), (middle[0] + spread, middle[1]))
    _touch(cdp, "touchEnd")
    assert image.evaluate("img => img.clientWidth") > fit_width * 1.5, "the pinch did not zoom"
    assert len(boxes()) == 1, "the pinch drew or moved a box"
    # Zoomed, the preview scrolls inside the editor: the page itself still fits the phone.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator("form.redact-form button[data-action=zoom-out]").first.click()
    assert image.evaluate("img => img.clientWidth") == fit_width

    page.locator("form.redact-form button.apply-redaction").first.click()
    page.wait_for_selector(".deid-summary:has-text('1 box(es) you drew')", timeout=120_000)
    context.close()
