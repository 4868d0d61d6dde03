"""Interop with a real Fedify server: it follows our clinician, receives a case with its images,
replies and likes; we show its reply (its host is vouched for). Run once per signature scheme
Fedify tries first (RFC 9421, then draft-cavage), each with a fresh peer process."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from fediverse_cases.core.accounts import Role
from tests.e2e.test_e2e_content_three_instances import poll, publish, query
from tests.interop.fedify_peer import FedifyPeer
from tests.support.live import free_port
from tests.support.live_fixtures import live_instances  # noqa: F401

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("first_knock", ["rfc9421", "draft-cavage-http-signatures-12"])
async def test_fedify_peer_follows_receives_replies_and_likes(live_instances, first_knock: str) -> None:  # noqa: F811
    peer = FedifyPeer(free_port(), first_knock=first_knock)
    peer_host = f"127.0.0.1:{peer.port}"
    a = await live_instances("a", vouch=[peer_host])
    await a.create_account("alice", Role.PROFESSIONAL, verified=True)
    await a.start()
    await asyncio.to_thread(peer.start)
    try:
        await asyncio.to_thread(peer.follow, a.actor_url("alice"))

        async def accepted() -> bool:
            rows = await asyncio.to_thread(peer.following)
            return any(r.get("state") == "accepted" for r in rows)

        await poll(accepted, "our Accept reaching Fedify")

        case = await publish(a, "alice", "Erythematous plaque on the shin, seen by the interop peer", seed=3)

        async def create_received() -> dict[str, Any] | None:
            for entry in await asyncio.to_thread(peer.inbox):
                if entry.get("type") == "Create" and entry["activity"]["object"].get("id") == case.ap_id:
                    return entry
            return None

        entry = await poll(create_received, "the case's Create at Fedify")
        note = entry["activity"]["object"]
        assert note["attachment"] and note["attachment"][0]["type"] == "Image"
        assert note["attachment"][0]["url"].startswith(a.url + "/media/")
        # Fedify accepts on an integrity proof alone; the peer checks our HTTP signature separately.
        assert entry["verifiedBy"]["httpSignature"]["verified"] is True

        await asyncio.to_thread(
            peer.reply,
            case.ap_id,
            "<p>Seen this before at our clinic: likely nummular eczema</p>",
            [a.actor_url("alice")],
        )
        await asyncio.to_thread(peer.like, case.ap_id, a.actor_url("alice"))

        from fediverse_cases.storage.repositories.comments import comments_of_case
        from fediverse_cases.storage.repositories.social import count_likes

        async def reply_stored(db: Any) -> list[str]:
            return [c.content for c in await comments_of_case(db, case.id)]

        texts = await poll(lambda: query(a, reply_stored), "Fedify's reply stored on our instance")
        assert "likely nummular eczema" in texts[0]
        await poll(lambda: query(a, lambda db: count_likes(db, case.id)), "Fedify's like counted")

        import httpx

        async with httpx.AsyncClient() as http:
            page = await http.get(f"{a.url}/cases/{case.public_id}")
        assert "likely nummular eczema" in page.text

        sent = [s for s in await asyncio.to_thread(peer.sent) if s.get("url", "").startswith(a.url)]
        accepted_schemes = {s["signature"]["scheme"] for s in sent if s.get("status") == 202}
        assert first_knock in accepted_schemes, sent
    finally:
        await asyncio.to_thread(peer.stop)
