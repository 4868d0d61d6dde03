"""Text of cases from peers: the Note's ``name`` is the case's title here, and a case whose title,
caption or image description looks like it identifies a patient is held on arrival — hidden from
readers, with an open flag for this hospital's reviewer — as remote comments are. Signed
deliveries to the inbox, processed by the inbox worker, then read through the pages."""

from __future__ import annotations

import pytest

from fediverse_cases.core.accounts import Role
from tests.federation.test_fed_inbox_notes import World, world  # noqa: F401
from tests.support.instances import create_account
from tests.support.web import sign_in


@pytest.fixture
def remote(world: World) -> World:  # noqa: F811 (the fixture imported above)
    return world


async def test_a_remote_notes_name_is_the_case_title(remote: World) -> None:
    note = {**remote.case_note(n=21, caption="Annular plaque, 3 weeks"), "name": "Annular <b>plaque</b>"}
    await remote.send(remote.alice, "Create", note)
    case = await remote.case(note["id"])
    assert case is not None and case.title == "Annular plaque" and not case.hidden
    page = await (await remote.client.get(f"/cases/{case.public_id}")).get_data(as_text=True)
    assert '<h1 class="case-title" id="case-title">Annular plaque</h1>' in page


async def test_a_remote_case_with_identifiers_in_its_text_is_held_for_a_reviewer(
    app, state, remote: World
) -> None:  # type: ignore[no-untyped-def]
    note = remote.case_note(n=22, caption="Annular plaque, seen on 12/03/2026, MRN 48213377")
    await remote.send(remote.alice, "Create", note)
    case = await remote.case(note["id"])
    assert case is not None and case.hidden
    # Readers do not see it: not on its page, not in the feed.
    assert (await remote.client.get(f"/cases/{case.public_id}")).status_code in (403, 404, 410)
    assert case.public_id not in await (await remote.client.get("/feed/local")).get_data(as_text=True)
    # The reviewer finds it in the flag queue with the reason, and may dismiss the flag to show it.
    await create_account(state, "rita", role=Role.REVIEWER)
    reviewer = app.test_client()
    await sign_in(reviewer, "rita")
    flags = await (await reviewer.get("/moderation/flags")).get_data(as_text=True)
    assert "Held on arrival: the text may identify a patient" in flags
    assert "caption: a date" in flags and "a record, account or ID number" in flags


async def test_an_update_that_adds_identifiers_hides_the_remote_case(remote: World) -> None:
    note = remote.case_note(n=23, caption="Annular plaque, 3 weeks")
    await remote.send(remote.alice, "Create", note)
    assert not (await remote.case(note["id"])).hidden  # type: ignore[union-attr]
    await remote.send(
        remote.alice, "Update", {**note, "content": "<p>Annular plaque, phone 020 7946 0321</p>"}
    )
    case = await remote.case(note["id"])
    assert case is not None and case.hidden
