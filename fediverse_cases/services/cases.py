"""The case pipeline's public API and its shared pieces: errors, stores, the engine, viewers.

Others call these names: ``submit_case`` (compose.py), ``approve_case``, ``reject_case``,
``request_changes`` (review.py), ``withdraw_consent`` (withdraw.py); ``create_published_case``
lives in case_factory.py. Access decisions always go through ``core.case_access``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.accounts import can_review
from fediverse_cases.core.case_access import Viewer, case_facts
from fediverse_cases.media.runtime import deidentifier, media_store, private_store
from fediverse_cases.storage.models import Account
from fediverse_cases.storage.repositories.accounts import get_actor_for_account

if TYPE_CHECKING:
    from fediverse_cases.deidentify import PhiFinding


__all__ = [
    "EDITABLE_STATES",
    "CaseError",
    "case_facts",
    "deidentifier",
    "media_store",
    "private_store",
    "viewer_for",
]


@dataclass
class CaseError(Exception):
    """A case action refused; ``message`` is for the person, ``field_errors`` per form field."""

    message: str
    field_errors: dict[str, str] = field(default_factory=dict)
    phi: dict[str, list[PhiFinding]] = field(default_factory=dict)
    status: int = 422

    def __str__(self) -> str:
        return self.message


EDITABLE_STATES = frozenset({"draft", "changes_requested"})


async def viewer_for(db: AsyncSession, account: Account | None) -> Viewer:
    if account is None or account.disabled:
        return Viewer()
    actor = await get_actor_for_account(db, account.id)
    return Viewer(
        account_id=account.id, actor_id=actor.id if actor else None, is_reviewer=can_review(account)
    )


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    # Re-export the use cases lazily: compose/review/withdraw import this module for the helpers.
    if name == "submit_case":
        from fediverse_cases.services.compose import submit_case

        return submit_case
    if name in ("approve_case", "reject_case", "request_changes"):
        from fediverse_cases.services import review

        return getattr(review, name)
    if name == "withdraw_consent":
        from fediverse_cases.services.withdraw import withdraw_consent

        return withdraw_consent
    if name == "create_published_case":
        from fediverse_cases.services.case_factory import create_published_case

        return create_published_case
    raise AttributeError(name)
