"""Cached public federation documents: ETag/304, no database work on a fresh hit, and every
invalidation through the path people really use (settings form, admin pages, comment form,
withdrawal page) — the next GET shows the change."""

from __future__ import annotations

from fediverse_cases.core.accounts import Role
from tests.support.case_rows import insert_case
from tests.support.instances import create_account
from tests.support.statements import counted_statements
from tests.support.web import csrf_token, post_form, sign_in

AS2 = {"Accept": "application/activity+json"}


async def _get(client, path: str, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return await client.get(path, headers={**AS2, **(headers or {})})


async def test_a_fresh_actor_document_costs_no_query_and_revalidates_with_304(state, client) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
    first = await _get(client, "/users/alice")
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('"') and first.headers["Cache-Control"] == "public, max-age=60"
    assert first.headers["Vary"].startswith("Accept")
    with counted_statements(state) as statements:
        again = await _get(client, "/users/alice")
        fast = await _get(client, "/users/alice")
        webfinger = await client.get("/.well-known/webfinger?resource=acct:alice@cases.test")
        webfinger_again = await client.get("/.well-known/webfinger?resource=acct:alice@cases.test")
    assert again.headers["ETag"] == etag and await again.get_data() == await first.get_data()
    # The third identical request is answered before Quart: same bytes, same headers.
    assert await fast.get_data() == await first.get_data()
    assert sorted(fast.headers.items()) == sorted(again.headers.items())
    assert fast.headers["X-Content-Type-Options"] == "nosniff"
    assert webfinger.status_code == webfinger_again.status_code == 200
    assert len(statements) == 1  # the first WebFinger lookup; both cached answers needed none
    not_modified = await _get(client, "/users/alice", {"If-None-Match": etag})
    assert not_modified.status_code == 304 and await not_modified.get_data() == b""
    assert not_modified.headers["ETag"] == etag
    other = await _get(client, "/users/alice", {"If-None-Match": '"something-else"'})
    assert other.status_code == 200
    for path in (
        "/.well-known/webfinger?resource=acct:alice@cases.test",
        "/.well-known/host-meta",
        "/nodeinfo/2.1",
    ):
        document = await client.get(path)
        assert document.status_code == 200 and document.headers["Cache-Control"] == "public, max-age=60"
        revalidated = await client.get(path, headers={"If-None-Match": document.headers["ETag"]})
        assert revalidated.status_code == 304, path
    # The HTML profile on the same URL is not the cached AS2 document.
    html = await client.get("/users/alice", headers={"Accept": "text/html"})
    assert html.headers["Content-Type"].startswith("text/html")


async def test_profile_edit_in_the_settings_form_changes_the_cached_actor(state, app, client) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "drlee", role=Role.PROFESSIONAL, verified=True)
    reader = app.test_client()  # anonymous: answered by the ASGI fast path once cached
    before = await _get(reader, "/users/drlee")
    assert (await _get(reader, "/users/drlee")).headers["ETag"] == before.headers["ETag"]
    assert (await before.get_json())["name"] != "Dr Lee Renamed"
    await sign_in(client, "drlee")
    saved = await post_form(
        client,
        "/settings/profile",
        {"display_name": "Dr Lee Renamed", "specialty": "Dermatology", "institution": "General"},
        page="/settings/profile",
    )
    assert saved.status_code == 302
    after = await _get(reader, "/users/drlee")
    assert (await after.get_json())["name"] == "Dr Lee Renamed"
    assert after.headers["ETag"] != before.headers["ETag"]


async def test_verification_approval_and_disabling_change_the_cached_actor(state, app) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "boss", role=Role.ADMIN)
    await create_account(state, "dr_bob")
    person, admin = app.test_client(), app.test_client()
    await sign_in(person, "dr_bob")
    await sign_in(admin, "boss")
    claim = "fediverseCases:verifiedProfessional"
    assert (await (await _get(person, "/users/dr_bob")).get_json()).get(claim) is not True
    requested = await post_form(
        person,
        "/settings/verification",
        {"occupation": "Radiologist", "licence_number": "GMC-42", "institution": "St Elsewhere"},
        page="/settings/profile",
    )
    assert requested.status_code == 302
    approved = await post_form(admin, "/admin/verifications/dr_bob", {"decision": "approve"}, page="/admin/")
    assert approved.status_code == 302
    assert (await (await _get(person, "/users/dr_bob")).get_json())[claim] is True

    disabled = await post_form(
        admin, "/admin/users/dr_bob", {"action": "disable", "role": ""}, page="/admin/users"
    )
    assert disabled.status_code == 302
    assert (await _get(admin, "/users/dr_bob")).status_code == 404
    webfinger = await admin.get("/.well-known/webfinger?resource=acct:dr_bob@cases.test")
    assert webfinger.status_code in (200, 404)  # WebFinger names the account; the actor is gone


async def test_a_new_comment_changes_the_cached_replies_collection(state, client) -> None:  # type: ignore[no-untyped-def]
    alice = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "bob", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, alice)
    replies = f"/cases/{case.public_id}/replies"
    before = await (await _get(client, replies)).get_json()
    assert before["totalItems"] == 0
    await sign_in(client, "bob")
    page = f"/cases/{case.public_id}"
    posted = await client.post(
        f"{page}/comments",
        form={
            "content": "the margin looks raised, consider a biopsy",
            "csrf_token": await csrf_token(client, page),
        },
    )
    assert posted.status_code == 302
    after = await (await _get(client, replies)).get_json()
    assert after["totalItems"] == 1


async def test_new_account_changes_the_cached_nodeinfo_count(state, client) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "alice")
    before = (await (await client.get("/nodeinfo/2.1")).get_json())["usage"]["users"]["total"]
    registered = await post_form(
        client,
        "/register",
        {
            "username": "newcomer",
            "email": "newcomer@hospital.test",
            "password": "a long enough password 42",
            "password_confirm": "a long enough password 42",
        },
        page="/register",
    )
    assert registered.status_code in (200, 302)
    after = (await (await client.get("/nodeinfo/2.1")).get_json())["usage"]["users"]["total"]
    assert after == before + 1


async def test_withdrawal_on_the_case_page_empties_every_cached_surface_at_once(state, app, client) -> None:  # type: ignore[no-untyped-def]
    alice = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, alice)
    other = await insert_case(state, alice, caption="Second plaque on the shin")
    await sign_in(client, "alice")
    page = f"/cases/{case.public_id}"
    posted = await client.post(
        f"{page}/comments",
        form={"content": "follow up photograph in two weeks", "csrf_token": await csrf_token(client, page)},
    )
    assert posted.status_code == 302
    comment_id = (await (await _get(client, f"{page}/replies")).get_json())["orderedItems"][0]
    comment_path = "/comments/" + comment_id.rsplit("/", 1)[1]
    surfaces = [page, f"{page}/replies", f"{page}/activity", comment_path]
    reader = app.test_client()  # anonymous: answered by the ASGI fast path once cached
    for path in surfaces:
        assert (await _get(client, path)).status_code == 200, path
        assert (await _get(reader, path)).status_code == 200, path
        assert (await _get(reader, path)).status_code == 200, path
    cached = await _get(client, page)
    assert cached.headers["Cache-Control"] == "public, no-cache"
    revalidated = await _get(client, page, {"If-None-Match": cached.headers["ETag"]})
    assert revalidated.status_code == 304 and revalidated.headers["ETag"] == cached.headers["ETag"]
    outbox_page = await (await _get(client, "/users/alice/outbox?page=true")).get_json()
    assert {item["object"]["id"] for item in outbox_page["orderedItems"]} == {case.ap_id, other.ap_id}
    assert (await (await _get(client, "/users/alice/outbox")).get_json())["totalItems"] == 2

    token = await csrf_token(client, f"{page}/withdraw")
    withdrawn = await client.post(f"{page}/withdraw", form={"confirm": "withdraw", "csrf_token": token})
    assert withdrawn.status_code == 302

    for path in (page, f"{page}/activity"):
        for who in (client, reader):
            gone = await _get(who, path)
            assert gone.status_code == 410, path
            assert (await gone.get_json())["type"] == "Tombstone"
    # Withdrawal purges the comments: their ids answer 404 (or a tombstone), never the text.
    for who in (client, reader):
        assert (await _get(who, comment_path)).status_code in (404, 410)
        assert (await _get(who, f"{page}/replies")).status_code in (404, 410)
    outbox_page = await (await _get(reader, "/users/alice/outbox?page=true")).get_json()
    assert [item["object"]["id"] for item in outbox_page["orderedItems"]] == [other.ap_id]
    assert (await (await _get(client, "/users/alice/outbox")).get_json())["totalItems"] == 1
    assert (await _get(client, f"/cases/{other.public_id}")).status_code == 200


async def test_an_edit_of_a_published_case_changes_its_cached_document(state, client) -> None:  # type: ignore[no-untyped-def]
    alice = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, alice)
    path = f"/cases/{case.public_id}"
    before = await (await _get(client, path)).get_json()
    assert "#koh" not in {tag["name"] for tag in before["tag"]}
    await sign_in(client, "alice")
    edited = await post_form(
        client, f"{path}/edit", {"caption": case.caption, "free_tags": "#tinea #koh"}, page=f"{path}/edit"
    )
    assert edited.status_code == 302
    after = await (await _get(client, path)).get_json()
    assert {"#tinea", "#koh"} <= {tag["name"] for tag in after["tag"]}


async def test_idle_queue_polling_keeps_cached_documents(state, client) -> None:  # type: ignore[no-untyped-def]
    from fediverse_cases.federation import delivery, erasure_jobs, inbox_worker

    alice = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, alice)
    paths = ["/users/alice", f"/cases/{case.public_id}", "/users/alice/outbox?page=true"]
    for path in paths:
        assert (await _get(client, path)).status_code == 200
    # What every serve process does every few hundred milliseconds: claim UPDATEs matching nothing.
    # They must not touch the shared signal at all (a slot shared by hash would go stale).
    signal_before = state.change_signal.snapshot()
    for _ in range(3):
        assert await delivery.run_once(state) == 0
        await inbox_worker.run_once(state)
        await erasure_jobs.run_once(state)
    assert state.change_signal.snapshot() == signal_before
    with counted_statements(state) as statements:
        for path in paths:
            assert (await _get(client, path)).status_code == 200
    assert statements == []
