"""Remote statuses in the client API look like local ones: a peer's caption is served as
escaped paragraphs (never the peer's markup or entities turned into tags), and replies carry
their mention (the author they answer) and their hashtags, for remote and local replies alike."""

from __future__ import annotations

from tests.federation.test_fed_inbox_notes import World, world  # noqa: F401
from tests.support.api_server import bearer, user_token


async def test_remote_case_and_replies_render_like_local_ones(world: World) -> None:  # noqa: F811
    note = world.case_note(1)
    note["content"] = "<p>Plaque &lt;script&gt;alert(1)&lt;/script&gt; on the <b>shin</b></p>"
    await world.send(world.alice, "Create", note)
    first = world.comment_note(world.mallory, note["id"], 1, "Looks like #tinea to me")
    await world.send(world.mallory, "Create", first)
    second = world.comment_note(world.alice, first["id"], 2, "Scraping was negative")
    await world.send(world.alice, "Create", second)

    token = await user_token(world.client, "lou", scopes="read")
    found = await world.client.get("/api/v2/search", query_string={"q": note["id"]}, headers=bearer(token))
    (status,) = (await found.get_json())["statuses"]
    assert status["content"] == "<p>Plaque &lt;script&gt;alert(1)&lt;/script&gt; on the shin</p>"

    context = await (
        await world.client.get(f"/api/v1/statuses/{status['id']}/context", headers=bearer(token))
    ).get_json()
    by_uri = {s["uri"]: s for s in context["descendants"]}
    reply, nested = by_uri[first["id"]], by_uri[second["id"]]
    assert [m["acct"] for m in reply["mentions"]] == ["alice@remote.example"]
    assert [t["name"] for t in reply["tags"]] == ["tinea"] and reply["tags"][0]["url"].endswith("/tags/tinea")
    assert [m["acct"] for m in nested["mentions"]] == ["mallory@remote.example"]
    assert nested["in_reply_to_id"] == reply["id"]

    # One reply read alone names its target too (its parent is read for it).
    alone = await (
        await world.client.get(f"/api/v1/statuses/{nested['id']}", headers=bearer(token))
    ).get_json()
    assert alone["in_reply_to_id"] == reply["id"]
    assert [m["acct"] for m in alone["mentions"]] == ["mallory@remote.example"]


async def test_search_finds_a_status_by_uri_or_web_url(world: World) -> None:  # noqa: F811
    note = world.case_note(7, caption="Plaque found by its address")
    web_url = f"{world.alice.base}/@alice/7"
    # A Mastodon-style web address answers (to an ActivityPub request) with the object, whose
    # id is the authority: both name the same status once it is held.
    world.alice.served[web_url] = note
    world.alice.served[note["id"]] = note
    token = await user_token(world.client, "lou", scopes="read")

    async def search(query: str, resolve: bool) -> list[dict]:
        answer = await world.client.get(
            "/api/v2/search",
            query_string={"q": query, "resolve": "true" if resolve else "false"},
            headers=bearer(token),
        )
        return (await answer.get_json())["statuses"]

    assert await search(web_url, resolve=False) == []  # nothing fetched without resolve
    assert world.network.gets_of(web_url) == 0
    (by_url,) = await search(web_url, resolve=True)
    assert by_url["uri"] == note["id"] and "found by its address" in by_url["content"]
    (by_uri,) = await search(note["id"], resolve=False)  # held now: found without a fetch
    assert by_uri["id"] == by_url["id"]

    # Anonymous callers never make the instance fetch anything.
    other = world.case_note(8)
    world.alice.served[other["id"]] = other
    anonymous = await world.client.get("/api/v2/search", query_string={"q": other["id"], "resolve": "true"})
    assert (await anonymous.get_json())["statuses"] == []
    assert world.network.gets_of(other["id"]) == 0
