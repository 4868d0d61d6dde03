"""Answering follow requests: a person who approves followers one by one accepts or rejects each
pending Follow; the requester's server is told with Accept or Reject (``federation.publish``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.federation import publish
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.social import SocialError
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.models import Actor, Follow
from fediverse_cases.storage.repositories.accounts import get_follow
from fediverse_cases.storage.repositories.audit import record
from fediverse_cases.storage.repositories.follows import delete_follow


async def answer_follow_request(
    db: AsyncSession, state: AppState, me: Actor, requester_id: int, *, accept: bool, operator: Operator
) -> Follow | None:
    """Accept (the follow becomes ``accepted``) or reject (it is removed); 404 when no request."""
    follow = await get_follow(db, requester_id, me.id)
    if follow is None or follow.state != "pending":
        raise SocialError(404, "No follow request from that account.")
    await publish.follow_request_answered(db, state, follow, accepted=accept)
    record(
        db,
        operator.entry(
            "follow.authorize" if accept else "follow.reject",
            target_type="actor",
            target_id=str(requester_id),
        ),
    )
    if accept:
        follow.state = "accepted"
        return follow
    await delete_follow(db, follow.id)
    return None
