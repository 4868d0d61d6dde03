"""Cached documents across processes: a `serve` with two hypercorn workers caches the case's
documents in each worker; a withdrawal committed by a third process (the CLI) must empty every
one of those caches at once — the first GET after the command returns already answers 410."""

from __future__ import annotations

import httpx
import pytest

from fediverse_cases.core.accounts import Role
from tests.support.case_rows import insert_case
from tests.support.instances import create_account
from tests.support.live_fixtures import live_instances  # noqa: F401

pytestmark = pytest.mark.e2e

AS2 = {"Accept": "application/activity+json"}
ROUNDS = 24


async def _fresh_connection_gets(base: str, paths: list[str]) -> list[tuple[str, int, dict]]:
    """GET each path ROUNDS times, each on a new connection, so both workers answer some."""
    answers = []
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, headers=AS2, limits=limits, timeout=10) as client:
        for _ in range(ROUNDS):
            for path in paths:
                response = await client.get(path)
                body = response.json() if response.content else {}
                answers.append((path, response.status_code, body))
    return answers


async def test_a_withdrawal_by_the_cli_empties_the_caches_of_both_serve_workers(live_instances) -> None:  # noqa: F811
    a = await live_instances("a", settings={"server": {"workers": 2}})
    async with a.state() as state:
        alice = await create_account(state, "alice", role=Role.PROFESSIONAL, verified=True)
        case = await insert_case(state, alice)
        kept = await insert_case(state, alice, caption="Second plaque on the shin")
    await a.start()
    page = f"/cases/{case.public_id}"
    surfaces = [page, f"{page}/activity", f"{page}/replies", "/users/alice/outbox?page=true"]

    before = await _fresh_connection_gets(a.url, surfaces)
    assert {status for _path, status, _body in before} == {200}
    outbox_items = {
        item["object"]["id"] for path, _s, body in before if "outbox" in path for item in body["orderedItems"]
    }
    assert outbox_items == {case.ap_id, kept.ap_id}

    withdrawn = a.run_cli("cases", "withdraw", case.public_id)
    assert withdrawn.returncode == 0, withdrawn.stderr

    after = await _fresh_connection_gets(a.url, surfaces)
    for path, status, body in after:
        if path in (page, f"{page}/activity"):
            assert (status, body.get("type")) == (410, "Tombstone"), path
        elif path.endswith("/replies"):
            assert status in (404, 410)
        else:
            assert [item["object"]["id"] for item in body["orderedItems"]] == [kept.ap_id]
