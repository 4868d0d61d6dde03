"""Converters: cases and comments <-> Notes, addressing per visibility, nothing private leaks."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from fediverse_cases.activitypub import PUBLIC, Note
from fediverse_cases.activitypub.base import InvalidDocument
from fediverse_cases.convert import case_from_note, comment_from_note, note_from_case, note_from_comment
from fediverse_cases.convert.activities import create_activity, delete_activity
from fediverse_cases.convert.html import sanitize_html
from fediverse_cases.core.audience import NotFederated
from fediverse_cases.core.urls import LocalUrls

URLS = LocalUrls("https://a.example")


@dataclass
class FakeCase:
    public_id: str = "c1"
    ap_id: str = "https://a.example/cases/c1"
    author_actor_id: int = 1
    is_local: bool = True
    state: str = "published"
    visibility: str = "public"
    title: str = "Rash on the forearm"
    caption: str = "Rash on <forearm> & wrist\n\nSecond paragraph"
    content_warning: str = "Open wound"
    sensitive: bool = False
    hidden: bool = False
    published_at: datetime | None = field(default_factory=lambda: datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    updated_at: datetime | None = None
    # Private facts a careless converter could leak: never in the Note.
    review_note: str = "REVIEW-NOTE-SECRET"


@dataclass
class FakeImage:
    position: int
    media_key: str
    media_type: str = "image/jpeg"
    display_width: int = 1200
    display_height: int = 900
    blurhash: str = "LEHV6nWB2yk8pyo0adR*.7kCMdnj"
    alt_text: str = "Erythematous plaque"
    original_key: str = "ORIGINAL-KEY-SECRET"


@dataclass
class FakeTag:
    tag: str
    is_specialty: bool = False


@dataclass
class FakeActor:
    uri: str = "https://a.example/users/alice"
    username: str = "alice"
    host: str = "a.example"
    followers_url: str = "https://a.example/users/alice/followers"
    profile_url: str = "https://a.example/users/alice"


@dataclass
class FakeComment:
    public_id: str = "m1"
    ap_id: str = "https://b.example/comments/m1"
    is_local: bool = True
    content: str = "Looks like <b>psoriasis</b>"
    content_html: str = ""
    state: str = "visible"
    created_at: datetime = field(default_factory=lambda: datetime(2026, 1, 3, tzinfo=UTC))
    edited_at: datetime | None = None


def _note(case: FakeCase | None = None, images: list[FakeImage] | None = None, **kw) -> dict:
    return note_from_case(
        case or FakeCase(),
        images if images is not None else [FakeImage(1, "k2"), FakeImage(0, "k1")],
        [FakeTag("dermatology", True), FakeTag("rash")],
        FakeActor(),
        URLS,
        **kw,
    )


def test_case_note_has_images_tags_and_consent_claim() -> None:
    note = _note()
    assert note["type"] == "Note"
    assert note["attributedTo"] == "https://a.example/users/alice"
    assert note["content"] == "<p>Rash on &lt;forearm&gt; &amp; wrist</p><p>Second paragraph</p>"
    assert note["name"] == "Rash on the forearm"  # the case's title, plain text
    assert case_from_note(note).title == "Rash on the forearm"
    assert note["url"] == "https://a.example/cases/c1"
    assert note["replies"] == "https://a.example/cases/c1/replies"
    assert note["published"] == "2026-01-02T03:04:05Z"
    assert note["fediverseCases:consentOnFile"] is True
    first = note["attachment"][0]
    assert first["url"] == URLS.media_display("k1", "image/jpeg")
    assert first["name"] == first["summary"] == "Erythematous plaque"
    assert (first["width"], first["height"], first["mediaType"]) == (1200, 900, "image/jpeg")
    assert first["blurhash"]
    assert [t["name"] for t in note["tag"]] == ["#dermatology", "#rash"]
    assert "sensitive" not in note or note["sensitive"] is False


def test_graphic_case_carries_sensitive_flag_and_content_warning() -> None:
    note = _note(FakeCase(sensitive=True))
    assert note["sensitive"] is True
    assert note["summary"] == "Open wound"


def test_at_most_ten_attachments() -> None:
    note = _note(images=[FakeImage(i, f"k{i}") for i in range(14)])
    assert len(note["attachment"]) == 10


def test_public_case_addresses_public_and_followers() -> None:
    note = _note()
    assert note["to"] == [PUBLIC]
    assert note["cc"] == ["https://a.example/users/alice/followers"]


def test_followers_and_peers_case_never_addresses_public() -> None:
    note = _note(FakeCase(visibility="followers"), peers=["https://b.example/actor"])
    assert PUBLIC not in note["to"] + note.get("cc", [])
    assert note["to"] == ["https://a.example/users/alice/followers", "https://b.example/actor"]
    assert "Public" not in json.dumps(note)


@pytest.mark.parametrize(
    "changes",
    [
        {"visibility": "local"},
        {"state": "pending"},
        {"state": "withdrawn"},
        {"state": "rejected"},
        {"hidden": True},
        {"is_local": False},
    ],
)
def test_case_that_must_not_federate_produces_no_note(changes: dict) -> None:
    with pytest.raises(NotFederated):
        _note(FakeCase(**changes))


def test_note_carries_no_consent_or_original_or_review_data() -> None:
    text = json.dumps(_note())
    for secret in ("ORIGINAL-KEY-SECRET", "REVIEW-NOTE-SECRET", "/private", "consentDate", "witness"):
        assert secret not in text
    assert [k for k in _note() if "consent" in k.lower()] == ["fediverseCases:consentOnFile"]


def test_case_round_trip_through_note() -> None:
    case = FakeCase(sensitive=True)
    remote = case_from_note(_note(case))
    assert remote.ap_id == case.ap_id
    assert remote.author_uri == "https://a.example/users/alice"
    assert remote.caption == "Rash on <forearm> & wrist\n\nSecond paragraph"
    assert remote.visibility == "public"
    assert remote.sensitive and remote.content_warning == "Open wound"
    assert remote.consent_on_file is True
    assert [i.url for i in remote.images] == [
        URLS.media_display("k1", "image/jpeg"),
        URLS.media_display("k2", "image/jpeg"),
    ]
    assert remote.images[0].alt_text == "Erythematous plaque"
    assert remote.tags == ("dermatology", "rash")
    assert remote.published_at == case.published_at


def test_followers_case_read_back_as_members_only() -> None:
    note = _note(FakeCase(visibility="followers"))
    assert case_from_note(note, "https://a.example/users/alice/followers").visibility == "followers"


def test_remote_note_without_images_is_not_a_case() -> None:
    with pytest.raises(InvalidDocument):
        case_from_note(_note(images=[]))


def test_remote_html_is_sanitized() -> None:
    dirty = '<p onclick="x()">Hi<script>alert(1)</script> <a href="javascript:evil()">x</a></p>'
    clean = sanitize_html(dirty)
    assert "script" not in clean and "onclick" not in clean and "javascript" not in clean


def test_comment_reply_addresses_case_author_with_mention() -> None:
    commenter = FakeActor(
        uri="https://b.example/users/bob",
        username="bob",
        host="b.example",
        followers_url="https://b.example/users/bob/followers",
    )
    note = note_from_comment(
        FakeComment(),
        commenter,
        case_ap_id="https://a.example/cases/c1",
        case_public=True,
        case_author=FakeActor(),
        urls=LocalUrls("https://b.example"),
    )
    assert note["inReplyTo"] == "https://a.example/cases/c1"
    assert note["to"] == [PUBLIC, "https://a.example/users/alice"]
    assert note["cc"] == ["https://b.example/users/bob/followers"]
    assert note["tag"] == [
        {"type": "Mention", "href": "https://a.example/users/alice", "name": "@alice@a.example"}
    ]
    assert note["content"] == "<p>Looks like &lt;b&gt;psoriasis&lt;/b&gt;</p>"
    back = comment_from_note(note)
    assert back.content == "Looks like <b>psoriasis</b>"
    assert back.in_reply_to == "https://a.example/cases/c1"
    assert back.author_uri == "https://b.example/users/bob"


def test_comment_on_members_only_case_is_not_public_and_replies_to_parent() -> None:
    note = note_from_comment(
        FakeComment(),
        FakeActor(uri="https://b.example/users/bob"),
        case_ap_id="https://a.example/cases/c1",
        case_public=False,
        case_author=FakeActor(),
        urls=URLS,
        parent_ap_id="https://c.example/comments/x",
        parent_author_uri="https://c.example/users/carol",
    )
    assert PUBLIC not in note["to"] + note["cc"]
    assert note["inReplyTo"] == "https://c.example/comments/x"
    assert "https://c.example/users/carol" in note["to"]


def test_note_without_in_reply_to_is_not_a_comment() -> None:
    with pytest.raises(InvalidDocument):
        comment_from_note(Note(id="https://b.example/n", attributed_to="https://b.example/u", content="x"))


def test_create_and_delete_envelopes() -> None:
    note = _note()
    create = create_activity(note)
    assert create["actor"] == note["attributedTo"] and create["object"]["id"] == note["id"]
    assert "@context" not in create["object"]
    delete = delete_activity(note["id"], note["attributedTo"], to=[PUBLIC])
    assert delete["object"]["type"] == "Tombstone" and delete["object"]["formerType"] == "Note"
