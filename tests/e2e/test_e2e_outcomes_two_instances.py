"""A confirmed outcome travels to a peer only after review, over real HTTP between two live
instances: A's clinician records it on the web, nothing is sent while it waits; A's reviewer
approves it on the web; A serves the case with ``fediverseCases:outcome`` and B, which holds the
case, receives the Update and shows the diagnosis behind "See the diagnosis" and in its
teaching-cases feed."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from fediverse_cases.core.accounts import Role
from tests.e2e.test_e2e_content_three_instances import (
    follow,
    follow_accepted,
    poll,
    publish,
    query,
    remote_case,
)
from tests.e2e.test_e2e_polls_two_instances import AS_JSON, CSRF, signed_in
from tests.support.live_fixtures import live_instances  # noqa: F401

pytestmark = pytest.mark.e2e

OUTCOME = {
    "diagnosis": "Granuloma annulare",
    "code": "403468003",
    "code_system": "snomed-ct",
    "certainty": "certain",
    "method": "histology",
    "follow_up": "Biopsy confirmed it; the plaque resolved in three months.",
}


async def test_outcome_reaches_the_peer_after_review(live_instances) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    a = await live_instances("a", prepare=False)
    b = await live_instances("b", prepare=False)
    a.allow, b.allow = [b.host], [a.host]
    for instance in (a, b):
        await instance.prepare()
    await a.create_account("dr_ada", Role.PROFESSIONAL, verified=True)
    await a.create_account("privacy", Role.REVIEWER, verified=False)
    await b.create_account("dr_bob", Role.PROFESSIONAL, verified=True)
    await a.start()
    await b.start()
    await follow(b, "dr_bob", a, "dr_ada")
    await poll(lambda: follow_accepted(b, "dr_bob"), "B's follow accepted")
    case = await publish(a, "dr_ada", "Annular plaque on the forearm for three weeks.", seed=5)
    copy = await poll(lambda: remote_case(b, case.ap_id), "the case at B", timeout=60)

    ada = await signed_in(a, "dr_ada")
    privacy = await signed_in(a, "privacy")
    bob = await signed_in(b, "dr_bob")
    try:
        form = (await ada.get(f"/cases/{case.public_id}/outcome")).text
        token = CSRF.search(form).group(1)  # type: ignore[union-attr]
        sent = await ada.post(f"/cases/{case.public_id}/outcome", data={**OUTCOME, "csrf_token": token})
        assert sent.status_code == 302
        async with httpx.AsyncClient(timeout=30) as http:
            before = (await http.get(case.ap_id, headers=AS_JSON)).json()
        assert "fediverseCases:outcome" not in before  # waits for the reviewer

        page = (await privacy.get(f"/review/outcomes/{case.public_id}")).text
        token = CSRF.search(page).group(1)  # type: ignore[union-attr]
        decided = await privacy.post(
            f"/review/outcomes/{case.public_id}", data={"decision": "approve", "csrf_token": token}
        )
        assert decided.status_code == 302
        async with httpx.AsyncClient(timeout=30) as http:
            after = (await http.get(case.ap_id, headers=AS_JSON)).json()
        outcome = after["fediverseCases:outcome"]
        assert outcome["type"] == "fediverseCases:ConfirmedOutcome"
        assert outcome["fediverseCases:diagnosis"] == "Granuloma annulare"
        assert outcome["fediverseCases:code"] == "403468003"
        assert outcome["fediverseCases:codeSystem"] == "http://snomed.info/sct"
        assert outcome["fediverseCases:certainty"] == "certain"
        assert outcome["fediverseCases:confirmedBy"] == "histology"
        assert outcome["fediverseCases:recordedAt"]
        assert after["updated"]

        async def outcome_at_b() -> bool:
            from fediverse_cases.storage.repositories.outcomes import current_outcome

            stored = await query(b, lambda db: current_outcome(db, copy.id))
            return stored is not None and stored.diagnosis == "Granuloma annulare"

        await poll(outcome_at_b, "the outcome at B", timeout=60)
        page = (await bob.get(f"/cases/{copy.public_id}")).text
        assert "See the diagnosis" in page and "Granuloma annulare" in page and "SNOMED CT 403468003" in page
        teaching = (await bob.get("/feed/teaching")).text
        assert f"/cases/{copy.public_id}" in teaching
    finally:
        await asyncio.gather(ada.aclose(), privacy.aclose(), bob.aclose())
