"""Media processing states (v2 202 -> 206 -> 200, refused -> 422, v1 synchronous), media
descriptions, and reports hiding what they name — through the Quart test client on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from fediverse_cases.core.accounts import Role
from fediverse_cases.storage.models import AuditEvent, Flag, MediaUpload
from tests.api.test_api_statuses import CONSENT, planted_jpeg, post_media, wait_for_media
from tests.support.api_server import bearer, user_token
from tests.support.case_rows import insert_case
from tests.support.instances import create_account

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

NOT_AN_IMAGE = b"\xff\xd8\xff\xe0 this is not really a JPEG, and it names John Smith"


def _private_files(state) -> list[Path]:  # type: ignore[no-untyped-def]
    root = Path(state.settings.private_dir)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


async def test_v2_media_answers_202_then_206_while_processing_then_200(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    ada = await user_token(client, "dr_ada")
    accepted = await post_media(client, ada, planted_jpeg(), "Plaque")
    body = await accepted.get_json()
    assert accepted.status_code == 202, body
    assert body["url"] is None and body["preview_url"] is None and body["meta"] is None
    assert body["description"] == "Plaque"

    done = await wait_for_media(client, ada, body["id"])
    media = await done.get_json()
    assert done.status_code == 200 and "-full." in media["url"]
    assert media["blurhash"] and media["meta"]["original"]["width"] == 640

    async with state.transaction() as db:  # an upload whose de-identification is still running
        row = MediaUpload(
            account_id=media_owner(await db.get(MediaUpload, int(body["id"]))), state="processing"
        )
        db.add(row)
        await db.flush()
        processing_id = row.id
    processing = await client.get(f"/api/v1/media/{processing_id}", headers=bearer(ada))
    assert processing.status_code == 206 and (await processing.get_json())["url"] is None


def media_owner(row: MediaUpload | None) -> int:
    assert row is not None
    return row.account_id


async def test_media_the_deidentifier_refuses_fails_closed_with_422(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    ada = await user_token(client, "dr_ada")
    accepted = await post_media(client, ada, NOT_AN_IMAGE)
    assert accepted.status_code == 202
    media_id = (await accepted.get_json())["id"]
    refused = await wait_for_media(client, ada, media_id)
    assert refused.status_code == 422 and "refused" in (await refused.get_json())["error"]
    assert _private_files(state) == []  # the unusable original is not kept
    posted = await client.post(
        "/api/v1/statuses", headers=bearer(ada), form={"status": "x", "media_ids[]": media_id, **CONSENT}
    )
    assert posted.status_code == 422

    synchronous = await post_media(client, ada, NOT_AN_IMAGE, path="/api/v1/media")
    assert synchronous.status_code == 422 and "refused" in (await synchronous.get_json())["error"]


async def test_v1_media_is_processed_within_the_request(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    ada = await user_token(client, "dr_ada")
    response = await post_media(client, ada, planted_jpeg(), "Plaque", path="/api/v1/media")
    media = await response.get_json()
    assert response.status_code == 200 and media["url"] and media["blurhash"]


async def test_media_still_processing_cannot_be_attached(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    ada = await user_token(client, "dr_ada")
    media_id = (await (await post_media(client, ada, planted_jpeg())).get_json())["id"]
    await wait_for_media(client, ada, media_id)
    async with state.transaction() as db:
        await db.execute(
            update(MediaUpload).where(MediaUpload.id == int(media_id)).values(state="processing")
        )
    posted = await client.post(
        "/api/v1/statuses", headers=bearer(ada), form={"status": "x", "media_ids[]": media_id, **CONSENT}
    )
    assert posted.status_code == 422 and "processing" in (await posted.get_json())["error"]


async def test_media_description_is_updated_until_attached(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "dr_bob", role=Role.PROFESSIONAL, verified=True)
    ada = await user_token(client, "dr_ada")
    bob = await user_token(client, "dr_bob")
    response = await client.post("/api/v1/media", headers=bearer(ada), form={})
    assert response.status_code == 422  # no file
    media = await (await post_media(client, ada, planted_jpeg(), "first", path="/api/v1/media")).get_json()
    path = f"/api/v1/media/{media['id']}"
    assert (await client.put(path, headers=bearer(bob), form={"description": "mine"})).status_code == 404
    changed = await client.put(path, headers=bearer(ada), form={"description": "Plaque, 3 cm"})
    assert changed.status_code == 200 and (await changed.get_json())["description"] == "Plaque, 3 cm"
    posted = await client.post(
        "/api/v1/statuses", headers=bearer(ada), form={"status": "x", "media_ids[]": media["id"], **CONSENT}
    )
    assert posted.status_code == 200
    assert (await posted.get_json())["media_attachments"][0]["description"] == "Plaque, 3 cm"
    late = await client.put(path, headers=bearer(ada), form={"description": "changed after posting"})
    assert late.status_code == 422


async def test_report_hides_the_case_from_others_pending_review(client, state) -> None:  # type: ignore[no-untyped-def]
    ada_account = await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "dr_bob", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "visitor", role=Role.VIEWER)
    case = await insert_case(state, ada_account)
    status_id = str(case.id * 2)
    bob = await user_token(client, "dr_bob")
    ada = await user_token(client, "dr_ada")
    visitor = await user_token(client, "visitor", "read")
    me = await (await client.get("/api/v1/accounts/verify_credentials", headers=bearer(ada))).get_json()
    timeline = await (await client.get("/api/v1/timelines/public", headers=bearer(visitor))).get_json()
    assert [item["id"] for item in timeline] == [status_id]

    no_scope = await client.post(
        "/api/v1/reports", headers=bearer(visitor), form={"account_id": me["id"], "status_ids[]": status_id}
    )
    assert no_scope.status_code == 403
    wrong_author = await client.post(
        "/api/v1/reports",
        headers=bearer(bob),
        form={"account_id": str(int(me["id"]) + 1), "status_ids[]": status_id, "comment": "x"},
    )
    assert wrong_author.status_code in (404, 422)
    no_statuses = await client.post("/api/v1/reports", headers=bearer(bob), form={"account_id": me["id"]})
    assert no_statuses.status_code == 422
    async with state.sessionmaker() as db:
        assert (await db.execute(select(func.count(Flag.id)))).scalar_one() == 0  # nothing half-written

    reported = await client.post(
        "/api/v1/reports",
        headers=bearer(bob),
        form={
            "account_id": me["id"],
            "status_ids[]": status_id,
            "comment": "Patient's name visible in the corner",
            "category": "violation",
        },
    )
    report = await reported.get_json()
    assert reported.status_code == 200, report
    assert report["status_ids"] == [status_id] and report["category"] == "violation"
    assert report["target_account"]["username"] == "dr_ada" and report["action_taken"] is False

    assert await (await client.get("/api/v1/timelines/public", headers=bearer(visitor))).get_json() == []
    assert (await client.get(f"/api/v1/statuses/{status_id}", headers=bearer(visitor))).status_code == 404
    assert (await client.get(f"/api/v1/statuses/{status_id}", headers=bearer(ada))).status_code == 200
    again = await client.post(
        "/api/v1/reports", headers=bearer(bob), form={"account_id": me["id"], "status_ids[]": status_id}
    )
    assert again.status_code == 404  # hidden now, so not even its reporter sees it
    async with state.sessionmaker() as db:
        flags = list((await db.execute(select(Flag))).scalars())
        actions = list((await db.execute(select(AuditEvent.action))).scalars())
    assert [(f.case_id, f.reason, f.state) for f in flags] == [
        (case.id, "Patient's name visible in the corner", "open")
    ]
    assert "case.flag" in actions
