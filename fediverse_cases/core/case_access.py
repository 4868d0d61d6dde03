"""Who may see a case, its images and its comments: the one rule every page, feed, search,
media URL and ActivityPub endpoint asks. Stdlib only.

Only approved (published), non-hidden cases are visible to people other than their author and
reviewers. "This hospital only" cases need a signed-in local account; "followers and peers"
cases are visible to signed-in local accounts and to the followers/peers they were sent to.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class CaseState(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    CHANGES_REQUESTED = "changes_requested"
    PUBLISHED = "published"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Visibility(StrEnum):
    PUBLIC = "public"
    FOLLOWERS = "followers"
    LOCAL = "local"


VISIBILITY_LABELS = {
    Visibility.PUBLIC: "Public",
    Visibility.FOLLOWERS: "Followers and peer hospitals",
    Visibility.LOCAL: "This hospital only",
}


@dataclass(frozen=True)
class Viewer:
    """The person asking; ``None`` fields mean an anonymous visitor."""

    account_id: int | None = None
    actor_id: int | None = None
    is_reviewer: bool = False

    @property
    def signed_in(self) -> bool:
        return self.account_id is not None


@dataclass(frozen=True)
class CaseFacts:
    state: str
    visibility: str
    hidden: bool
    author_actor_id: int
    is_local: bool


class CaseLike(Protocol):
    state: str
    visibility: str
    hidden: bool
    author_actor_id: int
    is_local: bool


def case_facts(case: CaseLike) -> CaseFacts:
    """The facts of a stored case (any object with these attributes) that the rules look at."""
    return CaseFacts(
        state=case.state,
        visibility=case.visibility,
        hidden=case.hidden,
        author_actor_id=case.author_actor_id,
        is_local=case.is_local,
    )


def is_author(viewer: Viewer, case: CaseFacts) -> bool:
    return viewer.actor_id is not None and viewer.actor_id == case.author_actor_id


def can_see_unpublished(viewer: Viewer, case: CaseFacts) -> bool:
    """Authors see their own drafts and submissions; reviewers see every local case."""
    return is_author(viewer, case) or (viewer.is_reviewer and case.is_local)


def can_view_case(viewer: Viewer, case: CaseFacts) -> bool:
    if case.state == CaseState.WITHDRAWN:
        return False
    if case.state != CaseState.PUBLISHED or case.hidden:
        return can_see_unpublished(viewer, case)
    if case.visibility == Visibility.PUBLIC:
        return True
    # followers / local: members of this hospital; remote followers get it by delivery.
    return viewer.signed_in


def federates(case: CaseFacts) -> bool:
    """Only approved, visible, local cases that are not "this hospital only" leave the instance."""
    return (
        case.is_local
        and case.state == CaseState.PUBLISHED
        and not case.hidden
        and case.visibility != Visibility.LOCAL
    )
