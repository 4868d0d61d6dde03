"""Cases and comments through the client API (test client, SQLite): media de-identification,
consent, review, visibility, comments, context, notifications, pagination and ownership."""

from __future__ import annotations

import asyncio
import io
import time

import pytest
from PIL import Image
from quart.datastructures import FileStorage

from fediverse_cases.core.accounts import Role
from tests.support.api_server import bearer, user_token
from tests.support.instances import create_account
from tests.support.jobs import run_deid_jobs

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

CONSENT = {
    "consent_method": "signed_form",
    "consent_date": "2026-11-01",
    "consent_obtained_by": "Dr Ada",
    # The patient agreed to public sharing, and the client asks for it (else: this hospital only).
    "consent_audience": "public",
    "visibility": "public",
}


def planted_jpeg() -> bytes:
    image = Image.new("RGB", (640, 480), (120, 90, 80))
    for x in range(200, 440):
        for y in range(150, 330):
            image.putpixel((x, y), (200, 60, 60))
    exif = Image.Exif()
    exif[0x010E] = "PATIENT John Smith MRN 1234567"  # ImageDescription
    exif[0x013B] = "Dr Ada"  # Artist
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"MRN 1234567")
    return out.getvalue()


async def post_media(client, token: str, data: bytes, description: str = "", path: str = "/api/v2/media"):  # type: ignore[no-untyped-def]
    return await client.post(
        path,
        headers=bearer(token),
        files={"file": FileStorage(io.BytesIO(data), filename="lesion.jpg", content_type="image/jpeg")},
        form={"description": description},
    )


async def wait_for_media(client, token: str, media_id: str, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    """Poll ``GET /api/v1/media/:id`` as Mastodon clients do until it stops answering 206; the
    test client runs no worker, so each poll first gives the de-identification worker a step."""
    deadline = time.monotonic() + timeout
    while True:
        await run_deid_jobs(client.app.extensions["fediverse_cases"])
        response = await client.get(f"/api/v1/media/{media_id}", headers=bearer(token))
        if response.status_code != 206 or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.05)


async def _upload(client, token: str, description: str = "Erythematous plaque") -> dict:  # type: ignore[no-untyped-def,type-arg]
    accepted = await post_media(client, token, planted_jpeg(), description)
    assert accepted.status_code == 202, await accepted.get_data(as_text=True)
    done = await wait_for_media(client, token, (await accepted.get_json())["id"])
    assert done.status_code == 200, await done.get_data(as_text=True)
    return await done.get_json()


async def test_case_lifecycle_through_the_api(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "dr_bob", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "privacy", role=Role.REVIEWER)
    await create_account(state, "visitor", role=Role.VIEWER)
    ada = await user_token(client, "dr_ada")
    bob = await user_token(client, "dr_bob")
    reviewer = await user_token(client, "privacy", "read admin:read admin:write")
    visitor = await user_token(client, "visitor", "read")

    media = await _upload(client, ada)
    assert media["type"] == "image" and media["blurhash"] and media["meta"]["original"]["width"] > 0
    assert media["description"] == "Erythematous plaque"
    assert (await client.get(f"/api/v1/media/{media['id']}", headers=bearer(bob))).status_code == 404

    no_consent = await client.post(
        "/api/v1/statuses",
        headers=bearer(ada),
        form={"status": "Plaque on the forearm", "media_ids[]": media["id"]},
    )
    assert no_consent.status_code == 422 and "consent" in (await no_consent.get_json())["error"]
    stolen = await client.post(
        "/api/v1/statuses",
        headers=bearer(bob),
        form={"status": "Mine now", "media_ids[]": media["id"], **CONSENT},
    )
    assert stolen.status_code == 422

    posted = await client.post(
        "/api/v1/statuses",
        headers=bearer(ada),
        form={"status": "Plaque on the forearm", "media_ids[]": media["id"], **CONSENT},
    )
    status = await posted.get_json()
    assert posted.status_code == 200, status
    assert (
        status["fediverse_cases"]["review_state"] == "pending"
        and status["fediverse_cases"]["consent_on_file"] is True
    )
    status_id = status["id"]
    assert (await client.get(f"/api/v1/statuses/{status_id}", headers=bearer(bob))).status_code == 404
    assert (await client.get(f"/api/v1/statuses/{status_id}")).status_code == 404
    assert await (await client.get("/api/v1/timelines/public")).get_json() == []

    queue = await (
        await client.get("/api/v1/fediverse_cases/review_queue", headers=bearer(reviewer))
    ).get_json()
    assert [item["id"] for item in queue] == [status_id]
    assert (await client.get("/api/v1/fediverse_cases/review_queue", headers=bearer(ada))).status_code == 403
    approved = await client.post(
        f"/api/v1/fediverse_cases/review_queue/{status_id}/approve", headers=bearer(reviewer)
    )
    assert (
        approved.status_code == 200
        and (await approved.get_json())["fediverse_cases"]["review_state"] == "published"
    )

    public = await (await client.get("/api/v1/timelines/public", query_string={"local": "true"})).get_json()
    assert [item["id"] for item in public] == [status_id]
    served = await client.get(public[0]["media_attachments"][0]["url"].replace("http://cases.test", ""))
    assert served.status_code == 200
    data = await served.get_data()
    assert b"John Smith" not in data and b"1234567" not in data and not Image.open(io.BytesIO(data)).getexif()

    refused = await client.post(
        "/api/v1/statuses", headers=bearer(visitor), form={"status": "Nice", "in_reply_to_id": status_id}
    )
    assert refused.status_code == 403 and "error" in await refused.get_json()
    comment = await client.post(
        "/api/v1/statuses",
        headers=bearer(bob),
        form={"status": "Consider psoriasis.", "in_reply_to_id": status_id},
    )
    assert comment.status_code == 200, await comment.get_data(as_text=True)
    assert (await comment.get_json())["in_reply_to_id"] == status_id
    context = await (
        await client.get(f"/api/v1/statuses/{status_id}/context", headers=bearer(visitor))
    ).get_json()
    assert [d["content"] for d in context["descendants"]] == ["<p>Consider psoriasis.</p>"]

    notifications = await (await client.get("/api/v1/notifications", headers=bearer(ada))).get_json()
    assert any(n["type"] == "mention" and n["account"]["username"] == "dr_bob" for n in notifications)

    fav = await client.post(f"/api/v1/statuses/{status_id}/favourite", headers=bearer(bob))
    assert fav.status_code == 200 and (await fav.get_json())["favourited"] is True

    page = await client.get("/api/v1/timelines/public", query_string={"limit": "1"})
    link = page.headers["Link"]
    assert 'rel="next"' in link
    past_end = await client.get("/api/v1/timelines/public", query_string={"max_id": status_id})
    assert past_end.status_code == 200 and await past_end.get_json() == []


async def test_viewer_cannot_upload_or_post(client, state) -> None:  # type: ignore[no-untyped-def]
    from fediverse_cases.services import oauth as oauth_service
    from fediverse_cases.services.operator import Operator
    from fediverse_cases.storage.repositories.accounts import get_account_by_username

    await create_account(state, "visitor", role=Role.VIEWER)
    # Even a token that (wrongly) claimed write cannot post: the role is checked at each request.
    async with state.transaction() as db:
        account = await get_account_by_username(db, "visitor")
        issued = await oauth_service.create_script_token(db, account, "read", Operator.system())  # type: ignore[arg-type]
        issued.token.scopes = "read write"
    response = await client.post(
        "/api/v1/statuses", headers=bearer(issued.access_token), form={"status": "hi", **CONSENT}
    )
    assert response.status_code == 403 and "error" in await response.get_json()


async def test_rate_limit_headers_and_429(client, state) -> None:  # type: ignore[no-untyped-def]
    from fediverse_cases.core.rate_limit import RateLimits, SlidingWindowLimiter

    state.api_rate_limiter = SlidingWindowLimiter(RateLimits(token_limit=2, ip_limit=3))
    first = await client.get("/api/v1/instance")
    assert first.headers["X-RateLimit-Limit"] == "3" and first.headers["X-RateLimit-Remaining"] == "2"
    assert "X-RateLimit-Reset" in first.headers
    await client.get("/api/v1/instance")
    await client.get("/api/v1/instance")
    limited = await client.get("/api/v1/instance")
    assert limited.status_code == 429 and await limited.get_json() == {"error": "Too many requests"}


async def test_hashtags_in_the_status_text_become_the_case_tags(client, state) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "dr_ada", role=Role.PROFESSIONAL, verified=True)
    ada = await user_token(client, "dr_ada")
    media = await _upload(client, ada)
    posted = await client.post(
        "/api/v1/statuses",
        headers=bearer(ada),
        form={"status": "Annular plaque #dermatology #Tinea", "media_ids[]": media["id"], **CONSENT},
    )
    status = await posted.get_json()
    assert posted.status_code == 200, status
    assert sorted(tag["name"] for tag in status["tags"]) == ["dermatology", "tinea"]
