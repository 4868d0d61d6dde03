"""WebFinger as RFC 7033 §4 asks of a server, case by case: exactly one resource, a URI with a
scheme (else 400), ``acct:`` and actor URLs both resolve, 404 for resources we do not have,
``rel`` filtering (§4.3), the JRD media type and CORS (§5)."""

from __future__ import annotations

import pytest

from fediverse_cases.core.accounts import Role
from tests.support.instances import create_account

BASE = "/.well-known/webfinger"


@pytest.fixture
async def drlee(state):  # type: ignore[no-untyped-def]
    return await create_account(state, "drlee", role=Role.PROFESSIONAL, verified=True)


@pytest.mark.parametrize(
    "query",
    [
        "",  # no resource (§4.2 MUST 400)
        "?resource=",
        "?resource==acct:drlee@cases.test",  # malformed, as a broken client sends it
        "?resource=drlee@cases.test",  # no scheme
        "?resource=acct:drlee@cases.test&resource=acct:drlee@cases.test",  # repeated
        "?resource=acct:drlee",  # acct without a host
    ],
)
async def test_a_missing_or_malformed_resource_is_a_bad_request(client, drlee, query: str) -> None:  # type: ignore[no-untyped-def]
    assert (await client.get(BASE + query)).status_code == 400


async def test_acct_and_actor_url_name_the_same_jrd(client, drlee) -> None:  # type: ignore[no-untyped-def]
    by_acct = await client.get(f"{BASE}?resource=acct:drlee@cases.test")
    by_url = await client.get(f"{BASE}?resource=http://cases.test/users/drlee")
    assert by_acct.status_code == by_url.status_code == 200
    assert by_acct.headers["Content-Type"].startswith("application/jrd+json")
    assert by_acct.headers["Access-Control-Allow-Origin"] == "*"
    body = await by_acct.get_json()
    assert body == await by_url.get_json()
    assert body["subject"] == "acct:drlee@cases.test"
    assert {
        "rel": "self",
        "type": "application/activity+json",
        "href": "http://cases.test/users/drlee",
    } in body["links"]


async def test_rel_parameters_filter_the_links(client, drlee) -> None:  # type: ignore[no-untyped-def]
    body = await (await client.get(f"{BASE}?resource=acct:drlee@cases.test&rel=self")).get_json()
    assert [link["rel"] for link in body["links"]] == ["self"]


@pytest.mark.parametrize(
    "resource", ["acct:nobody@cases.test", "acct:drlee@elsewhere.example", "mailto:drlee@cases.test"]
)
async def test_resources_we_do_not_have_are_404(client, drlee, resource: str) -> None:  # type: ignore[no-untyped-def]
    assert (await client.get(f"{BASE}?resource={resource}")).status_code == 404
