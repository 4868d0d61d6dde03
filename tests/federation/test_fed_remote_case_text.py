"""Text of cases from peers: the Note's ``name`` is the case's title here, and a case whose title,
caption or image description looks like it identifies a patient is held on arrival — hidden from
readers, with an open flag for this hospital's reviewer — as remote comments are. Signed
deliveries to the inbox, processed by the inbox worker, then read through the pages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.storage.models import Flag
from tests.federation.test_fed_inbox_notes import World, world  # noqa: F401
from tests.support.instances import create_account
from tests.support.web import post_form, sign_in


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


async def test_a_remote_case_without_a_name_is_listed_under_its_captions_first_sentence(
    remote: World,
) -> None:
    """FEDERATION.md, Cases are Notes: a received Note without ``name`` — "lists show the
    caption's first sentence"."""
    note = remote.case_note(
        n=24, caption="Annular plaque on the forearm. Present for three weeks, slowly growing."
    )
    assert "name" not in note
    await remote.send(remote.alice, "Create", note)
    case = await remote.case(note["id"])
    assert case is not None and not case.hidden
    await sign_in(remote.client, "lou")  # who follows alice
    feed = await (await remote.client.get("/feed/following")).get_data(as_text=True)
    assert case.public_id in feed
    assert '<h3 class="case-title">Annular plaque on the forearm</h3>' in feed


@pytest.mark.parametrize(
    ("field", "flag_text"),
    [("name", "title: "), ("summary", "content warning: "), ("alt", "image 1 description: ")],
)
async def test_identifiers_in_the_title_content_warning_or_image_description_hold_a_remote_case(
    app, state, remote: World, field: str, flag_text: str
) -> None:  # type: ignore[no-untyped-def]
    """FEDERATION.md, PHI guarantees: a peer's case whose identifier is only in its title, content
    warning or an image description is held (hidden, flagged for our reviewer) like one whose
    caption names it."""
    identifying = "Seen on 12/03/2026, MRN 48213377"
    note = remote.case_note(n=25, caption="Annular plaque, 3 weeks")
    if field == "alt":
        note["attachment"][0]["name"] = identifying
    else:
        note[field] = identifying
        note["sensitive"] = field == "summary"
    await remote.send(remote.alice, "Create", note)
    case = await remote.case(note["id"])
    assert case is not None and case.hidden
    assert (await remote.client.get(f"/cases/{case.public_id}")).status_code in (403, 404, 410)
    await create_account(state, "rita", role=Role.REVIEWER)
    reviewer = app.test_client()
    await sign_in(reviewer, "rita")
    flags = await (await reviewer.get("/moderation/flags")).get_data(as_text=True)
    assert f"{flag_text}a date" in flags and "caption:" not in flags
    # Upholding the flag keeps it hidden ("until a reviewer here ... upholds it (stays hidden)").
    async with state.sessionmaker() as db:
        [flag] = (await db.execute(select(Flag).where(Flag.case_id == case.id))).scalars()
    response = await post_form(
        reviewer, f"/moderation/flags/{flag.id}", {"decision": "uphold"}, page="/moderation/flags"
    )
    assert response.status_code == 302
    case = await remote.case(note["id"])
    assert case is not None and case.hidden
    assert (await remote.client.get(f"/cases/{case.public_id}")).status_code in (403, 404, 410)
    async with state.sessionmaker() as db:
        assert (await db.get(Flag, flag.id)).state == "upheld"  # type: ignore[union-attr]
