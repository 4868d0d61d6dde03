"""The client API driven by Mastodon.py (a real client nobody here wrote) against a served
instance over real HTTP, on SQLite."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError, MastodonNotFoundError
from PIL import Image

from tests.api.test_api_statuses import CONSENT, planted_jpeg
from tests.support.api_server import approve_in_browser, seed_served_accounts
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


def _client(served: ServedInstance, username: str, scopes: list[str]) -> Mastodon:
    client_id, client_secret = Mastodon.create_app(
        "Mastodon.py test", scopes=scopes, api_base_url=served.url, redirect_uris="urn:ietf:wg:oauth:2.0:oob"
    )
    api = Mastodon(
        client_id=client_id, client_secret=client_secret, api_base_url=served.url, version_check_mode="none"
    )
    url = api.auth_request_url(scopes=scopes, redirect_uris="urn:ietf:wg:oauth:2.0:oob", allow_http=True)
    code = approve_in_browser(served.url, url.replace(served.url, ""), username)
    api.log_in(code=code, scopes=scopes, redirect_uri="urn:ietf:wg:oauth:2.0:oob", allow_http=True)
    return api


def test_mastodon_py_posts_a_case_that_is_reviewed_commented_and_notified(
    served: ServedInstance, tmp_path: Path
) -> None:
    ada = _client(served, "dr_ada", ["read", "write", "follow", "push"])
    bob = _client(served, "dr_bob", ["read", "write", "follow", "push"])
    reviewer = _client(served, "privacy", ["read", "admin:read", "admin:write"])
    assert ada.account_verify_credentials()["username"] == "dr_ada"

    media = ada.media_post(
        io.BytesIO(planted_jpeg()), mime_type="image/jpeg", description="Plaque", file_name="x.jpg"
    )
    assert media["blurhash"] and media["description"] == "Plaque"
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


@pytest.mark.skip(
    reason="remote search + follow over a second LiveInstance not wired yet (federation tests/support/live.py)"
)
def test_mastodon_py_resolves_and_follows_a_remote_account() -> None:
    raise AssertionError("not implemented")
