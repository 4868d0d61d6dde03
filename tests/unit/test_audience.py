"""Visibility -> addressing and back, as Mastodon reads it."""

from __future__ import annotations

import pytest

from fediverse_cases.activitypub import constants
from fediverse_cases.core.audience import (
    PUBLIC,
    Addressing,
    NotFederated,
    Visibility,
    addressing_for,
    federates,
    visibility_from_addressing,
)

FOLLOWERS = "https://a.example/users/alice/followers"
PEER = "https://b.example/users/bob"
MENTION = "https://m.example/users/drc"


def test_public_constant_matches_wire_vocabulary() -> None:
    assert PUBLIC == constants.PUBLIC


def test_public() -> None:
    a = addressing_for("public", FOLLOWERS, mentions=[MENTION])
    assert a == Addressing(to=(PUBLIC,), cc=(FOLLOWERS, MENTION))
    assert a.is_public


def test_followers_and_peers_never_address_public() -> None:
    a = addressing_for(
        Visibility.FOLLOWERS, FOLLOWERS, peers=[PEER, PEER], mentions=[MENTION, PEER, "as:Public"]
    )
    assert a == Addressing(to=(FOLLOWERS, PEER), cc=(MENTION,))
    assert not a.is_public
    assert PUBLIC not in a.recipients


def test_local_never_federates() -> None:
    assert not federates("local")
    assert federates("public") and federates("followers")
    with pytest.raises(NotFederated):
        addressing_for("local", FOLLOWERS)


def test_direct_needs_recipients() -> None:
    assert addressing_for("direct", FOLLOWERS, mentions=[MENTION]) == Addressing(to=(MENTION,), cc=())
    with pytest.raises(ValueError):
        addressing_for("direct", FOLLOWERS)


def test_unknown_visibility() -> None:
    with pytest.raises(ValueError):
        addressing_for("friends", FOLLOWERS)


@pytest.mark.parametrize(
    ("to", "cc", "expected"),
    [
        ([PUBLIC], [FOLLOWERS], Visibility.PUBLIC),
        (["as:Public"], [], Visibility.PUBLIC),
        (["Public"], [], Visibility.PUBLIC),
        ([FOLLOWERS], [PUBLIC], Visibility.UNLISTED),
        ([FOLLOWERS], [MENTION], Visibility.FOLLOWERS),
        ([PEER], [FOLLOWERS], Visibility.FOLLOWERS),
        ([PEER], [MENTION], Visibility.DIRECT),
        ([], [], Visibility.DIRECT),
    ],
)
def test_visibility_from_addressing(to: list[str], cc: list[str], expected: Visibility) -> None:
    assert visibility_from_addressing(to, cc, FOLLOWERS) == expected


@pytest.mark.parametrize("visibility", ["public", "followers", "unlisted"])
def test_round_trip(visibility: str) -> None:
    a = addressing_for(visibility, FOLLOWERS, peers=[PEER])
    assert visibility_from_addressing(a.to, a.cc, FOLLOWERS) == visibility


def test_no_followers_url_known() -> None:
    assert visibility_from_addressing([FOLLOWERS], [], None) == Visibility.DIRECT
