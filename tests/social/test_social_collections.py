"""Collections through the web app over a real database: a clinician saves cases (one of them
members-only) into a private collection and orders them; nobody else sees it; published as a
teaching set it has its own page, and its federated OrderedCollection (linked from the owner's
actor through ``fediverseCases:collections``) lists only its public cases, in order. A viewer may
keep private collections but not publish them; identifiers in a title are refused."""

from __future__ import annotations

from typing import Any

from fediverse_cases.core.accounts import Role
from fediverse_cases.core.case_access import Visibility
from tests.support.case_rows import insert_case
from tests.support.instances import create_account
from tests.support.web import csrf_token, sign_in

AS2 = {"Accept": "application/activity+json"}


async def _post(client: Any, path: str, data: dict[str, str], page: str) -> Any:
    return await client.post(path, form={**data, "csrf_token": await csrf_token(client, page)})


async def test_collection_saved_ordered_published_and_federated(state, client) -> None:  # type: ignore[no-untyped-def]
    author = await create_account(state, "dr_home", role=Role.PROFESSIONAL, verified=True)
    first = await insert_case(state, author, caption="Annular plaque on the forearm")
    second = await insert_case(state, author, caption="Scaly patch on the shin")
    members = await insert_case(state, author, caption="Nail changes", visibility=Visibility.FOLLOWERS)
    await create_account(state, "lou", role=Role.PROFESSIONAL, verified=True)
    await create_account(state, "dr_vi", role=Role.VIEWER)
    await sign_in(client, "lou")

    created = await _post(
        client, "/collections", {"title": "Annular lesions", "case": first.public_id}, "/collections"
    )
    assert created.status_code == 302
    set_id = created.headers["Location"].rsplit("/", 1)[1]
    for case in (second, members):
        saved = await _post(
            client,
            f"/cases/{case.public_id}/collect",
            {"collection": set_id},
            f"/cases/{case.public_id}/collect",
        )
        assert saved.status_code == 302
    moved = await _post(client, f"/collections/{set_id}/up", {"case_id": str(second.id)}, "/collections")
    assert moved.status_code == 302
    page = await (await client.get(f"/collections/{set_id}")).get_data(as_text=True)
    order = [page.index(f'data-case="{c.public_id}"') for c in (second, first, members)]
    assert order == sorted(order) and 'id="private"' in page

    # Private: not for others, not for peers.
    assert (await client.get(f"/collections/{set_id}", headers=AS2)).status_code == 404
    await client.post("/logout", form={"csrf_token": await csrf_token(client, "/collections")})
    assert (await client.get(f"/collections/{set_id}")).status_code == 404

    await sign_in(client, "lou")
    published = await _post(client, f"/collections/{set_id}/publish", {"published": "1"}, "/collections")
    assert published.status_code == 302
    await client.post("/logout", form={"csrf_token": await csrf_token(client, "/collections")})
    page = await (await client.get(f"/collections/{set_id}")).get_data(as_text=True)
    assert 'id="published"' in page and "Annular lesions" in page
    assert "Nail changes" not in page  # members-only: not for an anonymous reader

    actor = await (await client.get("/users/lou", headers=AS2)).get_json()
    index = await (await client.get(actor["fediverseCases:collections"], headers=AS2)).get_json()
    set_url = f"{state.settings.instance.base_url}/collections/{set_id}"
    assert index["type"] == "OrderedCollection" and index["orderedItems"] == [set_url]
    document = await (await client.get(f"/collections/{set_id}", headers=AS2)).get_json()
    assert document["type"] == "OrderedCollection" and document["name"] == "Annular lesions"
    assert document["attributedTo"] == actor["id"]
    assert document["orderedItems"] == [second.ap_id, first.ap_id] and document["totalItems"] == 2


async def test_viewers_keep_private_collections_only_and_titles_are_scanned(state, client) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "dr_vi", role=Role.VIEWER)
    await sign_in(client, "dr_vi")
    created = await _post(client, "/collections", {"title": "To read"}, "/collections")
    set_id = created.headers["Location"].rsplit("/", 1)[1]
    refused = await _post(client, f"/collections/{set_id}/publish", {"published": "1"}, "/collections")
    assert refused.status_code == 403
    flagged = await _post(client, "/collections", {"title": "Cases of Mary Jones"}, "/collections")
    assert flagged.status_code == 302
    page = await (await client.get("/collections")).get_data(as_text=True)
    assert "patient identifiers" in page and "Mary Jones" not in page


async def test_a_signed_get_from_a_host_not_allowed_is_refused(state, client) -> None:  # type: ignore[no-untyped-def]
    from urllib.parse import urlsplit

    from tests.support.fed_peer import FakePeer

    await create_account(state, "lou", role=Role.PROFESSIONAL, verified=True)
    await sign_in(client, "lou")
    created = await _post(client, "/collections", {"title": "Annular lesions"}, "/collections")
    set_id = created.headers["Location"].rsplit("/", 1)[1]
    await _post(client, f"/collections/{set_id}/publish", {"published": "1"}, "/collections")
    stranger = FakePeer("stranger.example", "eve")
    base = state.settings.instance.base_url
    for path in (f"/collections/{set_id}", "/users/lou/collections"):
        headers = {**stranger.signed_get(f"{base}{path}"), "Host": urlsplit(base).netloc}
        assert (await client.get(path, headers=headers)).status_code == 403
        assert (await client.get(path, headers=AS2)).status_code == 200  # unsigned: an anonymous reader
