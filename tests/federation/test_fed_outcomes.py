"""Outcomes on peers' cases over the signed inbox: the ``fediverseCases:outcome`` a case's author
sends (on Create or Update) is kept; one that breaks our rules (unknown certainty, a code that is
not a code of the system named) is ignored and the outcome held before stays; an Update without
one leaves the held outcome alone."""

from __future__ import annotations

from typing import Any

from fediverse_cases.storage.repositories.outcomes import current_outcome
from tests.federation.test_fed_inbox_notes import World, world  # noqa: F401

SNOMED = "http://snomed.info/sct"


def outcome(**changes: Any) -> dict[str, Any]:
    return {
        "type": "fediverseCases:ConfirmedOutcome",
        "fediverseCases:diagnosis": "Granuloma annulare",
        "fediverseCases:code": "403468003",
        "fediverseCases:codeSystem": SNOMED,
        "fediverseCases:certainty": "probable",
        "fediverseCases:confirmedBy": "clinical_course",
        "fediverseCases:recordedAt": "2026-11-30T10:00:00Z",
        **changes,
    }


async def held(state: Any, world: World, ap_id: str) -> Any:  # noqa: F811
    case = await world.case(ap_id)
    assert case is not None
    async with state.sessionmaker() as db:
        return await current_outcome(db, case.id)


async def test_outcome_of_a_peer_case_is_kept_and_a_bad_one_ignored(state, world: World) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    note = {**world.case_note(), "fediverseCases:outcome": outcome()}
    await world.send(world.alice, "Create", note)
    kept = await held(state, world, note["id"])
    assert (kept.diagnosis, kept.code, kept.code_system, kept.certainty, kept.method) == (
        "Granuloma annulare",
        "403468003",
        "snomed-ct",
        "probable",
        "clinical_course",
    )

    for bad in (
        outcome(**{"fediverseCases:certainty": "sure"}),
        outcome(**{"fediverseCases:code": "L92.0", "fediverseCases:certainty": "certain"}),
    ):
        await world.send(world.alice, "Update", {**note, "fediverseCases:outcome": bad})
        assert (await held(state, world, note["id"])).certainty == "probable"

    await world.send(world.alice, "Update", {**note, "content": "<p>Annular plaque, now fading</p>"})
    assert (await held(state, world, note["id"])).diagnosis == "Granuloma annulare"

    changed = outcome(**{"fediverseCases:certainty": "certain", "fediverseCases:confirmedBy": "histology"})
    await world.send(world.alice, "Update", {**note, "fediverseCases:outcome": changed})
    now = await held(state, world, note["id"])
    assert (now.certainty, now.method) == ("certain", "histology")
