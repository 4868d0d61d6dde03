"""Lemmy's own FEP-1b12 example documents (``tests/interop/payloads/lemmy``) against our server:

- a clinician here joins Lemmy's community by its handle on the groups page: we parse its
  ``Group`` (moderators as a collection URL, Markdown ``source``, languages…) and send the
  Follow to its inbox;
- Lemmy's ``Announce`` of a ``Create(Page)`` (no ``@context``, no proof), signed by the
  community, is accepted and unwrapped: the Page is fetched from its origin (never trusted as
  relayed) and, being a text post rather than a case, not kept;
- our ``Group`` and its moderators collection carry every field Lemmy's ``Group`` and
  ``GroupModerators`` require, with the types Lemmy reads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.services import groups as group_service
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.peers import allow_peer
from fediverse_cases.storage.models import Case, Follow, GroupPost, InboxItem
from fediverse_cases.storage.repositories.accounts import get_actor_by_uri
from tests.support.fed_peer import FakePeer, deliver, install_fake_network
from tests.support.instances import create_account
from tests.support.web import post_form, sign_in

PAYLOADS = Path(__file__).resolve().parents[1] / "interop" / "payloads" / "lemmy"


def payload(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


class LemmyCommunity(FakePeer):
    """Lemmy's community document as published, served with a key we hold (to sign as it)."""

    def __init__(self, actor_uri: str, document: dict[str, Any]) -> None:
        scheme, _, host, *_ = actor_uri.split("/")
        super().__init__(host=host, username=actor_uri.rsplit("/", 1)[-1], scheme=scheme.rstrip(":"))
        self._uri, self._document = actor_uri, document

    @property
    def actor_uri(self) -> str:
        return self._uri

    def actor_document(self) -> dict[str, Any]:
        key = {"id": self.key_id, "owner": self.actor_uri, "publicKeyPem": self.rsa.public_pem}
        return {**self._document, "publicKey": key}


class LemmyPerson(FakePeer):
    """The author of the announced post (Lemmy serves people at ``/u/<name>``)."""

    @property
    def actor_uri(self) -> str:
        return f"{self.base}/u/{self.username}"


def community_main() -> dict[str, Any]:
    """The announce example's community (``http://…/c/main``): Lemmy's group document with its
    name and scheme changed to that community's, everything else as published."""
    text = json.dumps(payload("group.json")).replace("tenforward", "main")
    return json.loads(text.replace("https://enterprise.lemmy.ml", "http://enterprise.lemmy.ml"))


async def test_lemmy_community_join_and_announce_replay(state, client) -> None:  # type: ignore[no-untyped-def]
    async with state.transaction() as db:
        await allow_peer(db, state, "enterprise.lemmy.ml", Operator.system())
    await create_account(state, "drlee", role=Role.PROFESSIONAL, verified=True)
    tenforward = LemmyCommunity("https://enterprise.lemmy.ml/c/tenforward", payload("group.json"))
    main = LemmyCommunity("http://enterprise.lemmy.ml/c/main", community_main())
    author = LemmyPerson("enterprise.lemmy.ml", "lemmy_beta", scheme="http", verified=False)
    network = install_fake_network(state, [tenforward, main, author])
    announce = payload("announce-create-page.json")
    page = announce["object"]["object"]
    main.served[page["id"]] = page

    # Joining by handle, on the groups page.
    await sign_in(client, "drlee")
    joined = await post_form(
        client, "/groups/join-remote", {"handle": "@tenforward@enterprise.lemmy.ml"}, page="/groups"
    )
    assert joined.status_code == 302
    async with state.sessionmaker() as db:
        group = await get_actor_by_uri(db, tenforward.actor_uri)
        assert group is not None and group.actor_type == "Group" and group.display_name == "Ten Forward"
        assert group.shared_inbox_url == "https://enterprise.lemmy.ml/inbox"
        assert group.followers_url == "https://enterprise.lemmy.ml/c/tenforward/followers"
    from fediverse_cases.federation import delivery

    await delivery.run_once(state)
    follows = [r for r in network.calls if r.method == "POST" and json.loads(r.content)["type"] == "Follow"]
    assert [str(r.url) for r in follows] == ["https://enterprise.lemmy.ml/c/tenforward/inbox"]
    assert "tenforward@enterprise.lemmy.ml" in await (await client.get("/groups")).get_data(as_text=True)

    # The announce example's community: joined by its URL, accepted.
    await post_form(client, "/groups/join-remote", {"handle": main.actor_uri}, page="/groups")
    await delivery.run_once(state)
    [sent] = [
        json.loads(r.content)
        for r in network.calls
        if r.method == "POST" and str(r.url) == "http://enterprise.lemmy.ml/c/main/inbox"
    ]
    assert await deliver(client, state, main, main.activity("Accept", sent)) == 202
    async with state.sessionmaker() as db:
        assert (
            await db.execute(select(Follow.state).where(Follow.activity_uri == sent["id"]))
        ).scalar_one() == "accepted"

    assert await deliver(client, state, main, announce) == 202
    async with state.sessionmaker() as db:
        item = (
            await db.execute(select(InboxItem).where(InboxItem.activity_id == announce["id"]))
        ).scalar_one()
        assert item.state == "done", item.last_error
        assert (await db.execute(select(Case))).first() is None
        assert (await db.execute(select(GroupPost))).first() is None
    # The relayed Page was not trusted as delivered: it was fetched from its origin.
    assert network.gets_of(page["id"]) == 1


async def test_our_group_has_the_shape_lemmy_reads(state, client) -> None:  # type: ignore[no-untyped-def]
    await create_account(state, "drlee", role=Role.PROFESSIONAL, verified=True)
    async with state.transaction() as db:
        await group_service.create_group(
            db,
            state,
            group_service.NewGroup(
                "cardiology", "Cardiology", "Heart cases", "cardiology", moderators=["drlee"]
            ),
            Operator.shell(),
        )
    headers = {"Accept": "application/activity+json"}
    ours = await (await client.get("/groups/cardiology", headers=headers)).get_json()
    lemmy = payload("group.json")
    # Every field Lemmy's Group requires, with the type Lemmy gives it (strings, URLs, objects).
    for key in (
        "type",
        "id",
        "preferredUsername",
        "inbox",
        "followers",
        "outbox",
        "publicKey",
        "attributedTo",
    ):
        assert type(ours[key]) is type(lemmy[key]), key
    assert ours["type"] == "Group" and set(ours["publicKey"]) >= {"id", "owner", "publicKeyPem"}
    assert ours["postingRestrictedToMods"] is False and ours["endpoints"]["sharedInbox"]
    moderators = await (
        await client.get(ours["attributedTo"].removeprefix("http://cases.test"), headers=headers)
    ).get_json()
    expected = payload("group-moderators.json")
    assert set(expected) <= set(moderators) and moderators["type"] == expected["type"]
    assert moderators["id"] == ours["attributedTo"]
    assert moderators["orderedItems"] == ["http://cases.test/users/drlee"]
