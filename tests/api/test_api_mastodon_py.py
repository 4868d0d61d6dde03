"""The client API driven by Mastodon.py (a real client nobody here wrote) against served
instances over real HTTP, on SQLite: a case from upload to notification on one instance, and a
remote account searched and followed across two live instances that allow each other."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError, MastodonNotFoundError
from PIL import Image
from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.storage.models import Follow
from tests.api.test_api_statuses import CONSENT, planted_jpeg
from tests.support.api_server import approve_in_browser, seed_served_accounts
from tests.support.live_fixtures import live_instances  # noqa: F401
from tests.support.server import ServedInstance


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedInstance]:
    instance = ServedInstance(tmp_path_factory.mktemp("mastodon_py"))
    instance.prepare()
    seed_served_accounts(
        str(instance.config_path),
        [("dr_ada", "professional", True), ("dr_bob", "professional", True), ("privacy", "reviewer", False)],
    )
    instance.start()
    yield instance
    instance.stop()


async def wait_for(check, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.3)


def _client(base_url: str, username: str, scopes: list[str]) -> Mastodon:
    client_id, client_secret = Mastodon.create_app(
        "Mastodon.py test", scopes=scopes, api_base_url=base_url, redirect_uris="urn:ietf:wg:oauth:2.0:oob"
    )
    api = Mastodon(
        client_id=client_id, client_secret=client_secret, api_base_url=base_url, version_check_mode="none"
    )
    url = api.auth_request_url(scopes=scopes, redirect_uris="urn:ietf:wg:oauth:2.0:oob", allow_http=True)
    code = approve_in_browser(base_url, url.replace(base_url, ""), username)
    api.log_in(code=code, scopes=scopes, redirect_uri="urn:ietf:wg:oauth:2.0:oob", allow_http=True)
    return api


def test_mastodon_py_posts_a_case_that_is_reviewed_commented_and_notified(
    served: ServedInstance, tmp_path: Path
) -> None:
    ada = _client(served.url, "dr_ada", ["read", "write", "follow", "push"])
    bob = _client(served.url, "dr_bob", ["read", "write", "follow", "push"])
    reviewer = _client(served.url, "privacy", ["read", "admin:read", "admin:write"])
    assert ada.account_verify_credentials()["username"] == "dr_ada"

    media = ada.media_post(  # v2 answers 202; synchronous=True makes Mastodon.py poll GET media
        io.BytesIO(planted_jpeg()),
        mime_type="image/jpeg",
        description="Plaque",
        file_name="x.jpg",
        synchronous=True,
    )
    assert media["url"] and media["blurhash"] and media["description"] == "Plaque"
    assert media["meta"]["original"]["width"] > 0
    with pytest.raises(MastodonAPIError):  # refused by de-identification: GET media answers 422
        ada.media_post(
            io.BytesIO(b"\xff\xd8\xff\xe0 not a JPEG"),
            mime_type="image/jpeg",
            file_name="y.jpg",
            synchronous=True,
        )
    with pytest.raises(MastodonAPIError):
        ada.status_post("No consent", media_ids=[media])
    status = ada._Mastodon__api_request(  # consent travels as extra parameters on the status
        "POST",
        "/api/v1/statuses",
        {"status": "Plaque on the forearm", "media_ids[]": [media["id"]], **CONSENT},
    )
    assert status["fediverse_cases"]["review_state"] == "pending"
    with pytest.raises(MastodonNotFoundError):
        bob.status(status["id"])

    queue = reviewer._Mastodon__api_request("GET", "/api/v1/fediverse_cases/review_queue")
    assert [str(item["id"]) for item in queue] == [str(status["id"])]
    reviewer._Mastodon__api_request("POST", f"/api/v1/fediverse_cases/review_queue/{status['id']}/approve")

    public = bob.timeline_public(local=True)
    assert [str(item["id"]) for item in public] == [str(status["id"])]
    served_image = httpx.get(public[0]["media_attachments"][0]["url"], timeout=10)
    assert served_image.status_code == 200
    assert (
        b"John Smith" not in served_image.content
        and not Image.open(io.BytesIO(served_image.content)).getexif()
    )

    reply = bob.status_post("Consider psoriasis.", in_reply_to_id=status["id"])
    context = ada.status_context(status["id"])
    assert [str(d["id"]) for d in context["descendants"]] == [str(reply["id"])]
    assert any(n["type"] == "mention" for n in ada.notifications())
    assert bob.status_favourite(status["id"])["favourited"] is True
    assert bob.timeline_public(max_id=status["id"]) == []


async def test_mastodon_py_resolves_and_follows_a_remote_account(live_instances) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    a = await live_instances("a", prepare=False)
    b = await live_instances("b", prepare=False)
    a.allow, b.allow = [b.host], [a.host]
    for instance in (a, b):
        await instance.prepare()
    await a.create_account("dr_ada", Role.PROFESSIONAL, verified=True)
    await b.create_account("clinician", Role.PROFESSIONAL, verified=True)
    await asyncio.gather(a.start(), b.start())

    ada = await asyncio.to_thread(_client, a.url, "dr_ada", ["read", "write", "follow"])
    unresolved = await asyncio.to_thread(ada.search_v2, f"@clinician@{b.host}", resolve=False)
    assert unresolved["accounts"] == []  # nothing known yet, and no lookup was asked for
    found = await asyncio.to_thread(ada.search_v2, f"@clinician@{b.host}", resolve=True)
    assert [account["acct"] for account in found["accounts"]] == [f"clinician@{b.host}"]
    remote = found["accounts"][0]
    assert remote["url"] == b.actor_url("clinician") or remote["uri"] == b.actor_url("clinician")
    assert remote["fediverse_cases"]["local"] is False

    relationship = await asyncio.to_thread(ada.account_follow, remote["id"])
    assert relationship["requested"] is True and relationship["following"] is False

    async def following() -> bool:
        rows = await asyncio.to_thread(ada.account_relationships, remote["id"])
        return bool(rows[0]["following"])

    await wait_for(following, timeout=30)
    async with b.state() as state, state.sessionmaker() as db:
        follows = list((await db.execute(select(Follow))).scalars())
    assert [follow.state for follow in follows] == ["accepted"]  # B recorded A's Follow and accepted

    # A handle on a host A does not allow is never fetched: no result, not an error.
    stranger = await asyncio.to_thread(ada.search_v2, "@clinician@127.0.0.1:9", resolve=True)
    assert stranger["accounts"] == []
