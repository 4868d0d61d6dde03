"""Browser fixtures: Debian's Chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    # Module scope, not session: Playwright's sync API keeps its own event loop running in this
    # thread while it is open, which would break every async test that runs after it.
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run the suite with `bash tests/run.sh`")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def artifacts_dir(request: pytest.FixtureRequest) -> Path:
    path = ARTIFACTS / request.node.name
    path.mkdir(parents=True, exist_ok=True)
    return path


def sign_in(browser, url: str, username: str, **context_options: object):  # type: ignore[no-untyped-def]
    """A fresh browser context signed in as ``username`` through the sign-in form: (context, page).
    ``context_options`` go to ``new_context`` (a 1200×1000 viewport unless given)."""
    from tests.support.instances import PASSWORD

    context = browser.new_context(**{"viewport": {"width": 1200, "height": 1000}, **context_options})
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("#f-username", username)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]:has-text('Sign in')")
    page.wait_for_load_state()
    return context, page


def served_with(root: Path, prepare: Callable[[Path], Awaitable[object]]) -> Iterator[object]:
    """A `fediverse-cases serve` instance under ``root``, after ``prepare(config path)`` (accounts,
    cases) ran in a thread of its own: Playwright's sync API keeps an event loop in this one."""
    from tests.support.server import ServedInstance

    instance = ServedInstance(root)
    instance.prepare()
    with ThreadPoolExecutor(1) as pool:
        instance.prepared = pool.submit(asyncio.run, prepare(instance.config_path)).result()  # type: ignore[attr-defined]
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()
