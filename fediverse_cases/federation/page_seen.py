"""Seen, federated: a recipient at another hospital than the requester's opening a page tells
the requester's hospital, so its page view shows who has seen it.

Sending (``tell_seen``): when a local recipient first sees a page requested at another
hospital (its view, the case's page, or its notification read), we send the requester a
``View`` (AS2: the actor has viewed the object) whose object is the page Note's id, signed by
the recipient and delivered to the requester's inbox through the outbox.

Receiving (``handle_view``): the sender must be the actor, a professional believed here (as
for comments), and the object a page requested here. A recipient row is marked seen once; for
a page sent through a group hosted elsewhere (its home knows who was paged, not us) the
recipient row is added. Any other ``View`` is ignored.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.activitypub.constants import DEFAULT_CONTEXT
from fediverse_cases.federation import outbox, recipients
from fediverse_cases.federation.handlers.context import Ignored, InboxContext
from fediverse_cases.federation.state import FederationState
from fediverse_cases.storage.base import utcnow
from fediverse_cases.storage.models import Actor, Page, PageRecipient
from fediverse_cases.storage.repositories import paging as paging_repo
from fediverse_cases.storage.repositories import peers as peers_repo


def view_activity(actor: Actor, page: Page, requester: Actor) -> dict[str, object]:
    return {
        "@context": DEFAULT_CONTEXT,
        "id": f"{actor.uri}/views/{secrets.token_hex(12)}",
        "type": "View",
        "actor": actor.uri,
        "object": page.ap_id,
        "to": [requester.uri],
    }


async def tell_seen(db: AsyncSession, state: FederationState, actor: Actor, pages: Sequence[Page]) -> int:
    """Queue a ``View`` of each remote page to its requester; the number queued."""
    queued = 0
    for page in pages:
        requester = await db.get(Actor, page.requester_actor_id)
        if page.is_local or requester is None or requester.is_local:
            continue
        queued += await outbox.enqueue(
            db,
            state,
            activity=view_activity(actor, page, requester),
            sender=actor,
            inboxes=[recipients.personal_inbox_of(requester)],
            object_id=page.ap_id,
        )
    return queued


async def handle_view(ctx: InboxContext) -> None:
    object_id = ctx.object_iri
    if object_id is None or ctx.forwarded or ctx.signer.uri != ctx.activity.get("actor"):
        raise Ignored("View not sent by its actor")
    db = ctx.db
    page = await paging_repo.get_page_by_ap_id(db, object_id)
    requester = await db.get(Actor, page.requester_actor_id) if page is not None else None
    if page is None or requester is None or not requester.is_local or page.state != "sent":
        raise Ignored("View of something that is not a page requested here")
    peer = await peers_repo.get_peer(db, ctx.signer.host)
    believed = (
        ctx.signer.verified_professional or ctx.signer.vouched or bool(peer and peer.vouch_professionals)
    )
    if peer is None or peer.state != "allowed" or not believed:
        raise Ignored("View by someone not a believed professional")
    row = await db.execute(
        select(PageRecipient).where(PageRecipient.page_id == page.id, PageRecipient.actor_id == ctx.signer.id)
    )
    recipient = row.scalar_one_or_none()
    if recipient is None:
        group = await db.get(Actor, page.group_actor_id)
        if group is None or group.is_local:
            raise Ignored("View of a page by someone it was not for")
        recipient = PageRecipient(
            page_id=page.id, actor_id=ctx.signer.id, on_call=True, notified_at=page.sent_at
        )
        db.add(recipient)
    if recipient.seen_at is None:
        recipient.seen_at = utcnow()
    await db.flush()
