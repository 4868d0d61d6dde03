"""Comments over the real database: who may comment, PHI scan, one-level threading, editing and
deleting one's own, reviewer removal, permalinks and notifications."""

from __future__ import annotations

from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.storage.models import AuditEvent, Comment, Notification
from tests.support.case_rows import insert_case
from tests.support.instances import create_account
from tests.support.web import post_form, sign_in


async def _comments(state) -> list[Comment]:  # type: ignore[no-untyped-def]
    async with state.sessionmaker() as db:
        return list((await db.execute(select(Comment).order_by(Comment.id))).scalars())


async def _setup(state):  # type: ignore[no-untyped-def]
    author = await create_account(state, "dr_author", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "dr_peer", role=Role.PROFESSIONAL, verified=True)
    return await insert_case(state, author)


async def _comment(client, case, content: str, parent_id: str = ""):  # type: ignore[no-untyped-def]
    path = f"/cases/{case.public_id}"
    return await post_form(
        client, f"{path}/comments", {"content": content, "parent_id": parent_id}, page=path
    )


async def test_verified_professional_comments_and_author_is_notified(client, state) -> None:  # type: ignore[no-untyped-def]
    case = await _setup(state)
    await sign_in(client, "dr_peer")
    response = await _comment(client, case, "Consider tinea incognito; KOH prep would help.")
    assert response.status_code == 302
    [comment] = await _comments(state)
    assert response.headers["Location"] == f"/cases/{case.public_id}#c-{comment.public_id}"
    assert comment.ap_id == f"http://cases.test/comments/{comment.public_id}"
    page = await (await client.get(f"/cases/{case.public_id}")).get_data(as_text=True)
    assert "Consider tinea incognito" in page
    async with state.sessionmaker() as db:
        kinds = list((await db.execute(select(Notification.kind))).scalars())
        actions = list((await db.execute(select(AuditEvent.action))).scalars())
    assert kinds == ["comment"] and "comment.create" in actions


async def test_viewer_sees_comments_but_no_form_and_post_is_403(client, state) -> None:  # type: ignore[no-untyped-def]
    case = await _setup(state)
    await create_account(state, "just_viewing")
    await sign_in(client, "dr_peer")
    await _comment(client, case, "A visible remark")
    viewer = client.app.test_client()
    await sign_in(viewer, "just_viewing")
    page = await (await viewer.get(f"/cases/{case.public_id}")).get_data(as_text=True)
    assert "A visible remark" in page
    assert 'id="comment-form"' not in page and "Only verified healthcare professionals can comment" in page
    response = await _comment(viewer, case, "I should not be able to say this")
    assert response.status_code == 403
    assert [c.content for c in await _comments(state)] == ["A visible remark"]


async def test_comment_with_patient_identifiers_is_refused_and_highlighted(client, state) -> None:  # type: ignore[no-untyped-def]
    case = await _setup(state)
    await sign_in(client, "dr_peer")
    response = await _comment(client, case, "Seen this in Mr John Smith, MRN 12345678, last week")
    assert response.status_code == 422
    page = await response.get_data(as_text=True)
    assert '<mark class="phi"' in page and "patient identifiers" in page
    assert await _comments(state) == []


async def test_reply_to_a_reply_attaches_to_the_top_level_comment(client, state) -> None:  # type: ignore[no-untyped-def]
    case = await _setup(state)
    await sign_in(client, "dr_peer")
    await _comment(client, case, "Top-level comment")
    [top] = await _comments(state)
    author_client = client.app.test_client()
    await sign_in(author_client, "dr_author")
    await _comment(author_client, case, "First reply", parent_id=top.public_id)
    reply = (await _comments(state))[1]
    await _comment(client, case, "Reply to the reply", parent_id=reply.public_id)
    top, reply, nested = await _comments(state)
    assert reply.parent_id == top.id and nested.parent_id == top.id
    page = await (await client.get(f"/cases/{case.public_id}")).get_data(as_text=True)
    replies_block = page.split('class="replies"', 1)[1]
    assert "First reply" in replies_block and "Reply to the reply" in replies_block
    async with state.sessionmaker() as db:
        kinds = sorted((await db.execute(select(Notification.kind))).scalars())
    # The author hears of the top-level comment, dr_peer of the author's reply, and the author
    # of the reply to their reply (even though it joined the thread's top comment).
    assert kinds == ["comment", "reply", "reply"]


async def test_author_edits_and_deletes_own_comment(client, state) -> None:  # type: ignore[no-untyped-def]
    case = await _setup(state)
    await sign_in(client, "dr_peer")
    await _comment(client, case, "Original wording")
    [comment] = await _comments(state)
    path = f"/cases/{case.public_id}"
    edited = await post_form(
        client, f"/comments/{comment.public_id}/edit", {"content": "Better wording"}, page=path
    )
    assert edited.status_code == 302
    page = await (await client.get(path)).get_data(as_text=True)
    assert "Better wording" in page and "Original wording" not in page and "edited" in page
    phi_edit = await post_form(
        client, f"/comments/{comment.public_id}/edit", {"content": "Call 555-123-4567"}, page=path
    )
    assert phi_edit.status_code == 422
    deleted = await post_form(client, f"/comments/{comment.public_id}/delete", {}, page=path)
    assert deleted.status_code == 302
    [comment] = await _comments(state)
    assert comment.state == "deleted" and comment.content == ""
    page = await (await client.get(path)).get_data(as_text=True)
    assert "Better wording" not in page
    assert (await client.get(f"/comments/{comment.public_id}")).status_code == 404


async def test_cannot_edit_or_delete_someone_elses_comment(client, state) -> None:  # type: ignore[no-untyped-def]
    case = await _setup(state)
    await sign_in(client, "dr_peer")
    await _comment(client, case, "Peer's comment")
    [comment] = await _comments(state)
    other = client.app.test_client()
    await sign_in(other, "dr_author")
    path = f"/cases/{case.public_id}"
    assert (
        await post_form(other, f"/comments/{comment.public_id}/edit", {"content": "hijack"}, page=path)
    ).status_code == 403
    assert (await post_form(other, f"/comments/{comment.public_id}/delete", {}, page=path)).status_code == 403
    [comment] = await _comments(state)
    assert comment.state == "visible" and comment.content == "Peer's comment"


async def test_reviewer_removes_any_comment(client, state) -> None:  # type: ignore[no-untyped-def]
    case = await _setup(state)
    await create_account(state, "privacy", role=Role.REVIEWER)
    await sign_in(client, "dr_peer")
    await _comment(client, case, "Something that must go")
    [comment] = await _comments(state)
    reviewer = client.app.test_client()
    await sign_in(reviewer, "privacy")
    path = f"/cases/{case.public_id}"
    page = await (await reviewer.get(path)).get_data(as_text=True)
    assert "Remove (reviewer)" in page
    assert (
        await post_form(reviewer, f"/comments/{comment.public_id}/delete", {}, page=path)
    ).status_code == 302
    [comment] = await _comments(state)
    assert comment.state == "deleted"
    async with state.sessionmaker() as db:
        assert "comment.remove" in list((await db.execute(select(AuditEvent.action))).scalars())


async def test_comment_permalink_redirects_to_the_case_anchor(client, state) -> None:  # type: ignore[no-untyped-def]
    case = await _setup(state)
    await sign_in(client, "dr_peer")
    await _comment(client, case, "Linkable")
    [comment] = await _comments(state)
    response = await client.get(f"/comments/{comment.public_id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/cases/{case.public_id}#c-{comment.public_id}"
    assert (await client.get("/comments/nope")).status_code == 404
