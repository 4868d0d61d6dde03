"""Following people at other hospitals: resolve ``@name@host[:port]`` (or an actor URL), store
the remote actor, write a pending Follow and queue the Follow activity in the same transaction;
the remote's Accept later marks it accepted. Unfollowing queues Undo(Follow).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.federation import publish
from fediverse_cases.federation.dereference import FetchError, resolve_handle
from fediverse_cases.services.operator import Operator
from fediverse_cases.services.state import AppState
from fediverse_cases.storage.models import Account, Actor, Follow
from fediverse_cases.storage.repositories import accounts as account_repo
from fediverse_cases.storage.repositories import follows as follows_repo
from fediverse_cases.storage.repositories import remote_actors as remote_actors_repo
from fediverse_cases.storage.repositories.audit import record


class FollowError(ValueError):
    """The follow cannot be made; the message is for the person who asked."""


async def _own_actor(db: AsyncSession, account: Account) -> Actor:
    actor = await account_repo.get_actor_for_account(db, account.id)
    if actor is None:
        raise FollowError("your account has no actor")
    return actor


async def lookup_remote(state: AppState, handle: str) -> Actor:
    """Resolve and store the remote actor (its own transaction: network I/O, no follow yet)."""
    async with state.transaction() as db:
        try:
            actor = await resolve_handle(db, state, handle)
        except FetchError as error:
            raise FollowError(f"Could not find {handle.strip()}: {error}") from None
    return actor


async def follow_remote(
    state: AppState, account: Account, handle: str, operator: Operator
) -> tuple[Follow, Actor]:
    remote = await lookup_remote(state, handle)
    if remote.is_local:
        raise FollowError("That person is on this hospital's own instance; follow them from their profile.")
    return await follow_actor(state, account, remote.id, operator), remote


async def follow_actor(state: AppState, account: Account, remote_id: int, operator: Operator) -> Follow:
    async with state.transaction() as db:
        me = await _own_actor(db, account)
        remote = await remote_actors_repo.get_actor(db, remote_id)
        if remote is None or remote.is_local:
            raise FollowError("unknown remote person")
        follow = await account_repo.get_follow(db, me.id, remote.id)
        if follow is None:
            follow = Follow(follower_id=me.id, followed_id=remote.id, state="pending")
            db.add(follow)
            await db.flush()
            await publish.follow_requested(db, state, follow)
            record(db, operator.entry("follow.remote", target_type="actor", target_id=remote.uri))
        return follow


async def unfollow_actor(state: AppState, account: Account, remote_id: int, operator: Operator) -> bool:
    async with state.transaction() as db:
        me = await _own_actor(db, account)
        follow = await account_repo.get_follow(db, me.id, remote_id)
        if follow is None:
            return False
        await publish.follow_removed(db, state, follow)
        await follows_repo.delete_follow(db, follow.id)
        remote = await remote_actors_repo.get_actor(db, remote_id)
        record(
            db, operator.entry("unfollow.remote", target_type="actor", target_id=remote.uri if remote else "")
        )
    return True
