"""Creating the local ActivityPub actors: one per account and the instance's own Service actor."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_cases.core.accounts import is_verified_professional
from fediverse_cases.core.urls import LocalUrls
from fediverse_cases.crypto.keys import generate_ed25519_keypair, generate_rsa_keypair
from fediverse_cases.storage.models import Account, Actor
from fediverse_cases.storage.repositories.accounts import get_instance_actor

INSTANCE_ACTOR_USERNAME = "instance"


def _keyed_actor(urls: LocalUrls, username: str, uri: str, actor_type: str) -> Actor:
    rsa = generate_rsa_keypair()
    ed = generate_ed25519_keypair()
    host = urls.base_url.split("://", 1)[1]
    return Actor(
        uri=uri,
        actor_type=actor_type,
        username=username,
        host=host,
        is_local=True,
        profile_url=uri,
        inbox_url=f"{uri}/inbox",
        shared_inbox_url=urls.shared_inbox,
        outbox_url=f"{uri}/outbox",
        followers_url=f"{uri}/followers",
        following_url=f"{uri}/following",
        public_key_id=f"{uri}#main-key",
        public_key_pem=rsa.public_pem,
        private_key_pem=rsa.private_pem,
        ed25519_key_id=f"{uri}#ed25519-key",
        ed25519_public_multibase=ed.public_multibase,
        ed25519_private_pem=ed.private_pem,
    )


def new_account_actor(urls: LocalUrls, account: Account) -> Actor:
    actor = _keyed_actor(urls, account.username, urls.actor(account.username), "Person")
    actor.account_id = account.id
    sync_actor_from_account(actor, account)
    return actor


def new_group_actor(urls: LocalUrls, slug: str) -> Actor:
    """A hosted group's actor (FEP-1b12 ``Group``) at ``/groups/<slug>``, keyed like a person."""
    return _keyed_actor(urls, slug, urls.group(slug), "Group")


def sync_actor_from_account(actor: Actor, account: Account) -> bool:
    """The actor document mirrors the account's public facts and its verified claim; True when
    any of them changed (peers must then be told)."""

    def facts() -> tuple[object, ...]:
        return (
            actor.display_name,
            actor.verified_professional,
            actor.profession,
            actor.manually_approves_followers,
        )

    before = facts()
    actor.display_name = account.display_name or account.username
    actor.verified_professional = is_verified_professional(account)
    actor.profession = account.occupation if actor.verified_professional else ""
    actor.manually_approves_followers = account.approve_followers
    return facts() != before


async def ensure_instance_actor(session: AsyncSession, urls: LocalUrls, instance_name: str) -> Actor:
    existing = await get_instance_actor(session)
    if existing is not None:
        return existing
    actor = _keyed_actor(urls, INSTANCE_ACTOR_USERNAME, urls.instance_actor, "Service")
    actor.display_name = instance_name
    session.add(actor)
    await session.flush()
    return actor
