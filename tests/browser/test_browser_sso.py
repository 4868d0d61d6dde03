"""Hospital single sign-on through a real OpenID provider (oidc-provider, OpenID Certified) on
loopback, in headless Chromium against a real `fediverse-cases serve` process: sign in on the
provider's login page and land signed in, sign out at both ends, later sign-ins follow group
changes, link an existing account, and every forged or replayed answer gets an error page and an
audit entry and creates no account."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.interop.fedify_peer import FedifyPeer
from tests.support.server import ADMIN_PASSWORD, ServedInstance, free_port
from tests.support.sso_provider import (
    TEST_USERS,
    OidcTestProvider,
    ensure_installed,
    provider_for,
    sso_config,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def sso_rp_ports() -> list[int]:
    """The instances under test listen on these (a fresh one per test on the first, the shared
    one of the negative tests on the second): the provider knows the clients' redirect URIs."""
    return [free_port(), free_port()]


@pytest.fixture(scope="session")
def sso_rp_port(sso_rp_ports: list[int]) -> int:
    return sso_rp_ports[0]


@pytest.fixture(scope="session")
def oidc_provider(
    sso_rp_ports: list[int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OidcTestProvider]:
    ensure_installed()
    provider = provider_for(sso_rp_ports, tmp_path_factory.mktemp("oidc-provider"), free_port())
    provider.start()
    yield provider
    provider.stop()


def _start_instance(
    root: Path, port: int, provider: OidcTestProvider, extra_config: str = ""
) -> ServedInstance:
    # Each instance starts from the provider's original users and groups.
    for user_id, claims in TEST_USERS.items():
        provider.set_user(user_id, json.loads(json.dumps(claims)))
    instance = ServedInstance(root, port=port)
    instance.prepare()
    with instance.config_path.open("a") as config:
        config.write(extra_config + sso_config(provider.issuer))
    instance.start()
    return instance


@pytest.fixture
def served(tmp_path: Path, sso_rp_port: int, oidc_provider: OidcTestProvider) -> Iterator[ServedInstance]:
    instance = _start_instance(tmp_path / "instance", sso_rp_port, oidc_provider)
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def shared_served(
    tmp_path_factory: pytest.TempPathFactory, sso_rp_ports: list[int], oidc_provider: OidcTestProvider
) -> Iterator[ServedInstance]:
    """One instance for the negative tests: each checks what its own attempt changed."""
    instance = _start_instance(tmp_path_factory.mktemp("sso-negative"), sso_rp_ports[1], oidc_provider)
    yield instance
    instance.stop()


def _rows(instance: ServedInstance, query: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(instance.root / "instance.db") as db:
        return db.execute(query, params).fetchall()


def _accounts(instance: ServedInstance) -> list[str]:
    return [row[0] for row in _rows(instance, "SELECT username FROM accounts ORDER BY id")]


def _sso_failures(instance: ServedInstance) -> list[str]:
    rows = _rows(instance, "SELECT details FROM audit_events WHERE action = 'login.sso.failure' ORDER BY id")
    return [str(row[0]) for row in rows]


def _sign_in_at_provider(page, instance: ServedInstance, provider_id: str, login: str | None) -> None:  # type: ignore[no-untyped-def]
    """Click the provider's button; sign in on its login page unless ``login`` is None (the
    browser already has a session at the provider), and wait until we are back."""
    page.goto(f"{instance.url}/login")
    page.click(f"#sso-{provider_id}")
    if login is not None:
        page.wait_for_selector("input[name=login]")
        page.fill("input[name=login]", login)
        page.fill("input[name=password]", "the provider's password")
        page.click("button:has-text('Sign-in')")
    page.wait_for_url(
        lambda url: (url.startswith(instance.url) and "/login/sso/" not in url) or "/callback" in url
    )
    page.wait_for_load_state()


def test_sign_in_through_the_provider_login_page_lands_signed_in(
    browser, served, oidc_provider, artifacts_dir
) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{served.url}/login")
    assert page.locator("#sso-hospital").inner_text() == "Sign in with Test General"
    assert page.locator("#sso-registry").count() == 1
    page.click("#sso-hospital")
    page.wait_for_selector("input[name=login]")
    assert page.url.startswith(oidc_provider.issuer)
    page.screenshot(path=str(artifacts_dir / "1-provider-login.png"))
    page.fill("input[name=login]", "dr_house")
    page.fill("input[name=password]", "the provider's password")
    page.click("button:has-text('Sign-in')")
    page.wait_for_url(f"{served.url}/")
    page.screenshot(path=str(artifacts_dir / "2-signed-in.png"))
    assert page.locator("nav >> text=dr_house").count() == 1
    assert page.locator("nav >> text=Sign out").count() == 1

    # Just in time: the account carries the mapped claims, and the trusted group verified it.
    page.goto(f"{served.url}/settings/profile")
    assert page.inner_text("#role") == "Verified professional"
    assert page.locator("#verification-status[data-status=verified]").count() == 1
    row = _rows(
        served, "SELECT email, display_name, occupation, institution FROM accounts WHERE username='dr_house'"
    )
    assert row == [("house@hospital.test", "Greg House", "Physician", "Test General Hospital")]
    assert _rows(served, "SELECT provider, subject FROM oidc_identities") == [("hospital", "dr_house")]
    actor = httpx.get(
        f"{served.url}/users/dr_house", headers={"Accept": "application/activity+json"}, timeout=10
    ).json()
    assert "Physician" in str(actor)
    actions = [r[0] for r in _rows(served, "SELECT action FROM audit_events WHERE target_id='dr_house'")]
    assert "account.register" in actions and "login.sso.success" in actions

    # Sign out here, then at the provider (RP-initiated logout), and come back signed out.
    page.click("button:has-text('Sign out')")
    page.wait_for_url(f"{oidc_provider.issuer}/session/end**")
    page.click("button:has-text('Yes, sign me out')")
    page.wait_for_url(f"{served.url}/")
    assert page.locator("nav >> text=Sign in").count() == 1
    # The provider's session is gone too: signing in again shows its login page.
    page.goto(f"{served.url}/login")
    page.click("#sso-hospital")
    page.wait_for_selector("input[name=login]")
    context.close()


@pytest.mark.parametrize(
    ("provider_id", "login", "reason", "status_text"),
    [
        ("wrongiss", "dr_house", "wrong_issuer", "not valid for this site (iss)"),
        ("badsig", "dr_house", "bad_signature", "signature is not valid"),
        ("expired", "dr_house", "expired_token", "has expired"),
        ("hospital", "visitor", "unmapped_user", "not in a group that may use this site"),
    ],
)
def test_forged_expired_or_unmapped_sign_in_gets_an_error_page_audit_and_no_account(  # type: ignore[no-untyped-def]
    browser, shared_served, provider_id, login, reason, status_text
) -> None:
    before = _accounts(shared_served)
    identities_before = _rows(shared_served, "SELECT provider, subject FROM oidc_identities")
    failures_before = len(_sso_failures(shared_served))
    context = browser.new_context()
    page = context.new_page()
    responses = []
    page.on("response", lambda r: responses.append(r) if "/callback" in r.url else None)
    _sign_in_at_provider(page, shared_served, provider_id, login)
    assert page.locator(f"#sso-error[data-reason={reason}]").count() == 1, page.content()
    assert status_text in page.inner_text("#sso-error")
    assert responses and responses[-1].status in (400, 403)
    assert page.locator("nav >> text=Sign out").count() == 0
    assert _accounts(shared_served) == before
    assert _rows(shared_served, "SELECT provider, subject FROM oidc_identities") == identities_before
    failures = _sso_failures(shared_served)[failures_before:]
    assert len(failures) == 1 and reason in failures[0] and provider_id in failures[0]
    context.close()


def test_replayed_state_is_refused_and_audited(browser, shared_served) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    callbacks: list[str] = []
    page.on("request", lambda r: callbacks.append(r.url) if "/callback" in r.url else None)
    _sign_in_at_provider(page, shared_served, "hospital", "dr_house")
    assert page.locator("nav >> text=Sign out").count() == 1
    assert len(callbacks) == 1 and "state=" in callbacks[0]
    accounts = _accounts(shared_served)
    failures_before = len(_sso_failures(shared_served))

    # The same answer (code and state) again, in the same browser and session.
    response = page.goto(callbacks[0])
    assert response is not None and response.status == 400
    assert page.locator("#sso-error[data-reason=unknown_state]").count() == 1
    assert "already used" in page.inner_text("#sso-error")
    failures = _sso_failures(shared_served)[failures_before:]
    assert len(failures) == 1 and "unknown_state" in failures[0]
    assert _accounts(shared_served) == accounts

    # Nor does it work from another browser (a stolen callback URL): no session there at all.
    other = browser.new_context()
    stranger = other.new_page()
    response = stranger.goto(callbacks[0])
    assert response is not None and response.status == 400
    assert stranger.locator("nav >> text=Sign out").count() == 0
    assert len(_sso_failures(shared_served)[failures_before:]) == 2
    other.close()
    context.close()


def test_a_provider_answering_as_another_issuer_is_refused_before_any_redirect(shared_served) -> None:  # type: ignore[no-untyped-def]
    failures_before = len(_sso_failures(shared_served))
    with httpx.Client(base_url=shared_served.url, timeout=10) as client:
        page = client.get("/login").text
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        response = client.post("/login/sso/lookalike", data={"csrf_token": token, "next": ""})
    assert response.status_code == 400
    assert 'data-reason="wrong_issuer"' in response.text and "not as the configured" in response.text
    assert "/auth?" not in response.text  # nothing was sent on to the provider
    failures = _sso_failures(shared_served)[failures_before:]
    assert len(failures) == 1 and "wrong_issuer" in failures[0] and "lookalike" in failures[0]


def test_leaving_the_professional_group_revokes_the_claim_and_tells_peers(  # type: ignore[no-untyped-def]
    browser, tmp_path, sso_rp_port, oidc_provider
) -> None:
    peer = FedifyPeer(free_port())
    served = _start_instance(
        tmp_path / "instance",
        sso_rp_port,
        oidc_provider,
        f'[federation]\nallowlist = ["127.0.0.1:{peer.port}"]\n',
    )
    peer.start()
    try:
        context = browser.new_context()
        page = context.new_page()
        _sign_in_at_provider(page, served, "hospital", "dr_house")
        assert page.locator("nav >> text=dr_house").count() == 1
        peer.follow(f"{served.url}/users/dr_house")
        deadline = time.monotonic() + 20
        while not any(row.get("state") == "accepted" for row in peer.following()):
            assert time.monotonic() < deadline, "our Accept never reached the peer"
            time.sleep(0.2)
        context.close()

        # The hospital's IT removes the person from the professional group and fixes the name.
        oidc_provider.set_user(
            "dr_house", {**TEST_USERS["dr_house"], "name": "Gregory House", "groups": ["all-staff"]}
        )
        context = browser.new_context()
        page = context.new_page()
        _sign_in_at_provider(page, served, "hospital", "dr_house")
        page.goto(f"{served.url}/settings/profile")
        assert page.inner_text("#role") == "Viewer"
        assert page.locator("#verification-status[data-status=none]").count() == 1
        assert "Gregory House" in page.inner_text("h1")
        changes = _rows(
            served, "SELECT details FROM audit_events WHERE action = 'sso.role_change' ORDER BY id"
        )
        assert len(changes) == 2 and '"verification": "none"' in str(changes[-1][0])

        entry = peer.wait_for(
            lambda e: (
                e.get("type") == "Update"
                and e["activity"]["object"].get("fediverseCases:verifiedProfessional") is False
            ),
            timeout=30,
        )
        assert entry["activity"]["object"]["name"] == "Gregory House"
        context.close()

        # Back in the group: verified again at the next sign-in, and the peer hears that too.
        oidc_provider.set_user("dr_house", {**TEST_USERS["dr_house"], "name": "Gregory House"})
        context = browser.new_context()
        page = context.new_page()
        _sign_in_at_provider(page, served, "hospital", "dr_house")
        page.goto(f"{served.url}/settings/profile")
        assert page.inner_text("#role") == "Verified professional"
        peer.wait_for(
            lambda e: (
                e.get("type") == "Update"
                and e["activity"]["object"].get("fediverseCases:verifiedProfessional") is True
            ),
            timeout=30,
        )
        context.close()
    finally:
        peer.stop()
        served.stop()


def test_a_local_account_is_linked_after_signing_in_both_ways(browser, served) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{served.url}/register")
    page.fill("#f-username", "local_person")
    page.fill("#f-email", "local.person@hospital.test")
    page.fill("#f-password", "a long enough password")
    page.click("button:has-text('Create account')")
    page.wait_for_selector("#verification-status")
    page.click("#linked-sign-ins")
    assert page.locator("#identity-hospital[data-linked=no]").count() == 1
    page.click("#link-hospital")
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", "local_person")
    page.fill("input[name=password]", "the provider's password")
    page.click("button:has-text('Sign-in')")
    page.wait_for_url(f"{served.url}/settings/sso")
    assert page.locator("#identity-hospital[data-linked=yes]").count() == 1
    assert _rows(
        served, "SELECT a.username FROM oidc_identities i JOIN accounts a ON a.id = i.account_id"
    ) == [("local_person",)]
    assert _rows(served, "SELECT COUNT(*) FROM audit_events WHERE action = 'sso.link'") == [(1,)]
    context.close()

    # From now on the hospital sign-in opens the same account.
    context = browser.new_context()
    page = context.new_page()
    _sign_in_at_provider(page, served, "hospital", "local_person")
    assert page.locator("nav >> text=local_person").count() == 1
    assert _accounts(served) == ["admin", "local_person"]
    context.close()


def test_an_sso_sign_in_never_takes_over_an_unlinked_account_by_email(browser, served) -> None:  # type: ignore[no-untyped-def]
    response = httpx.get(f"{served.url}/register", timeout=10)
    token = response.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    form = {
        "csrf_token": token,
        "username": "local_person",
        "email": "local.person@hospital.test",
        "password": "a long enough password",
    }
    assert (
        httpx.post(f"{served.url}/register", data=form, cookies=response.cookies, timeout=10).status_code
        == 302
    )
    context = browser.new_context()
    page = context.new_page()
    _sign_in_at_provider(page, served, "hospital", "local_person")
    assert page.locator("#sso-error[data-reason=email_in_use]").count() == 1
    assert "link this sign-in from your settings" in page.inner_text("#sso-error")
    assert _rows(served, "SELECT COUNT(*) FROM oidc_identities") == [(0,)]
    assert _accounts(served) == ["admin", "local_person"]
    context.close()


def test_an_untrusted_provider_sends_professionals_to_the_verification_queue(browser, served) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    _sign_in_at_provider(page, served, "registry", "dr_house")
    page.goto(f"{served.url}/settings/profile")
    assert page.inner_text("#role") == "Viewer"
    assert page.locator("#verification-status[data-status=pending]").count() == 1
    page.click("button:has-text('Sign out')")
    page.click("button:has-text('Yes, sign me out')")
    page.wait_for_url(f"{served.url}/")
    page.goto(f"{served.url}/login")
    page.fill("#f-username", "admin")
    page.fill("#f-password", ADMIN_PASSWORD)
    page.press("#f-password", "Enter")
    page.wait_for_selector("nav >> text=Admin")
    page.goto(f"{served.url}/admin/verifications")
    assert "Physician" in page.locator("#request-dr_house").inner_text()
    context.close()


def test_a_group_mapped_to_reviewer_makes_a_privacy_officer(browser, served) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    _sign_in_at_provider(page, served, "hospital", "po_cuddy")
    assert page.locator("nav >> text=Review").count() == 1
    page.goto(f"{served.url}/settings/profile")
    assert page.inner_text("#role") == "Reviewer (privacy officer)"
    assert page.locator("#verification-status[data-status=none]").count() == 1
    context.close()
