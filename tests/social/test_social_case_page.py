"""The case page over the real database: content, visibility, state banners, the withdrawal
tombstone, likes and the ``case.view`` audit entry."""

from __future__ import annotations

from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.core.case_access import CaseState, Visibility
from fediverse_cases.storage.models import AuditEvent, Like
from tests.support.case_rows import SAMPLE_BLURHASH, insert_case
from tests.support.instances import create_account
from tests.support.web import post_form, sign_in


async def _page(client, case) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    response = await client.get(f"/cases/{case.public_id}")
    return response.status_code, await response.get_data(as_text=True)


async def test_case_page_shows_caption_tags_badge_consent_and_placeholders(client, state) -> None:  # type: ignore[no-untyped-def]
    author = await create_account(
        state, "dr_skin", role=Role.PROFESSIONAL, verified=True, occupation="Dermatologist"
    )
    case = await insert_case(
        state, author, caption="Annular plaque with central clearing", tags=("dermatology", "tinea"), images=2
    )
    status, page = await _page(client, case)
    assert status == 200
    assert "Annular plaque with central clearing" in page
    assert 'href="/tags/dermatology"' in page and 'href="/tags/tinea"' in page
    assert "Verified Dermatologist" in page
    assert "Consent on file" in page and "Public" in page
    assert page.count(f'data-blurhash="{SAMPLE_BLURHASH}"') == 2
    assert "-display.jpg" in page and "case-page.js" in page
    assert "data-graphic" not in page


async def test_graphic_case_images_are_marked_for_blurring(client, state) -> None:  # type: ignore[no-untyped-def]
    author = await create_account(state, "dr_trauma", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, author, sensitive=True)
    _status, page = await _page(client, case)
    assert 'data-graphic="1"' in page and 'class="reveal"' in page


async def test_unpublished_case_is_404_for_strangers_and_bannered_for_its_author(client, state) -> None:  # type: ignore[no-untyped-def]
    author = await create_account(state, "dr_author", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "someone")
    case = await insert_case(state, author, case_state=CaseState.PENDING, caption="Pending caption")
    missing = await client.get("/cases/doesnotexist")
    status, page = await _page(client, case)
    assert status == 404 and "Pending caption" not in page
    assert missing.status_code == 404 and await missing.get_data(as_text=True) == page
    await sign_in(client, "someone")
    assert (await _page(client, case))[0] == 404
    author_client = client.app.test_client()
    await sign_in(author_client, "dr_author")
    status, page = await _page(author_client, case)
    assert status == 200 and "Waiting for review" in page and "Pending caption" in page


async def test_hospital_only_case_needs_sign_in(client, state) -> None:  # type: ignore[no-untyped-def]
    author = await create_account(state, "dr_local", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "viewer1")
    case = await insert_case(state, author, visibility=Visibility.LOCAL)
    assert (await _page(client, case))[0] == 404
    await sign_in(client, "viewer1")
    status, page = await _page(client, case)
    assert status == 200 and "This hospital only" in page


async def test_withdrawn_case_is_a_410_tombstone_without_content(client, state) -> None:  # type: ignore[no-untyped-def]
    author = await create_account(state, "dr_gone", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, author, case_state=CaseState.WITHDRAWN, caption="Secret caption text")
    status, page = await _page(client, case)
    assert status == 410
    assert "withdrawn at the patient" in page
    assert "Secret caption text" not in page and "dermatology" not in page and "data-blurhash" not in page


async def test_signed_in_view_is_audited_and_anonymous_view_is_not(client, state) -> None:  # type: ignore[no-untyped-def]
    author = await create_account(state, "dr_audit", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "reader")
    case = await insert_case(state, author)
    await _page(client, case)
    await sign_in(client, "reader")
    await _page(client, case)
    async with state.sessionmaker() as db:
        views = (await db.execute(select(AuditEvent).where(AuditEvent.action == "case.view"))).scalars().all()
    assert [(event.actor_label, event.case_id, event.target_id) for event in views] == [
        ("reader", case.id, case.public_id)
    ]


async def test_like_and_unlike_change_the_count(client, state) -> None:  # type: ignore[no-untyped-def]
    author = await create_account(state, "dr_liked", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "fan")
    case = await insert_case(state, author)
    page_path = f"/cases/{case.public_id}"
    anonymous = await client.post(f"{page_path}/like", form={})
    assert anonymous.status_code in (302, 400)  # sign-in first (or CSRF refusal): nothing liked
    await sign_in(client, "fan")
    assert (await post_form(client, f"{page_path}/like", {}, page=page_path)).status_code == 302
    assert (await post_form(client, f"{page_path}/like", {}, page=page_path)).status_code == 302
    _status, page = await _page(client, case)
    assert "1 like" in page and "Unlike" in page
    async with state.sessionmaker() as db:
        assert len((await db.execute(select(Like))).scalars().all()) == 1
    await post_form(client, f"{page_path}/unlike", {}, page=page_path)
    _status, page = await _page(client, case)
    assert "0 likes" in page


async def test_cannot_like_a_case_one_may_not_see(client, state) -> None:  # type: ignore[no-untyped-def]
    author = await create_account(state, "dr_hidden", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "nosy")
    case = await insert_case(state, author, case_state=CaseState.PENDING)
    await sign_in(client, "nosy")
    response = await post_form(client, f"/cases/{case.public_id}/like", {}, page="/")
    assert response.status_code == 404
    async with state.sessionmaker() as db:
        assert (await db.execute(select(Like))).scalars().all() == []
