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
from fediverse_cases.core.case_access import CaseFacts, Viewer
from fediverse_cases.deidentify import Deidentifier, DeidentifyPolicy
from fediverse_cases.media import LocalMediaStore, LocalPrivateStore
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.models import Account, Case
from fediverse_cases.storage.repositories.accounts import get_actor_for_account

if TYPE_CHECKING:
    from fediverse_cases.deidentify import PhiFinding


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


def deidentifier(state: AppState) -> Deidentifier:
    """One engine per process (its models load once), built from the instance settings."""
    engine = state.extras.get("deidentifier")
    if engine is None:
        settings = state.settings
        allowlist = (
            () if settings.deidentify.text_policy == "cover_all" else settings.deidentify.text_allowlist
        )
        engine = Deidentifier(
            DeidentifyPolicy(max_bytes=settings.uploads.max_image_bytes, text_allowlist=tuple(allowlist))
        )
        state.extras["deidentifier"] = engine
    return engine


def media_store(state: AppState) -> LocalMediaStore:
    store = state.extras.get("media_store")
    if store is None:
        store = state.extras["media_store"] = LocalMediaStore(state.settings.media_dir)
    return store


def private_store(state: AppState) -> LocalPrivateStore:
    store = state.extras.get("private_store")
    if store is None:
        store = state.extras["private_store"] = LocalPrivateStore(state.settings.private_dir)
    return store


def case_facts(case: Case) -> CaseFacts:
    return CaseFacts(
        state=case.state,
        visibility=case.visibility,
        hidden=case.hidden,
        author_actor_id=case.author_actor_id,
        is_local=case.is_local,
    )


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
