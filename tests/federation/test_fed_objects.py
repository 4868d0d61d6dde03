"""AS2 documents of cases and comments on the HTML URLs, tombstones, replies, erasure report."""

from __future__ import annotations

import json

from fediverse_cases.core.accounts import Role
from fediverse_cases.core.case_access import CaseState, Visibility
from fediverse_cases.storage.models import Comment
from tests.support.case_rows import actor_of, insert_case
from tests.support.instances import create_account
from tests.support.web import sign_in

AS2 = {"Accept": "application/activity+json"}


async def _get_json(client, path: str, headers=AS2):  # type: ignore[no-untyped-def]
    response = await client.get(path, headers=headers)
    return response.status_code, json.loads(await response.get_data(as_text=True) or "null")


async def test_published_case_is_served_as_note_without_private_data(state, client) -> None:
    author = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, author, caption="Target lesion <b>", images=2)
    status, note = await _get_json(client, f"/cases/{case.public_id}")
    assert status == 200
    assert note["type"] == "Note" and note["id"] == case.ap_id
    assert note["attributedTo"] == state.urls.actor("alice")
    assert note["fediverseCases:consentOnFile"] is True
    assert len(note["attachment"]) == 2
    assert all(
        a["url"].startswith(state.urls.base_url + "/media/") and "-display." in a["url"]
        for a in note["attachment"]
    )
    text = json.dumps(note)
    for private in ("Dr Test", "signed_form", "/private", "original"):
        assert private not in text
    assert "&lt;b&gt;" in note["content"]


async def test_browser_request_is_not_answered_with_json(state, client) -> None:
    author = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, author)
    response = await client.get(f"/cases/{case.public_id}", headers={"Accept": "text/html"})
    assert "application/activity+json" not in response.headers.get("Content-Type", "")


async def test_unshareable_cases_are_404_as_activity_json(state, client) -> None:
    author = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
    local_only = await insert_case(state, author, visibility=Visibility.LOCAL)
    pending = await insert_case(state, author, case_state=CaseState.PENDING)
    hidden = await insert_case(state, author, hidden=True)
    members = await insert_case(state, author, visibility=Visibility.FOLLOWERS)
    for case in (local_only, pending, hidden, members):
        status, body = await _get_json(client, f"/cases/{case.public_id}")
        assert status == 404, case.visibility
        assert "Note" not in json.dumps(body)


async def test_withdrawn_case_answers_410_tombstone(state, client) -> None:
    author = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, author, case_state=CaseState.WITHDRAWN, caption="")
    status, body = await _get_json(client, f"/cases/{case.public_id}")
    assert status == 410
    assert body["type"] == "Tombstone" and body["formerType"] == "Note" and body["id"] == case.ap_id


async def test_replies_collection_and_comment_note(state, client) -> None:
    author = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, author)
    actor = await actor_of(state, author)
    async with state.transaction() as db:
        for public_id, text, comment_state in (
            ("cm1", "Consider biopsy", "visible"),
            ("cm2", "hidden one", "hidden"),
        ):
            db.add(
                Comment(
                    public_id=public_id,
                    ap_id=state.urls.comment(public_id),
                    case_id=case.id,
                    author_actor_id=actor.id,
                    content=text,
                    state=comment_state,
                )
            )
    status, replies = await _get_json(client, f"/cases/{case.public_id}/replies")
    assert status == 200
    assert replies["orderedItems"] == [state.urls.comment("cm1")]
    status, note = await _get_json(client, "/comments/cm1")
    assert status == 200 and note["inReplyTo"] == case.ap_id and "Consider biopsy" in note["content"]
    status, _ = await _get_json(client, "/comments/cm2")
    assert status == 404


async def test_erasure_report_is_only_for_author_and_reviewers(state, app, client) -> None:
    author = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "mallory", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "rita", role=Role.REVIEWER, verified=True)
    case = await insert_case(state, author, case_state=CaseState.WITHDRAWN, caption="")
    await sign_in(client, "mallory")
    assert (await client.get(f"/cases/{case.public_id}/erasure")).status_code == 404
    reviewer_client = app.test_client()
    await sign_in(reviewer_client, "rita")
    response = await reviewer_client.get(f"/cases/{case.public_id}/erasure")
    assert response.status_code == 200
    assert "never left this instance" in await response.get_data(as_text=True)
