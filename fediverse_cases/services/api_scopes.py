"""OAuth scopes as Mastodon defines them, plus which scopes each role may hold. Pure functions.

``read``/``write`` imply every ``read:*``/``write:*`` sub-scope; the legacy ``follow`` scope
implies the follow/block/mute sub-scopes; ``admin:read``/``admin:write`` (our review tools)
imply ``admin:read:*``/``admin:write:*``. Roles narrow what a token can do at every request, so
a demoted or disabled account's old tokens lose their power at once (fail closed).
"""

from __future__ import annotations

from collections.abc import Iterable

from fediverse_cases.core.accounts import AccountLike, can_post_and_comment, can_review

READ_SUBSCOPES = frozenset(
    f"read:{name}"
    for name in [
        "accounts",
        "blocks",
        "bookmarks",
        "favourites",
        "filters",
        "follows",
        "lists",
        "mutes",
        "notifications",
        "search",
        "statuses",
    ]
)
WRITE_SUBSCOPES = frozenset(
    f"write:{name}"
    for name in [
        "accounts",
        "blocks",
        "bookmarks",
        "conversations",
        "favourites",
        "filters",
        "follows",
        "lists",
        "media",
        "mutes",
        "notifications",
        "reports",
        "statuses",
    ]
)
FOLLOW_IMPLIES = frozenset(
    {"read:follows", "write:follows", "read:blocks", "write:blocks", "read:mutes", "write:mutes"}
)
ADMIN_SUBSCOPES = frozenset({"admin:read:cases", "admin:write:cases"})
TOP_LEVEL = frozenset({"read", "write", "follow", "push", "admin:read", "admin:write"})
KNOWN_SCOPES = TOP_LEVEL | READ_SUBSCOPES | WRITE_SUBSCOPES | ADMIN_SUBSCOPES
DEFAULT_SCOPES = frozenset({"read"})


class ScopeError(ValueError):
    """A scope string naming something we do not know."""


def parse_scopes(
    text: str | Iterable[str] | None, *, default: frozenset[str] = DEFAULT_SCOPES
) -> frozenset[str]:
    if text is None:
        return default
    words = (
        text.replace(",", " ").split()
        if isinstance(text, str)
        else [w for part in text for w in part.split()]
    )
    if not words:
        return default
    unknown = sorted(set(words) - KNOWN_SCOPES)
    if unknown:
        raise ScopeError(f"Unknown scope: {' '.join(unknown)}")
    return frozenset(words)


def format_scopes(scopes: Iterable[str]) -> str:
    order = ["read", "write", "follow", "push", "admin:read", "admin:write"]
    return " ".join(sorted(set(scopes), key=lambda s: (order.index(s) if s in order else len(order), s)))


def _parent(scope: str) -> str:
    parts = scope.split(":")
    return ":".join(parts[:-1]) if len(parts) > 1 else ""


def grants(granted: Iterable[str], required: str) -> bool:
    """Does a token holding ``granted`` cover ``required`` (e.g. ``write:statuses``)?"""
    held = set(granted)
    if required in held:
        return True
    if required in FOLLOW_IMPLIES and "follow" in held:
        return True
    parent = _parent(required)
    return bool(parent) and grants(held, parent)


def role_permits(account: AccountLike | None, scope: str) -> bool:
    """What a person's role allows, whatever their token says: viewers read only."""
    if scope.startswith("admin:"):
        return can_review(account)
    if scope == "read" or scope.startswith("read:"):
        return account is None or not account.disabled
    # write, write:*, follow, push: posting, commenting, following and liking are for professionals.
    return can_post_and_comment(account)


def allowed_for(account: AccountLike | None, requested: Iterable[str]) -> frozenset[str]:
    """The subset of ``requested`` this account may be granted."""
    return frozenset(scope for scope in requested if role_permits(account, scope))


def within(requested: Iterable[str], registered: Iterable[str]) -> bool:
    """Every requested scope is covered by the app's registered scopes."""
    registered_set = set(registered)
    return all(grants(registered_set, scope) for scope in requested)
