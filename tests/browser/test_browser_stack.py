"""The stack viewer in headless Chromium against a real `fediverse-cases serve`: a CT series sent
by STOW-RS (its stack built by the server's de-identification worker after the answer) is scrolled through on its draft's case page with the mouse wheel, the keyboard, the
slider and a touch drag, a window preset changes the pixels shown, and the reviewer's page has the
same viewer."""

from __future__ import annotations

import io
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageChops, ImageStat

from fediverse_cases.core.accounts import Role
from fediverse_cases.services.oauth import create_script_token
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState
from fediverse_cases.settings import load_settings
from fediverse_cases.storage.repositories.accounts import get_account_by_username
from tests.browser.conftest import served_with, sign_in
from tests.support.dicom_studies import dicom_parts, make_study, multipart
from tests.support.instances import create_account, fast_passwords

pytestmark = pytest.mark.browser
SLICES = 8


async def _people_and_token(config: Path) -> str:
    state = AppState.from_settings(load_settings(config))
    state.passwords = fast_passwords()
    try:
        await create_account(state, "clinician", role=Role.PROFESSIONAL, verified=True)
        await create_account(state, "reviewer", role=Role.REVIEWER, verified=True)
        async with state.transaction() as db:
            account = await get_account_by_username(db, "clinician")
            issued = await create_script_token(db, account, "write:media", Operator.shell(), label="CT 1")
        return issued.access_token
    finally:
        await state.close()


@pytest.fixture
def served(tmp_path: Path):  # type: ignore[no-untyped-def]
    yield from served_with(tmp_path / "instance", _people_and_token)


def _pixels(locator) -> Image.Image:  # type: ignore[no-untyped-def]
    return Image.open(io.BytesIO(locator.screenshot())).convert("L")


def _differs(a: Image.Image, b: Image.Image) -> float:
    return ImageStat.Stat(ImageChops.difference(a, b)).mean[0]


def _touch(stage, kind: str, y: float) -> None:  # type: ignore[no-untyped-def]
    box = stage.bounding_box()
    point = {"identifier": 1, "clientX": box["x"] + box["width"] / 2, "clientY": y}
    touches = [] if kind == "touchend" else [point]
    stage.dispatch_event(kind, {"touches": touches, "changedTouches": [point], "targetTouches": touches})


def test_scroll_a_ct_stack_with_wheel_keys_slider_and_touch_and_switch_window_presets(  # type: ignore[no-untyped-def]
    browser, served, artifacts_dir
) -> None:
    body, content_type = multipart(dicom_parts(make_study(SLICES, size=256).instances))
    sent = httpx.post(
        f"{served.url}/dicom-web/studies",
        content=body,
        headers={"Authorization": f"Bearer {served.prepared}", "Content-Type": content_type},
        timeout=900,
    )
    assert sent.status_code == 200, sent.text
    public_id = sent.headers["Location"].rsplit("/", 1)[1]

    from playwright.sync_api import expect

    context, page = sign_in(browser, served.url, "clinician", has_touch=True)
    try:
        # STOW-RS answered once the key image was de-identified; the server's worker builds the
        # stack meanwhile, and the viewer appears on the page once it is done.
        page.goto(f"{served.url}/cases/{public_id}")
        viewer = page.locator(".stack-viewer")
        deadline = time.monotonic() + 600
        while viewer.count() == 0 and time.monotonic() < deadline:
            page.wait_for_timeout(1000)
            page.reload()
        expect(viewer).to_have_attribute("data-ready", "1")
        stage, frame = viewer.locator(".stack-stage"), viewer.locator("img.stack-frame")
        counter, slider = viewer.locator(".stack-counter"), viewer.locator(".stack-slider")
        expect(counter).to_have_text(f"1 / {SLICES}")
        expect(stage).to_have_attribute("aria-label", f"CT series of {SLICES} images. " + _HELP)
        first_src = frame.get_attribute("src")

        # Wheel: one notch, one image.
        stage.hover()
        page.mouse.wheel(0, 120)
        expect(counter).to_have_text(f"2 / {SLICES}")
        expect(frame).not_to_have_attribute("src", first_src)
        assert (frame.get_attribute("alt") or "").endswith(f"(image 2 of {SLICES})")
        page.mouse.wheel(0, 120)
        page.mouse.wheel(0, -120)
        expect(counter).to_have_text(f"2 / {SLICES}")

        # Keyboard on the focused stack.
        stage.focus()
        page.keyboard.press("ArrowDown")
        expect(counter).to_have_text(f"3 / {SLICES}")
        page.keyboard.press("End")
        expect(counter).to_have_text(f"{SLICES} / {SLICES}")
        expect(slider).to_have_value(str(SLICES))
        page.keyboard.press("ArrowDown")  # stays on the last
        expect(counter).to_have_text(f"{SLICES} / {SLICES}")
        page.keyboard.press("Home")
        expect(counter).to_have_text(f"1 / {SLICES}")
        expect(frame).to_have_attribute("src", first_src)
        page.keyboard.press("PageDown")
        expect(counter).to_have_text(f"2 / {SLICES}")
        page.keyboard.press("ArrowUp")
        expect(counter).to_have_text(f"1 / {SLICES}")

        # The slider.
        slider.fill("5")
        expect(counter).to_have_text(f"5 / {SLICES}")

        # Touch: a drag upwards moves on through the stack, a drag down comes back.
        box = stage.bounding_box()
        step = max(8, box["height"] / SLICES)
        top = box["y"] + box["height"] - 10
        _touch(stage, "touchstart", top)
        _touch(stage, "touchmove", top - 2 * step)
        _touch(stage, "touchend", top - 2 * step)
        expect(counter).to_have_text(f"7 / {SLICES}")
        _touch(stage, "touchstart", top - 2 * step)
        _touch(stage, "touchmove", top + step)
        _touch(stage, "touchend", top + step)
        expect(counter).to_have_text(f"4 / {SLICES}")

        # Window presets: the lung window shows other pixels than soft tissue, on the same image.
        expect(frame).to_have_js_property("complete", True)
        soft = _pixels(frame)
        lung = viewer.get_by_role("button", name="Lung (W1500 L−600)")
        expect(lung).to_have_attribute("aria-pressed", "false")
        lung.click()
        expect(lung).to_have_attribute("aria-pressed", "true")
        expect(viewer.get_by_role("button", name="Soft tissue (W400 L40)")).to_have_attribute(
            "aria-pressed", "false"
        )
        expect(counter).to_have_text(f"4 / {SLICES}")
        expect(frame).to_have_js_property("complete", True)
        page.wait_for_timeout(200)
        lung_pixels = _pixels(frame)
        lung_pixels.save(artifacts_dir / "lung.png")
        soft.save(artifacts_dir / "soft.png")
        assert _differs(soft, lung_pixels) > 5
        # Moving on keeps the preset.
        stage.focus()
        page.keyboard.press("ArrowDown")
        expect(counter).to_have_text(f"5 / {SLICES}")
        expect(viewer).to_have_attribute("data-preset", "lung")
    finally:
        context.close()

    reviewer, page = sign_in(browser, served.url, "reviewer")
    try:
        page.goto(f"{served.url}/review/{public_id}")
        viewer = page.locator(".stack-viewer")
        expect(viewer).to_have_attribute("data-ready", "1")
        viewer.locator(".stack-stage").focus()
        page.keyboard.press("End")
        expect(viewer.locator(".stack-counter")).to_have_text(f"{SLICES} / {SLICES}")
    finally:
        reviewer.close()


_HELP = (
    "Scroll with the mouse wheel, the Up and Down arrow keys, Page Up, Page Down, Home and End, "
    "or drag up and down on a touch screen."
)
