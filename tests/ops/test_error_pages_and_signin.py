"""Friendly error pages (403, 404, 413, 500) in the site's layout, and sign-in hashing:
the chosen argon2 parameters, and old hashes upgraded on the next successful sign-in."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.services.passwords import MEMORY_COST_KIB, PARALLELISM, TIME_COST, Passwords
from fediverse_cases.storage.models import Account
from tests.support.instances import PASSWORD, create_account
from tests.support.web import post_form, sign_in

# Werkzeug's stock descriptions, which must never reach a person.
FRAMEWORK_TEXT = (
    "The requested URL was not found on the server",
    "You don't have the permission to access the requested resource",
    "The data value transmitted exceeds the capacity limit",
    "The server encountered an internal error",
)


@pytest.fixture
def settings_overrides() -> dict:
    # Upload limit = 1 image × 1 KiB + 4 MiB of form, so a 5 MiB body is too large.
    return {"uploads": {"max_image_bytes": 1024, "max_images_per_case": 1}}


async def _page(response) -> str:  # type: ignore[no-untyped-def]
    text = await response.get_data(as_text=True)
    assert '<link rel="stylesheet" href="/static/style.css">' in text  # our layout
    assert "Test General Hospital" in text  # with the instance's header
    for stock in FRAMEWORK_TEXT:
        assert stock not in text
    return text


async def test_404_is_our_page(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in await _page(response)


async def test_403_is_our_page(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "viewer1", role=Role.VIEWER)
    await sign_in(client, "viewer1")
    response = await client.get("/admin/")
    assert response.status_code == 403
    assert "You cannot open this page" in await _page(response)


async def test_413_is_our_page_naming_the_limits(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.post(
        "/login", data=b"x" * (5 * 1024 * 1024), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413
    text = await _page(response)
    assert "Upload too large" in text and "1 per case" in text


async def test_500_is_our_page_without_details(app) -> None:  # type: ignore[no-untyped-def]
    @app.get("/test-only-boom")
    async def boom() -> str:
        raise RuntimeError("secret internal detail")

    response = await app.test_client().get("/test-only-boom")
    assert response.status_code == 500
    text = await _page(response)
    assert "Something went wrong on our side" in text
    assert "secret internal detail" not in text and "Traceback" not in text


async def test_500_falls_back_to_a_static_page_when_the_layout_itself_fails(app) -> None:  # type: ignore[no-untyped-def]
    @app.get("/test-only-broken")
    async def broken() -> str:
        raise RuntimeError("boom")

    def broken_global() -> str:
        raise RuntimeError("the layout is broken too")

    # Break the layout: the error page's own template now raises as well.
    app.jinja_env.globals["url_for"] = broken_global
    response = await app.test_client().get("/test-only-broken")
    assert response.status_code == 500
    text = await response.get_data(as_text=True)
    assert "Something went wrong on our side" in text and "/static/style.css" in text
    assert "Test General Hospital" not in text  # it really is the static fallback
    assert "Internal Server Error" not in text


def test_production_parameters_are_the_documented_ones() -> None:
    hasher = Passwords().hasher
    assert (hasher.time_cost, hasher.memory_cost, hasher.parallelism) == (
        TIME_COST,
        MEMORY_COST_KIB,
        PARALLELISM,
    )
    assert hasher.type.name == "ID"
    assert (
        Passwords().hash("x").startswith(f"$argon2id$v=19$m={MEMORY_COST_KIB},t={TIME_COST},p={PARALLELISM}$")
    )


async def test_an_old_hash_still_signs_in_and_is_upgraded(client, state) -> None:  # type: ignore[no-untyped-def]
    old = Passwords(hasher=PasswordHasher(time_cost=1, memory_cost=2048, parallelism=2))
    state.passwords = old
    await create_account(state, "clinician1", role=Role.PROFESSIONAL, verified=True)
    state.passwords = Passwords()  # the instance now runs with the production parameters

    async def stored_hash() -> str:
        async with state.sessionmaker() as db:
            return (
                await db.execute(select(Account.password_hash).where(Account.username == "clinician1"))
            ).scalar_one()

    before = await stored_hash()
    assert before.startswith("$argon2id$v=19$m=2048,t=1,p=2$")
    failed = await post_form(client, "/login", {"username": "clinician1", "password": "wrong"})
    assert failed.status_code == 401
    assert await stored_hash() == before  # a wrong password changes nothing
    await sign_in(client, "clinician1", PASSWORD)
    after = await stored_hash()
    assert after.startswith(f"$argon2id$v=19$m={MEMORY_COST_KIB},t={TIME_COST},p={PARALLELISM}$")
    assert Passwords().verify(after, PASSWORD)
