"""Vocabulary round trips, real-world shapes (Mastodon, GoToSocial, Fedify), and refusals."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from fediverse_cases.activitypub import (
    FEDIVERSE_CASES_NS,
    PUBLIC,
    Accept,
    Announce,
    Create,
    Delete,
    Flag,
    Follow,
    Hashtag,
    Image,
    InvalidDocument,
    Like,
    Mention,
    Multikey,
    Note,
    OrderedCollection,
    OrderedCollectionPage,
    Person,
    PublicKey,
    Reject,
    Service,
    Tombstone,
    Undo,
    UnsupportedType,
    Update,
    parse_activity,
    parse_actor,
    parse_any,
    parse_object,
)
from fediverse_cases.activitypub.constants import DEFAULT_CONTEXT

PEM = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n"

MASTODON_PERSON: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "toot": "http://joinmastodon.org/ns#",
            "featured": {"@id": "toot:featured", "@type": "@id"},
            "discoverable": "toot:discoverable",
            "PropertyValue": "schema:PropertyValue",
            "schema": "http://schema.org#",
        },
    ],
    "id": "https://mastodon.example/users/drbob",
    "type": "Person",
    "following": "https://mastodon.example/users/drbob/following",
    "followers": "https://mastodon.example/users/drbob/followers",
    "inbox": "https://mastodon.example/users/drbob/inbox",
    "outbox": "https://mastodon.example/users/drbob/outbox",
    "featured": "https://mastodon.example/users/drbob/collections/featured",
    "preferredUsername": "drbob",
    "name": "Dr Bob",
    "summary": "<p>Radiologist</p>",
    "url": "https://mastodon.example/@drbob",
    "manuallyApprovesFollowers": False,
    "discoverable": True,
    "published": "2022-11-05T00:00:00Z",
    "publicKey": {
        "id": "https://mastodon.example/users/drbob#main-key",
        "owner": "https://mastodon.example/users/drbob",
        "publicKeyPem": PEM,
    },
    "tag": [],
    "attachment": [{"type": "PropertyValue", "name": "Hospital", "value": "<a href='x'>x</a>"}],
    "endpoints": {"sharedInbox": "https://mastodon.example/inbox"},
    "icon": {
        "type": "Image",
        "mediaType": "image/png",
        "url": "https://files.mastodon.example/avatars/1.png",
    },
}

FEDIFY_ACTOR: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        "https://w3id.org/security/data-integrity/v1",
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1",
        {"toot": "http://joinmastodon.org/ns#", "discoverable": "toot:discoverable"},
    ],
    "id": "https://fedify.example/users/carol",
    "type": "Person",
    "inbox": "https://fedify.example/users/carol/inbox",
    "outbox": "https://fedify.example/users/carol/outbox",
    "followers": "https://fedify.example/users/carol/followers",
    "following": "https://fedify.example/users/carol/following",
    "endpoints": {"type": "as:Endpoints", "sharedInbox": "https://fedify.example/inbox"},
    "preferredUsername": "carol",
    "name": "Carol",
    "publicKey": [
        {
            "id": "https://fedify.example/users/carol#main-key",
            "type": "CryptographicKey",
            "owner": "https://fedify.example/users/carol",
            "publicKeyPem": PEM,
        }
    ],
    "assertionMethod": [
        {
            "id": "https://fedify.example/users/carol#multikey-1",
            "type": "Multikey",
            "controller": "https://fedify.example/users/carol",
            "publicKeyMultibase": "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        }
    ],
}

MASTODON_CREATE: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/activitystreams",
        {
            "ostatus": "http://ostatus.org#",
            "sensitive": "as:sensitive",
            "toot": "http://joinmastodon.org/ns#",
            "blurhash": "toot:blurhash",
            "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
            "Hashtag": "as:Hashtag",
        },
    ],
    "id": "https://mastodon.example/users/drbob/statuses/1120/activity",
    "type": "Create",
    "actor": "https://mastodon.example/users/drbob",
    "published": "2026-03-01T11:58:00Z",
    "to": ["https://www.w3.org/ns/activitystreams#Public"],
    "cc": ["https://mastodon.example/users/drbob/followers", "https://a.example/users/alice"],
    "object": {
        "id": "https://mastodon.example/users/drbob/statuses/1120",
        "type": "Note",
        "summary": None,
        "inReplyTo": "https://a.example/cases/1",
        "published": "2026-03-01T11:58:00Z",
        "url": "https://mastodon.example/@drbob/1120",
        "attributedTo": "https://mastodon.example/users/drbob",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": ["https://mastodon.example/users/drbob/followers", "https://a.example/users/alice"],
        "sensitive": False,
        "atomUri": "https://mastodon.example/users/drbob/statuses/1120",
        "conversation": "tag:mastodon.example,2026-03-01:objectId=1:objectType=Conversation",
        "content": '<p><span class="h-card"><a href="https://a.example/@alice">@alice</a></span> Agree.</p>',
        "contentMap": {"en": "<p>Agree.</p>"},
        "attachment": [
            {
                "type": "Document",
                "mediaType": "image/jpeg",
                "url": "https://files.mastodon.example/media/original/x.jpg",
                "name": "Axial CT, liver window",
                "blurhash": "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH",
                "focalPoint": [0.0, -0.5],
                "width": 1200,
                "height": 900,
            }
        ],
        "tag": [
            {"type": "Mention", "href": "https://a.example/users/alice", "name": "@alice@a.example"},
            {"type": "Hashtag", "href": "https://mastodon.example/tags/radiology", "name": "#radiology"},
            {"type": "Emoji", "name": ":blob:", "icon": {"type": "Image", "url": "https://x.example/e.png"}},
        ],
        "replies": {
            "id": "https://mastodon.example/users/drbob/statuses/1120/replies",
            "type": "Collection",
            "first": {
                "type": "CollectionPage",
                "next": "https://mastodon.example/users/drbob/statuses/1120/replies?page=true",
                "partOf": "https://mastodon.example/users/drbob/statuses/1120/replies",
                "items": [],
            },
        },
    },
}

CASE_NOTE = Note(
    id="https://a.example/cases/1",
    attributed_to="https://a.example/users/alice",
    content="<p>Incidental adrenal mass.</p>",
    to=(PUBLIC,),
    cc=("https://a.example/users/alice/followers",),
    published="2026-03-01T10:00:00Z",
    summary="Graphic image",
    sensitive=True,
    attachments=(
        Image(
            url="https://a.example/media/ab12.webp",
            media_type="image/webp",
            name="Axial CT",
            width=800,
            height=600,
            blurhash="LEHV6nWB2yk8pyo0adR*.7kCMdnj",
            focal_point=(0.1, -0.2),
        ),
    ),
    tags=(Hashtag(name="#radiology", href="https://a.example/tags/radiology"),),
    replies="https://a.example/cases/1/replies",
    consent_on_file=True,
)


def test_mastodon_person() -> None:
    actor = parse_actor(MASTODON_PERSON)
    assert isinstance(actor, Person)
    assert actor.preferred_username == "drbob"
    assert actor.shared_inbox == "https://mastodon.example/inbox"
    assert actor.public_key == PublicKey(
        id="https://mastodon.example/users/drbob#main-key", owner=actor.id, public_key_pem=PEM
    )
    assert actor.icon_url == "https://files.mastodon.example/avatars/1.png"
    assert actor.discoverable is True
    assert actor.verified_professional is False
    assert Person.from_json(actor.to_json()) == actor


def test_fedify_actor_with_multikey_and_key_array() -> None:
    actor = parse_object(FEDIFY_ACTOR)
    assert isinstance(actor, Person)
    assert actor.public_key is not None and actor.public_key.id.endswith("#main-key")
    assert actor.assertion_methods == (
        Multikey(
            id="https://fedify.example/users/carol#multikey-1",
            controller="https://fedify.example/users/carol",
            public_key_multibase="z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        ),
    )
    assert actor.multikey("https://fedify.example/users/carol#multikey-1") is not None
    assert actor.multikey("https://fedify.example/users/carol#other") is None
    assert Person.from_json(actor.to_json()) == actor


def test_verified_professional_extension_round_trip() -> None:
    data = copy.deepcopy(MASTODON_PERSON)
    data["fediverseCases:verifiedProfessional"] = True
    data["fediverseCases:profession"] = "Radiologist"
    actor = parse_actor(data)
    assert actor.verified_professional and actor.profession == "Radiologist"
    out = actor.to_json()
    assert out["fediverseCases:verifiedProfessional"] is True
    assert out["fediverseCases:profession"] == "Radiologist"
    assert {"fediverseCases": FEDIVERSE_CASES_NS}.items() <= out["@context"][-1].items()


def test_verified_professional_expanded_form_and_non_bool() -> None:
    data = {**MASTODON_PERSON, FEDIVERSE_CASES_NS + "verifiedProfessional": True}
    assert parse_actor(data).verified_professional
    # A string "true" is not a claim we honour.
    assert not parse_actor(
        {**MASTODON_PERSON, "fediverseCases:verifiedProfessional": "true"}
    ).verified_professional


def test_service_instance_actor() -> None:
    service = Service(
        id="https://a.example/actor", inbox="https://a.example/actor/inbox", preferred_username="a.example"
    )
    data = service.to_json()
    assert data["type"] == "Service"
    assert isinstance(parse_actor(data), Service)
    with pytest.raises(UnsupportedType):
        Person.from_json(data)


def test_mastodon_create_note() -> None:
    create = parse_activity(MASTODON_CREATE)
    assert isinstance(create, Create)
    note = create.object
    assert isinstance(note, Note)
    assert create.object_id == note.id and create.object_embedded
    assert note.in_reply_to == "https://a.example/cases/1"
    assert note.replies == "https://mastodon.example/users/drbob/statuses/1120/replies"
    assert note.summary is None and note.sensitive is False
    (image,) = note.attachments
    assert image.type == "Document" and image.name == "Axial CT, liver window"
    assert image.focal_point == (0.0, -0.5) and (image.width, image.height) == (1200, 900)
    assert note.tags == (
        Mention(href="https://a.example/users/alice", name="@alice@a.example"),
        Hashtag(name="#radiology", href="https://mastodon.example/tags/radiology"),
    )
    assert note.consent_on_file is None
    assert Create.from_json(create.to_json()) == create


def test_case_note_round_trip_with_consent_extension() -> None:
    data = CASE_NOTE.to_json(with_context=True)
    assert data["@context"] == DEFAULT_CONTEXT
    assert data["fediverseCases:consentOnFile"] is True
    assert data["attachment"][0]["name"] == data["attachment"][0]["summary"] == "Axial CT"
    assert data["attachment"][0]["focalPoint"] == [0.1, -0.2]
    assert Note.from_json(data) == CASE_NOTE


def test_gotosocial_alt_text_in_summary() -> None:
    image = Image.from_json({"type": "Image", "url": "https://g.example/m.png", "summary": "alt text"})
    assert image.name == "alt text"


def test_image_url_as_link_object() -> None:
    image = Image.from_json(
        {
            "type": "Image",
            "url": [{"type": "Link", "href": "https://p.example/m.jpg", "mediaType": "image/jpeg"}],
        }
    )
    assert image.url == "https://p.example/m.jpg" and image.media_type == "image/jpeg"


@pytest.mark.parametrize("short", ["as:Public", "Public", PUBLIC])
def test_public_short_forms_are_normalised(short: str) -> None:
    data = copy.deepcopy(MASTODON_CREATE)
    data["to"] = [short]
    data["object"]["to"] = short
    create = parse_activity(data)
    assert create.to == (PUBLIC,)
    assert isinstance(create.object, Note) and create.object.to == (PUBLIC,)


ALICE = "https://a.example/users/alice"
BOB = "https://b.example/users/bob"
FOLLOW = Follow(id="https://a.example/follows/1", actor=ALICE, object=BOB, to=(BOB,))


@pytest.mark.parametrize(
    "activity",
    [
        FOLLOW,
        Accept(id="https://b.example/accepts/1", actor=BOB, object=FOLLOW, to=(ALICE,)),
        Reject(id="https://b.example/rejects/1", actor=BOB, object=FOLLOW.id),
        Undo(id="https://a.example/undo/1", actor=ALICE, object=FOLLOW),
        Like(id="https://a.example/likes/1", actor=ALICE, object="https://b.example/cases/9"),
        Announce(
            id="https://a.example/boosts/1", actor=ALICE, object="https://b.example/cases/9", to=(PUBLIC,)
        ),
        Delete(
            id="https://a.example/cases/1#delete",
            actor=ALICE,
            object=Tombstone(id="https://a.example/cases/1"),
        ),
        Delete(id="https://a.example/users/alice#delete", actor=ALICE, object=ALICE),
        Update(id="https://a.example/cases/1#update-1", actor=ALICE, object=CASE_NOTE, to=(PUBLIC,)),
        Update(id="https://a.example/users/alice#update-1", actor=ALICE, object=parse_actor(MASTODON_PERSON)),
        Create(id="https://a.example/cases/1/activity", actor=ALICE, object=CASE_NOTE, to=(PUBLIC,)),
        Flag(
            id="https://a.example/flags/1",
            actor="https://a.example/actor",
            object=(BOB, "https://b.example/cases/9"),
            content="Identifiable patient",
        ),
    ],
    ids=lambda a: f"{a.TYPE}-{type(a.object).__name__}",
)
def test_activity_round_trip(activity: Any) -> None:
    data = activity.to_json()
    assert data["@context"] == DEFAULT_CONTEXT
    assert data["type"] == activity.TYPE
    assert "@context" not in (data["object"] if isinstance(data["object"], dict) else {})
    assert parse_activity(data) == activity
    assert parse_any(data) == activity


def test_announce_keeps_only_the_reference_of_an_embedded_object() -> None:
    announce = parse_activity(
        {
            "id": "https://a.example/boosts/2",
            "type": "Announce",
            "actor": ALICE,
            "object": {"id": "https://c.example/notes/1", "type": "Note", "content": "forged"},
        }
    )
    assert announce.object == "https://c.example/notes/1"


def test_delete_with_embedded_non_tombstone_is_reduced_to_id() -> None:
    delete = parse_activity(
        {
            "id": "https://a.example/d/1",
            "type": "Delete",
            "actor": ALICE,
            "object": {"id": ALICE, "type": "Person"},
        }
    )
    assert delete.object == ALICE


def test_type_array_picks_known_type() -> None:
    data = {**FOLLOW.to_json(), "type": ["Follow", "x:Custom"]}
    assert isinstance(parse_activity(data), Follow)


@pytest.mark.parametrize(
    "data",
    [
        {"id": "https://a.example/m/1", "type": "Move", "actor": ALICE, "object": ALICE, "target": BOB},
        {"id": "https://a.example/b/1", "type": "Block", "actor": ALICE, "object": BOB},
        {"id": "https://a.example/c/1", "type": "Create", "actor": ALICE, "object": {"id": "https://a.example/q", "type": "Event"}},
        {"id": "https://a.example/u/1", "type": "Undo", "actor": ALICE, "object": {"id": "https://a.example/b/1", "type": "Block", "actor": ALICE, "object": BOB}},
        {"id": "https://a.example/a/1", "type": "Accept", "actor": BOB, "object": {"id": "https://x.example/1", "type": "Invite", "actor": ALICE, "object": BOB}},
    ],
    ids=["Move", "Block", "Create-Event", "Undo-Block", "Accept-Invite"],
)  # fmt: skip
def test_unsupported_activity_types(data: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedType):
        parse_activity(data)


def test_unsupported_object_types() -> None:
    with pytest.raises(UnsupportedType):
        parse_object({"id": "https://a.example/a/1", "type": "Article"})
    with pytest.raises(UnsupportedType):
        parse_any({"id": "https://a.example/a/1", "type": "Event"})
    with pytest.raises(UnsupportedType):
        parse_actor({**MASTODON_PERSON, "type": "Organization"})
    # Groups (FEP-1b12: ours, Lemmy's communities) are actors people join.
    assert parse_actor({**MASTODON_PERSON, "type": "Group"}).TYPE == "Group"


@pytest.mark.parametrize(
    "data",
    [
        {"type": "Follow", "actor": ALICE, "object": BOB},  # no id
        {"id": "https://a.example/f/1", "type": "Follow", "object": BOB},  # no actor
        {"id": "https://a.example/f/1", "type": "Follow", "actor": ALICE},  # no object
        {"id": "https://a.example/f/1", "type": "Follow", "actor": "javascript:alert(1)", "object": BOB},
        {"id": "https://a.example/c/1", "type": "Create", "actor": ALICE, "object": "https://a.example/n/1"},
        {"id": "https://a.example/c/1", "type": "Create", "actor": ALICE, "object": {"type": "Note", "attributedTo": ALICE}},
        {"id": "https://a.example/f/1", "actor": ALICE, "object": BOB},  # no type
        {"id": "https://a.example/c/1", "type": "Create", "actor": ALICE,
         "object": {"id": "https://a.example/n/1", "type": "Note", "attributedTo": ALICE, "content": 5}},
    ],
)  # fmt: skip
def test_invalid_documents(data: dict[str, Any]) -> None:
    with pytest.raises(InvalidDocument):
        parse_activity(data)


def test_mastodon_replies_collection_with_embedded_first_page() -> None:
    replies = parse_object(MASTODON_CREATE["object"]["replies"])
    assert isinstance(replies, OrderedCollection)
    assert replies.first_page is not None and replies.first_page.items == ()
    assert replies.first_page.next is not None and replies.first_page.next.endswith("?page=true")


def test_outbox_collection_and_page_round_trip() -> None:
    outbox = OrderedCollection(
        id="https://a.example/users/alice/outbox",
        total_items=2,
        first="https://a.example/users/alice/outbox?page=1",
    )
    assert OrderedCollection.from_json(outbox.to_json()) == outbox
    page = OrderedCollectionPage(
        id="https://a.example/users/alice/outbox?page=1",
        items=("https://a.example/cases/1/activity", "https://a.example/cases/2/activity"),
        part_of=outbox.id,
        next="https://a.example/users/alice/outbox?page=2",
    )
    assert parse_object(page.to_json()) == page


def test_collection_items_embedded_are_reduced_to_ids() -> None:
    page = OrderedCollectionPage.from_json(
        {"type": "OrderedCollectionPage", "orderedItems": [{"id": "https://a.example/x", "type": "Create"}]}
    )
    assert page.items == ("https://a.example/x",)
