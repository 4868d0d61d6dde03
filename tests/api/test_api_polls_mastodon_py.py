"""Differential polls through the client API, driven by Mastodon.py against a served instance
over real HTTP: a case posted with a poll, ``poll`` on the status, results hidden (null counts)
until the caller voted, one vote per person, the author and non-professionals refused."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError

from tests.api.test_api_mastodon_py import _client
from tests.api.test_api_statuses import CONSENT, planted_jpeg
from tests.support.api_server import seed_served_accounts
from tests.support.server import ServedInstance

OPTIONS = ["Tinea corporis", "Granuloma annulare", "Nummular eczema"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedInstance]:
    instance = ServedInstance(tmp_path_factory.mktemp("mastodon_py_polls"))
    instance.prepare()
    seed_served_accounts(
        str(instance.config_path),
        [
            ("dr_ada", "professional", True),
            ("dr_bob", "professional", True),
            ("dr_cy", "professional", True),
            ("privacy", "reviewer", False),
            ("dr_vi", "viewer", False),
        ],
    )
    instance.start()
    yield instance
    instance.stop()


def _post_case(ada: Mastodon, poll: dict[str, object]) -> dict:
    media = ada.media_post(
        io.BytesIO(planted_jpeg()),
        mime_type="image/jpeg",
        description="Plaque",
        file_name="x.jpg",
        synchronous=True,
    )
    return ada._Mastodon__api_request(
        "POST",
        "/api/v1/statuses",
        {
            "status": "Annular plaque on the forearm. Your diagnosis?",
            "media_ids[]": [media["id"]],
            **CONSENT,
            **poll,
        },
    )


def test_mastodon_py_votes_in_a_case_poll_with_results_hidden_until_voting(served: ServedInstance) -> None:
    ada = _client(served.url, "dr_ada", ["read", "write"])
    bob = _client(served.url, "dr_bob", ["read", "write"])
    cy = _client(served.url, "dr_cy", ["read", "write"])
    vi = _client(served.url, "dr_vi", ["read"])
    reviewer = _client(served.url, "privacy", ["read", "admin:read", "admin:write"])

    # An option that names a person is refused like a caption would be.
    with pytest.raises(MastodonAPIError, match="identifies a patient"):
        _post_case(
            ada, {"poll[options][]": ["Tinea corporis", "Same as Mary Jones"], "poll[expires_in]": 86400}
        )
    with pytest.raises(MastodonAPIError, match="2 to 8"):
        _post_case(ada, {"poll[options][]": ["Tinea corporis"], "poll[expires_in]": 86400})

    status = _post_case(ada, {"poll[options][]": OPTIONS, "poll[expires_in]": 86400})
    assert [o["title"] for o in status["poll"]["options"]] == OPTIONS
    assert status["poll"]["multiple"] is False and status["poll"]["expires_at"] is None  # not yet published
    reviewer._Mastodon__api_request("POST", f"/api/v1/fediverse_cases/review_queue/{status['id']}/approve")

    seen = bob.status(status["id"])["poll"]
    assert seen["voted"] is False and seen["expired"] is False and seen["expires_at"]
    assert [o["votes_count"] for o in seen["options"]] == [None, None, None]

    voted = bob.poll_vote(seen["id"], [1])
    assert voted["voted"] is True and voted["own_votes"] == [1]
    assert [o["votes_count"] for o in voted["options"]] == [0, 1, 0]
    assert voted["voters_count"] == 1
    with pytest.raises(MastodonAPIError, match="already voted"):
        bob.poll_vote(seen["id"], [0])
    with pytest.raises(MastodonAPIError, match="single choice"):
        cy.poll_vote(seen["id"], [0, 2])
    with pytest.raises(MastodonAPIError, match="No such option"):
        cy.poll_vote(seen["id"], [7])

    # Cy has not voted: still no counts, in the poll and on the status in a timeline.
    assert [o["votes_count"] for o in cy.poll(seen["id"])["options"]] == [None, None, None]
    timeline = cy.timeline_public(local=True)
    assert [o["votes_count"] for o in timeline[0]["poll"]["options"]] == [None, None, None]
    # The author sees the results but cannot vote; a viewer cannot vote.
    assert [o["votes_count"] for o in ada.poll(seen["id"])["options"]] == [0, 1, 0]
    with pytest.raises(MastodonAPIError, match="own poll"):
        ada.poll_vote(seen["id"], [0])
    with pytest.raises(MastodonAPIError):
        vi.poll_vote(seen["id"], [0])
    assert cy.poll_vote(seen["id"], [2])["voters_count"] == 2
    assert [o["votes_count"] for o in bob.poll(seen["id"])["options"]] == [0, 1, 1]
