"""Origin checks: signer == actor, ids on the actor's host, forged embedded objects refetched."""

from __future__ import annotations

from typing import Any

import pytest

from fediverse_cases.activitypub import PUBLIC, Person, parse_activity
from fediverse_cases.activitypub.actors import Multikey, PublicKey
from fediverse_cases.federation.origin import (
    actor_iri_from_key_id,
    check_activity_origin,
    check_actor_keys,
    check_fetched_origin,
    check_key_ownership,
)

ALICE = "https://a.example/users/alice"
BOB = "https://b.example/users/bob"
MALLORY = "https://m.example/users/mallory"


def _note(note_id: str, author: str = ALICE) -> dict[str, Any]:
    return {"id": note_id, "type": "Note", "attributedTo": author, "content": "x", "to": [PUBLIC]}


def _create(obj: Any, actor: str = ALICE, activity_id: str = "https://a.example/activities/1") -> Any:
    return parse_activity(
        {"id": activity_id, "type": "Create", "actor": actor, "object": obj, "to": [PUBLIC]}
    )


def test_create_own_note_is_accepted() -> None:
    decision = check_activity_origin(_create(_note("https://a.example/cases/1")), ALICE)
    assert decision.accepted and decision.verdict == "accept"


def test_signer_must_be_actor() -> None:
    decision = check_activity_origin(_create(_note("https://a.example/cases/1")), MALLORY)
    assert decision.verdict == "reject"
    assert decision.reason == "signer is not the activity's actor"


def test_activity_id_on_another_host_is_rejected() -> None:
    activity = _create(_note("https://a.example/cases/1"), activity_id="https://m.example/activities/1")
    assert check_activity_origin(activity, ALICE).reason == "activity id host differs from actor host"


def test_cve_2024_23832_forged_object_id_on_another_host_is_refetched() -> None:
    # Mallory signs and sends a Create whose embedded Note claims an id on b.example: the content
    # must never be stored as b.example's; it has to be fetched from b.example itself.
    forged = _create(
        _note("https://b.example/notes/42", author=MALLORY),
        actor=MALLORY,
        activity_id="https://m.example/a/1",
    )
    decision = check_activity_origin(forged, MALLORY)
    assert decision.verdict == "refetch"
    assert decision.refetch == ("https://b.example/notes/42",)
    assert not decision.accepted


def test_embedded_object_attributed_to_someone_else_is_rejected() -> None:
    activity = _create(
        _note("https://m.example/notes/1", author=BOB), actor=MALLORY, activity_id="https://m.example/a/1"
    )
    assert (
        check_activity_origin(activity, MALLORY).reason == "object attributed to someone other than the actor"
    )


def test_update_of_another_actor_is_rejected() -> None:
    person = Person(id=BOB, inbox=BOB + "/inbox").to_json(with_context=False)
    activity = parse_activity(
        {"id": "https://m.example/u/1", "type": "Update", "actor": MALLORY, "object": person}
    )
    assert check_activity_origin(activity, MALLORY).reason == "actor update for another actor"


def test_update_self_is_accepted() -> None:
    person = Person(id=ALICE, inbox=ALICE + "/inbox").to_json(with_context=False)
    activity = parse_activity({"id": ALICE + "#update-1", "type": "Update", "actor": ALICE, "object": person})
    assert check_activity_origin(activity, ALICE).accepted


@pytest.mark.parametrize(
    ("obj", "verdict"),
    [
        ("https://a.example/cases/1", "accept"),
        ({"id": "https://a.example/cases/1", "type": "Tombstone"}, "accept"),
        (ALICE, "accept"),
        ("https://b.example/cases/9", "reject"),
        ({"id": "https://b.example/cases/9", "type": "Tombstone"}, "reject"),
    ],
)
def test_delete(obj: Any, verdict: str) -> None:
    activity = parse_activity(
        {"id": "https://a.example/d/1", "type": "Delete", "actor": ALICE, "object": obj}
    )
    assert check_activity_origin(activity, ALICE).verdict == verdict


def test_undo_of_own_follow_is_accepted_and_of_others_rejected() -> None:
    own = {"id": "https://a.example/follows/1", "type": "Follow", "actor": ALICE, "object": BOB}
    undo = parse_activity({"id": "https://a.example/undo/1", "type": "Undo", "actor": ALICE, "object": own})
    assert check_activity_origin(undo, ALICE).accepted
    foreign = {**own, "actor": BOB, "id": "https://b.example/follows/1"}
    undo = parse_activity(
        {"id": "https://a.example/undo/2", "type": "Undo", "actor": ALICE, "object": foreign}
    )
    assert check_activity_origin(undo, ALICE).reason == "undoing another actor's activity"
    by_ref = parse_activity(
        {
            "id": "https://a.example/undo/3",
            "type": "Undo",
            "actor": ALICE,
            "object": "https://b.example/likes/1",
        }
    )
    assert check_activity_origin(by_ref, ALICE).verdict == "reject"


def test_accept_of_our_follow() -> None:
    follow = {"id": "https://a.example/follows/1", "type": "Follow", "actor": ALICE, "object": BOB}
    accept = parse_activity(
        {"id": "https://b.example/accepts/1", "type": "Accept", "actor": BOB, "object": follow}
    )
    assert check_activity_origin(accept, BOB).accepted
    stolen = parse_activity(
        {"id": "https://m.example/accepts/1", "type": "Accept", "actor": MALLORY, "object": follow}
    )
    assert check_activity_origin(stolen, MALLORY).reason == "answering a Follow addressed to someone else"


@pytest.mark.parametrize("kind", ["Follow", "Like", "Announce"])
def test_reference_activities_accept_foreign_objects(kind: str) -> None:
    activity = parse_activity(
        {"id": "https://a.example/x/1", "type": kind, "actor": ALICE, "object": "https://b.example/cases/9"}
    )
    assert check_activity_origin(activity, ALICE).accepted


@pytest.mark.parametrize(
    ("key_id", "actor"),
    [
        ("https://mastodon.example/users/bob#main-key", "https://mastodon.example/users/bob"),
        ("https://gts.example/users/bob/main-key", "https://gts.example/users/bob"),
        ("https://fedify.example/users/carol#multikey-1", "https://fedify.example/users/carol"),
        ("https://x.example/actor", "https://x.example/actor"),
    ],
)
def test_actor_iri_from_key_id(key_id: str, actor: str) -> None:
    assert actor_iri_from_key_id(key_id) == actor


def test_key_ownership() -> None:
    key = "https://b.example/users/bob#main-key"
    assert check_key_ownership(key, BOB, BOB, [key]).accepted
    assert check_key_ownership(key, MALLORY, BOB, [key]).reason == "key owner is not the actor"
    assert check_key_ownership(key, BOB, BOB, ["https://b.example/users/bob#other"]).reason == (
        "actor does not list the key"
    )
    foreign_key = "https://m.example/keys/1"
    assert (
        check_key_ownership(foreign_key, BOB, BOB, [foreign_key]).reason == "key and actor on different hosts"
    )


def test_check_actor_keys() -> None:
    actor = Person(
        id=BOB,
        inbox=BOB + "/inbox",
        public_key=PublicKey(id=BOB + "/main-key", owner=BOB, public_key_pem="pem"),
        assertion_methods=(Multikey(id=BOB + "#ed25519-key", controller=BOB, public_key_multibase="z6Mk"),),
    )
    assert check_actor_keys(actor, BOB + "/main-key").accepted
    assert check_actor_keys(actor, BOB + "#ed25519-key").accepted
    assert not check_actor_keys(actor, BOB + "#main-key").accepted
    liar = Person(
        id=BOB, inbox=BOB + "/inbox", public_key=PublicKey(id=BOB + "#k", owner=MALLORY, public_key_pem="p")
    )
    assert check_actor_keys(liar, BOB + "#k").reason == "key owner is not the actor"


@pytest.mark.parametrize(
    ("requested", "final", "object_id", "verdict"),
    [
        ("https://b.example/n/1", "https://b.example/n/1", "https://b.example/n/1", "accept"),
        ("https://b.example/n/1", "https://b.example/n/1", "https://c.example/n/1", "reject"),
        ("https://b.example/@bob/1", "https://b.example/n/1", "https://b.example/n/1", "accept"),
        ("https://b.example/n/1", "https://c.example/n/1", "https://c.example/n/1", "accept"),
        ("https://b.example/n/1", "https://c.example/n/1", "https://c.example/n/2", "reject"),
        ("https://b.example/n/1", "https://b.example/n/1", None, "reject"),
    ],
)
def test_fetched_origin(requested: str, final: str, object_id: str | None, verdict: str) -> None:
    assert check_fetched_origin(requested, final, object_id).verdict == verdict
