""" "Notify me on this device" in headless Chromium against a real `fediverse-cases serve`.

What is real: the settings page, its script (``push-settings.js``), the service worker
registered from ``/sw.js`` at the site's root scope under the site's CSP, the CSRF-protected
registration, the server's push worker, and the suite's push service, which checks the VAPID
signature and decrypts the push with the device's keys. What is stubbed, honestly: the
browser's ``PushManager``. Headless Chromium can only subscribe with a real push service (Google's
FCM), so the page's PushManager hands out a subscription whose endpoint and keys are the suite's
push receiver's; the stub records the ``applicationServerKey`` the page passed, which must be the
instance's VAPID key. The browser's own leg (push service -> service worker -> showNotification)
is not exercised here.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from fediverse_cases.core.accounts import Role
from fediverse_cases.services.state import AppState
from fediverse_cases.settings import load_settings
from tests.api.test_api_mastodon_py import _client
from tests.browser.conftest import sign_in
from tests.support.instances import create_account, fast_passwords
from tests.support.push_receiver import PushReceiver, b64url, b64url_decode
from tests.support.server import ServedInstance

pytestmark = pytest.mark.browser

STUB = """
(() => {
  const device = %s;
  const stub = (window.__pushStub = { subscription: null, applicationServerKey: null });
  PushManager.prototype.getSubscription = function () { return Promise.resolve(stub.subscription); };
  PushManager.prototype.subscribe = function (options) {
    stub.applicationServerKey = Array.from(new Uint8Array(options.applicationServerKey));
    stub.subscription = {
      endpoint: device.endpoint,
      toJSON: function () { return device; },
      unsubscribe: function () { stub.subscription = null; return Promise.resolve(true); }
    };
    return Promise.resolve(stub.subscription);
  };
})();
"""


async def _people(config: Path) -> None:
    state = AppState.from_settings(load_settings(config))
    state.passwords = fast_passwords()
    try:
        await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
        await create_account(state, "dr_bob", role=Role.PROFESSIONAL, verified=True)
    finally:
        await state.close()


@pytest.fixture
def receiver() -> Iterator[PushReceiver]:
    push_service = PushReceiver()
    push_service.start()
    yield push_service
    push_service.stop()


@pytest.fixture
def served(tmp_path: Path, receiver: PushReceiver) -> Iterator[ServedInstance]:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    instance = ServedInstance(
        tmp_path / "instance", extra_config=f'[web_push]\nallowed_private_hosts = ["{receiver.host}"]\n'
    )
    instance.prepare()
    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API keeps an event loop in this thread
        pool.submit(asyncio.run, _people(instance.config_path)).result()
    instance.start(timeout=120)
    yield instance
    instance.stop()


def _subscriptions(served: ServedInstance, endpoint: str) -> int:
    with sqlite3.connect(served.root / "instance.db") as db:
        return db.execute(
            "SELECT count(*) FROM push_subscriptions WHERE endpoint = ?", (endpoint,)
        ).fetchone()[0]


def test_notify_me_on_this_device_registers_a_subscription_that_receives_pushes(
    browser, served, receiver
) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    device = receiver.device("ada-browser")
    endpoint = receiver.endpoint("ada-browser")
    subscription = {
        "endpoint": endpoint,
        "expirationTime": None,
        "keys": {"p256dh": b64url(device.public_bytes), "auth": b64url(device.auth_secret)},
    }
    context, page = sign_in(browser, served.url, "dr_ada")
    context.add_init_script(STUB % json.dumps(subscription))
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{served.url}/settings/profile")

    key = page.locator('meta[name="vapid-public-key"]').get_attribute("content")
    assert key
    receiver.vapid_public_key = key
    status = page.locator("#push-status")
    expect(status).to_have_text("This device is not notified.")
    toggle = page.locator("#push-toggle")
    expect(toggle).to_be_enabled()
    toggle.check()
    expect(status).to_have_text("This device is notified.")
    assert page.evaluate("window.__pushStub.applicationServerKey") == list(b64url_decode(key))
    worker = page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.active.scriptURL)")
    assert worker == f"{served.url}/sw.js"
    assert _subscriptions(served, endpoint) == 1

    bob = _client(served.url, "dr_bob", ["read", "write", "follow"])
    ada_id = bob.account_lookup("dr_ada")["id"]
    bob.account_follow(ada_id)
    (pushed,) = receiver.wait_for("ada-browser", 1)
    assert pushed.payload["notification_type"] == "follow"
    assert pushed.payload["title"] == "dr_bob is now following you"

    toggle.uncheck()
    expect(status).to_have_text("This device is not notified.")
    assert _subscriptions(served, endpoint) == 0
    assert not [text for text in errors if "Content Security Policy" in text], errors
    context.close()
