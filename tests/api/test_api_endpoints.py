"""Client-API endpoints beyond the posting path: follows, relationships and follow requests,
home and hashtag timelines, search, one notification, deleting and unfavouriting, rejecting,
withdrawing consent (gone everywhere afterwards), publication order and the default avatar."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from fediverse_cases.core.accounts import Role
from fediverse_cases.core.case_access import CaseState
from fediverse_cases.storage.models import Actor, Follow
from tests.support.api_server import bearer, user_token
from tests.support.case_rows import actor_of, insert_case, minutes_ago
from tests.support.instances import create_account

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
BASE = "http://cases.test"


def status_id(case) -> str:  # type: ignore[no-untyped-def]
    return str(case.id * 2)


async def _json(response):  # type: ignore[no-untyped-def]
    return await response.get_json()


async def _ids(client, path: str, token: str | None = None, **query: str) -> list[str]:  # type: ignore[no-untyped-def]
    response = await client.get(path, headers=bearer(token) if token else {}, query_string=query)
    assert response.status_code == 200, await response.get_data(as_text=True)
    return [item["id"] for item in await response.get_json()]


@SQLITE_ONLY
async def test_follow_relationships_and_follow_requests(client, state) -> None:  # type: ignore[no-untyped-def]
    ada_account = await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "dr_bob", role=Role.PROFESSIONAL, verified=True)
    ada = await user_token(client, "dr_ada")
    bob = await user_token(client, "dr_bob")
    ada_id = (await _json(await client.get("/api/v1/accounts/lookup", query_string={"acct": "dr_ada"})))["id"]
    bob_id = (await _json(await client.get("/api/v1/accounts/verify_credentials", headers=bearer(bob))))["id"]

    followed = await client.post(f"/api/v1/accounts/{ada_id}/follow", headers=bearer(bob))
    assert followed.status_code == 200 and (await _json(followed))["following"] is True
    mine = await _json(
        await client.get("/api/v1/accounts/relationships", headers=bearer(ada), query_string={"id[]": bob_id})
    )
    assert mine[0]["id"] == bob_id and mine[0]["followed_by"] is True and mine[0]["following"] is False
    assert (await client.post(f"/api/v1/accounts/{bob_id}/follow", headers=bearer(bob))).status_code == 422
    unfollowed = await client.post(f"/api/v1/accounts/{ada_id}/unfollow", headers=bearer(bob))
    assert (await _json(unfollowed))["following"] is False

    # A clinician at another hospital asked to follow Ada: a pending request until she answers.
    ada_actor = await actor_of(state, ada_account)
    async with state.transaction() as db:
        remote = Actor(uri="https://b.example/users/carol", username="carol", host="b.example")
        db.add(remote)
        await db.flush()
        follow = Follow(follower_id=remote.id, followed_id=ada_actor.id, state="pending")
        db.add(follow)
        await db.flush()
        follow_id = follow.id
    requests = await client.get("/api/v1/follow_requests", headers=bearer(ada))
    assert [a["acct"] for a in await _json(requests)] == ["carol@b.example"]
    assert await _ids(client, "/api/v1/follow_requests", ada, max_id=str(follow_id)) == []  # past the end
    assert await _ids(client, "/api/v1/follow_requests", bob) == []
    relationship = await _json(
        await client.get(
            "/api/v1/accounts/relationships", headers=bearer(ada), query_string={"id[]": str(remote.id)}
        )
    )
    assert relationship[0]["requested_by"] is True and relationship[0]["followed_by"] is False
    assert (await client.get("/api/v1/follow_requests")).status_code == 401


@SQLITE_ONLY
async def test_home_and_tag_timelines(client, state) -> None:  # type: ignore[no-untyped-def]
    ada_account = await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    carol_account = await create_account(state, "dr_carol", role=Role.PROFESSIONAL, verified=True)
    bob_account = await create_account(state, "dr_bob", role=Role.PROFESSIONAL, verified=True)
    ada_case = await insert_case(state, ada_account, tags=("dermatology",), published_at=minutes_ago(3))
    carol_case = await insert_case(state, carol_account, tags=("cardiology",), specialties=("cardiology",))
    bobs_pending = await insert_case(state, bob_account, case_state=CaseState.PENDING)
    bob = await user_token(client, "dr_bob")
    ada_id = str((await actor_of(state, ada_account)).id)

    assert await _ids(client, "/api/v1/timelines/home", bob) == [status_id(bobs_pending)]
    await client.post(f"/api/v1/accounts/{ada_id}/follow", headers=bearer(bob))
    assert await _ids(client, "/api/v1/timelines/home", bob) == [status_id(bobs_pending), status_id(ada_case)]
    assert (await client.get("/api/v1/timelines/home")).status_code == 401

    assert await _ids(client, "/api/v1/timelines/tag/cardiology") == [status_id(carol_case)]
    assert await _ids(client, "/api/v1/timelines/tag/dermatology") == [status_id(ada_case)]
    assert await _ids(client, "/api/v1/timelines/tag/dermatology", max_id=status_id(ada_case)) == []
    assert await _ids(client, f"/api/v1/accounts/{ada_id}/statuses") == [status_id(ada_case)]


@SQLITE_ONLY
async def test_search_finds_accounts_hashtags_and_visible_statuses(client, state) -> None:  # type: ignore[no-untyped-def]
    ada_account = await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "dr_bob", role=Role.PROFESSIONAL, verified=True)
    published = await insert_case(state, ada_account, caption="Erythema migrans after a tick bite")
    await insert_case(
        state, ada_account, caption="Erythema nodosum, unreviewed", case_state=CaseState.PENDING
    )
    bob = await user_token(client, "dr_bob")

    found = await _json(await client.get("/api/v2/search", headers=bearer(bob), query_string={"q": "dr_a"}))
    assert [a["username"] for a in found["accounts"]] == ["dr_ada"]
    exact = await _json(await client.get("/api/v2/search", query_string={"q": "@dr_ada@cases.test"}))
    assert [a["acct"] for a in exact["accounts"]] == ["dr_ada"]
    tags = await _json(
        await client.get("/api/v2/search", query_string={"q": "#Dermatology", "type": "hashtags"})
    )
    assert tags == {"accounts": [], "statuses": [], "hashtags": [tags["hashtags"][0]]}
    assert tags["hashtags"][0]["name"] == "dermatology"
    statuses = await _json(
        await client.get(
            "/api/v2/search", headers=bearer(bob), query_string={"q": "erythema", "type": "statuses"}
        )
    )
    assert [s["id"] for s in statuses["statuses"]] == [status_id(published)]
    # Resolving a remote handle needs a signed-in caller: anonymous searches never reach out.
    anonymous = await _json(
        await client.get("/api/v2/search", query_string={"q": "@carol@b.example", "resolve": "true"})
    )
    assert anonymous["accounts"] == []


@SQLITE_ONLY
async def test_notification_by_id_delete_and_unfavourite(client, state) -> None:  # type: ignore[no-untyped-def]
    ada_account = await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "dr_bob", role=Role.PROFESSIONAL, verified=True)
    case = await insert_case(state, ada_account)
    ada = await user_token(client, "dr_ada")
    bob = await user_token(client, "dr_bob")

    comment = await _json(
        await client.post(
            "/api/v1/statuses",
            headers=bearer(bob),
            form={"status": "Lyme?", "in_reply_to_id": status_id(case)},
        )
    )
    notifications = await _json(await client.get("/api/v1/notifications", headers=bearer(ada)))
    mention = next(n for n in notifications if n["type"] == "mention")
    one = await client.get(f"/api/v1/notifications/{mention['id']}", headers=bearer(ada))
    assert one.status_code == 200 and (await _json(one))["status"]["id"] == comment["id"]
    assert (
        await client.get(f"/api/v1/notifications/{mention['id']}", headers=bearer(bob))
    ).status_code == 404
    assert (await client.get("/api/v1/notifications/abc", headers=bearer(ada))).status_code == 404

    favourited = await _json(
        await client.post(f"/api/v1/statuses/{status_id(case)}/favourite", headers=bearer(bob))
    )
    assert favourited["favourited"] is True and favourited["favourites_count"] == 1
    undone = await _json(
        await client.post(f"/api/v1/statuses/{status_id(case)}/unfavourite", headers=bearer(bob))
    )
    assert undone["favourited"] is False and undone["favourites_count"] == 0

    assert (await client.delete(f"/api/v1/statuses/{comment['id']}", headers=bearer(ada))).status_code == 404
    deleted = await client.delete(f"/api/v1/statuses/{comment['id']}", headers=bearer(bob))
    assert deleted.status_code == 200 and (await _json(deleted))["id"] == comment["id"]
    assert (await client.get(f"/api/v1/statuses/{comment['id']}", headers=bearer(bob))).status_code == 404
    context = await _json(await client.get(f"/api/v1/statuses/{status_id(case)}/context"))
    assert context["descendants"] == []

    assert (
        await client.delete(f"/api/v1/statuses/{status_id(case)}", headers=bearer(bob))
    ).status_code == 404
    withdrawn = await client.delete(f"/api/v1/statuses/{status_id(case)}", headers=bearer(ada))
    assert withdrawn.status_code == 200
    for token in (ada, bob, None):
        headers = bearer(token) if token else {}
        assert (await client.get(f"/api/v1/statuses/{status_id(case)}", headers=headers)).status_code == 404
    assert await _ids(client, "/api/v1/timelines/public") == []


@SQLITE_ONLY
async def test_reviewer_rejects_and_withdrawn_consent_is_gone_everywhere(client, state) -> None:  # type: ignore[no-untyped-def]
    ada_account = await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "dr_bob", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "privacy", role=Role.REVIEWER)
    pending = await insert_case(state, ada_account, case_state=CaseState.PENDING)
    published = await insert_case(state, ada_account, caption="Erythema migrans", tags=("dermatology",))
    ada = await user_token(client, "dr_ada")
    bob = await user_token(client, "dr_bob")
    reviewer = await user_token(client, "privacy", "read admin:read admin:write")
    reject_path = f"/api/v1/fediverse_cases/review_queue/{status_id(pending)}/reject"

    assert (await client.post(reject_path, headers=bearer(ada), form={"reason": "x"})).status_code == 403
    no_reason = await client.post(reject_path, headers=bearer(reviewer))
    assert no_reason.status_code == 422
    rejected = await client.post(reject_path, headers=bearer(reviewer), form={"reason": "Tattoo identifies"})
    body = await _json(rejected)
    assert rejected.status_code == 200 and body["fediverse_cases"]["review_state"] == "rejected"
    seen_by_author = await _json(
        await client.get(f"/api/v1/statuses/{status_id(pending)}", headers=bearer(ada))
    )
    assert seen_by_author["fediverse_cases"]["review_note"] == "Tattoo identifies"
    assert await _ids(client, "/api/v1/fediverse_cases/review_queue", reviewer) == []

    withdraw_path = f"/api/v1/fediverse_cases/statuses/{status_id(published)}/withdraw_consent"
    assert (await client.post(withdraw_path, headers=bearer(bob))).status_code == 404
    withdrawn = await client.post(withdraw_path, headers=bearer(reviewer))
    assert withdrawn.status_code == 200
    assert (await _json(withdrawn))["fediverse_cases"]["review_state"] == "withdrawn"
    ada_id = str((await actor_of(state, ada_account)).id)
    for token in (ada, bob, reviewer, None):
        headers = bearer(token) if token else {}
        for path in (
            f"/api/v1/statuses/{status_id(published)}",
            f"/api/v1/statuses/{status_id(published)}/context",
        ):
            assert (await client.get(path, headers=headers)).status_code == 404, (path, token)
        assert status_id(published) not in await _ids(client, "/api/v1/timelines/public", token)
        assert status_id(published) not in await _ids(client, f"/api/v1/accounts/{ada_id}/statuses", token)
        assert await _ids(client, "/api/v1/timelines/tag/dermatology", token) == []
    found = await _json(
        await client.get(
            "/api/v2/search", headers=bearer(bob), query_string={"q": "migrans", "type": "statuses"}
        )
    )
    assert found["statuses"] == []
    assert await _ids(client, "/api/v1/timelines/home", ada) == [status_id(pending)]  # only the rejected one


async def test_since_id_reaches_a_case_approved_late(client, state) -> None:  # type: ignore[no-untyped-def]
    """Runs on both databases: the order is SQL over datetimes."""
    ada_account = await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "privacy", role=Role.REVIEWER)
    late = await insert_case(state, ada_account, case_state=CaseState.PENDING)  # older id
    early = await insert_case(state, ada_account, published_at=minutes_ago(10))
    earlier = await insert_case(state, ada_account, published_at=minutes_ago(20))
    reviewer = await user_token(client, "privacy", "read admin:read admin:write")
    assert await _ids(client, "/api/v1/timelines/public") == [status_id(early), status_id(earlier)]

    approved = await client.post(
        f"/api/v1/fediverse_cases/review_queue/{status_id(late)}/approve", headers=bearer(reviewer)
    )
    assert approved.status_code == 200, await approved.get_data(as_text=True)
    # A client polling for anything newer than the newest case it has gets the late one.
    assert await _ids(client, "/api/v1/timelines/public", since_id=status_id(early)) == [status_id(late)]
    assert await _ids(client, "/api/v1/timelines/public", min_id=status_id(earlier)) == [
        status_id(late),
        status_id(early),
    ]
    page = await client.get("/api/v1/timelines/public", query_string={"limit": "2"})
    assert [item["id"] for item in await _json(page)] == [status_id(late), status_id(early)]
    links = {rel: url for url, rel in _links(page.headers["Link"])}
    assert parse_qs(urlsplit(links["next"]).query)["max_id"] == [status_id(early)]
    assert parse_qs(urlsplit(links["prev"]).query)["min_id"] == [status_id(late)]
    assert await _ids(client, "/api/v1/timelines/public", max_id=status_id(early)) == [status_id(earlier)]
    assert await _ids(client, "/api/v1/timelines/public", max_id=status_id(earlier)) == []


def _links(header: str) -> list[tuple[str, str]]:
    parts = []
    for item in header.split(","):
        url, rel = item.split(";")
        parts.append((url.strip().strip("<>"), rel.split("=")[1].strip().strip('"')))
    return parts


@SQLITE_ONLY
async def test_avatar_url_answers_with_an_image(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    account = await _json(await client.get("/api/v1/accounts/lookup", query_string={"acct": "dr_ada"}))
    assert account["avatar"].startswith(BASE)
    response = await client.get(account["avatar"].removeprefix(BASE))
    assert response.status_code == 200 and response.content_type == "image/png"
    assert (await response.get_data())[:8] == b"\x89PNG\r\n\x1a\n"


@SQLITE_ONLY
async def test_followers_and_following_lists(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    for name in ("dr_bob", "dr_cy"):
        await create_account(state, name, role=Role.PROFESSIONAL, verified=True)
    tokens = {name: await user_token(client, name) for name in ("dr_ada", "dr_bob", "dr_cy")}
    ids = {
        name: (await _json(await client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))))[
            "id"
        ]
        for name, token in tokens.items()
    }
    for name in ("dr_bob", "dr_cy"):
        response = await client.post(f"/api/v1/accounts/{ids['dr_ada']}/follow", headers=bearer(tokens[name]))
        assert response.status_code == 200
    followers = await _ids(client, f"/api/v1/accounts/{ids['dr_ada']}/followers", tokens["dr_bob"])
    assert followers == [ids["dr_cy"], ids["dr_bob"]]  # newest first
    first = await client.get(
        f"/api/v1/accounts/{ids['dr_ada']}/followers",
        headers=bearer(tokens["dr_bob"]),
        query_string={"limit": "1"},
    )
    assert [item["id"] for item in await first.get_json()] == [ids["dr_cy"]] and "next" in first.headers[
        "Link"
    ]
    assert await _ids(client, f"/api/v1/accounts/{ids['dr_bob']}/following", tokens["dr_ada"]) == [
        ids["dr_ada"]
    ]
    anonymous = await client.get(f"/api/v1/accounts/{ids['dr_ada']}/followers")
    assert anonymous.status_code == 401
