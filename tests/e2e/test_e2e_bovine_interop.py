"""Interop with a real bovine-herd 0.5 server (a full ActivityPub server on Quart, code nobody
here wrote) on loopback, next to the Fedify peer: it follows our clinician and receives a case
with its image; our clinician follows its actor and receives its image post; its Delete purges
the post here; our Update and Delete reach it.

bovine is a client-to-server server: whatever its person does (follow, accept a follower, post,
delete) is POSTed to its outbox by its client, and bovine processes and delivers it. It uses
opaque actor ids (``/endpoints/<token>``), single-valued ``attachment``/``to``/``cc`` and signs
with draft-cavage HTTP signatures. Our instance federates with it only once an admin allowed its
loopback host: before that its Follow is refused.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from fediverse_cases.core.accounts import Role
from fediverse_cases.federation.allow_list_cache import CACHE_SECONDS
from fediverse_cases.storage.models import Case, CaseImage
from tests.e2e.test_e2e_content_three_instances import (
    clinical_image,
    follow_accepted,
    in_transaction,
    poll,
    publish,
    query,
    remote_case,
)
from tests.interop.bovine_peer import AS_PUBLIC, BovinePeer
from tests.support.live import LiveInstance, free_port
from tests.support.live_fixtures import live_instances  # noqa: F401

pytestmark = pytest.mark.e2e

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"


async def _in_peer(peer: BovinePeer, method: str, *args: Any) -> Any:
    return await asyncio.to_thread(getattr(peer, method), *args)


async def _inbox_entry(peer: BovinePeer, kind: str, object_id: str | None = None) -> dict[str, Any] | None:
    for item in await _in_peer(peer, "inbox"):
        if not isinstance(item, dict) or item.get("type") != kind:
            continue
        obj = item.get("object")
        oid = obj.get("id") if isinstance(obj, dict) else obj
        if object_id is None or oid == object_id:
            return item
    return None


async def _logged(instance: LiveInstance, line: str) -> bool:
    return line in instance.log_tail(400)


async def follow_accepted_by(instance: LiveInstance, username: str) -> int:
    """How many accepted followers ``username`` has."""
    from fediverse_cases.storage.models import Actor, Follow

    async def work(db: Any) -> int:
        rows = await db.execute(
            select(Follow.id)
            .join(Actor, Actor.id == Follow.followed_id)
            .where(Actor.username == username, Follow.state == "accepted")
        )
        return len(rows.all())

    return await query(instance, work)


async def _follow_from_here(instance: LiveInstance, username: str, actor_uri: str) -> None:
    from fediverse_cases.federation.dereference import get_or_fetch_actor
    from fediverse_cases.services import social
    from fediverse_cases.storage.repositories.accounts import get_local_actor_by_username

    async def work(db: Any, state: Any) -> None:
        me = await get_local_actor_by_username(db, username)
        them = await get_or_fetch_actor(db, state, actor_uri)
        await social.follow(db, state, me, them)

    await in_transaction(instance, work)


async def _cases_from(instance: LiveInstance, origin: str) -> list[tuple[Case, list[CaseImage]]]:
    async def work(db: Any) -> list[tuple[Case, list[CaseImage]]]:
        cases = (await db.scalars(select(Case).where(Case.ap_id.startswith(origin + "/")))).all()
        return [
            (case, list((await db.scalars(select(CaseImage).where(CaseImage.case_id == case.id))).all()))
            for case in cases
        ]

    return await query(instance, work)


async def test_bovine_herd_peer_both_ways(live_instances, tmp_path: Path) -> None:  # noqa: F811
    peer = BovinePeer(free_port(), tmp_path / "bovine")
    a = await live_instances("a")
    await a.create_account("clinician", Role.PROFESSIONAL, verified=True)
    await a.create_account("privacy", Role.REVIEWER, verified=False)
    await a.start()
    await asyncio.to_thread(peer.start)
    try:
        # Loopback peers are federated with only when an admin allowed them: bovine's signed
        # fetch of our clinician (to find the inbox for its Follow) gets 403, so nothing arrives.
        refused = {
            "@context": AS_CONTEXT,
            "type": "Follow",
            "actor": peer.actor,
            "object": a.actor_url("clinician"),
            "to": [a.actor_url("clinician")],
        }
        await _in_peer(peer, "post", refused)
        await poll(lambda: _logged(a, '"GET /users/clinician" 403'), "our actor refusing the unallowed peer")
        assert await follow_accepted_by(a, "clinician") == 0
        await a.allow_peer(peer.host)
        await asyncio.sleep(CACHE_SECONDS + 0.5)  # the served process sees the change

        # 1. bovine follows our clinician; we accept at once.
        follow_id = await _in_peer(
            peer,
            "post",
            {
                "@context": AS_CONTEXT,
                "type": "Follow",
                "actor": peer.actor,
                "object": a.actor_url("clinician"),
                "to": [a.actor_url("clinician")],
            },
        )
        accept = await poll(lambda: _inbox_entry(peer, "Accept"), "our Accept in bovine's inbox")
        accepted_follow = accept["object"]["id"] if isinstance(accept["object"], dict) else accept["object"]
        assert accepted_follow == follow_id

        # 2. A new case reaches bovine's inbox with its image, which bovine can fetch.
        case = await publish(a, "clinician", "Erythematous plaque on the shin, sent to the herd", seed=4)
        create = await poll(lambda: _inbox_entry(peer, "Create", case.ap_id), "the case's Create at bovine")
        note = create["object"]
        attachments = note["attachment"] if isinstance(note["attachment"], list) else [note["attachment"]]
        assert attachments[0]["type"] == "Image"
        image_url = attachments[0]["url"]
        assert image_url.startswith(a.url + "/media/")
        async with httpx.AsyncClient() as http:
            image = await http.get(image_url)
        assert image.status_code == 200 and image.headers["content-type"].startswith("image/")

        # 3. Our Update (an approved caption edit) reaches bovine's copy.
        async def edit_and_approve(db: Any, state: Any) -> None:
            from fediverse_cases.services import case_edits
            from fediverse_cases.services.operator import Operator
            from fediverse_cases.storage.repositories.accounts import (
                get_account_by_username,
                get_local_actor_by_username,
            )
            from fediverse_cases.storage.repositories.cases import get_case_by_ap_id

            mine = await get_case_by_ap_id(db, case.ap_id)
            author = await get_account_by_username(db, "clinician")
            edit = case_edits.CaseEdit(
                caption="Erythematous plaque on the shin; biopsy shows psoriasis", specialties=["dermatology"]
            )
            actor = await get_local_actor_by_username(db, "clinician")
            await case_edits.propose_edit(db, state, mine, author, actor, edit, Operator.system())
            reviewer = await get_account_by_username(db, "privacy")
            await case_edits.approve_edit(db, state, mine, reviewer, Operator.system())

        await in_transaction(a, edit_and_approve)

        async def bovine_copy_edited() -> bool:
            stored = await _in_peer(peer, "stored", case.ap_id)
            return bool(stored) and "biopsy shows psoriasis" in str(stored.get("content"))

        await poll(bovine_copy_edited, "the edit in bovine's copy")
        update = await _inbox_entry(peer, "Update", case.ap_id)
        assert update is not None and update["object"].get("updated")

        # 4. Our clinician follows bovine's actor; bovine's client accepts; its image post arrives,
        # is de-identified again here and stored as a remote case with its image.
        await _follow_from_here(a, "clinician", peer.actor)
        follow = await poll(lambda: _inbox_entry(peer, "Follow"), "our Follow in bovine's inbox")
        assert follow["actor"] == a.actor_url("clinician")
        await _in_peer(
            peer,
            "post",
            {
                "@context": AS_CONTEXT,
                "type": "Accept",
                "actor": peer.actor,
                "object": follow,
                "to": [follow["actor"]],
            },
        )
        await poll(lambda: follow_accepted(a, "clinician"), "bovine's Accept of our Follow")

        media_url = await _in_peer(peer, "upload_media", "lesion.jpg", clinical_image(7))
        await _in_peer(
            peer,
            "post",
            {
                "@context": AS_CONTEXT,
                "type": "Create",
                "actor": peer.actor,
                "to": AS_PUBLIC,
                "cc": peer.info["followers"],
                "object": {
                    "type": "Note",
                    "attributedTo": peer.actor,
                    "content": "<p>Herd case: scaly plaque on the elbow</p>",
                    "attachment": {
                        "type": "Image",
                        "mediaType": "image/jpeg",
                        "name": "plaque",
                        "url": media_url,
                    },
                    "to": AS_PUBLIC,
                    "cc": peer.info["followers"],
                },
            },
        )
        received = await poll(lambda: _cases_from(a, peer.base_url), "bovine's image post stored here")
        (theirs, images) = received[0]
        assert "scaly plaque on the elbow" in theirs.caption
        assert len(images) == 1
        async with httpx.AsyncClient() as http:
            page = await http.get(f"{a.url}/cases/{theirs.public_id}")
        assert page.status_code == 200 and "scaly plaque on the elbow" in page.text

        # 5. bovine's Delete purges it here.
        await _in_peer(
            peer,
            "post",
            {
                "@context": AS_CONTEXT,
                "type": "Delete",
                "actor": peer.actor,
                "to": AS_PUBLIC,
                "cc": peer.info["followers"],
                "object": theirs.ap_id,
            },
        )

        async def purged() -> bool:
            return await remote_case(a, theirs.ap_id) is None

        await poll(purged, "bovine's post purged here")

        # 6. Our Delete (consent withdrawn) reaches bovine: its copy becomes a Tombstone.
        async def withdraw(db: Any, state: Any) -> None:
            from fediverse_cases.services.operator import Operator
            from fediverse_cases.services.withdraw import withdraw_consent
            from fediverse_cases.storage.repositories.cases import get_case_by_ap_id

            await withdraw_consent(db, state, await get_case_by_ap_id(db, case.ap_id), Operator.system())

        await in_transaction(a, withdraw)

        async def bovine_copy_tombstoned() -> bool:
            stored = await _in_peer(peer, "stored", case.ap_id)
            return stored is None or stored.get("type") == "Tombstone"

        await poll(bovine_copy_tombstoned, "our Delete at bovine")
        assert await _inbox_entry(peer, "Delete", case.ap_id) is not None
    finally:
        await asyncio.to_thread(peer.stop)
