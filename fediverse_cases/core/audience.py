"""Visibility <-> addressing, as Mastodon reads and writes it. Stdlib only, no I/O.

- ``public``: to [Public], cc [followers] (+ mentions).
- ``followers`` ("followers and peers"): to [followers] (+ explicit peer recipients), cc
  [mentions]; never Public. A case that is not public must never address Public.
- ``local`` ("this hospital only"): never federates; :func:`addressing_for` refuses it.

Reading remote addressing also yields ``unlisted`` (Public only in cc) and ``direct``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "PUBLIC",
    "Addressing",
    "NotFederated",
    "Visibility",
    "addressing_for",
    "federates",
    "visibility_from_addressing",
]

# Repeated from activitypub.constants so core stays free of the wire vocabulary; a unit test
# keeps the two in step.
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
_PUBLIC_ALIASES = frozenset({PUBLIC, "as:Public", "Public"})


def normalize_public(iri: str) -> str:
    return PUBLIC if iri in _PUBLIC_ALIASES else iri


class Visibility(StrEnum):
    PUBLIC = "public"
    UNLISTED = "unlisted"  # only ever read from peers; we do not emit it for cases
    FOLLOWERS = "followers"
    DIRECT = "direct"
    LOCAL = "local"


class NotFederated(ValueError):
    """The visibility keeps the object on this instance: there is nothing to address."""


@dataclass(frozen=True)
class Addressing:
    to: tuple[str, ...]
    cc: tuple[str, ...]

    @property
    def recipients(self) -> tuple[str, ...]:
        return _unique([*self.to, *self.cc])

    @property
    def is_public(self) -> bool:
        return PUBLIC in self.to or PUBLIC in self.cc


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for item in items:
        if item not in out:
            out.append(item)
    return tuple(out)


def federates(visibility: Visibility | str) -> bool:
    """Whether objects with this visibility ever leave this instance."""
    return Visibility(visibility) is not Visibility.LOCAL


def addressing_for(
    visibility: Visibility | str,
    followers_url: str,
    *,
    peers: Iterable[str] = (),
    mentions: Iterable[str] = (),
) -> Addressing:
    """``to``/``cc`` for an object we emit. Raises NotFederated for ``local``.

    ``peers`` are explicit recipients (actors at peer hospitals the case is shared with);
    ``mentions`` are mentioned actors (also tagged as Mention so Mastodon notifies them).
    """
    visibility = Visibility(visibility)
    peers_t = tuple(p for p in peers if normalize_public(p) != PUBLIC)
    mentions_t = tuple(m for m in mentions if normalize_public(m) != PUBLIC)
    if visibility is Visibility.LOCAL:
        raise NotFederated("local visibility never federates")
    if visibility is Visibility.PUBLIC:
        return Addressing(to=(PUBLIC,), cc=_unique([followers_url, *peers_t, *mentions_t]))
    if visibility is Visibility.UNLISTED:
        return Addressing(to=(followers_url,), cc=_unique([PUBLIC, *peers_t, *mentions_t]))
    if visibility is Visibility.FOLLOWERS:
        to = _unique([followers_url, *peers_t])
        return Addressing(to=to, cc=tuple(m for m in _unique(mentions_t) if m not in to))
    to = _unique([*peers_t, *mentions_t])
    if not to:
        raise ValueError("a direct object needs at least one recipient")
    return Addressing(to=to, cc=())


def visibility_from_addressing(to: Iterable[str], cc: Iterable[str], followers_url: str | None) -> Visibility:
    """How a received object is addressed (Public short forms accepted)."""
    to_set = {normalize_public(i) for i in to}
    cc_set = {normalize_public(i) for i in cc}
    if PUBLIC in to_set:
        return Visibility.PUBLIC
    if PUBLIC in cc_set:
        return Visibility.UNLISTED
    if followers_url and followers_url in to_set | cc_set:
        return Visibility.FOLLOWERS
    return Visibility.DIRECT
