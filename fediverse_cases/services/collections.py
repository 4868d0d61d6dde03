"""Collections of saved cases: anyone signed in saves cases they can see (local or from peers)
into private collections and orders them; a verified professional may publish a collection as a
teaching set, with its own page and, for peers, an OrderedCollection of the cases in it that are
public. Titles and descriptions of a published set are scanned for identifiers like captions."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.accounts import can_post_and_comment
from fediverse_cases.core.case_access import Viewer, can_view_case, case_facts
from fediverse_cases.deidentify import scan_text
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Account, Case, CaseCollection, CollectionItem
from fediverse_cases.storage.repositories import collections as collections_repo

TITLE_MAX = 200
DESCRIPTION_MAX = 2000


@dataclass
class CollectionError(Exception):
    message: str
    status: int = 422

    def __str__(self) -> str:
        return self.message


def _check_text(title: str, description: str) -> tuple[str, str]:
    title, description = " ".join(title.split()), description.strip()
    if not title or len(title) > TITLE_MAX:
        raise CollectionError(f"Give the collection a title (at most {TITLE_MAX} characters).")
    if len(description) > DESCRIPTION_MAX:
        raise CollectionError(f"The description is at most {DESCRIPTION_MAX} characters.")
    if scan_text(title) or scan_text(description):
        raise CollectionError("The title or description looks like it contains patient identifiers.")
    return title, description


async def create(db: AsyncSession, owner: Account, title: str, description: str = "") -> CaseCollection:
    title, description = _check_text(title, description)
    collection = CaseCollection(
        public_id=secrets.token_hex(10), owner_account_id=owner.id, title=title, description=description
    )
    db.add(collection)
    await db.flush()
    return collection


async def owned(db: AsyncSession, owner: Account, public_id: str) -> CaseCollection:
    collection = await collections_repo.by_public_id(db, public_id)
    if collection is None or collection.owner_account_id != owner.id:
        raise CollectionError("No such collection.", status=404)
    return collection


async def add_case(
    db: AsyncSession, owner: Account, viewer: Viewer, public_id: str, case: Case | None
) -> None:
    collection = await owned(db, owner, public_id)
    if case is None or not can_view_case(viewer, case_facts(case)):
        raise CollectionError("No such case.", status=404)
    if await collections_repo.item(db, collection.id, case.id) is None:
        position = await collections_repo.next_position(db, collection.id)
        db.add(CollectionItem(collection_id=collection.id, case_id=case.id, position=position))
        collection.updated_at = utcnow()
        await db.flush()


async def move(db: AsyncSession, owner: Account, public_id: str, case_id: int, step: int) -> None:
    """Swap the case with its neighbour (``step`` -1: earlier, +1: later)."""
    collection = await owned(db, owner, public_id)
    rows = [item for item, _case in await collections_repo.items(db, collection.id)]
    index = next((i for i, item in enumerate(rows) if item.case_id == case_id), None)
    if index is None:
        raise CollectionError("That case is not in this collection.", status=404)
    other = index + step
    if 0 <= other < len(rows):
        rows[index], rows[other] = rows[other], rows[index]
        for position, item in enumerate(rows):
            item.position = position
        collection.updated_at = utcnow()
        await db.flush()


async def remove(db: AsyncSession, owner: Account, public_id: str, case_id: int) -> None:
    collection = await owned(db, owner, public_id)
    existing = await collections_repo.item(db, collection.id, case_id)
    if existing is not None:
        await db.delete(existing)
        await db.flush()


async def set_published(db: AsyncSession, owner: Account, public_id: str, published: bool) -> CaseCollection:
    collection = await owned(db, owner, public_id)
    if published:
        if not can_post_and_comment(owner):
            raise CollectionError("Only verified healthcare professionals publish teaching sets.", status=403)
        _check_text(collection.title, collection.description)
    collection.published = published
    collection.updated_at = utcnow()
    await db.flush()
    return collection


async def visible(
    db: AsyncSession, account: Account | None, viewer: Viewer, public_id: str
) -> tuple[CaseCollection, list[Case]]:
    """A collection its owner, or anyone once published, may see, with the cases in it that the
    viewer may see, in the collection's order."""
    collection = await collections_repo.by_public_id(db, public_id)
    mine = collection is not None and account is not None and collection.owner_account_id == account.id
    if collection is None or not (mine or collection.published):
        raise CollectionError("No such collection.", status=404)
    cases = [
        case
        for _item, case in await collections_repo.items(db, collection.id)
        if can_view_case(viewer, case_facts(case))
    ]
    return collection, cases
