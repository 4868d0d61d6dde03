"""A real Fedify server joins one of our groups: it follows the ``Group`` actor (which Fedify
must parse), gets the group's Accept, and receives the group's ``Announce`` of a member's case
with the member's ``Create`` embedded unchanged, its HTTP signature verified by Fedify."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from fediverse_cases.core.accounts import Role
from tests.e2e.test_e2e_content_three_instances import clinical_image, poll
from tests.e2e.test_e2e_groups_three_instances import join, member
from tests.interop.fedify_peer import FedifyPeer
from tests.support.live import free_port
from tests.support.live_fixtures import live_instances  # noqa: F401

pytestmark = pytest.mark.e2e


async def test_fedify_follows_our_group_and_gets_its_announces(live_instances) -> None:  # noqa: F811
    peer = FedifyPeer(free_port())
    peer_host = f"127.0.0.1:{peer.port}"
    # Fedify's actors make no professional claim: A vouches for that peer's accounts.
    a = await live_instances("a", vouch=[peer_host])
    await a.create_account("alice", Role.PROFESSIONAL, verified=True)
    created = a.run_cli("groups", "create", "dermatology", "--name", "Dermatology", "--moderator", "alice")
    assert created.returncode == 0, created.stderr
    group_url = f"{a.url}/groups/dermatology"
    await a.start(timeout=180)
    await asyncio.to_thread(peer.start)
    try:
        await asyncio.to_thread(peer.follow, group_url)

        async def accepted() -> bool:
            rows = await asyncio.to_thread(peer.following)
            return any(r.get("state") == "accepted" for r in rows)

        await poll(accepted, "the group's Accept reaching Fedify", timeout=60)

        await join(a, "alice", group_url)
        await poll(lambda: member(a, "alice", group_url), "alice in the group")

        async def alice_posts() -> Any:
            from fediverse_cases.services.case_factory import create_published_case
            from fediverse_cases.storage.repositories.accounts import (
                get_account_by_username,
                get_actor_by_uri,
            )

            async with a.state() as state:
                async with state.sessionmaker() as db:
                    account = await get_account_by_username(db, "alice")
                    group = await get_actor_by_uri(db, group_url)
                return await create_published_case(
                    state,
                    account,
                    images=[clinical_image(5)],
                    caption="Scaly plaques on both elbows",
                    groups=[group.id],
                )

        case = await alice_posts()

        async def announce_received() -> dict[str, Any] | None:
            for entry in await asyncio.to_thread(peer.inbox):
                if entry.get("type") == "Announce" and entry.get("actor") == group_url:
                    return entry
            return None

        entry = await poll(announce_received, "the group's Announce at Fedify", timeout=60)
        embedded = entry["activity"]["object"]
        assert embedded["type"] == "Create" and embedded["actor"] == a.actor_url("alice")
        assert embedded["object"]["id"] == case.ap_id and embedded["proof"]["verificationMethod"].startswith(
            a.actor_url("alice")
        )
        assert entry["verifiedBy"]["httpSignature"]["verified"] is True
    finally:
        await asyncio.to_thread(peer.stop)
